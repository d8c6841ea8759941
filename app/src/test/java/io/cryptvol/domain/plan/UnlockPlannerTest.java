package io.cryptvol.domain.plan;

import io.cryptvol.CryptvolException;
import io.cryptvol.day2.UnlockPlanner;
import io.cryptvol.day2.VolumeLocator;
import io.cryptvol.day2.VolumeLocator.Located;
import io.cryptvol.day2.VolumeLocator.Selection;
import io.cryptvol.domain.model.CrypttabFile;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Mount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static io.cryptvol.domain.plan.StepKind.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Where unlock finds the volume, and what it plans from each state a reboot or a half-done unlock leaves. */
class UnlockPlannerTest {
    static final Selection NONE = new Selection(null, null, null, null);
    static final KeyRef KEY = KeyRef.named("data-key-1");

    /** After a reboot: fstab and crypttab lines, the LV inactive, nothing open or mounted. */
    static HostState rebooted() {
        HostState h = withCrypttab(after(ADD_KEY)).withFstab(after(FSTAB).fstab());
        return h.withLvm(h.pvs(), h.vgs(), List.of(stripedLv(false)));
    }

    static HostState withCrypttab(HostState h) {
        return h.withCrypttab(CrypttabFile.parse("secure /dev/myvg/mylv none luks,noauto\n"));
    }

    @Test
    void locatesFromFstabAndCrypttab() {
        Located v = VolumeLocator.locate(null, NONE, rebooted());
        assertThat(v).isEqualTo(new Located("myvg", "mylv", "secure", "/mnt/data", "xfs", "rw,noatime,nouuid"));
    }

    @Test
    void withoutCrypttabTheSelectedVgAndLvAreUsed() {
        HostState h = after(FSTAB);
        assertThat(VolumeLocator.locate("/mnt/data", NONE, h).lvPath()).isEqualTo("/dev/myvg/mylv"); // the open mapping
        HostState closed = after(ADD_KEY).withFstab(h.fstab());
        assertThatThrownBy(() -> VolumeLocator.locate("/mnt/data", NONE, closed)).isInstanceOf(CryptvolException.class)
                .hasMessageContaining("use vg NAME");
        assertThat(VolumeLocator.locate(null, new Selection("myvg", "mylv", null, null), closed).mapping()).isEqualTo("secure");
    }

    static Stream<Arguments> steps() {
        return Stream.of(
                arguments("after a reboot", rebooted(), false, List.of(ACTIVATE_VG, OPEN_MAPPING, MOUNT)),
                arguments("VG exported for a detach", rebooted(), true, List.of(ACTIVATE_VG, ACTIVATE_VG, OPEN_MAPPING, MOUNT)),
                arguments("LV active (autoactivated)", withCrypttab(after(ADD_KEY)).withFstab(after(FSTAB).fstab()), false,
                        List.of(OPEN_MAPPING, MOUNT)),
                arguments("open, not mounted", withCrypttab(after(FSTAB)), false, List.of(MOUNT)),
                arguments("already unlocked", withCrypttab(after(MOUNTED)), false, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void steps(String name, HostState h, boolean exported, List<StepKind> expected) {
        Located v = VolumeLocator.locate(null, NONE, h);
        Plan p = new UnlockPlanner().plan(v, KEY, exported, h).plan();
        assertThat(p.kinds()).isEqualTo(expected);
        p.steps().stream().filter(s -> s.kind() == OPEN_MAPPING).forEach(s -> {
            assertThat(s.command().argv()).containsExactly("cryptsetup", "open", "--type", "luks", "--key-file", "-",
                    "/dev/myvg/mylv", "secure");
            assertThat(s.keys()).containsExactly(KEY);
        });
    }

    /** The mount step makes the mountpoint only when the observation did not see a directory there. */
    static Stream<Arguments> mountpointMadeOnlyWhenNoDirectory() {
        return Stream.of(
                arguments("not looked at", null, List.of("mkdir -p /mnt/data", "mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data")),
                arguments("missing", "missing", List.of("mkdir -p /mnt/data", "mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data")),
                arguments("a symbolic link", "symlink", List.of("mkdir -p /mnt/data", "mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data")),
                arguments("fstab's directory", "dir", List.of("mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data")),
                arguments("an empty directory", "dir-empty", List.of("mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data")),
                arguments("a directory with files", "dir-nonempty", List.of("mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void mountpointMadeOnlyWhenNoDirectory(String name, String path, List<String> commands) {
        HostState h = rebooted();
        if (path != null) {
            h = h.withPath("/mnt/data", path.equals("dir") ? new io.cryptvol.domain.model.PathInfo(
                    io.cryptvol.domain.model.PathInfo.Kind.DIRECTORY, null) : io.cryptvol.domain.model.PathInfo.parse(path));
        }
        Plan p = new UnlockPlanner().plan(VolumeLocator.locate(null, NONE, h), KEY, false, h).plan();
        PlanStep mount = p.steps().stream().filter(s -> s.kind() == MOUNT).findFirst().orElseThrow();
        assertThat(mount.commands()).extracting(c -> String.join(" ", c.command().argv())).isEqualTo(commands);
    }

    @Test
    void refusesWhenSomethingElseIsMountedThere() {
        HostState h = rebooted();
        List<Mount> ms = new ArrayList<>(h.mounts());
        ms.add(new Mount("/dev/nvme9n1", "/mnt/data", "ext4", List.of("rw")));
        PlanResult r = new UnlockPlanner().plan(VolumeLocator.locate("/mnt/data", NONE, h), KEY, false, h.withMounts(ms));
        assertThat(r.refusals()).singleElement().satisfies(x -> assertThat(x.line())
                .isEqualTo("/mnt/data: already has /dev/nvme9n1 mounted on it"));
    }

    @Test
    void refusesWhenTheVgIsNotThere() {
        HostState h = withCrypttab(after(0)).withFstab(after(FSTAB).fstab());
        PlanResult r = new UnlockPlanner().plan(VolumeLocator.locate(null, NONE, h), KEY, false, h);
        assertThat(r.refusals()).singleElement().satisfies(x -> assertThat(x.line()).contains("are the VG's volumes attached"));
    }

    @Test
    void refusesAVgWithAMissingMemberBeforeAnyStepAndNamesIt() {
        HostState h = rebooted();
        Located v = VolumeLocator.locate(null, NONE, h);
        PlanResult r = new UnlockPlanner().plan(v, KEY, false, List.of("vol-0123456789abcdef0 (EBS, tagged cryptvol:vg=myvg,"
                + " not attached here; PV uuid aaaa)"), h);
        assertThat(r.refusals()).singleElement().satisfies(x -> {
            assertThat(x.reason()).isEqualTo(Refusal.Reason.MEMBER_MISSING);
            assertThat(x.line()).isEqualTo("VG myvg: is missing 1 member: vol-0123456789abcdef0 (EBS, tagged cryptvol:vg=myvg,"
                    + " not attached here; PV uuid aaaa); attach it to this instance and unlock again");
        });
        assertThat(new UnlockPlanner().plan(v, KEY, false, List.of("PV uuid a", "PV uuid b"), h).refusals())
                .singleElement().satisfies(x -> assertThat(x.line()).contains("is missing 2 members: PV uuid a, PV uuid b;")
                        .contains("attach them"));
        assertThat(new UnlockPlanner().plan(v, KEY, false, List.of(), h).refusals()).isEmpty();
    }

    static Stream<Arguments> missingPvs() {
        // lvm2 2.03 `pvs --reportformat json -o pv_uuid,pv_missing,vg_name` with one PV of avg gone
        String report = """
                  {
                      "report": [
                          {
                              "pv": [
                                  {"pv_uuid":"Wq3kcy-Jd0H-1n2S-Lx7s-0Yb2-VZ1s-h3mT9a", "pv_missing":"", "vg_name":"avg"},
                                  {"pv_uuid":"Yk1bXz-7hQp-uT0e-2f8R-mN4c-Lr6s-a9GdE2", "pv_missing":"missing", "vg_name":"avg"},
                                  {"pv_uuid":"Cc0aQw-1111-2222-3333-4444-5555-666666", "pv_missing":"missing", "vg_name":"bvg"},
                                  {"pv_uuid":"Dd0aQw-1111-2222-3333-4444-5555-666666", "pv_missing":"", "vg_name":""}
                              ]
                          }
                      ]
                  }
                """;
        return Stream.of(arguments(report, "avg", List.of("Yk1bXz-7hQp-uT0e-2f8R-mN4c-Lr6s-a9GdE2")),
                arguments(report, "bvg", List.of("Cc0aQw-1111-2222-3333-4444-5555-666666")),
                arguments(report, "cvg", List.of()),
                arguments("  WARNING: not json", "avg", List.of()),
                arguments("", "avg", List.of()));
    }

    @ParameterizedTest
    @MethodSource
    void missingPvs(String report, String vg, List<String> expected) {
        assertThat(io.cryptvol.domain.parse.LvmReportParser.missingPvs(report, vg)).isEqualTo(expected);
    }

    /** The key test (open --test-passphrase, run by UnlockKeyCheck while the LV is active) decides before any step. */
    static Stream<Arguments> keyTests() {
        HostState active = withCrypttab(after(ADD_KEY)).withFstab(after(FSTAB).fstab());
        return Stream.of(
                arguments("LV active, the key opens", active.withKeyCheck(LV_PATH, KEY.name(), true), false,
                        List.of(OPEN_MAPPING, MOUNT)),
                arguments("LV active, the key does not open", active.withKeyCheck(LV_PATH, KEY.name(), false), true, List.of()),
                arguments("LV active, another key does not open", active.withKeyCheck(LV_PATH, "other", false), false,
                        List.of(OPEN_MAPPING, MOUNT)),
                arguments("LV inactive: not tested, the open step tests it", rebooted(), false,
                        List.of(ACTIVATE_VG, OPEN_MAPPING, MOUNT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void keyTests(String name, HostState h, boolean refused, List<StepKind> expected) {
        PlanResult r = new UnlockPlanner().plan(VolumeLocator.locate(null, NONE, h), KEY, false, h);
        assertThat(r.isRefused()).isEqualTo(refused);
        if (refused) {
            assertThat(r.refusals()).singleElement().satisfies(x -> {
                assertThat(x.reason()).isEqualTo(Refusal.Reason.LUKS_KEY_DOES_NOT_OPEN);
                assertThat(x.line()).isEqualTo("/dev/myvg/mylv: key 'data-key-1' does not open its LUKS header "
                        + "(tested with cryptsetup open --test-passphrase)");
            });
        } else {
            assertThat(r.plan().kinds()).isEqualTo(expected);
        }
    }

    @Test
    void refusesABadMappingOrMountpointFromTheHostsFiles() {
        HostState h = rebooted();
        Located bad = new Located("myvg", "mylv", "control", "/mnt/data", "xfs", "rw");
        assertThat(new UnlockPlanner().plan(bad, KEY, false, h).refusals()).extracting(Refusal::reason)
                .containsExactly(Refusal.Reason.INVALID_NAME);
        Located root = new Located("myvg", "mylv", "secure", "/mnt/..", "xfs", "rw");
        assertThat(new UnlockPlanner().plan(root, KEY, false, h).refusals()).extracting(Refusal::reason)
                .containsExactly(Refusal.Reason.SYSTEM_DIRECTORY);
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Ephemeral;
import io.cryptvol.domain.cmd.Ephemeral.Config;
import io.cryptvol.domain.cmd.Ephemeral.Use;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.EphemeralFacts;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PathInfo;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.ProcessUse;
import io.cryptvol.domain.plan.EphemeralPlanner.SetupSpec;
import io.cryptvol.domain.plan.Refusal.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.StepKind.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Issue 19's planner as tables: (host, facts, spec) → step kinds, or → refusal reasons and lines. */
class EphemeralPlannerTest {
    static final long GIB = 1L << 30;
    static final String EBS = "Amazon Elastic Block Store";

    static BlockDevice disk(String path, String model, String serial) {
        return new BlockDevice(path.substring(5), path, 100 * GIB, serial, model, DeviceType.DISK, null, null, null,
                List.of(), null, List.of());
    }

    /** A root EBS disk, one EBS data volume and {@code n} blank instance-store disks. */
    static HostState host(int n) {
        List<BlockDevice> d = new ArrayList<>();
        d.add(disk("/dev/nvme0n1", EBS, "vol0aaaaaaaaaaaaaaaa").withMountpoints(List.of("/")));
        d.add(disk("/dev/nvme1n1", EBS, "vol0bbbbbbbbbbbbbbbb"));
        for (int i = 0; i < n; i++) {
            d.add(disk("/dev/nvme" + (2 + i) + "n1", Ephemeral.MODEL + "  ", "AWS1234567890ABCDEF" + i));
        }
        return HostState.empty().withDevices(d).withPath("/mnt/scratch", new PathInfo(PathInfo.Kind.MISSING, null));
    }

    static HostState edit(HostState h, String path, UnaryOperator<BlockDevice> f) {
        return h.withDevices(h.devices().stream().map(d -> d.path().equals(path) ? f.apply(d) : d).toList());
    }

    static final EphemeralFacts FRESH = EphemeralFacts.none();

    static EphemeralFacts setUp(Config c, boolean active) {
        return new EphemeralFacts(true, Ephemeral.unitText(c), true, "enabled", active ? "active" : "failed",
                "Filename Type Size Used Priority\n", "", "");
    }

    static SetupSpec mp(Integer disks) {
        return new SetupSpec(Use.MOUNTPOINT, "/mnt/scratch", disks, false);
    }

    static Stream<Arguments> plans() {
        List<StepKind> fresh = List.of(WRITE_BOOT_FILE, CHECK_DISKS, WRITE_BOOT_FILE, WRITE_BOOT_FILE, ENABLE_UNIT,
                WRITE_BOOT_FILE, START_UNIT);
        Config three = new Config(Use.MOUNTPOINT, 3, "/mnt/scratch");
        return Stream.of(
                arguments("mountpoint on 3 disks: files, check, enable, mkdir, start", host(3), FRESH, mp(null), fresh),
                arguments("--disks equal to the count", host(3), FRESH, mp(3), fresh),
                arguments("one disk", host(1), FRESH, mp(1), fresh),
                arguments("swap: no mkdir", host(2), FRESH, new SetupSpec(Use.SWAP, null, null, false),
                        List.of(WRITE_BOOT_FILE, CHECK_DISKS, WRITE_BOOT_FILE, WRITE_BOOT_FILE, ENABLE_UNIT, START_UNIT)),
                arguments("tmp: from the next boot, no start now", host(2), FRESH, new SetupSpec(Use.TMP, null, null, false),
                        List.of(WRITE_BOOT_FILE, CHECK_DISKS, WRITE_BOOT_FILE, WRITE_BOOT_FILE, ENABLE_UNIT)),
                arguments("set up and active: nothing to do", host(3), setUp(three, true), mp(null), List.of()),
                arguments("set up, start failed: start again", host(3).withPath("/mnt/scratch",
                        new PathInfo(PathInfo.Kind.EMPTY_DIRECTORY, null)), setUp(three, false), mp(null),
                        List.of(WRITE_BOOT_FILE, CHECK_DISKS, WRITE_BOOT_FILE, WRITE_BOOT_FILE, ENABLE_UNIT, START_UNIT)),
                arguments("its own LVM label from the last boot is not 'in use'", edit(host(3), "/dev/nvme2n1",
                        d -> d.withFstype("LVM2_member")).withLvm(List.of(new PhysicalVolume("/dev/nvme2n1", "u",
                        Ephemeral.VG, GIB, 0)), List.of(), List.of()), FRESH, mp(null), fresh));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void plans(String name, HostState h, EphemeralFacts f, SetupSpec spec, List<StepKind> expected) {
        PlanResult r = EphemeralPlanner.setup(spec, h, f);
        assertThat(r.refusals()).isEmpty();
        assertThat(r.plan().kinds()).isEqualTo(expected);
    }

    static Stream<Arguments> refusals() {
        HostState three = host(3);
        return Stream.of(
                arguments("no instance-store disk (EBS only)", host(0), FRESH, mp(null), Reason.NO_INSTANCE_STORE,
                        "target: has no instance-store disk (NVMe model 'Amazon EC2 NVMe Instance Storage'); its 2 other "
                                + "disks are EBS or local storage, never used for scratch"),
                arguments("a disk count other than the planned", three, FRESH, mp(2), Reason.STRIPES_MISMATCH,
                        "--disks 2: the instance has 3 instance-store disks (/dev/nvme2n1, /dev/nvme3n1, /dev/nvme4n1)"),
                arguments("--disks 9", three, FRESH, mp(9), Reason.INVALID_SPEC, "--disks 9: must be 1 to 8"),
                arguments("a disk mounted", edit(three, "/dev/nvme3n1", d -> d.withFstype("ext4")
                        .withMountpoints(List.of("/mnt/old"))), FRESH, mp(null), Reason.MOUNTED,
                        "/dev/nvme3n1: is in use: mounted at /mnt/old"),
                arguments("a disk as swap", three, new EphemeralFacts(true, null, false, "", "",
                        "Filename Type Size Used Priority\n/dev/nvme4n1 partition 1 0 -2\n", "", ""), mp(null),
                        Reason.IN_USE, "/dev/nvme4n1: is in use as swap"),
                arguments("a disk held by another VG's LV", edit(three, "/dev/nvme2n1", d -> d.withFstype("LVM2_member")
                        .withChildren(List.of(new BlockDevice("data-lv", "/dev/mapper/data-lv", GIB, null, null,
                                DeviceType.LVM, null, null, null, List.of(), "nvme2n1", List.of())))), FRESH, mp(null),
                        Reason.HAS_HOLDERS, "/dev/nvme2n1: is in use: held by data-lv"),
                arguments("a disk with a file system", edit(three, "/dev/nvme2n1", d -> d.withFstype("xfs")), FRESH,
                        mp(null), Reason.HAS_SIGNATURE, "/dev/nvme2n1: holds 'xfs'; it would be wiped at every boot: "
                                + "wipe it yourself, or pass --force"),
                arguments("a mountpoint with files", three.withPath("/mnt/scratch",
                        new PathInfo(PathInfo.Kind.NON_EMPTY_DIRECTORY, null)), FRESH, mp(null), Reason.MOUNTPOINT_NOT_EMPTY,
                        "mountpoint '/mnt/scratch': is a directory with files in it; a mount would hide them: move them "
                                + "away, choose another mountpoint, or pass --force"),
                arguments("a mountpoint something else is mounted on", three.withMounts(List.of(new Mount("/dev/nvme1n1",
                        "/mnt/scratch", "xfs", List.of()))), FRESH, mp(null), Reason.MOUNTPOINT_BUSY,
                        "mountpoint '/mnt/scratch': has '/dev/nvme1n1' mounted"),
                arguments("a hostile mountpoint", three, FRESH, new SetupSpec(Use.MOUNTPOINT, "/mnt/$(reboot)", null, false),
                        Reason.INVALID_MOUNTPOINT, "mountpoint '/mnt/$(reboot)': must not contain '$': a new mountpoint is a "
                                + "plain path (no shell or fstab special characters $`;|&<>()*?[]{}'\"\\!#)"),
                arguments("a system directory", three, FRESH, new SetupSpec(Use.MOUNTPOINT, "/usr/x", null, false),
                        Reason.SYSTEM_DIRECTORY, "mountpoint '/usr/x': is under /usr, which the system owns; choose a path "
                                + "such as /mnt/data (or --force)"),
                arguments("/tmp as a mountpoint", three, FRESH, new SetupSpec(Use.MOUNTPOINT, "/tmp", null, true),
                        Reason.INVALID_SPEC, "mountpoint '/tmp': use --as tmp"),
                arguments("no systemd", three, new EphemeralFacts(false, null, false, "", "", "", "", ""), mp(null),
                        Reason.NO_SYSTEMD, "target: systemd is not PID 1: the scratch is rebuilt at every boot by a systemd unit"),
                arguments("set up another way", three, setUp(new Config(Use.SWAP, 3, null), true), mp(null),
                        Reason.ALREADY_SET_UP, "ephemeral scratch: is set up as swap on 3 instance-store disks; run "
                                + "'ephemeral remove' first"),
                arguments("a unit file that is not cryptvol's", three, new EphemeralFacts(true, "[Unit]\n", false, "", "",
                        "", "", ""), mp(null), Reason.ALREADY_SET_UP,
                        Ephemeral.UNIT_FILE + ": exists and was not written by cryptvol"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void refusals(String name, HostState h, EphemeralFacts f, SetupSpec spec, Reason reason, String line) {
        PlanResult r = EphemeralPlanner.setup(spec, h, f);
        assertThat(r.isRefused()).isTrue();
        assertThat(r.refusals()).extracting(Refusal::reason).contains(reason);
        assertThat(r.refusals()).extracting(Refusal::line).contains(line);
    }

    @Test
    void forceTakesADiskWithASignature() {
        HostState h = edit(host(2), "/dev/nvme2n1", d -> d.withFstype("ext4"));
        assertThat(EphemeralPlanner.setup(new SetupSpec(Use.SWAP, null, null, true), h, FRESH).isRefused()).isFalse();
    }

    @Test
    void ebsIsNeverInstanceStore() {
        assertThat(EphemeralPlanner.instanceStore(host(2))).extracting(BlockDevice::path)
                .containsExactly("/dev/nvme2n1", "/dev/nvme3n1");
    }

    @Test
    void theUnitCarriesThePlanAndNeverMakesTheBootWait() {
        Config c = new Config(Use.MOUNTPOINT, 3, "/mnt/scr%atch");
        String unit = Ephemeral.unitText(c);
        assertThat(unit).contains("Environment=EPHEMERAL_AS=mountpoint EPHEMERAL_DISKS=3 EPHEMERAL_MOUNTPOINT=/mnt/scr%%atch "
                        + "EPHEMERAL_OPTIONS=noatime", "RequiresMountsFor=/mnt\n", "Type=oneshot", "TimeoutStartSec=120",
                "WantedBy=multi-user.target", "After=local-fs.target")
                .doesNotContain("RequiredBy", "Requires=", "DefaultDependencies=no", "Before=local-fs.target");
        // /tmp before the services, bounded, only wanted
        assertThat(Ephemeral.unitText(new Config(Use.TMP, 2, "/tmp"))).contains("DefaultDependencies=no",
                "Before=local-fs.target", "WantedBy=local-fs.target", "TimeoutStartSec=120").doesNotContain("Requires=");
        assertThat(Ephemeral.parseUnit(unit)).isEqualTo(c);
        assertThat(Ephemeral.parseUnit(Ephemeral.unitText(new Config(Use.TMP, 2, "/tmp"))).mountOptions())
                .isEqualTo("noatime,nosuid,nodev");
        assertThat(Ephemeral.parseUnit("[Unit]\nDescription=x\n")).isNull();
        // the key: read by cryptsetup from /dev/urandom, never a file or an argument of cryptvol's
        assertThat(Ephemeral.SCRIPT_TEXT).contains("--key-file /dev/urandom").doesNotContain("/etc/crypttab", "/etc/fstab");
    }

    static Stream<Arguments> removals() {
        Config c = new Config(Use.MOUNTPOINT, 2, "/mnt/scratch");
        return Stream.of(
                arguments("not set up: nothing to do", FRESH, List.of()),
                arguments("set up: stop, wipe, remove files, reload", setUp(c, true),
                        List.of(STOP_UNIT, WIPE_SCRATCH, WRITE_BOOT_FILE, WRITE_BOOT_FILE)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void removals(String name, EphemeralFacts f, List<StepKind> expected) {
        assertThat(EphemeralPlanner.remove(host(2), f).plan().kinds()).isEqualTo(expected);
    }

    @Test
    void removeRefusesWhileTheMountIsUsed() {
        Config c = new Config(Use.MOUNTPOINT, 2, "/mnt/scratch");
        HostState h = host(2).withMounts(List.of(new Mount(Ephemeral.MAPPER_PATH, "/mnt/scratch", "xfs", List.of())))
                .withProcessUse("/mnt/scratch", List.of(new ProcessUse("root", 42, "F.c..", "sort")));
        PlanResult r = EphemeralPlanner.remove(h, setUp(c, true));
        assertThat(r.refusals()).extracting(Refusal::line)
                .containsExactly("/mnt/scratch: refusing to unmount: in use by sort(42) (stop them first)");
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.plan.GrowPlanner.GrowSpec;
import io.cryptvol.domain.plan.Refusal.Reason;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static io.cryptvol.domain.plan.StepKind.*;
import static org.assertj.core.api.Assertions.assertThat;

class GrowPlannerTest {
    static final List<String> NEW = List.of("/dev/nvme5n1", "/dev/nvme6n1", "/dev/nvme7n1", "/dev/nvme8n1");

    static GrowSpec spec(List<String> devices, boolean linear) {
        return new GrowSpec("myvg", "mylv", devices, "secure", "/mnt/data", FsType.XFS, "data-key-1", linear);
    }

    /** The provisioned volume with four more clean 1 GiB disks attached. */
    static HostState withNewDisks() {
        HostState h = after(MOUNTED);
        return h.withDevices(Stream.concat(h.devices().stream(), NEW.stream().map(d -> BlockDevice.disk(d, GIB, "v"))).toList());
    }

    @Test
    void stripedGrowKeepsTheStripes() {
        Plan p = new GrowPlanner().plan(spec(NEW, false), withNewDisks()).plan();
        assertThat(p.kinds()).containsExactly(CREATE_PV, CREATE_PV, CREATE_PV, CREATE_PV, EXTEND_VG, EXTEND_LV,
                RESIZE_MAPPING, GROW_FS);
        assertThat(p.steps().get(5).command().argv())
                .containsExactly("lvextend", "-i", "4", "-I", "4k", "-l", "+100%FREE", "myvg/mylv");
        assertThat(p.steps().get(6).command().argv()).containsExactly("cryptsetup", "resize", "--key-file", "-", "secure");
        assertThat(p.steps().get(6).keys()).containsExactly(KeyRef.named("data-key-1"));
        assertThat(p.steps().get(7).command().argv()).containsExactly("xfs_growfs", "/mnt/data");
    }

    @Test
    void resumesAfterVgextend() {
        HostState h = withNewDisks();
        List<PhysicalVolume> pvs = new ArrayList<>(h.pvs());
        NEW.forEach(d -> pvs.add(new PhysicalVolume(d, "u", "myvg", GIB, GIB)));
        VolumeGroup vg = h.vg("myvg").orElseThrow();
        h = h.withLvm(pvs, List.of(new VolumeGroup("myvg", vg.uuid(), 2 * vg.sizeBytes(), vg.sizeBytes(),
                vg.extentSizeBytes(), 8, 1, List.of())), h.lvs());
        assertThat(new GrowPlanner().plan(spec(NEW, false), h).plan().kinds())
                .containsExactly(EXTEND_LV, RESIZE_MAPPING, GROW_FS);
    }

    @Test
    void refusesANumberOfDevicesThatIsNotAMultipleOfTheStripes() {
        PlanResult r = new GrowPlanner().plan(spec(NEW.subList(0, 3), false), withNewDisks());
        assertThat(r.refusals()).extracting(Refusal::line).containsExactly(
                "/dev/myvg/mylv: has 4 stripes; add a multiple of 4 devices (got 3) or grow it linearly");
    }

    @Test
    void linearWhenAsked() {
        Plan p = new GrowPlanner().plan(spec(NEW.subList(0, 1), true), withNewDisks()).plan();
        assertThat(p.kinds()).containsExactly(CREATE_PV, EXTEND_VG, EXTEND_LV, RESIZE_MAPPING, GROW_FS);
        assertThat(p.steps().get(2).command().argv()).containsExactly("lvextend", "-i", "1", "-l", "+100%FREE",
                "myvg/mylv");
    }

    @Test
    void refusesWhenNotMountedOrDevicesDirty() {
        HostState h = after(FSTAB);
        h = h.withDevices(Stream.concat(h.devices().stream(), IntStream.range(0, 4).mapToObj(i ->
                new BlockDevice("nvme" + (5 + i) + "n1", NEW.get(i), GIB, null, null, DeviceType.DISK,
                        i == 0 ? "xfs" : null, null, null, List.of(), null, List.of()))).toList());
        PlanResult r = new GrowPlanner().plan(spec(NEW, false), h);
        assertThat(r.refusals()).extracting(Refusal::reason).containsExactly(Reason.NOT_MOUNTED, Reason.HAS_SIGNATURE);
    }

    static HostState withLuks(HostState h, int version) {
        LuksHeader x = h.luksOn(LV_PATH).orElseThrow();
        return h.withLuks(new LuksHeader(x.device(), version, x.uuid(), version == 1 ? "aes-cbc-essiv:sha256" : x.cipher(),
                x.keyBits(), x.hash(), x.pbkdf(), x.activeKeySlots(), x.dataOffsetBytes()));
    }

    record KeyRow(String name, int luks, Boolean keyring, String key, List<String> resizeArgv, Reason refusal) {
    }

    static Stream<KeyRow> keyRows() {
        List<String> withKey = List.of("cryptsetup", "resize", "--key-file", "-", "secure");
        List<String> noKey = List.of("cryptsetup", "resize", "secure");
        return Stream.of(
                new KeyRow("LUKS1 never needs a key (the #16 bug)", 1, null, null, noKey, null),
                new KeyRow("LUKS1 with a key given: still none sent", 1, null, "data-key-1", noKey, null),
                new KeyRow("LUKS2, volume key in the dm table: no key", 2, false, null, noKey, null),
                new KeyRow("LUKS2, volume key in the kernel keyring: the key", 2, true, "data-key-1", withKey, null),
                new KeyRow("LUKS2, keyring, no key given: refused", 2, true, null, null, Reason.LUKS_KEY_NOT_CHECKED),
                new KeyRow("LUKS2, keyring not known: the key, as before", 2, null, "data-key-1", withKey, null));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("keyRows")
    void resizeAsksForAKeyOnlyWhenTheDeviceNeedsOne(KeyRow row) {
        HostState h = withLuks(withNewDisks(), row.luks());
        PlanResult r = new GrowPlanner().plan(new GrowSpec("myvg", "mylv", NEW, "secure", "/mnt/data", FsType.XFS, row.key(),
                false, row.keyring()), h);
        if (row.refusal() != null) {
            assertThat(r.refusals()).extracting(Refusal::reason).containsExactly(row.refusal());
            return;
        }
        PlanStep resize = r.plan().steps().stream().filter(x -> x.kind() == RESIZE_MAPPING).findFirst().orElseThrow();
        assertThat(resize.command().argv()).isEqualTo(row.resizeArgv());
        assertThat(resize.keys()).hasSize(row.resizeArgv().size() == 5 ? 1 : 0);
    }

    @Test
    void dmTableTellsAKeyringKeyFromATableKey() {
        assertThat(io.cryptvol.domain.parse.DmTableParser.keyInKeyring(
                "0 2097152 crypt aes-xts-plain64 :64:logon:cryptsetup:3f0e-d0 0 253:0 32768\n")).isTrue();
        assertThat(io.cryptvol.domain.parse.DmTableParser.keyInKeyring(
                "0 2097152 crypt aes-cbc-essiv:sha256 0000000000000000000000000000000000000000000000000000000000000000 0 253:0 4096\n"))
                .isFalse();
        assertThat(io.cryptvol.domain.parse.DmTableParser.keyInKeyring("0 2097152 linear 259:1 2048\n")).isNull();
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
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
}

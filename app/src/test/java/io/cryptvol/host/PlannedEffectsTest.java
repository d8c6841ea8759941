package io.cryptvol.host;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.EtcFiles;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.Filesystems;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.Mounts;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepKind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** What a dry run assumes the host looks like after each kind of planned step, step by step. */
class PlannedEffectsTest {
    static final long GIB = 1L << 30;

    static HostState disks() {
        return HostState.empty().withDevices(List.of(BlockDevice.disk("/dev/nvme1n1", GIB, "vol1"),
                BlockDevice.disk("/dev/nvme2n1", GIB, "vol2")));
    }

    record Case(String what, PlanStep step, Predicate<HostState> holds) {
    }

    /** The seed's procedure, each step with what must hold after it (and after everything before it). */
    static List<Case> procedure() {
        List<String> devs = List.of("/dev/nvme1n1", "/dev/nvme2n1");
        return List.of(
                new Case("pvcreate", PlanStep.of(StepKind.CREATE_PV, Lvm.pvcreate("/dev/nvme1n1")),
                        h -> h.pvOn("/dev/nvme1n1").isPresent() && !h.pvOn("/dev/nvme1n1").get().inVg()),
                new Case("second pvcreate", PlanStep.of(StepKind.CREATE_PV, Lvm.pvcreate("/dev/nvme2n1")),
                        h -> h.pvs().size() == 2 && h.pvOn("/dev/nvme2n1").get().sizeBytes() == GIB - 4 * (1L << 20)),
                new Case("vgcreate", PlanStep.of(StepKind.CREATE_VG, Lvm.vgcreate("vg", devs, List.of("cryptvol"))),
                        h -> h.vg("vg").get().sizeBytes() == 2 * (GIB - 4 * (1L << 20)) && h.pvsIn("vg").size() == 2
                                && h.vg("vg").get().tags().equals(List.of("cryptvol"))),
                new Case("lvcreate striped", PlanStep.of(StepKind.CREATE_LV, Lvm.lvcreate("vg", "lv", new Lvm.Layout(2, 4096), "100%VG")),
                        h -> h.lv("vg", "lv").get().stripes() == 2 && h.lv("vg", "lv").get().stripeSizeBytes() == 4096
                                && h.vg("vg").get().freeBytes() == 0 && h.deviceByPath("/dev/vg/lv").isPresent()
                                && h.parents("/dev/mapper/vg-lv").size() == 2),
                new Case("luksFormat", PlanStep.withKey(StepKind.LUKS_FORMAT, Cryptsetup.luksFormat("/dev/vg/lv",
                        io.cryptvol.domain.cmd.LuksOptions.defaults()), KeyRef.named("k1")),
                        h -> h.luksOn("/dev/mapper/vg-lv").isPresent() && h.keyOpens("/dev/vg/lv", "k1").orElse(false)
                                && h.signatureOn("/dev/vg/lv").get().isLuks()),
                new Case("luksAddKey", PlanStep.withKey(StepKind.LUKS_ADD_KEY, Cryptsetup.luksAddKey("/dev/vg/lv",
                        "/run/cryptvol/x.key", Kdf.pbkdf2()), KeyRef.named("k2")),
                        h -> h.keyOpens("/dev/vg/lv", "k2").orElse(false)),
                new Case("open", PlanStep.withKey(StepKind.OPEN_MAPPING, Cryptsetup.open("/dev/vg/lv", "secure"), KeyRef.named("k1")),
                        h -> h.mapping("secure").isPresent() && h.mappingBackingDevice("secure").get().equals("/dev/mapper/vg-lv")
                                && h.mapping("secure").get().sizeBytes() == h.lv("vg", "lv").get().sizeBytes() - 16 * (1L << 20)),
                new Case("mkfs", PlanStep.of(StepKind.MAKE_FS, Filesystems.mkfs(FsType.XFS, "/dev/mapper/secure", null)),
                        h -> h.signatureOn("/dev/mapper/secure").get().type().equals("xfs")),
                new Case("fstab", PlanStep.of(StepKind.ADD_FSTAB, EtcFiles.appendLine(EtcFiles.FSTAB,
                        "/dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto 0 0")),
                        h -> h.fstabFor("/mnt/data").get().options().contains("noauto")),
                new Case("mount", new PlanStep(StepKind.MOUNT, "mount", List.of(
                        io.cryptvol.domain.plan.StepCommand.of(Mounts.mkdir("/mnt/data")),
                        io.cryptvol.domain.plan.StepCommand.of(Mounts.mount("/dev/mapper/secure", "/mnt/data", FsType.XFS, "rw,noatime"))),
                        List.of(), false),
                        h -> h.mountAt("/mnt/data").get().source().equals("/dev/mapper/secure") && h.isMounted("/dev/mapper/secure")),
                new Case("umount", PlanStep.of(StepKind.UNMOUNT, Mounts.umount("/mnt/data")),
                        h -> h.mountAt("/mnt/data").isEmpty() && !h.isMounted("/dev/mapper/secure")),
                new Case("close", PlanStep.of(StepKind.CLOSE_MAPPING, Cryptsetup.close("secure")),
                        h -> h.mapping("secure").isEmpty() && h.luksOn("/dev/vg/lv").isPresent()),
                new Case("vgchange -an", PlanStep.of(StepKind.DEACTIVATE_VG, Lvm.deactivate("vg")),
                        h -> !h.lv("vg", "lv").get().active() && h.deviceByPath("/dev/mapper/vg-lv").isEmpty()));
    }

    @Test
    void eachStepLeavesTheHostAsTheRealToolWould() {
        HostState h = disks();
        List<PlanStep> so = new ArrayList<>();
        for (Case c : procedure()) {
            h = PlannedEffects.apply(h, c.step());
            so.add(c.step());
            assertThat(c.holds().test(h)).as(c.what()).isTrue();
            assertThat(view(PlannedEffects.apply(disks(), so))).as("applying the list up to %s", c.what()).isEqualTo(view(h));
        }
    }

    @Test
    void stepsWithoutAModelledEffectAndAnUnknownVgChangeNothing() {
        HostState h = disks();
        assertThat(PlannedEffects.apply(h, PlanStep.of(StepKind.LOAD_MODULES, io.cryptvol.domain.cmd.Modprobe.load(List.of("dm_crypt")))))
                .isSameAs(h);
        assertThat(PlannedEffects.apply(h, PlanStep.of(StepKind.CREATE_LV, Lvm.lvcreate("novg", "lv", new Lvm.Layout(1, 0), "100%FREE"))))
                .isSameAs(h);
    }

    /** The state with the files as text (FstabFile and CrypttabFile have no equals). */
    static List<Object> view(HostState h) {
        return List.of(h.devices(), h.signatures(), h.pvs(), h.vgs(), h.lvs(), h.luks(), h.mounts(), h.fstab().render(),
                h.crypttab().render(), h.keyChecks());
    }

    @Test
    void stripeSizeArguments() {
        assertThat(PlannedEffects.parseSize("4k")).isEqualTo(4096);
        assertThat(PlannedEffects.parseSize("64K")).isEqualTo(65536);
        assertThat(PlannedEffects.parseSize("1m")).isEqualTo(1 << 20);
        assertThat(PlannedEffects.parseSize("8")).isEqualTo(8192);
    }
}

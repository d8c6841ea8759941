package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.model.Signature;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The single stages over the same host states the provision planner tests use (after stage k). */
class StagePlannerTest {
    final StagePlanner p = new StagePlanner(() -> "tok1");
    final LuksOptions fast = LuksOptions.defaults().withKdf(Kdf.fastForTests());

    @Test
    void pvCreateSkipsExistingPvsAndRefusesSignatures() {
        assertThat(p.pvCreate(DISKS, after(0)).plan().kinds()).hasSize(4).containsOnly(StepKind.CREATE_PV);
        assertThat(p.pvCreate(DISKS, after(PVS)).plan().isEmpty()).isTrue();
        var withFs = after(0).withSignature(new Signature(DISKS.get(0), "ext4", "filesystem", null, null, null, null));
        assertThat(p.pvCreate(DISKS, withFs).refusals()).extracting(Refusal::reason).containsExactly(Refusal.Reason.HAS_SIGNATURE);
    }

    @Test
    void vgCreateIsIdempotentAndLvCreateDefaultsToOneStripePerPv() {
        assertThat(p.vgCreate("myvg", DISKS, after(PVS)).plan().kinds()).containsExactly(StepKind.CREATE_VG);
        assertThat(p.vgCreate("myvg", DISKS, after(VG)).plan().isEmpty()).isTrue();
        assertThat(p.vgCreate("myvg", DISKS.subList(0, 2), after(VG)).refusals()).extracting(Refusal::reason)
                .containsExactly(Refusal.Reason.VG_HAS_OTHER_PVS);
        Plan lv = p.lvCreate("myvg", "mylv", 0, 4096, "100%VG", after(VG)).plan();
        assertThat(String.join(" ", lv.steps().get(0).command().argv())).isEqualTo("lvcreate -i 4 -I 4k -l 100%VG -n mylv myvg");
        assertThat(p.lvCreate("myvg", "mylv", 0, 4096, "100%VG", after(LV)).plan().isEmpty()).isTrue();
        assertThat(p.lvCreate("novg", "mylv", 0, 4096, "100%VG", after(LV)).isRefused()).isTrue();
    }

    @Test
    void luksFormatRefusesAnExistingHeaderAndAddKeyNeedsAnOpeningKey() {
        assertThat(p.luksFormat(LV_PATH, "k1", fast, after(LV)).plan().kinds())
                .containsExactly(StepKind.LOAD_MODULES, StepKind.LUKS_FORMAT, StepKind.HEADER_BACKUP);
        var formatted = after(FORMAT);
        assertThat(p.luksFormat(LV_PATH, "k1", fast, formatted).refusals().get(0).message()).contains("already has a LUKS header");
        var checked = formatted.withKeyCheck(LV_PATH, "data-key-1", true).withKeyCheck(LV_PATH, "data-key-2", false);
        Plan add = p.luksAddKey(LV_PATH, "data-key-1", "data-key-2", fast, checked).plan();
        assertThat(add.kinds()).containsExactly(StepKind.LUKS_ADD_KEY, StepKind.HEADER_BACKUP);
        assertThat(add.steps().get(0).cleanup()).extracting(c -> String.join(" ", c.command().argv()))
                .containsExactly("shred -u /run/cryptvol/tok1.key");
        var wrong = formatted.withKeyCheck(LV_PATH, "data-key-2", false);
        assertThat(p.luksOpen(LV_PATH, "secure", "data-key-2", wrong).refusals().get(0).message()).contains("does not open");
    }

    @Test
    void filesystemFstabMountAndUmountAreIdempotent() {
        assertThat(p.fsMake("secure", FsType.XFS, null, after(OPEN)).plan().kinds()).containsExactly(StepKind.MAKE_FS);
        assertThat(p.fsMake("secure", FsType.XFS, null, after(MKFS)).plan().isEmpty()).isTrue();
        assertThat(p.fsMake("secure", FsType.EXT4, null, after(MKFS)).isRefused()).isTrue();
        Plan fstab = p.fstabAdd("secure", "/mnt/data", FsType.XFS, FsType.XFS.defaultMountOptions(), null, after(MKFS)).plan();
        assertThat(fstab.steps().get(0).title()).isEqualTo(
                "Add to /etc/fstab: /dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto 0 0");
        assertThat(p.fstabAdd("secure", "/mnt/data", FsType.XFS, "rw", null, after(FSTAB)).plan().isEmpty()).isTrue();
        Plan mount = p.mount("secure", "/mnt/data", FsType.XFS, "rw,noatime,nouuid,noauto", after(FSTAB)).plan();
        assertThat(String.join(" ", mount.steps().get(0).command().argv()))
                .isEqualTo("mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data");
        assertThat(p.mount("secure", "/mnt/data", FsType.XFS, "rw", after(MOUNTED)).plan().isEmpty()).isTrue();
        assertThat(p.umount("/mnt/data", after(MOUNTED)).plan().kinds()).containsExactly(StepKind.UNMOUNT);
        assertThat(p.luksClose("secure", after(MOUNTED)).isRefused()).isTrue();
        assertThat(p.luksClose("secure", after(FSTAB)).plan().kinds()).containsExactly(StepKind.CLOSE_MAPPING);
        assertThat(List.of()).isEmpty();
    }
}

package io.cryptvol.snapshot;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.InstanceInfo;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.plan.PlanStep;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure part of snapshot sets, on hand-built host states: no host, no EC2. */
class SnapshotPlannerTest {
    static final String MNT = "/mnt/data";
    static final long G = 1L << 30;

    /**
     * {@code pvDisks} NVMe disks, each a PV of VG myvg with the striped LV on it and the LUKS mapping myenc on the LV,
     * mounted at /mnt/data as {@code fstype}; plus one other data disk (vol-other) and the root disk (vol-root).
     */
    static HostState host(int pvDisks, String fstype, boolean mounted) {
        BlockDevice crypt = new BlockDevice("myenc", "/dev/mapper/myenc", G, null, null, DeviceType.CRYPT, fstype, null,
                null, mounted ? List.of(MNT) : List.of(), "myvg-mylv", List.of());
        BlockDevice lv = new BlockDevice("myvg-mylv", "/dev/mapper/myvg-mylv", G, null, null, DeviceType.LVM, "crypto_LUKS",
                null, null, List.of(), null, List.of(crypt));
        List<BlockDevice> disks = new ArrayList<>();
        List<PhysicalVolume> pvs = new ArrayList<>();
        for (int i = 1; i <= pvDisks; i++) {
            disks.add(new BlockDevice("nvme" + i + "n1", "/dev/nvme" + i + "n1", G, "vol000000000000000" + i, null,
                    DeviceType.DISK, "LVM2_member", null, null, List.of(), null, List.of(lv)));
            pvs.add(new PhysicalVolume("/dev/nvme" + i + "n1", "pv" + i, "myvg", G, 0));
        }
        disks.add(BlockDevice.disk("/dev/nvme8n1", G, "vol0000000000000other"));
        disks.add(BlockDevice.disk("/dev/nvme0n1", 8 * G, "vol00000000000000root"));
        return HostState.empty().withDevices(disks).withLvm(pvs,
                List.of(new VolumeGroup("myvg", "vg", pvDisks * G, 0, 4 << 20, pvDisks, 1, List.of())),
                List.of(new LogicalVolume("mylv", "myvg", "lv", pvDisks * G, "/dev/myvg/mylv", "/dev/mapper/myvg-mylv", true,
                        List.of())));
    }

    static EbsVolume volume(String id, String device) {
        return new EbsVolume(id, 1, "gp3", null, null, false, null, "us-east-1a", "in-use", null, Instant.EPOCH, Map.of(),
                Optional.of(new EbsVolume.Attachment("i-1", device, "attached")));
    }

    static List<EbsVolume> attached(int pvDisks) {
        List<EbsVolume> out = new ArrayList<>();
        for (int i = 1; i <= pvDisks; i++) {
            out.add(volume("vol-000000000000000" + i, "/dev/sdf" + i));
        }
        out.add(volume("vol-0000000000000other", "/dev/sdz"));
        out.add(volume("vol-00000000000000root", "/dev/xvda"));
        return out;
    }

    static final InstanceInfo INSTANCE = new InstanceInfo("i-1", "us-east-1a", "running", "/dev/xvda",
            List.of(new InstanceInfo.Disk("/dev/xvda", "vol-00000000000000root", "attached")));

    static Stream<Arguments> located() {
        return Stream.of(
                // disks, fstype, mounted, context VG, context mapping → error (null: found)
                Arguments.of(2, "xfs", true, null, null, null),
                Arguments.of(2, "xfs", true, "myvg", "myenc", null),
                Arguments.of(2, "xfs", false, null, null, "nothing is mounted at /mnt/data on host"),
                Arguments.of(2, "ext4", true, null, null, "/mnt/data is ext4; snapshot sets are for XFS"),
                Arguments.of(2, "xfs", true, "othervg", null, "/mnt/data is on VG myvg but the context's VG is othervg"),
                Arguments.of(2, "xfs", true, null, "othermap", "/mnt/data is on mapping myenc but the context's mapping is othermap"));
    }

    @ParameterizedTest(name = "{0} disks, {1}, mounted {2}, context {3}/{4} → {5}")
    @MethodSource("located")
    void locatesTheMappingTheLvAndRefusesWhatIsNotXfsOnLuksOnLvm(int disks, String fstype, boolean mounted, String vg,
                                                                 String mapping, String error) {
        HostState st = host(disks, fstype, mounted);
        if (error != null) {
            assertThatThrownBy(() -> SnapshotPlanner.locate(st, MNT, vg, mapping, "host"))
                    .isInstanceOf(CryptvolException.class).hasMessage(error);
            return;
        }
        SnapshotPlanner.Located at = SnapshotPlanner.locate(st, MNT, vg, mapping, "host");
        assertThat(at.fs().name()).isEqualTo("myenc");
        assertThat(at.lv().name()).isEqualTo("mylv");
        assertThat(at.lvPath()).isEqualTo("/dev/myvg/mylv");
    }

    @Test
    void theSetIsEveryPvAsAnAttachedVolumeAndLeavesTheOtherDataVolumesOut() {
        HostState st = host(3, "xfs", true);
        SnapshotTarget t = SnapshotPlanner.target(st, SnapshotPlanner.locate(st, MNT, null, null, "host"), MNT, "uuid-1",
                "i-1", INSTANCE, attached(3));
        assertThat(t.volumeIds()).containsExactly("vol-0000000000000001", "vol-0000000000000002", "vol-0000000000000003");
        assertThat(t.members()).extracting(SnapshotTarget.Member::device)
                .containsExactly("/dev/nvme1n1", "/dev/nvme2n1", "/dev/nvme3n1");
        assertThat(t.excludedVolumes()).containsExactly("vol-0000000000000other");
        assertThat(t.bootVolumeInSet()).isFalse();
        assertThat(t.luksUuid()).isEqualTo("uuid-1");
        assertThat(t.vg() + "/" + t.lv() + " " + t.mapping()).isEqualTo("myvg/mylv myenc");

        // the steps shown: CreateSnapshots with the other data volume excluded, hooks only when given
        List<String> titles = SnapshotPlanner.plan(t, new SnapshotService.SnapshotOptions("flush", null,
                Duration.ofSeconds(60), false)).steps().stream().map(PlanStep::title).toList();
        assertThat(titles).hasSize(7);
        assertThat(titles.get(0)).isEqualTo("Pre hook: flush");
        assertThat(titles.get(4)).contains("CreateSnapshots i-1 ExcludeBootVolume ExcludeDataVolumeIds vol-0000000000000other");
    }

    @Test
    void aPvThatIsNoAttachedVolumeRefusesTheSet() {
        HostState st = host(2, "xfs", true);
        List<EbsVolume> onlyOne = attached(2).stream().filter(v -> !v.id().endsWith("0002")).toList();
        assertThatThrownBy(() -> SnapshotPlanner.target(st, SnapshotPlanner.locate(st, MNT, null, null, "host"), MNT, null,
                "i-1", INSTANCE, onlyOne)).hasMessage("cannot snapshot VG myvg: PV /dev/nvme2n1 is not an EBS volume attached to i-1");
    }

    static EbsSnapshot snap(String id, String volume) {
        return new EbsSnapshot(id, "us-east-1", volume, 1, "completed", 100, "", false, Instant.EPOCH, Map.of());
    }

    @Test
    void whatEc2ReturnedIsOrderedLikeTheMembersAndMustBeExactlyTheirVolumes() {
        SnapshotTarget t = new SnapshotTarget("i-1", "myvg", "mylv", "/dev/myvg/mylv", "myenc", MNT, null,
                List.of(new SnapshotTarget.Member("vol-a", "/dev/nvme1n1"), new SnapshotTarget.Member("vol-b", "/dev/nvme2n1")),
                List.of(), false);
        List<EbsSnapshot> got = List.of(snap("snap-2", "vol-b"), snap("snap-1", "vol-a"));
        assertThat(SnapshotPlanner.order(got, t)).extracting(EbsSnapshot::id).containsExactly("snap-1", "snap-2");
        SnapshotPlanner.requireCovered(t, got);
        assertThatThrownBy(() -> SnapshotPlanner.requireCovered(t, List.of(snap("snap-1", "vol-a"), snap("snap-9", "vol-x"))))
                .hasMessage("EC2 snapshotted [vol-a, vol-x] instead of the VG's volumes [vol-a, vol-b]");
    }

    static SnapshotSet set(String state) {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put(SnapshotTags.SET, "set-1");
        tags.put(SnapshotTags.COUNT, "2");
        tags.put(SnapshotTags.VG, "myvg");
        tags.put(SnapshotTags.LV, "mylv");
        tags.put(SnapshotTags.MAPPING, "myenc");
        List<EbsSnapshot> snaps = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Map<String, String> t = new LinkedHashMap<>(tags);
            t.put(SnapshotTags.INDEX, String.valueOf(i));
            snaps.add(new EbsSnapshot("snap-" + i, "us-east-1", "vol-" + i, 1, state, "completed".equals(state) ? 100 : 50,
                    "", false, Instant.EPOCH, t));
        }
        return SnapshotSet.group(snaps).get(0);
    }

    static Stream<Arguments> restores() {
        return Stream.of(
                // original VG present, --vg, --mapping, --mountpoint → new VG, importClone, mapping, mountpoint | error
                Arguments.of(true, null, null, null, "myvg_restore true myenc_restore /mnt/restore"),
                Arguments.of(false, null, null, null, "myvg false myenc_restore /mnt/restore"),
                Arguments.of(false, "copyvg", "copymap", "/mnt/copy", "copyvg true copymap /mnt/copy"),
                Arguments.of(true, "myvg", null, null, "error: VG myvg exists already: give another --vg"),
                Arguments.of(true, null, "myenc", null, "error: mapping myenc is open already: give another --mapping"),
                Arguments.of(true, null, null, MNT, "error: something is mounted at /mnt/data already: give another --mountpoint"));
    }

    @ParameterizedTest(name = "original present {0}, --vg {1}, --mapping {2}, --mountpoint {3} → {4}")
    @MethodSource("restores")
    void aRestoreNamesTheCopySoItLivesNextToTheOriginal(boolean originalPresent, String vg, String mapping, String mnt,
                                                        String expected) {
        HostState st = originalPresent ? host(2, "xfs", true) : HostState.empty();
        SnapshotService.RestoreOptions o = new SnapshotService.RestoreOptions(mnt, vg, mapping, "k1", null);
        if (expected.startsWith("error: ")) {
            assertThatThrownBy(() -> SnapshotPlanner.restore(set("completed"), o, st, INSTANCE, "new-uuid", "new-set"))
                    .hasMessage(expected.substring("error: ".length()));
            return;
        }
        SnapshotService.RestorePlan p = SnapshotPlanner.restore(set("completed"), o, st, INSTANCE, "new-uuid", "new-set");
        assertThat(p.newVg() + " " + p.importClone() + " " + p.mapping() + " " + p.mountpoint()).isEqualTo(expected);
        assertThat(p.newLuksUuid()).isEqualTo("new-uuid");
        List<VolumeSpec> specs = SnapshotPlanner.restoreVolumes(p);
        assertThat(specs).hasSize(2);
        assertThat(specs.get(1).snapshotId()).isEqualTo("snap-2");
        assertThat(specs.get(1).availabilityZone()).isEqualTo("us-east-1a");
        assertThat(specs.get(1).type()).isEqualTo("gp3");
        assertThat(specs.get(1).tags()).containsEntry(SnapshotTags.SET, "set-1").containsEntry(SnapshotTags.INDEX, "2")
                .containsEntry(SnapshotTags.VG, p.newVg()).containsEntry("Name", "cryptvol-" + p.newVg() + "-restore-2of2")
                .containsEntry(io.cryptvol.aws.VolumeTags.SET, "new-set").containsEntry(io.cryptvol.aws.VolumeTags.COUNT, "2");
    }

    @Test
    void onlyACompletedCryptvolSetWithAKeyIsRestored() {
        SnapshotService.RestoreOptions o = new SnapshotService.RestoreOptions(null, null, null, "k1", null);
        assertThatThrownBy(() -> SnapshotPlanner.checkRestorable(set("pending"), o))
                .hasMessage("set set-1 is pending (50%): wait until it is completed");
        assertThatThrownBy(() -> SnapshotPlanner.checkRestorable(set("completed"),
                new SnapshotService.RestoreOptions(null, null, null, " ", null)))
                .hasMessage("--key NAME is needed to open the restored LUKS device");
        SnapshotPlanner.checkRestorable(set("completed"), o);
    }

    @ParameterizedTest(name = "instance zone {0}, set region {1} → {2}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            "us-east-1a  | us-east-1 | ok",
            "us-east-1-bos-1a | us-east-1 | ok",
            "us-west-2a  | us-east-1 | i-1 is in us-west-2a, outside us-east-1 where set set-1 is: copy the set to its region first ('snapshots copy set-1 --region us-west-2')",
            "us-east-10a | us-east-1 | i-1 is in us-east-10a, outside us-east-1 where set set-1 is: copy the set to its region first ('snapshots copy set-1 --region us-east-10')",
            "            | us-east-1 | EC2 shows no availability zone for i-1: the restored volumes must be made in its zone"})
    void theRestoredVolumesMustBeMadeInTheInstancesZoneInTheSetsRegion(String az, String region, String expected) {
        InstanceInfo info = new InstanceInfo("i-1", az, "running", "/dev/xvda", List.of());
        SnapshotSet s = set("completed");
        assertThat(s.snapshots().get(0).region()).isEqualTo(region);
        if (expected.equals("ok")) {
            SnapshotPlanner.checkZone(s, info);
        } else {
            assertThatThrownBy(() -> SnapshotPlanner.checkZone(s, info)).hasMessage(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            // case | store name of the key | keys recorded for the set's UUID | UUIDs the key is recorded for | refusal
            "the recorded key                  | k1 | k1 k2 | U      | ",
            "nothing recorded anywhere         | k1 |       |        | ",
            "recorded for this and another     | k1 |       | V U    | ",
            "another key is recorded for U     | k3 | k1 k2 | V      | key k3 is not recorded for the set's LUKS UUID U; recorded: k1, k2 (--key NAME)",
            "a key unknown to the store        |    | k1    |        | ",
            "the key opens another volume only | k3 |       | V W    | key k3 is recorded for LUKS UUID V, W, not the set's U: give the key that opens it"})
    void aKeyTheStoreRecordedForAnotherVolumeIsRefused(String name, String storeName, String recorded, String opens,
                                                      String refusal) {
        List<String> rec = recorded == null ? List.of() : List.of(recorded.trim().split(" "));
        List<String> op = opens == null ? List.of() : List.of(opens.trim().split(" "));
        assertThat(SnapshotPlanner.keyRefusal(storeName, storeName, "U", rec, op)).isEqualTo(refusal);
        assertThat(SnapshotPlanner.keyRefusal(storeName, storeName, null, rec, op)).as("a set without the tag").isNull();
    }
}

package io.cryptvol.snapshot;

import java.util.List;

/**
 * What one snapshot set covers, as found on the host and in EC2: the mounted filesystem, the LUKS
 * mapping under it, the LV and VG under that, and every PV of the VG as an EBS volume.
 *
 * @param members          the VG's PVs in set order: EBS volume and host device
 * @param excludedVolumes  other data volumes attached to the instance (left out of CreateSnapshots)
 * @param bootVolumeInSet  true when the instance's root volume is a PV of the VG (CreateSnapshots
 *                         cannot express that with ExcludeBootVolume: one CreateSnapshot per volume)
 */
public record SnapshotTarget(String instanceId, String vg, String lv, String lvPath, String mapping,
                             String mountpoint, String luksUuid, List<Member> members,
                             List<String> excludedVolumes, boolean bootVolumeInSet) {

    public SnapshotTarget {
        members = List.copyOf(members);
        excludedVolumes = List.copyOf(excludedVolumes);
    }

    public record Member(String volumeId, String device) {
    }

    public List<String> volumeIds() {
        return members.stream().map(Member::volumeId).toList();
    }
}

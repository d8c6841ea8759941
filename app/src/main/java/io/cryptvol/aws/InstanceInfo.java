package io.cryptvol.aws;

import java.util.List;

/** An instance as DescribeInstances shows it: where it is, its state and its EBS volumes. */
public record InstanceInfo(String id, String availabilityZone, String state, String rootDeviceName,
                           List<Disk> disks) {

    /** One block device mapping: device name as given at attach time, the volume, the attachment status. */
    public record Disk(String device, String volumeId, String status) {
    }

    public List<String> deviceNames() {
        return disks.stream().map(Disk::device).toList();
    }
}

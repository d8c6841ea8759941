package io.cryptvol.aws;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What each new volume looks like. {@code availabilityZone} null means "the instance's" (where an
 * instance is involved). {@code iops}/{@code throughput} null leave EC2's defaults; {@code kmsKeyId}
 * null with {@code encrypted} uses the account's default EBS key. {@code snapshotId} null makes an
 * empty volume; {@code sizeGiB} 0 with a snapshot takes the snapshot's size.
 */
public record VolumeSpec(int sizeGiB, String type, Integer iops, Integer throughput, boolean encrypted,
                         String kmsKeyId, String availabilityZone, Map<String, String> tags, String snapshotId) {

    public VolumeSpec {
        tags = tags == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(tags));
        if (type == null || type.isBlank()) {
            type = "gp3";
        }
    }

    public static VolumeSpec of(int sizeGiB, String type) {
        return new VolumeSpec(sizeGiB, type, null, null, false, null, null, Map.of(), null);
    }

    public VolumeSpec withPerformance(Integer iopsValue, Integer throughputMiBs) {
        return new VolumeSpec(sizeGiB, type, iopsValue, throughputMiBs, encrypted, kmsKeyId, availabilityZone, tags, snapshotId);
    }

    /** EBS encryption (at rest, under KMS) — on top of LUKS, not instead of it. */
    public VolumeSpec withEncryption(boolean on, String kmsKey) {
        return new VolumeSpec(sizeGiB, type, iops, throughput, on, kmsKey, availabilityZone, tags, snapshotId);
    }

    public VolumeSpec inZone(String az) {
        return new VolumeSpec(sizeGiB, type, iops, throughput, encrypted, kmsKeyId, az, tags, snapshotId);
    }

    public VolumeSpec withTags(Map<String, String> t) {
        return new VolumeSpec(sizeGiB, type, iops, throughput, encrypted, kmsKeyId, availabilityZone, t, snapshotId);
    }

    public VolumeSpec fromSnapshot(String snapshot) {
        return new VolumeSpec(sizeGiB, type, iops, throughput, encrypted, kmsKeyId, availabilityZone, tags, snapshot);
    }
}

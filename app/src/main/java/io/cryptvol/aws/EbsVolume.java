package io.cryptvol.aws;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** An EBS volume as EC2 described it. {@code snapshotId} is null for an empty volume. */
public record EbsVolume(String id, int sizeGiB, String type, Integer iops, Integer throughput, boolean encrypted,
                        String kmsKeyId, String availabilityZone, String state, String snapshotId, Instant created,
                        Map<String, String> tags, Optional<Attachment> attachment) {

    /** Where the volume is attached; {@code state} is attaching, attached, detaching or detached. */
    public record Attachment(String instanceId, String device, String state) {
    }

    public String tag(String key) {
        return tags.get(key);
    }

    public boolean attachedTo(String instanceId) {
        return attachment.map(a -> a.instanceId().equals(instanceId) && a.state().equals("attached")).orElse(false);
    }
}

package io.cryptvol.aws;

import java.time.Instant;
import java.util.Map;

/** An EBS snapshot. {@code progress} is EC2's percentage (0–100); {@code state} pending, completed or error. */
public record EbsSnapshot(String id, String region, String volumeId, int volumeSizeGiB, String state, int progress,
                          String description, boolean encrypted, Instant started, Map<String, String> tags) {

    public String tag(String key) {
        return tags.get(key);
    }

    public boolean completed() {
        return "completed".equals(state);
    }
}

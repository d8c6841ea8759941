package io.cryptvol.domain.model;

import java.util.List;

/**
 * An LV, assembled from the per-segment rows of {@code lvs}.
 *
 * @param path   "/dev/VG/LV" (lv_path)
 * @param dmPath "/dev/mapper/VG-LV" (lv_dm_path), the path lsblk shows
 */
public record LogicalVolume(String name, String vgName, String uuid, long sizeBytes, String path, String dmPath,
                            boolean active, List<LvSegment> segments) {

    public LogicalVolume {
        segments = segments == null ? List.of() : List.copyOf(segments);
    }

    /** Stripes of the first segment (1 for linear, 0 when no segment is known). */
    public int stripes() {
        return segments.isEmpty() ? 0 : segments.get(0).stripes();
    }

    public long stripeSizeBytes() {
        return segments.isEmpty() ? 0 : segments.get(0).stripeSizeBytes();
    }

    public String segtype() {
        return segments.isEmpty() ? "" : segments.get(0).segtype();
    }

    /** True when every segment has the same stripe count and stripe size. */
    public boolean uniformlyStriped() {
        return segments.stream().allMatch(s -> s.stripes() == stripes() && s.stripeSizeBytes() == stripeSizeBytes());
    }

    public boolean hasPath(String p) {
        return p != null && (p.equals(path) || p.equals(dmPath));
    }
}

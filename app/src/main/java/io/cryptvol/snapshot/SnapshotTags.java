package io.cryptvol.snapshot;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tags on every snapshot of a consistent set, so that the set can be found, checked for
 * completeness and restored without remembering ids. {@link #INDEX} is 1-based; {@link #COUNT} is the
 * number of volumes in the set (a set with fewer snapshots is incomplete). The index and count keys are
 * the same as on cryptvol's volumes ({@link io.cryptvol.aws.VolumeTags}).
 */
public final class SnapshotTags {
    public static final String NAME = "Name";
    public static final String SET = "cryptvol:snapshot-set";
    public static final String COUNT = "cryptvol:count";
    public static final String INDEX = "cryptvol:index";
    public static final String SOURCE_VOLUME = "cryptvol:source-volume";
    public static final String INSTANCE = "cryptvol:instance";
    public static final String VG = "cryptvol:vg";
    public static final String LV = "cryptvol:lv";
    public static final String MAPPING = "cryptvol:mapping";
    public static final String MOUNTPOINT = "cryptvol:mountpoint";
    public static final String LUKS_UUID = "cryptvol:luks-uuid";
    /** "frozen" (taken while the filesystem was frozen) or "crash" (the watchdog had thawed it already). */
    public static final String CONSISTENCY = "cryptvol:consistency";
    /**
     * When the set was taken (ISO-8601 UTC, e.g. 2026-11-30T21:40:00.123Z): set once with the set's other tags and
     * carried over to copies unchanged, so that sets order the same in every region (a copy's StartTime is when it
     * was copied).
     */
    public static final String TAKEN_AT = "cryptvol:taken-at";
    /** On a copy: the snapshot it was copied from, and that snapshot's region (what makes a copy resumable). */
    public static final String SOURCE_SNAPSHOT = "cryptvol:source-snapshot";
    public static final String SOURCE_REGION = "cryptvol:source-region";

    private SnapshotTags() {
    }

    /** The tags every snapshot of the set carries (given in the create call itself). */
    public static Map<String, String> forSet(String setId, SnapshotTarget t, java.time.Instant takenAt) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(NAME, "cryptvol-" + t.vg() + "-" + setId.substring(0, Math.min(8, setId.length())));
        m.put(SET, setId);
        m.put(COUNT, String.valueOf(t.members().size()));
        m.put(INSTANCE, t.instanceId());
        m.put(VG, t.vg());
        m.put(LV, t.lv());
        m.put(MAPPING, t.mapping());
        m.put(MOUNTPOINT, t.mountpoint());
        if (t.luksUuid() != null) {
            m.put(LUKS_UUID, t.luksUuid());
        }
        m.put(CONSISTENCY, "frozen");
        m.put(TAKEN_AT, takenAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        return m;
    }

    /**
     * The tags of the copy of {@code source} (a member of a set, in {@code sourceRegion}): the source's own tags
     * (EC2's CopySnapshot copies none), those EC2 reserves ({@code aws:…}) left out, plus where it came from.
     */
    public static Map<String, String> forCopy(io.cryptvol.aws.EbsSnapshot source, String sourceRegion) {
        Map<String, String> m = new LinkedHashMap<>();
        source.tags().forEach((k, v) -> {
            if (!k.startsWith("aws:")) {
                m.put(k, v);
            }
        });
        m.put(SOURCE_SNAPSHOT, source.id());
        m.put(SOURCE_REGION, sourceRegion);
        return m;
    }

    /** The tags of one member (added per snapshot after the create call). */
    public static Map<String, String> forMember(int index, int count, String sourceVolume, String setId, String vg) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(NAME, "cryptvol-" + vg + "-" + setId.substring(0, Math.min(8, setId.length())) + "-" + (index + 1) + "of" + count);
        m.put(INDEX, String.valueOf(index + 1));
        m.put(SOURCE_VOLUME, sourceVolume);
        return m;
    }
}

package io.cryptvol.aws;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tags cryptvol puts on the EBS volumes it creates, so that a set can be found again (listing,
 * snapshots, restore) without remembering ids. {@link #INDEX} is 1-based, {@link #COUNT} the size of
 * the set; {@link #VG} is the volume group the set is meant for (absent when none was given).
 */
public final class VolumeTags {
    public static final String NAME = "Name";
    public static final String SET = "cryptvol:set";
    public static final String INDEX = "cryptvol:index";
    public static final String COUNT = "cryptvol:count";
    public static final String VG = "cryptvol:vg";

    private VolumeTags() {
    }

    /** The tags of member {@code index} (0-based here, 1-based in the tag) of a set of {@code count}. */
    public static Map<String, String> forMember(String setId, int index, int count, String vg) {
        Map<String, String> t = new LinkedHashMap<>();
        String label = vg != null && !vg.isBlank() ? vg : setId.substring(0, Math.min(8, setId.length()));
        t.put(NAME, "cryptvol-" + label + "-" + (index + 1) + "of" + count);
        t.put(SET, setId);
        t.put(INDEX, String.valueOf(index + 1));
        t.put(COUNT, String.valueOf(count));
        if (vg != null && !vg.isBlank()) {
            t.put(VG, vg);
        }
        return t;
    }
}

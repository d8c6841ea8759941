package io.cryptvol.domain.model;

import java.util.List;

/** One /etc/fstab line: spec, mountpoint, type, options, dump frequency, fsck pass. */
public record FstabEntry(String source, String mountpoint, String fstype, List<String> options, int freq,
                         int passno) {

    public FstabEntry {
        options = options == null || options.isEmpty() ? List.of("defaults") : List.copyOf(options);
    }

    public static FstabEntry of(String source, String mountpoint, String fstype, String options) {
        return new FstabEntry(source, mountpoint, fstype, List.of(options.split(",")), 0, 0);
    }

    /** The line as cryptvol writes it: single spaces, "0 0" at the end. */
    public String line() {
        return esc(source) + " " + esc(mountpoint) + " " + fstype + " " + String.join(",", options) + " " + freq
                + " " + passno;
    }

    static String esc(String field) {
        return field.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011");
    }
}

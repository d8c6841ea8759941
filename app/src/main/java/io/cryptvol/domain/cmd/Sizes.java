package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;

/** Size arguments for the tools. */
public final class Sizes {
    public static final long KiB = 1024;
    public static final long MiB = 1024 * KiB;
    public static final long GiB = 1024 * MiB;

    private Sizes() {
    }

    /** A stripe size for lvcreate/lvextend -I, in KiB with LVM's "k" suffix: 4096 → "4k". */
    public static String stripeSizeArg(long bytes) {
        if (bytes < 4 * KiB || Long.bitCount(bytes) != 1) {
            throw new CryptvolException("stripe size must be a power of two of at least 4 KiB, not " + bytes + " bytes");
        }
        return (bytes / KiB) + "k";
    }

    /** A size as the user types it: "4K", "64k", "64KiB", "1M", "4096" → bytes; a usage error otherwise. */
    public static long parse(String s) {
        String t = s.strip().toUpperCase(java.util.Locale.ROOT).replace("IB", "").replace("B", "");
        long mult = 1;
        if (t.endsWith("K")) {
            mult = KiB;
        } else if (t.endsWith("M")) {
            mult = MiB;
        } else if (t.endsWith("G")) {
            mult = GiB;
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Long.parseLong(t) * mult;
        } catch (NumberFormatException e) {
            throw new CryptvolException("not a size: '" + s + "' (e.g. 4K, 64K, 1M)", io.cryptvol.ExitCode.USAGE, null);
        }
    }

    /** Human size: 1073741824 → "1 GiB", 1610612736 → "1.5 GiB". */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(java.util.Locale.ROOT, "%.1f", v))
                + " " + units[u];
    }
}

package io.cryptvol.domain.parse;

import java.util.HashMap;
import java.util.Map;

/** Reads the output of {@link io.cryptvol.domain.cmd.MountCheck#verify}: one "KEY VALUE…" line per fact. */
public final class MountCheckParser {
    private MountCheckParser() {
    }

    /**
     * @param source        what findmnt shows mounted on the mountpoint (null when nothing)
     * @param sizeBytes     the mounted filesystem's size (-1 when unknown)
     * @param deviceBytes   the mapping's size (-1 when unknown)
     * @param xfsDataBytes  XFS's data section (-1 when not XFS or unknown)
     * @param writable      a file could be created and removed
     */
    public record Result(String source, long sizeBytes, long deviceBytes, long xfsDataBytes, boolean writable) {
        /** True when the filesystem is clearly smaller than its device (a grow was not finished). */
        public boolean filesystemSmallerThanDevice() {
            return xfsDataBytes > 0 && deviceBytes > 0
                    && xfsDataBytes < deviceBytes - Math.max(64L << 20, deviceBytes / 100);
        }
    }

    public static Result parse(String out) {
        Map<String, String[]> f = new HashMap<>();
        out.lines().map(String::strip).filter(x -> !x.isEmpty()).forEach(x -> {
            String[] w = x.split("\\s+");
            f.put(w[0], w);
        });
        String[] mnt = f.getOrDefault("mount", new String[0]);
        String source = mnt.length >= 2 ? mnt[1] : null;
        long size = mnt.length >= 3 ? number(mnt[2]) : -1;
        String[] dev = f.getOrDefault("device", new String[0]);
        long device = dev.length >= 2 ? number(dev[1]) : -1;
        String[] xfs = f.getOrDefault("xfsdata", new String[0]);
        long data = xfs.length == 3 && number(xfs[1]) > 0 && number(xfs[2]) > 0 ? number(xfs[1]) * number(xfs[2]) : -1;
        String[] w = f.getOrDefault("write", new String[0]);
        return new Result(source, size, device, data, w.length >= 2 && w[1].equals("ok"));
    }

    private static long number(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

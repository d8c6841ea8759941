package io.cryptvol.domain.cmd;

import io.cryptvol.domain.parse.LsblkParser;
import io.cryptvol.domain.parse.MountsParser;

import java.util.List;

/** Read-only observation commands whose output the parsers read (LVM and cryptsetup ones live there). */
public final class Probe {
    private Probe() {
    }

    /** util-linux ≥ 2.37 (MOUNTPOINTS). */
    public static HostCommand lsblk() {
        return HostCommand.of("List block devices", "lsblk", "-J", "-b", "-o", String.join(",", LsblkParser.COLUMNS));
    }

    /** util-linux < 2.37: MOUNTPOINT instead of MOUNTPOINTS. */
    public static HostCommand lsblkLegacy() {
        List<String> cols = LsblkParser.COLUMNS.stream().map(c -> c.equals("MOUNTPOINTS") ? "MOUNTPOINT" : c).toList();
        return HostCommand.of("List block devices", "lsblk", "-J", "-b", "-o", String.join(",", cols));
    }

    /** Exit 2 = no signature. */
    public static HostCommand blkid(String device) {
        return HostCommand.of("Probe " + device + " for signatures", "blkid", "-p", "-o", "export", device);
    }

    public static HostCommand findmnt() {
        return HostCommand.of("List mounts", "findmnt", "-J", "-o", String.join(",", MountsParser.FINDMNT_COLUMNS));
    }

    /** The table goes to stderr; exit 1 when no process uses the mount. */
    public static HostCommand fuser(String mountpoint) {
        return HostCommand.of("Processes using " + mountpoint, "fuser", "-vm", mountpoint);
    }

    public static HostCommand cat(String file) {
        return HostCommand.of("Read " + file, "cat", file).unprivileged();
    }
}

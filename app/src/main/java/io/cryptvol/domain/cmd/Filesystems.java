package io.cryptvol.domain.cmd;


import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * argv for xfsprogs / e2fsprogs. mkfs is never forced (no -f / -F): it refuses a device that
 * already holds a filesystem, a last line of defence behind the planners.
 */
public final class Filesystems {
    private Filesystems() {
    }

    public static HostCommand mkfs(FsType type, String device, String label) {
        List<String> a = new ArrayList<>(List.of("mkfs." + type.fsName()));
        if (label != null && !label.isBlank()) {
            a.addAll(List.of("-L", label));
        }
        a.add(device);
        return HostCommand.of("Make " + type.fsName() + " on " + device, a).withTimeout(Duration.ofHours(2));
    }

    /** Grow to fill the device: xfs_growfs works on the mountpoint, resize2fs on the device. */
    public static HostCommand grow(FsType type, String device, String mountpoint) {
        return type == FsType.XFS
                ? HostCommand.of("Grow the XFS filesystem at " + mountpoint, "xfs_growfs", mountpoint)
                : HostCommand.of("Grow the ext4 filesystem on " + device, "resize2fs", device);
    }

    public static HostCommand freeze(String mountpoint) {
        return HostCommand.of("Freeze " + mountpoint, "xfs_freeze", "-f", mountpoint);
    }

    /**
     * Freezes, says so ({@code frozen SECONDS}, the host's uptime clock, read without starting a process),
     * waits for a line on stdin (or its end: a lost connection thaws at once), thaws and says so
     * ({@code thawed SECONDS EXIT}). Held open as a {@code exec.Conversation}, so that nothing but
     * one line on an open channel and one process start separate the snapshot call from the thaw. Uses
     * util-linux {@code fsfreeze} (one binary, the same FIFREEZE/FITHAW ioctls) when the host has it, else
     * {@code xfs_freeze}.
     */
    public static HostCommand freezeHold(String mountpoint) {
        return HostCommand.of("Freeze " + mountpoint + ", hold until told (or the connection ends), thaw",
                "sh", "-c", HOLD, "sh", mountpoint).withTimeout(Duration.ofMinutes(10));
    }

    static final String HOLD = String.join("; ",
            "f=xfs_freeze",
            "command -v fsfreeze >/dev/null 2>&1 && f=fsfreeze",
            "$f -f \"$1\" || exit $?",
            "read up _ < /proc/uptime",
            "echo \"frozen $up\"",
            "read -r go",
            "$f -u \"$1\"; rc=$?",
            "read up _ < /proc/uptime",
            "echo \"thawed $up $rc\"",
            "exit $rc");

    public static HostCommand thaw(String mountpoint) {
        return HostCommand.of("Thaw " + mountpoint, "xfs_freeze", "-u", mountpoint);
    }

    /** New filesystem UUID (unmounted), so a clone can be mounted without nouuid. */
    public static HostCommand newUuid(FsType type, String device) {
        return type == FsType.XFS
                ? HostCommand.of("New XFS UUID on " + device, "xfs_admin", "-U", "generate", device)
                : HostCommand.of("New ext4 UUID on " + device, "tune2fs", "-U", "random", device);
    }
}

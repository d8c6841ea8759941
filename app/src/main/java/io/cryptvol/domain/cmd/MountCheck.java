package io.cryptvol.domain.cmd;

/**
 * The check after an unlock: what is mounted on the mountpoint and how big, the size of the mapping, XFS's
 * data section, and whether a file can be created and removed there. One read-only script; its output is read
 * by {@link io.cryptvol.domain.parse.MountCheckParser}. The mountpoint and mapping go in as positional
 * parameters, never into the script text.
 */
public final class MountCheck {
    private MountCheck() {
    }

    static final String SCRIPT = String.join("\n",
            "echo \"mount $(findmnt -n -b -o SOURCE,SIZE --mountpoint \"$1\")\"",
            "echo \"device $(blockdev --getsize64 \"$2\")\"",
            "echo \"xfsdata $(xfs_info \"$1\" 2>/dev/null | sed -n 's/^data *= *bsize=\\([0-9]*\\) *blocks=\\([0-9]*\\).*/\\1 \\2/p')\"",
            "f=\"$1/.cryptvol-unlock-check.$$\"",
            "if : > \"$f\" && rm -f \"$f\"; then echo 'write ok'; else echo 'write failed'; fi");

    /** Creates and removes one temporary file on the mounted filesystem (a change, so not a query). */
    public static HostCommand verify(String mountpoint, String mapperPath) {
        return HostCommand.of("Verify " + mountpoint + " (mounted, writable, size)", "sh", "-c", SCRIPT, "sh",
                mountpoint, mapperPath);
    }
}

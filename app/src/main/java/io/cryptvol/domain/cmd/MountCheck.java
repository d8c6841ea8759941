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

    /*
     * Few processes (each costs a fork and an exec, slow on a small or emulated instance): the mount's source from
     * /proc/self/mountinfo and the mapping's size from sysfs with shell builtins (findmnt and blockdev only when
     * those do not say, e.g. a mountpoint mountinfo escapes), the size from one statfs (stat -f: findmnt's SIZE),
     * XFS's data section from its superblock read past the page cache (dd iflag=direct: what is on the device,
     * as xfs_info would say it: sb_blocksize and sb_dblocks), and the write test.
     */
    static final String SCRIPT = String.join("\n",
            "mp=$1; dev=$2; src=; set -f",
            "while IFS= read -r l; do set -- $l; [ \"$5\" = \"$mp\" ] || continue; r=${l#* - }; set -- $r; src=$2; done < /proc/self/mountinfo",
            "[ -n \"$src\" ] || src=$(findmnt -n -o SOURCE --mountpoint \"$mp\" 2>/dev/null)",
            "size=; if [ -n \"$src\" ] && s=$(stat -f -c '%S %b' \"$mp\" 2>/dev/null); then set -- $s; size=$(($1 * $2)); fi",
            "echo \"mount $src $size\"",
            "n=${dev#/dev/mapper/}; d=",
            "set +f; if [ \"$n\" != \"$dev\" ]; then for b in /sys/block/dm-*; do",
            "  [ -r \"$b/dm/name\" ] && read -r x < \"$b/dm/name\" && [ \"$x\" = \"$n\" ] && read -r d < \"$b/size\" && d=$((d * 512)) && break",
            "done; fi",
            "[ -n \"$d\" ] || d=$(blockdev --getsize64 \"$dev\" 2>/dev/null)",
            "echo \"device $d\"",
            "set -- $(dd if=\"$dev\" bs=4096 count=1 iflag=direct 2>/dev/null | od -An -v -tu1 -N16)",
            "if [ $# -eq 16 ] && [ \"$1 $2 $3 $4\" = '88 70 83 66' ]; then",
            "  echo \"xfsdata $(( ($5 << 24) | ($6 << 16) | ($7 << 8) | $8 )) $(( ($9 << 56) | (${10} << 48) | (${11} << 40) "
                    + "| (${12} << 32) | (${13} << 24) | (${14} << 16) | (${15} << 8) | ${16} ))\"",
            "else echo xfsdata; fi",
            "f=\"$mp/.cryptvol-unlock-check.$$\"",
            "if : > \"$f\" && rm -f \"$f\"; then echo 'write ok'; else echo 'write failed'; fi");

    /** Creates and removes one temporary file on the mounted filesystem (a change, so not a query). */
    public static HostCommand verify(String mountpoint, String mapperPath) {
        return HostCommand.of("Verify " + mountpoint + " (mounted, writable, size)", "sh", "-c", SCRIPT, "sh",
                mountpoint, mapperPath);
    }
}

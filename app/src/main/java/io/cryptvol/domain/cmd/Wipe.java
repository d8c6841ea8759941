package io.cryptvol.domain.cmd;


import java.time.Duration;

/** argv that destroy data: signature wipe, zero fill, discard. */
public final class Wipe {
    /** A zero fill of a large volume takes hours. */
    public static final Duration LONG = Duration.ofHours(48);

    private Wipe() {
    }

    public static HostCommand wipefs(String device) {
        return HostCommand.of("Remove all signatures from " + device, "wipefs", "-a", device);
    }

    /**
     * Write exactly {@code bytes} zeros: a count is given (in bytes) because dd without one fails
     * with "No space left on device" at the end of a block device.
     */
    public static HostCommand zeroFill(String target, long bytes) {
        return HostCommand.of("Write zeros over " + target + " (" + Sizes.human(bytes) + ")",
                "dd", "if=/dev/zero", "of=" + target, "bs=4M", "count=" + bytes, "iflag=count_bytes",
                "oflag=direct", "status=progress").withTimeout(LONG);
    }

    public static HostCommand blkdiscard(String device) {
        return HostCommand.of("Discard every block of " + device, "blkdiscard", device).withTimeout(LONG);
    }

    /**
     * The read-only poll of a fill's progress: the mapping's major and minor number and the sectors written to it
     * so far ({@code /sys/dev/block/MAJ:MIN/stat}, field 7). The mapping name is an argument, never shell text.
     */
    public static HostCommand writtenSectors(String mapping) {
        return HostCommand.query("Sectors written to /dev/mapper/" + mapping, "sh", "-c",
                "set -- $(dmsetup info -c --noheadings -o major,minor --separator ' ' \"$1\") && "
                        + "echo \"$1 $2 $(awk '{print $7}' /sys/dev/block/$1:$2/stat)\"", "sh", mapping);
    }

    /** The same poll once the stat file is known: only that file is read. */
    public static HostCommand writtenSectorsFrom(String mapping, String statFile) {
        return HostCommand.query("Sectors written to /dev/mapper/" + mapping, "cat", statFile);
    }
}

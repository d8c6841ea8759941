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
}

package io.cryptvol.keys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Shreds a file on this machine the way {@code shred -u} does: overwrite it in place (two random passes,
 * then zeros), flush each pass to the device, then unlink. As with shred(1), journaling or copy-on-write file
 * systems and flash wear-levelling may keep old blocks: this is a best effort, not a guarantee.
 * A symbolic link is removed without touching what it points to.
 */
public final class Shredder {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Shredder() {
    }

    /**
     * @return false when there was nothing at {@code file}
     * @throws IOException when it cannot be overwritten or unlinked, or is still there afterwards
     */
    public static boolean shred(Path file) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            long size = Files.size(file);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                byte[] block = new byte[(int) Math.min(Math.max(size, 1), 1 << 16)];
                for (int pass = 0; pass < 3; pass++) {
                    ch.position(0);
                    long left = size;
                    while (left > 0) {
                        if (pass < 2) {
                            RANDOM.nextBytes(block);
                        } else {
                            Arrays.fill(block, (byte) 0);
                        }
                        ByteBuffer buf = ByteBuffer.wrap(block, 0, (int) Math.min(block.length, left));
                        while (buf.hasRemaining()) {
                            left -= ch.write(buf);
                        }
                    }
                    ch.force(true);
                }
                Arrays.fill(block, (byte) 0);
            }
        }
        Files.delete(file);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(file + " is still there after it was shredded and unlinked");
        }
        return true;
    }
}

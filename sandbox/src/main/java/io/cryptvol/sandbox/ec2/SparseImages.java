package io.cryptvol.sandbox.ec2;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/** Raw disk images as sparse files: creating one of any size costs nothing until it is written. */
final class SparseImages {
    private static final int CHUNK = 1 << 20;
    private static volatile Boolean cpWorks;

    private SparseImages() {
    }

    static void create(Path image, long bytes) {
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies an image keeping holes, then sets the copy's length to {@code bytes} (growing it sparsely). */
    static void copy(Path from, Path to, long bytes) {
        try {
            Files.deleteIfExists(to);
            if (!copyWithCp(from, to)) {
                copyInJava(from, to);
            }
            try (RandomAccessFile f = new RandomAccessFile(to.toFile(), "rw")) {
                if (f.length() < bytes) {
                    f.setLength(bytes);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GNU cp: reflinks where the file system can, and otherwise copies only the data, keeping holes. */
    private static boolean copyWithCp(Path from, Path to) {
        if (Boolean.FALSE.equals(cpWorks)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder("cp", "--reflink=auto", "--sparse=always", from.toString(), to.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return false;
            }
            boolean ok = p.exitValue() == 0;
            if (cpWorks == null) {
                cpWorks = ok;
            }
            return ok;
        } catch (IOException e) {
            cpWorks = false;
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Reads every chunk and writes only those that are not all zeros, so holes stay holes. */
    static void copyInJava(Path from, Path to) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            long size = in.size();
            long pos = 0;
            while (pos < size) {
                buf.clear();
                int n = in.read(buf, pos);
                if (n <= 0) {
                    break;
                }
                buf.flip();
                if (!allZero(buf)) {
                    long at = pos;
                    while (buf.hasRemaining()) {
                        at += out.write(buf, at);
                    }
                }
                pos += n;
            }
            try (RandomAccessFile f = new RandomAccessFile(to.toFile(), "rw")) {
                f.setLength(size);
            }
        }
    }

    private static boolean allZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}

package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A key file to bring into the store ({@code keys import}), checked before a byte is stored: the path as typed is
 * hostile (control characters are refused, and it is only ever shown escaped), a symbolic link is refused (what it
 * points to can change between the check and the read), so is anything but a regular file (a FIFO or a device
 * such as /dev/urandom would never end), and the size is checked before reading. Loose permissions, a foreign
 * owner and extra hard links are reported, not refused: the key may already have been copied.
 *
 * @param path  the absolute, normalised source path
 * @param bytes the key; the caller zeroes it
 * @param mode  e.g. "rw-r--r--"
 * @param owner the file's owner
 * @param links the number of hard links (names) the file has
 * @param notes what a person should know about the source (loose mode, other owner, other names)
 */
public record ImportSource(Path path, byte[] bytes, String mode, String owner, int links, List<String> notes) {

    static ImportSource read(Path given, int minSize, int maxSize) {
        String shown = ControlChars.escape(String.valueOf(given));
        if (given == null || ControlChars.any(given.toString())) {
            throw new CryptvolException("refusing the path '" + shown + "': it holds control characters", ExitCode.USAGE, null);
        }
        Path path = given.toAbsolutePath().normalize();
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new CryptvolException("cannot import " + shown + ": no such file", ExitCode.USAGE, null);
        }
        if (Files.isSymbolicLink(path)) {
            String to;
            try {
                to = ControlChars.escape(Files.readSymbolicLink(path).toString());
            } catch (IOException e) {
                to = "?";
            }
            throw new CryptvolException("cannot import " + shown + ": it is a symbolic link (to " + to
                    + "); give the file itself", ExitCode.USAGE, null);
        }
        PosixFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new CryptvolException("cannot import " + shown + ": " + KeyBackups.reason(e), ExitCode.FAILED, null);
        }
        if (!attrs.isRegularFile()) {
            throw new CryptvolException("cannot import " + shown + ": not a regular file (a "
                    + (attrs.isDirectory() ? "directory" : "device, FIFO or socket") + ")", ExitCode.USAGE, null);
        }
        if (attrs.size() < minSize || attrs.size() > maxSize) {
            throw new CryptvolException("cannot import " + shown + ": " + attrs.size() + " bytes is not a key file's size ("
                    + minSize + "–" + maxSize + " bytes)", ExitCode.USAGE, null);
        }
        int links = 1;
        try {
            links = ((Number) Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue();
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException ignored) {
            // not a unix file system view: assume one name
        }
        byte[] key = new byte[(int) attrs.size()];
        try (SeekableByteChannel ch = Files.newByteChannel(path, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer buf = ByteBuffer.wrap(key);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // fill
            }
            if (buf.hasRemaining() || ch.read(ByteBuffer.allocate(1)) > 0) {
                throw new CryptvolException("cannot import " + shown + ": it changed size while being read", ExitCode.FAILED, null);
            }
        } catch (IOException e) {
            Arrays.fill(key, (byte) 0);
            throw new CryptvolException("cannot read " + shown + ": " + KeyBackups.reason(e), ExitCode.FAILED, null);
        } catch (CryptvolException e) {
            Arrays.fill(key, (byte) 0);
            throw e;
        }
        Set<PosixFilePermission> perms = attrs.permissions();
        String mode = PosixFilePermissions.toString(perms);
        String owner = attrs.owner() == null ? "?" : attrs.owner().getName();
        List<String> notes = new ArrayList<>();
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
            notes.add("the source was readable by " + (perms.contains(PosixFilePermission.OTHERS_READ) ? "every user" : "its group")
                    + " (" + mode + "): anyone who could read it may hold a copy of the key");
        }
        String me = System.getProperty("user.name");
        if (me != null && !me.equals(owner)) {
            notes.add("the source is owned by " + ControlChars.escape(owner) + ", not by you (" + me + ")");
        }
        if (links > 1) {
            notes.add("the source has " + links + " names (hard links): the others still hold the key");
        }
        return new ImportSource(path, key, mode, owner, links, List.copyOf(notes));
    }

    /** The path as it may be shown (escaped). */
    public String shown() {
        return ControlChars.escape(path.toString());
    }

    /** Zeroes the bytes. */
    void wipe() {
        Arrays.fill(bytes, (byte) 0);
    }
}

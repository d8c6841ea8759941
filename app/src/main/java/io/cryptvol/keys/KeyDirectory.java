package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The key files themselves: one {@code NAME.key} (0600, raw bytes) per key in a 0700 directory. Writes only new
 * files (a key is never overwritten), reads without following a symlink swapped in, and shreds. Knows nothing of
 * metadata or backups.
 */
final class KeyDirectory {
    static final String SUFFIX = ".key";
    static final Set<PosixFilePermission> DIR_PERMS = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_PERMS = PosixFilePermissions.fromString("rw-------");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");

    private final Path dir;

    KeyDirectory(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path dir() {
        return dir;
    }

    static String validateName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new CryptvolException("not a valid key name: '" + io.cryptvol.domain.ControlChars.escape(String.valueOf(name))
                    + "' (letters, digits, '.', '_' and '-', at most 64, not starting with '.' or '-')", ExitCode.USAGE, null);
        }
        return name;
    }

    static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    Path file(String name) {
        return dir.resolve(validateName(name) + SUFFIX);
    }

    boolean exists(String name) {
        return isValidName(name) && Files.isRegularFile(dir.resolve(name + SUFFIX), LinkOption.NOFOLLOW_LINKS);
    }

    /** True when anything (even a dangling symlink) has that name. */
    boolean taken(String name) {
        return Files.exists(dir.resolve(name + SUFFIX), LinkOption.NOFOLLOW_LINKS);
    }

    byte[] read(String name) {
        Path file = file(name);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new CryptvolException("key file " + file + " is not a regular file; refusing to read it", ExitCode.FAILED, null);
            }
            throw new CryptvolException("unknown key '" + name + "': see 'keys list'", ExitCode.USAGE, null);
        }
        try (var in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) { // a symlink swapped in is refused
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CryptvolException("cannot read key '" + name + "' (" + file + "): "
                    + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
    }

    List<String> names() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                String n = f.substring(0, f.length() - SUFFIX.length());
                if (isValidName(n) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }

    /** Writes a new key file (0600, flushed); refuses an existing name. */
    void writeNew(String name, byte[] key) {
        ensureDir();
        Path file = dir.resolve(name + SUFFIX);
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                perms(FILE_PERMS))) {
            ByteBuffer buf = ByteBuffer.wrap(key);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (FileAlreadyExistsException e) {
            throw new CryptvolException("key '" + name + "' already exists: refusing to overwrite it", ExitCode.FAILED, null);
        } catch (IOException e) {
            throw new CryptvolException("cannot write key '" + name + "' to " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
        try {
            Files.setPosixFilePermissions(file, FILE_PERMS);
        } catch (IOException e) {
            throw new CryptvolException("cannot set permissions of " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
    }

    /** When the file was last written (seconds), for a key dropped in by hand. */
    Instant modified(String name, Instant fallback) {
        try {
            return Files.getLastModifiedTime(file(name)).toInstant().truncatedTo(ChronoUnit.SECONDS);
        } catch (IOException e) {
            return fallback;
        }
    }

    /** Shreds the key file; false when it was already gone. */
    boolean shred(String name) {
        Path file = file(name);
        try {
            return Shredder.shred(file);
        } catch (IOException e) {
            throw new CryptvolException("cannot shred " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
    }

    private void ensureDir() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, perms(DIR_PERMS));
            }
            if (!Files.getPosixFilePermissions(dir).equals(DIR_PERMS)) {
                Files.setPosixFilePermissions(dir, DIR_PERMS);
            }
        } catch (IOException e) {
            throw new CryptvolException("cannot create the key directory " + dir + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
    }

    static FileAttribute<Set<PosixFilePermission>> perms(Set<PosixFilePermission> p) {
        return PosixFilePermissions.asFileAttribute(p);
    }
}

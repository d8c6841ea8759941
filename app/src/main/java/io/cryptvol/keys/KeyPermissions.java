package io.cryptvol.keys;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The modes ssh would insist on, for the key store: the key directory 0700, each key file 0600, both owned
 * by the user running cryptvol, and neither a symbolic link. {@link #check} lists what is loose;
 * {@link #fix} repairs what a chmod can (the mode) and never follows a symlink. An owner or a symlink is
 * left for the user to sort out: cryptvol does not guess where a key should really live.
 */
public final class KeyPermissions {
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private final Path dir;

    public KeyPermissions(Path dir) {
        this.dir = dir;
    }

    /** One loose permission. {@code fixable}: a chmod of {@code path} (not followed) repairs it. */
    public record Problem(String keyName, Path path, String problem, boolean fixable) {
        /** "mode 0644, should be 0600". */
        public String describe() {
            return problem;
        }
    }

    /** What {@link #fix} did with one problem. */
    public record Outcome(Problem problem, boolean fixed, String note) {
    }

    /**
     * Loose permissions of the key directory and of the key files in it (every {@code *.key} entry, symlinks
     * included), or only of key {@code name} and the directory when a name is given.
     */
    public List<Problem> check(String name) {
        List<Problem> out = new ArrayList<>();
        if (Files.isSymbolicLink(dir)) {
            out.add(new Problem(null, dir, "the key directory is a symbolic link (not followed; keep keys in a real directory)", false));
            return out;
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        inspect(null, dir, DIR_MODE, "the key directory", out);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + KeyStore.SUFFIX)) {
            List<Path> files = new ArrayList<>();
            ds.forEach(files::add);
            files.sort(null);
            for (Path p : files) {
                String f = p.getFileName().toString();
                String n = f.substring(0, f.length() - KeyStore.SUFFIX.length());
                if (name != null && !name.equals(n)) {
                    continue;
                }
                if (Files.isSymbolicLink(p)) {
                    out.add(new Problem(n, p, "a symbolic link (not followed; replace it with the key file itself)", false));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    inspect(n, p, FILE_MODE, "the key file", out);
                } else {
                    out.add(new Problem(n, p, "not a regular file", false));
                }
            }
        } catch (IOException e) {
            out.add(new Problem(null, dir, "cannot list the key directory: " + e.getClass().getSimpleName(), false));
        }
        return out;
    }

    /**
     * Repairs every fixable problem {@link #check} finds (a chmod that does not follow links: a symlink swapped
     * in meanwhile is refused, not followed) and reports every problem with what happened to it.
     */
    public List<Outcome> fix(String name) {
        List<Outcome> out = new ArrayList<>();
        for (Problem p : check(name)) {
            if (!p.fixable()) {
                out.add(new Outcome(p, false, "not changed: " + p.problem()));
                continue;
            }
            Set<PosixFilePermission> mode = p.path().equals(dir) ? DIR_MODE : FILE_MODE;
            try {
                if (Files.isSymbolicLink(p.path())) {
                    throw new IOException("became a symbolic link");
                }
                Files.getFileAttributeView(p.path(), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(mode);
                out.add(new Outcome(p, true, "mode set to " + octal(mode)));
            } catch (IOException | UnsupportedOperationException e) {
                out.add(new Outcome(p, false, "cannot set mode " + octal(mode) + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
            }
        }
        return out;
    }

    private static void inspect(String keyName, Path p, Set<PosixFilePermission> wanted, String what, List<Problem> out) {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            out.add(new Problem(keyName, p, "cannot read the mode of " + what + ": " + e.getClass().getSimpleName(), false));
            return;
        }
        if (!a.permissions().equals(wanted)) {
            out.add(new Problem(keyName, p, what + " has mode " + octal(a.permissions()) + ", should be " + octal(wanted), true));
        }
        Integer uid = uid(p);
        Integer me = myUid();
        if (uid != null && me != null && !uid.equals(me)) {
            out.add(new Problem(keyName, p, what + " is owned by " + a.owner().getName() + ", not by the user running cryptvol", false));
        }
    }

    private static Integer uid(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The effective uid of this process (the owner of /proc/self), or null where that cannot be told. */
    static Integer myUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"); // followed: the process's own entry
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    /** "0644". */
    public static String octal(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", m);
    }
}

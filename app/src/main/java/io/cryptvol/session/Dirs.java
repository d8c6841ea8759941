package io.cryptvol.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where cryptvol keeps its files on the user's machine (XDG layout), the one place that knows:
 * {@code $XDG_CONFIG_HOME/cryptvol} (else {@code $HOME/.config/cryptvol}) and
 * {@code $XDG_STATE_HOME/cryptvol} (else {@code $HOME/.local/state/cryptvol}). {@code $HOME} wins
 * over the passwd entry (Java's {@code user.home}), as every CLI honours it; relative XDG values are
 * ignored, as the XDG spec says. {@code CRYPTVOL_HOME} (or the system property {@code cryptvol.home})
 * overrides both: config and state then live under it. Tests and the sandbox use that.
 */
public final class Dirs {
    private Dirs() {
    }

    public static Path config() {
        Path home = override();
        return home != null ? home.resolve("config") : xdg("XDG_CONFIG_HOME", ".config").resolve("cryptvol");
    }

    public static Path state() {
        Path home = override();
        return home != null ? home.resolve("state") : xdg("XDG_STATE_HOME", ".local/state").resolve("cryptvol");
    }

    /** Where the sandbox keeps its instance, endpoint state and images. */
    public static Path sandbox() {
        return state().resolve("sandbox");
    }

    private static Path override() {
        String home = System.getProperty("cryptvol.home", System.getenv("CRYPTVOL_HOME"));
        return home == null || home.isBlank() ? null : Path.of(home);
    }

    private static Path xdg(String var, String fallback) {
        String xdg = env(var);
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg);
        }
        return home().resolve(fallback);
    }

    /** The user's home: {@code $HOME} when set to an absolute path, else the passwd entry. */
    public static Path home() {
        String home = env("HOME");
        if (home != null && !home.isBlank() && Path.of(home).isAbsolute()) {
            return Path.of(home);
        }
        return Path.of(System.getProperty("user.home"));
    }

    /**
     * A path as typed at the prompt, where no shell expanded it: a leading {@code ~} or {@code ~/} is the
     * user's {@link #home()}; anything else (including {@code ~other}) is left as it is.
     */
    public static Path expandHome(String typed) {
        if (typed.equals("~")) {
            return home();
        }
        if (typed.startsWith("~/")) {
            return home().resolve(typed.substring(2));
        }
        return Path.of(typed);
    }

    /** {@code ~/.ssh}, under {@link #home()}: known_hosts and the default identities. */
    public static Path ssh() {
        return home().resolve(".ssh");
    }

    private static java.util.function.UnaryOperator<String> env = System::getenv;

    private static String env(String name) {
        return env.apply(name);
    }

    /** Tests: read the environment from {@code e} instead of the process's; null puts the real one back. */
    static void environment(java.util.function.UnaryOperator<String> e) {
        env = e == null ? System::getenv : e;
    }

    /**
     * Creates {@code file} empty with mode 0600 (its directory 0700 when it has to be made), or tightens an
     * existing one to 0600: for files others append to with the umask's mode (the log, the shell history).
     * A symlink is refused, not followed.
     */
    public static Path ensurePrivateFile(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.isSymbolicLink(file)) {
            throw new IOException(file + " is a symbolic link; cryptvol writes only to a regular file there");
        }
        java.util.Set<java.nio.file.attribute.PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(ownerOnly));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.getPosixFilePermissions(file, java.nio.file.LinkOption.NOFOLLOW_LINKS).equals(ownerOnly)) {
                Files.setPosixFilePermissions(file, ownerOnly);
            }
        }
        return file;
    }

    /**
     * Creates the directory (and parents) with mode 0700, and tightens it to 0700 when it exists
     * with group or other bits (an older version, or a umask, made it 0755). A symlink is not followed
     * into: it is refused, as is a directory another user owns.
     */
    public static Path ensurePrivateDir(Path dir) {
        try {
            if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isSymbolicLink(dir)) {
                    throw new UncheckedIOException(new IOException(dir + " is a symbolic link; cryptvol keeps its files only in a real directory"));
                }
                Files.createDirectories(dir);
            }
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms =
                    Files.getPosixFilePermissions(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            java.util.Set<java.nio.file.attribute.PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rwx------");
            if (!perms.equals(ownerOnly)) {
                Files.setPosixFilePermissions(dir, ownerOnly);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }
}

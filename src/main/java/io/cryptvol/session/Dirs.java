package io.cryptvol.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where cryptvol keeps its files on the user's machine (XDG layout). {@code CRYPTVOL_HOME}
 * (or the system property {@code cryptvol.home}) overrides both: config and state then live
 * under it. Tests and the sandbox use that.
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
        String xdg = System.getenv(var);
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg);
        }
        return Path.of(System.getProperty("user.home")).resolve(fallback);
    }

    /** Creates the directory (and parents) with mode 0700 when it does not exist. */
    public static Path ensurePrivateDir(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }
}

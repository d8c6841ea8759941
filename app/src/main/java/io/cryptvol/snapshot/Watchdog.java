package io.cryptvol.snapshot;

import io.cryptvol.domain.cmd.HostCommand;

import java.time.Duration;
import java.util.List;

/**
 * The thaw that does not depend on cryptvol: a small process on the target, started before the freeze,
 * that sleeps for the bound and then runs {@code xfs_freeze -u}. It runs in its own session
 * ({@code setsid}, stdin/stdout/stderr on /dev/null), so neither the end of the SSH channel nor of the
 * connection (SIGHUP to the session) nor cryptvol's death stops it. Its pid is its process group; after
 * a normal thaw cryptvol kills the group (the shell and its sleep).
 *
 * <p>Its argv carries the marker {@link #MARKER}, which {@link #stop} checks in /proc before killing,
 * so that a recycled pid is never killed. Thawing a filesystem that is not frozen is harmless (an error
 * message nobody reads).
 */
public final class Watchdog {
    public static final String MARKER = "cryptvol-watchdog";
    /** Exit code of {@link #stop} when the watchdog is gone already (it fired, or was killed). */
    public static final int GONE = 3;

    private Watchdog() {
    }

    /** Starts the watchdog; prints its pid on stdout. */
    public static HostCommand start(String mountpoint, Duration bound) {
        long s = Math.max(1, (bound.toMillis() + 999) / 1000);
        String inner = "sleep \"$1\"; exec xfs_freeze -u \"$2\"";
        String outer = "setsid sh -c '" + inner + "' " + MARKER + " \"$1\" \"$2\" </dev/null >/dev/null 2>&1 & echo $!";
        return new HostCommand(List.of("sh", "-c", outer, MARKER, String.valueOf(s), mountpoint), null, false,
                "Start a watchdog that thaws " + mountpoint + " after " + s + " s whatever happens",
                Duration.ofSeconds(30), true);
    }

    /** Kills the watchdog's process group if it is still there; exit {@link #GONE} when it is not. */
    public static HostCommand stop(long pid) {
        String script = "grep -q " + MARKER + " /proc/\"$1\"/cmdline 2>/dev/null || exit " + GONE
                + "; kill -TERM -\"$1\""; // no "--": dash's kill takes it for a pid
        return new HostCommand(List.of("sh", "-c", script, MARKER + "-stop", String.valueOf(pid)), null, false,
                "Stop the watchdog (pid " + pid + ")", Duration.ofSeconds(30), true);
    }

    /** Parses the pid {@link #start} printed. */
    public static long pid(String stdout) {
        String s = stdout == null ? "" : stdout.strip();
        if (!s.matches("\\d+")) {
            throw new io.cryptvol.CryptvolException("the watchdog did not start (printed '" + s + "' instead of a pid)", io.cryptvol.ExitCode.FAILED, null);
        }
        return Long.parseLong(s);
    }
}

package io.cryptvol.snapshot;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.cmd.Filesystems;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.Conversation;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;

import java.time.Duration;

/**
 * The freeze of one mountpoint and its thaw: a conversation with a held {@link Filesystems#freezeHold} when the
 * executor can hold a command open (it says "frozen T", waits for a line, thaws, says "thawed T RC", T being the
 * host's uptime clock), else a plain {@code xfs_freeze -f} thawed by a second command. Once {@link #freeze} is
 * called, {@link #thaw} must be (a freeze that failed half-way is thawed harmlessly).
 */
final class FreezeHold {
    private final HostExecutor ex;
    private final String mountpoint;
    private long sent;
    private long thawed;
    private long hostFrozen;
    private long hostThawed;
    private Conversation hold;

    FreezeHold(HostExecutor ex, String mountpoint) {
        this.ex = ex;
        this.mountpoint = mountpoint;
    }

    /** Freezes; returns once the filesystem is frozen, or throws. */
    void freeze() {
        sent = System.nanoTime();
        Conversation c;
        try {
            c = ex.converse(Filesystems.freezeHold(mountpoint));
        } catch (UnsupportedOperationException e) {
            required(ex, Filesystems.freeze(mountpoint));
            return;
        }
        String line = c.readLine(Duration.ofMinutes(10));
        if (line == null || !line.startsWith("frozen ")) {
            ExecResult r = c.finish(Duration.ofSeconds(60));
            throw new CryptvolException("xfs_freeze -f " + mountpoint + " failed (exit " + r.exitCode() + ")"
                    + (r.err().isBlank() ? "" : ": " + r.err().strip().lines().findFirst().orElse("")), ExitCode.FAILED, null);
        }
        hostFrozen = nanos(line);
        hold = c;
    }

    /** Thaws; null when it did, else what went wrong (the holder thaws on its own when its input ends). */
    String thaw() {
        try {
            ExecResult r;
            if (hold != null) {
                // the freeze holder is waiting on its stdin: one line and it thaws
                hold.send("thaw");
                String line = hold.readLine(Duration.ofSeconds(60));
                r = hold.finish(Duration.ofSeconds(60));
                thawed = System.nanoTime();
                hostThawed = line != null && line.startsWith("thawed ") ? nanos(line) : 0;
            } else {
                r = ex.run(Filesystems.thaw(mountpoint));
                thawed = System.nanoTime();
            }
            if (!r.ok() && !r.err().contains("Invalid argument")) {
                return "xfs_freeze -u exited " + r.exitCode() + ": " + r.err().strip();
            }
            return null;
        } catch (RuntimeException e) {
            if (hold != null) {
                hold.close(); // ends its stdin: the holder thaws on its own if it still runs
            }
            return "could not thaw (" + e.getMessage() + ")";
        }
    }

    /** Whether the freeze was held open (the host thaws when the connection ends). */
    boolean held() {
        return hold != null;
    }

    /** Whether {@link #window} was measured on the host's clock. */
    boolean hostClock() {
        return hostFrozen > 0 && hostThawed >= hostFrozen;
    }

    /**
     * How long the filesystem was frozen: on the host's clock when the freeze was held open; else from sending the
     * freeze to seeing the thaw return; zero when it never thawed.
     */
    Duration window() {
        return hostClock() ? Duration.ofNanos(hostThawed - hostFrozen)
                : thawed > 0 ? Duration.ofNanos(thawed - sent) : Duration.ZERO;
    }

    /** From sending the freeze to seeing the thaw return (cryptvol's clock). */
    Duration sentToThawed() {
        return Duration.ofNanos(thawed - sent);
    }

    /** The host's uptime clock, in ns, in a holder's "frozen SECONDS" / "thawed SECONDS RC" line (10 ms steps); 0 when absent. */
    static long nanos(String line) {
        String[] w = line.split(" ");
        if (w.length < 2 || !w[1].matches("\\d+(\\.\\d{1,9})?")) {
            return 0;
        }
        return new java.math.BigDecimal(w[1]).movePointRight(9).longValueExact();
    }

    /** Runs a command that must succeed; its failure is one line with the command's description. */
    static ExecResult required(HostExecutor ex, HostCommand c) {
        ExecResult r = ex.run(c);
        if (!r.ok()) {
            String err = r.err().strip();
            throw new CryptvolException(c.description() + " failed (exit " + r.exitCode() + ")"
                    + (err.isEmpty() ? "" : ": " + err.lines().findFirst().orElse("")), ExitCode.FAILED, null);
        }
        return r;
    }
}

package io.cryptvol.keys;

import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Scrubs the copies the {@link KeyLedger} lists as outstanding: {@code shred -u PATH} through the executor of
 * the current target, {@link Shredder} for temp files on this machine. A copy is marked shredded only when it is
 * known to be gone: {@code test -e} says nothing is there any more (shred's own exit code is not taken for that:
 * a shred that says 0 and leaves the file is a failure), or, on this machine, the path no longer exists. Copies on other hosts are
 * reported as not reachable now.
 */
public final class LedgerShredder {

    public enum Result { SHREDDED, ALREADY_GONE, FAILED, NOT_REACHABLE }

    /** What happened to one ledger entry. */
    public record Outcome(LedgerEntry entry, Result result, String note) {
        public boolean gone() {
            return result == Result.SHREDDED || result == Result.ALREADY_GONE;
        }
    }

    private final KeyLedger ledger;

    public LedgerShredder(KeyLedger ledger) {
        this.ledger = Objects.requireNonNull(ledger);
    }

    /**
     * Shreds every outstanding entry that can be reached now.
     *
     * @param currentTarget display name of the session's target ("local", "admin@host")
     * @param executor      gives the executor of that target (may connect; a failure marks its entries not
     *                      reachable); asked only when there is something to shred there
     */
    public List<Outcome> shredOutstanding(String currentTarget, Supplier<HostExecutor> executor) {
        List<Outcome> out = new ArrayList<>();
        HostExecutor ex = null;
        String connectError = null;
        for (LedgerEntry e : ledger.outstanding()) {
            if (e.kind() == LedgerEntry.Kind.LOCAL_FILE) {
                out.add(shredLocal(e));
            } else if (e.isOn(currentTarget)) {
                if (ex == null && connectError == null) {
                    try {
                        ex = executor.get();
                    } catch (RuntimeException re) {
                        connectError = String.valueOf(re.getMessage());
                    }
                }
                out.add(ex != null ? shredOnTarget(ex, e)
                        : new Outcome(e, Result.NOT_REACHABLE, "not reachable now: " + connectError));
            } else {
                out.add(new Outcome(e, Result.NOT_REACHABLE, "not reachable now (connect to " + e.where() + " to scrub)"));
            }
        }
        return out;
    }

    /** Shreds one entry on the host of {@code ex} and marks the ledger when it is gone. */
    public Outcome shredOnTarget(HostExecutor ex, LedgerEntry e) {
        if (!ex.changesHost()) {
            return new Outcome(e, Result.NOT_REACHABLE, "dry run: nothing scrubbed");
        }
        try {
            ExecResult r = ex.run(KeyFiles.shred(e.path()));
            ExecResult test = ex.run(KeyFiles.stillThere(e.path()));
            if (test.exitCode() == 1) { // gone: the only answer the ledger trusts, whatever shred said
                ledger.markShredded(e.id());
                return r.ok() ? new Outcome(e, Result.SHREDDED, "shredded") : new Outcome(e, Result.ALREADY_GONE, "already gone");
            }
            if (r.ok()) {
                return new Outcome(e, Result.FAILED, test.exitCode() == 0
                        ? "shred said it succeeded but " + e.path() + " is still there"
                        : "shred said it succeeded but whether " + e.path() + " is gone cannot be told (test exit "
                        + test.exitCode() + ")");
            }
            String err = r.err().strip();
            return new Outcome(e, Result.FAILED, "shred failed (exit " + r.exitCode() + ")"
                    + (err.isEmpty() ? "" : ": " + firstLine(err)));
        } catch (RuntimeException re) {
            return new Outcome(e, Result.FAILED, "could not run shred: " + firstLine(String.valueOf(re.getMessage())));
        }
    }

    /** Shreds one temp file on this machine and marks the ledger when it is gone. */
    public Outcome shredLocal(LedgerEntry e) {
        try {
            boolean was = Shredder.shred(Path.of(e.path())); // throws when the file is still there afterwards
            ledger.markShredded(e.id());
            return new Outcome(e, was ? Result.SHREDDED : Result.ALREADY_GONE, was ? "shredded" : "already gone");
        } catch (IOException | RuntimeException ex) {
            return new Outcome(e, Result.FAILED, "could not shred: " + (ex.getMessage() == null
                    ? ex.getClass().getSimpleName() : firstLine(ex.getMessage())));
        }
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

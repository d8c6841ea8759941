package io.cryptvol.keys;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.Redactor;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A key as a file on the target's tmpfs for the length of one action, for the commands that cannot read it
 * on stdin (luksAddKey's new key, an unlock by a tool that wants a file):
 * <ol>
 *   <li>the copy is recorded in the {@link KeyLedger} (before anything is written),</li>
 *   <li>{@code install -d -m 0700 DIR}, and on the default directory a check that it is tmpfs or ramfs,</li>
 *   <li>the key is written with {@link KeyFiles#write} — {@code umask 077}, the bytes on stdin only,</li>
 *   <li>the action runs with the file's path,</li>
 *   <li>finally, whatever happened: {@code shred -u PATH}, and the ledger entry is marked shredded once the file
 *       is known to be gone. A copy that could not be shredded stays outstanding for {@code keys shred}.</li>
 * </ol>
 * {@link #close()} (and the optional JVM shutdown hook) shreds files whose action is still running, e.g. when
 * the shell is stopped mid-step.
 */
public final class TmpfsKeyFiles implements AutoCloseable {
    private static final Pattern SAFE_DIR = Pattern.compile("/[A-Za-z0-9._/-]+");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The file-using part of an operation: gets the path of the key file on the target. */
    @FunctionalInterface
    public interface Action<T> {
        T run(String keyFilePath);
    }

    private final KeySource keys;
    private final KeyLedger ledger;
    private final LedgerShredder shredder;
    private final String dir;
    private final boolean requireTmpfs;
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private Thread hook;

    private record Live(HostExecutor executor, LedgerEntry entry) {
    }

    /** Files in {@link KeyFiles#DIR} (/run/cryptvol), which must be on tmpfs. */
    public TmpfsKeyFiles(KeySource keys, KeyLedger ledger) {
        this(keys, ledger, KeyFiles.DIR, true);
    }

    /**
     * @param dir          absolute directory for the key files on the target (tests use a temp dir)
     * @param requireTmpfs refuse to write when {@code dir} is not on tmpfs/ramfs ({@code stat -f -c %T})
     */
    public TmpfsKeyFiles(KeySource keys, KeyLedger ledger, String dir, boolean requireTmpfs) {
        this.keys = Objects.requireNonNull(keys);
        this.ledger = Objects.requireNonNull(ledger);
        this.shredder = new LedgerShredder(ledger);
        if (dir == null || !SAFE_DIR.matcher(dir).matches() || dir.contains("..")) {
            throw new IllegalArgumentException("key file directory must be a plain absolute path: " + dir);
        }
        this.dir = dir.endsWith("/") && dir.length() > 1 ? dir.substring(0, dir.length() - 1) : dir;
        this.requireTmpfs = requireTmpfs;
    }

    public String dir() {
        return dir;
    }

    /** Same as {@link #withKeyFile(HostExecutor, KeyRef, Action)} for a named key. */
    public <T> T withKeyFile(HostExecutor ex, String keyName, Action<T> action) {
        return withKeyFile(ex, KeyRef.named(keyName), action);
    }

    /**
     * Puts the key on the target as a file, runs {@code action} with its path, and shreds it whatever happens.
     * In a dry run (an executor that does not change the host) nothing is recorded and no key bytes are read:
     * the commands are given to the executor with empty stdin, for it to show.
     */
    public <T> T withKeyFile(HostExecutor ex, KeyRef key, Action<T> action) {
        String path = dir + "/" + token() + ".key";
        if (!ex.changesHost()) {
            ex.run(makeDir());
            ex.run(KeyFiles.write(path).withSecretStdin(new byte[0]));
            try {
                return action.run(path);
            } finally {
                ex.run(KeyFiles.shred(path));
            }
        }
        LedgerEntry entry = ledger.record(ex.target(), path, key.name());
        live.put(entry.id(), new Live(ex, entry));
        RuntimeException failure = null;
        try {
            check(ex, makeDir(), "cannot create " + dir);
            if (requireTmpfs) {
                checkTmpfs(ex);
            }
            byte[] bytes = keys.bytes(key);
            try {
                HostCommand write = KeyFiles.write(path).withSecretStdin(bytes);
                ExecResult r = ex.run(write);
                if (!r.ok()) {
                    throw new CryptvolException("cannot write " + key.describe() + " to " + path + " on " + ex.target()
                            + " (exit " + r.exitCode() + ")" + stderr(Redactor.forCommand(write).redact(r.err())), ExitCode.FAILED, null);
                }
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
            return action.run(path);
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            LedgerShredder.Outcome o = shredder.shredOnTarget(ex, entry);
            live.remove(entry.id());
            if (!o.gone()) {
                CryptvolException notShredded = new CryptvolException("the key file " + path + " on " + ex.target()
                        + " could not be shredded (" + o.note() + "); it stays in the ledger: run 'keys shred'", ExitCode.FAILED, null);
                if (failure != null) {
                    failure.addSuppressed(notShredded);
                } else {
                    throw notShredded;
                }
            }
        }
    }

    /** Shreds the files of actions still running (called on shutdown); returns what happened to each. */
    public List<LedgerShredder.Outcome> shredLive() {
        return live.values().stream().map(l -> {
            LedgerShredder.Outcome o = shredder.shredOnTarget(l.executor(), l.entry());
            if (o.gone()) {
                live.remove(l.entry().id());
            }
            return o;
        }).toList();
    }

    /** Registers a JVM shutdown hook that runs {@link #shredLive()}; removed again by {@link #close()}. */
    public synchronized TmpfsKeyFiles installShutdownHook() {
        if (hook == null) {
            hook = new Thread(this::shredLive, "cryptvol-key-shred");
            Runtime.getRuntime().addShutdownHook(hook);
        }
        return this;
    }

    @Override
    public synchronized void close() {
        shredLive();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
            hook = null;
        }
    }

    // ---- internals --------------------------------------------------------------------------------------

    private HostCommand makeDir() {
        return HostCommand.of("Create " + dir + " (0700)", "install", "-d", "-m", "0700", dir);
    }

    private void checkTmpfs(HostExecutor ex) {
        ExecResult r = ex.run(HostCommand.query("Check that " + dir + " is on tmpfs", "stat", "-f", "-c", "%T", dir));
        String fs = r.out().strip();
        if (!r.ok() || !(fs.equals("tmpfs") || fs.equals("ramfs"))) {
            throw new CryptvolException(dir + " on " + ex.target() + " is not on tmpfs (" + (r.ok() ? fs : "stat failed")
                    + "): refusing to write a key file where it could reach a disk", ExitCode.FAILED, null);
        }
    }

    private static void check(HostExecutor ex, HostCommand c, String what) {
        ExecResult r = ex.run(c);
        if (!r.ok()) {
            throw new CryptvolException(what + " on " + ex.target() + " (exit " + r.exitCode() + ")" + stderr(r.err()), ExitCode.FAILED, null);
        }
    }

    private static String stderr(String err) {
        String s = err == null ? "" : err.strip();
        int nl = s.indexOf('\n');
        s = nl < 0 ? s : s.substring(0, nl);
        return s.isEmpty() ? "" : ": " + s;
    }

    private static String token() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}

package io.cryptvol.session;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostCommand;
import io.cryptvol.exec.HostExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Session-wide switches that {@code replay} turns on for the commands it runs:
 * <ul>
 *   <li>{@link #dryRun()}: every command behaves as if given {@code --dry-run}. Commands compute their
 *       effective dry-run as {@code flag || mode.dryRun()}. The executor layer applies it through
 *       {@link #guard(HostExecutor)}: wire it once in {@code HostAccess.executor()} (return
 *       {@code mode.guard(current)}) and nothing else needs to know.</li>
 *   <li>{@link #assumeYes()}: confirmation prompts answer yes without asking (replay {@code --yes}, or
 *       the one question replay asks up front). Confirmation code returns true at once when it is on.</li>
 * </ul>
 * Both are scoped: {@code try (var s = mode.enterDryRun()) { ... }} restores the previous value on close,
 * so scopes nest. Global (not per thread): worker threads of a command see the same mode.
 */
public final class SessionMode {
    private boolean dryRun;
    private boolean assumeYes;
    private final List<HostCommand> planned = new ArrayList<>();

    /** A scope that puts the previous value back when closed; never throws. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    public synchronized boolean dryRun() {
        return dryRun;
    }

    public synchronized boolean assumeYes() {
        return assumeYes;
    }

    /** Dry-run on until the scope closes. The outermost scope starts an empty {@link #planned()} list. */
    public Scope enterDryRun() {
        boolean was;
        synchronized (this) {
            was = dryRun;
            if (!was) {
                planned.clear();
            }
            dryRun = true;
        }
        return () -> {
            synchronized (SessionMode.this) {
                dryRun = was;
            }
        };
    }

    /** Assume yes to confirmations until the scope closes. */
    public Scope assumingYes() {
        boolean was;
        synchronized (this) {
            was = assumeYes;
            assumeYes = true;
        }
        return () -> {
            synchronized (SessionMode.this) {
                assumeYes = was;
            }
        };
    }

    /** What guarded executors skipped since the outermost dry-run scope began: the combined plan. */
    public synchronized List<HostCommand> planned() {
        return List.copyOf(planned);
    }

    synchronized void plan(HostCommand c) {
        planned.add(c);
    }

    /**
     * The executor as the session should use it: while {@link #dryRun()} is on, host-changing commands
     * are added to {@link #planned()} and skipped (exit 0, no output); read-only queries still run, so a
     * dry run plans from the real host. When dry-run is off it is the real executor, unchanged.
     */
    public HostExecutor guard(HostExecutor real) {
        return new HostExecutor() {
            @Override
            public ExecResult run(HostCommand command) {
                if (dryRun() && !command.readOnly()) {
                    plan(command);
                    return new ExecResult(0, new byte[0], new byte[0], Duration.ZERO);
                }
                return real.run(command);
            }

            @Override
            public String target() {
                return dryRun() ? "dry-run of " + real.target() : real.target();
            }

            @Override
            public boolean changesHost() {
                return !dryRun() && real.changesHost();
            }

            @Override
            public void close() {
                real.close();
            }
        };
    }
}

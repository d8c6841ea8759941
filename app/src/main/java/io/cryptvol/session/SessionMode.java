package io.cryptvol.session;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.domain.plan.PlanStep;

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
    private final List<PlanStep> plannedSteps = new ArrayList<>();
    private final java.util.Set<String> plannedKeys = new java.util.LinkedHashSet<>();

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
                plannedSteps.clear();
                plannedKeys.clear();
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
     * A plan a command would have run, step by step: its commands join {@link #planned()}, and its steps
     * {@link #plannedSteps()}, so that later lines of a dry run are planned as if these had run.
     */
    public synchronized void plan(List<PlanStep> steps) {
        plannedSteps.addAll(steps);
        steps.forEach(st -> java.util.stream.Stream.concat(st.commands().stream(), st.cleanup().stream())
                .forEach(c -> planned.add(c.command())));
    }

    /** A key a dry-run line would have generated: later lines of the same dry run may name it. */
    public synchronized void planKey(String name) {
        plannedKeys.add(name);
    }

    /** True in a dry run after a line that would have generated this key. */
    public synchronized boolean keyPlanned(String name) {
        return dryRun && plannedKeys.contains(name);
    }

    /** The steps planned (and skipped) since the outermost dry-run scope began, in order. */
    public synchronized List<PlanStep> plannedSteps() {
        return List.copyOf(plannedSteps);
    }

    /**
     * The executor as the session should use it: while {@link #dryRun()} is on, host-changing commands
     * are added to {@link #planned()} and skipped (exit 0, no output); read-only queries still run, so a
     * dry run plans from the real host. When dry-run is off it is the real executor, unchanged.
     */
    public HostExecutor guard(HostExecutor real) {
        return new Guarded(real);
    }

    /** The executor {@link #guard} returns; observers ask it for the session's mode (dry-run overlay). */
    public final class Guarded implements HostExecutor {
        private final HostExecutor real;

        Guarded(HostExecutor real) {
            this.real = real;
        }

        public SessionMode mode() {
            return SessionMode.this;
        }

        @Override
        public ExecResult run(HostCommand command) {
            if (dryRun() && !command.readOnly()) {
                plan(command);
                return new ExecResult(0, new byte[0], new byte[0], Duration.ZERO);
            }
            return real.run(command);
        }

        @Override
        public io.cryptvol.exec.Conversation converse(HostCommand command) {
            if (dryRun() && !command.readOnly()) {
                throw new io.cryptvol.exec.HostExecutionException("a dry run does not hold a command open: " + command.description());
            }
            return real.converse(command);
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
    }
}

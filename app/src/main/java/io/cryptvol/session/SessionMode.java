package io.cryptvol.session;

import io.cryptvol.exec.DryRun;
import io.cryptvol.exec.DryRunExecutor;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.domain.plan.PlanStep;

import java.util.ArrayList;
import java.util.List;

/**
 * Session-wide switches that {@code replay} turns on for the commands it runs:
 * <ul>
 *   <li>{@link #dryRun()}: the one dry-run switch. A command's {@code --dry-run} enters it for the command
 *       ({@link #enter(boolean)}), {@code replay --dry-run} for the whole script. The seams enforce it:
 *       {@link DryRunExecutor} (through {@link #guard(HostExecutor)}, wired once under every command),
 *       {@code PlanEngine} (shows the plan, stops), the observer's overlay ({@link #overlay()}), the local
 *       state writes ({@link #persist}) and the key store's service. Commands never ask it.</li>
 *   <li>{@link #assumeYes()}: confirmation prompts answer yes without asking (replay {@code --yes}, or
 *       the one question replay asks up front). Confirmation code returns true at once when it is on.</li>
 * </ul>
 * Both are scoped: {@code try (var s = mode.enterDryRun()) { ... }} restores the previous value on close,
 * so scopes nest. Global (not per thread): worker threads of a command see the same mode.
 */
public final class SessionMode implements DryRun {
    private boolean dryRun;
    private boolean assumeYes;
    private final List<HostCommand> planned = new ArrayList<>();
    private final List<PlanStep> plannedSteps = new ArrayList<>();
    private final java.util.Set<String> plannedKeys = new java.util.LinkedHashSet<>();


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
     * dry run plans from the real host. When dry-run is off it is the real executor, unchanged. The one
     * decorator is {@link DryRunExecutor}; wire it once, under every command ({@code HostAccess}).
     */
    public HostExecutor guard(HostExecutor real) {
        return new DryRunExecutor(real, this);
    }

    // ------------------------------------------------------------------ DryRun, as the seams see it

    @Override
    public boolean on() {
        return dryRun();
    }

    @Override
    public Scope enter(boolean flag) {
        return flag ? enterDryRun() : () -> { };
    }

    @Override
    public void skipped(HostCommand command) {
        plan(command);
    }

    @Override
    public void planned(List<PlanStep> steps) {
        plan(steps);
    }

    /**
     * What an observer lays over the host it observes: in a dry run, the steps planned (and skipped) so far, so
     * that a later line is planned as if the earlier ones had run; otherwise nothing. Passed to
     * {@code HostObserver} explicitly.
     */
    public synchronized List<PlanStep> overlay() {
        return dryRun ? List.copyOf(plannedSteps) : List.of();
    }

    /** Runs a write of local session state (context.json): skipped in a dry run, which changes nothing anywhere. */
    public void persist(Runnable write) {
        if (!dryRun()) {
            write.run();
        }
    }

    /**
     * How an SSH connection opened now treats a host key it has not seen: refused unless the user accepted new
     * keys; in a dry run an accepted key is trusted for the session only, so that known_hosts stays as it was.
     */
    public io.cryptvol.exec.SshExecutor.HostKeyPolicy newHostKeys(boolean acceptNew) {
        return !acceptNew ? io.cryptvol.exec.SshExecutor.HostKeyPolicy.REFUSE_UNKNOWN
                : dryRun() ? io.cryptvol.exec.SshExecutor.HostKeyPolicy.ACCEPT_FOR_SESSION
                : io.cryptvol.exec.SshExecutor.HostKeyPolicy.ACCEPT_AND_REMEMBER;
    }
}

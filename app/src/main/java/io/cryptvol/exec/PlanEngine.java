package io.cryptvol.exec;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.Refusal;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Observe → plan → show → confirm → execute: the one path of every command that changes something. The plan is
 * shown as numbered steps with their exact argv; a dry run (the command's {@code --dry-run} or the session's) stops
 * there; otherwise the user confirms (or {@code --yes}) and each step reports progress. The first failure stops the
 * run with the step, the command and its stderr. When a step asks for it, the host is observed again and the rest
 * is planned anew, at most {@value #MAX_ROUNDS} rounds.
 *
 * <p>Changes that are not host commands (EC2 calls: snapshot sets, new volumes) take the same path through
 * {@link #change}: the plan shows what will happen, the dry run and the question are the same, and the work is a
 * callback that runs only after a yes. How it all looks is a {@link View}: the shell renders; tests record.
 */
public final class PlanEngine {
    public static final int MAX_ROUNDS = 10;

    /** {@code --yes} and {@code --dry-run} as given to the command. */
    public record Options(boolean yes, boolean dryRun) {
        public static Options of(boolean yes, boolean dryRun) {
            return new Options(yes, dryRun);
        }
    }

    /** How a plan ended. */
    public enum Outcome {
        /** The plan ran to its end. */
        RAN,
        /** Nothing to do: the host is as planned already. */
        NOTHING_TO_DO,
        /** Shown in a dry run, not run. */
        DRY_RUN,
        /** The user said no. */
        CANCELLED;

        /** True when the host is now as planned (ran, or nothing to do). */
        public boolean done() {
            return this == RAN || this == NOTHING_TO_DO;
        }
    }

    /** What the engine shows and asks; the shell's implementation prints, a test's records. */
    public interface View {
        /** The plan's title and steps, with where they run and lines that say more (e.g. the volumes). */
        void show(Plan plan, String target, List<String> notes);

        /**
         * {@link #show(Plan, String, List)}, saying whether the plan is what the command answers ({@code asResult}:
         * a dry run, or nothing to do) or the preamble of a run, which is progress (one-command mode puts that on
         * stderr, so stdout holds only the result).
         */
        default void show(Plan plan, String target, List<String> notes, boolean asResult) {
            show(plan, target, notes);
        }

        /** A dry run ended after the plan was shown. */
        void dryRunDone();

        /** Asks before the change; {@code yes} answers at once (the session's assume-yes too). */
        boolean confirm(String question, boolean yes);

        /** The user said no. */
        void cancelled();

        /** The plan was refused: one line per refusal (the engine then throws). */
        void refused(List<Refusal> refusals);

        /** The host was observed again after a step; these steps remain. */
        void replanned(Plan remaining);

        /** Progress of the steps as they run on {@code executor}. */
        PlanRunner.Listener progress(HostExecutor executor);

        /** Everything ran. */
        void done();
    }

    /** Told when a plan is about to be planned and when it ran (the completion inventory). */
    public interface Effects {
        void planning();

        void ran();

        Effects NONE = new Effects() {
            @Override
            public void planning() {
            }

            @Override
            public void ran() {
            }
        };
    }

    /**
     * A change that is not (only) a host plan: what it is about ({@code subject}, handed to the work), what to
     * show, and the question to ask.
     */
    public record Proposal<S>(S subject, Plan plan, String target, List<String> notes, String question) {
        public Proposal {
            notes = notes == null ? List.of() : List.copyOf(notes);
        }
    }

    private final Supplier<HostExecutor> executor;
    private final PlanRunner.KeySource keys;
    private final PlanRunner.KeyFileTrail trail;
    private final DryRun dryRun;
    private final View view;
    private final Effects effects;
    /** Told about every run besides the view (e.g. recording key enrollments); a dry run or a "no" never runs. */
    private final List<Function<HostExecutor, PlanRunner.Listener>> runHooks;

    public PlanEngine(Supplier<HostExecutor> executor, PlanRunner.KeySource keys, PlanRunner.KeyFileTrail trail,
                      DryRun dryRun, View view, Effects effects) {
        this(executor, keys, trail, dryRun, view, effects, new java.util.concurrent.CopyOnWriteArrayList<>());
    }

    private PlanEngine(Supplier<HostExecutor> executor, PlanRunner.KeySource keys, PlanRunner.KeyFileTrail trail,
                       DryRun dryRun, View view, Effects effects, List<Function<HostExecutor, PlanRunner.Listener>> runHooks) {
        this.runHooks = runHooks;
        this.executor = executor;
        this.keys = keys;
        this.trail = trail == null ? PlanRunner.KeyFileTrail.NONE : trail;
        this.dryRun = dryRun;
        this.view = view;
        this.effects = effects == null ? Effects.NONE : effects;
    }

    /**
     * The same engine, but key references are first offered to {@code extra} (a key read from a file, a backup or
     * typed in for this one command); a null answer falls back to the usual key source.
     */
    public PlanEngine withKeys(PlanRunner.KeySource extra) {
        PlanRunner.KeySource base = keys;
        return new PlanEngine(executor, ref -> {
            byte[] b = extra.bytes(ref);
            return b != null ? b : base.bytes(ref);
        }, trail, dryRun, view, effects, runHooks);
    }

    /**
     * Adds a listener made for each run (given the executor it runs on): it hears of each step started, done or
     * failed, after the view. Plans only shown (dry run) or declined never run, so it never hears of them.
     */
    public void addRunHook(Function<HostExecutor, PlanRunner.Listener> hook) {
        runHooks.add(hook);
    }

    /**
     * A read-only look at the host through the session's executor, inside the command's dry run: for the checks a
     * multi-step command makes before its first change that is not a host plan (EBS volumes it creates first).
     */
    public <T> T look(Options opts, Function<HostExecutor, T> look) {
        HostExecutor ex = executor.get();
        try (DryRun.Scope s = dryRun.enter(opts.dryRun())) {
            return look.apply(ex);
        }
    }

    /** The command's {@code --dry-run} as the session's dry run, for observing outside a plan (read-only). */
    public DryRun.Scope planning(Options opts) {
        return dryRun.enter(opts.dryRun());
    }

    /** Plans once and runs it. */
    public boolean execute(PlanResult result, Options opts) {
        return execute(ex -> result, opts);
    }

    /** {@link #run}, true when the host is now as planned. */
    public boolean execute(Function<HostExecutor, PlanResult> planner, Options opts) {
        return run(planner, opts).done();
    }

    /**
     * Plans with {@code planner} (given the executor, so it can observe), shows, confirms, runs. Planning happens
     * inside the dry run when the command has {@code --dry-run}: no changing command reaches the host while
     * observing, and the completion inventory is not written.
     */
    public Outcome run(Function<HostExecutor, PlanResult> planner, Options opts) {
        HostExecutor ex = executor.get();
        String target = ex.target(); // as the user knows it (a session-wide dry run says so)
        effects.planning();
        PlanResult result;
        Plan plan;
        try (DryRun.Scope s = dryRun.enter(opts.dryRun())) {
            result = planner.apply(ex);
            if (result.isRefused()) {
                refuse(result);
            }
            plan = result.plan();
            view.show(plan, target, List.of(), plan.isEmpty() || dryRun.on());
            if (plan.isEmpty()) {
                return Outcome.NOTHING_TO_DO;
            }
            if (dryRun.on()) {
                dryRun.planned(plan.steps());
                view.dryRunDone();
                return Outcome.DRY_RUN;
            }
        }
        if (!view.confirm("Run these " + plan.steps().size() + " steps on " + target + "?", opts.yes())) {
            view.cancelled();
            return Outcome.CANCELLED;
        }
        int round = 0;
        while (true) {
            PlanRunner.Outcome outcome = steps(ex, plan);
            if (!outcome.replanRequested()) {
                break;
            }
            if (++round > MAX_ROUNDS) {
                throw new CryptvolException("the plan did not converge after " + MAX_ROUNDS + " rounds; stopping",
                        ExitCode.FAILED, null);
            }
            result = planner.apply(ex);
            if (result.isRefused()) {
                refuse(result);
            }
            plan = result.plan();
            if (plan.isEmpty()) {
                break;
            }
            view.replanned(plan);
        }
        view.done();
        effects.ran();
        return Outcome.RAN;
    }

    /**
     * A change whose work is not a host plan alone (EC2 calls, a held freeze): {@code proposal} is worked out
     * (inside the dry run for {@code --dry-run}) and shown; a dry run stops there; otherwise, after a yes,
     * {@code work} does the change. Its host steps, if any, go through {@link #steps(Plan)}.
     *
     * @return what {@code work} returned, or null for a dry run or a "no"
     */
    public <S, T> T change(Supplier<Proposal<S>> proposal, Options opts, Function<S, T> work) {
        Proposal<S> p;
        try (DryRun.Scope s = dryRun.enter(opts.dryRun())) {
            p = proposal.get();
            view.show(p.plan(), p.target(), p.notes(), dryRun.on());
            if (dryRun.on()) {
                dryRun.planned(p.plan().steps());
                view.dryRunDone();
                return null;
            }
        }
        if (!view.confirm(p.question(), opts.yes())) {
            view.cancelled();
            return null;
        }
        return work.apply(p.subject());
    }

    /**
     * Asks before a change that has nothing to show as steps (the lines before said what it is): {@code DRY_RUN}
     * in a dry run (nothing asked), else {@code RAN} for a yes (nothing asked when {@code question} is null) or
     * {@code CANCELLED}.
     */
    /** True when nothing will change: the command's {@code --dry-run} or the session's dry run. */
    public boolean previewOnly(boolean dryRunFlag) {
        return dryRunFlag || dryRun.on();
    }

    public Outcome decide(String question, Options opts) {
        if (opts.dryRun() || dryRun.on()) {
            return Outcome.DRY_RUN;
        }
        if (question != null && !view.confirm(question, opts.yes())) {
            return Outcome.CANCELLED;
        }
        return Outcome.RAN;
    }

    /** Runs host steps of a confirmed change, with the view's progress. */
    public PlanRunner.Outcome steps(Plan plan) {
        return steps(executor.get(), plan);
    }

    /** Runs host steps of a confirmed change on {@code ex}, with the view's progress and the run hooks. */
    public PlanRunner.Outcome steps(HostExecutor ex, Plan plan) {
        return new PlanRunner(ex, keys, trail, hooked(view.progress(ex), runHooks.stream().map(h -> h.apply(ex)).toList()))
                .run(plan);
    }

    private static PlanRunner.Listener hooked(PlanRunner.Listener view, List<PlanRunner.Listener> hooks) {
        if (hooks.isEmpty()) {
            return view;
        }
        return new PlanRunner.Listener() {
            @Override
            public void stepStarted(int index, int total, io.cryptvol.domain.plan.PlanStep step) {
                view.stepStarted(index, total, step);
                hooks.forEach(h -> h.stepStarted(index, total, step));
            }

            @Override
            public void stepDone(int index, int total, io.cryptvol.domain.plan.PlanStep step, java.time.Duration took) {
                view.stepDone(index, total, step, took);
                hooks.forEach(h -> h.stepDone(index, total, step, took));
            }

            @Override
            public void stepFailed(int index, int total, io.cryptvol.domain.plan.PlanStep step, String error) {
                view.stepFailed(index, total, step, error);
                hooks.forEach(h -> h.stepFailed(index, total, step, error));
            }

            @Override
            public void cleanupFailed(io.cryptvol.domain.plan.PlanStep step, io.cryptvol.domain.cmd.HostCommand cleanup, String error) {
                view.cleanupFailed(step, cleanup, error);
            }

            @Override
            public void commandDone(io.cryptvol.domain.plan.PlanStep step, io.cryptvol.domain.cmd.HostCommand command,
                                    ExecResult result) {
                view.commandDone(step, command, result);
                hooks.forEach(h -> h.commandDone(step, command, result));
            }
        };
    }

    private void refuse(PlanResult result) {
        view.refused(result.refusals());
        int n = result.refusals().size();
        throw new CryptvolException(n == 1 ? "refused: " + result.refusals().get(0).line() + "; nothing was changed"
                : "refused (" + n + " problems above); nothing was changed", ExitCode.FAILED, null);
    }

}

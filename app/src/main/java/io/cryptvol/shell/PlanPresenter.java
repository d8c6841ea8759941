package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanRenderer;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.HostAccess;

import java.time.Duration;
import java.util.function.Function;

/**
 * Observe → plan → show → confirm → execute, for every command that changes a host. The plan is
 * printed as numbered steps with their exact argv; {@code --dry-run} stops there; otherwise the
 * user confirms (or {@code --yes}) and each step prints a progress line. The first failure stops
 * the run with the step, the command and its stderr.
 */
public class PlanPresenter {
    private final Ui ui;
    private final HostAccess hosts;
    private final Confirmer confirmer;
    private final PlanRunner.KeySource keys;
    private final PlanRunner.KeyFileTrail trail;
    private final io.cryptvol.session.SessionMode mode;
    private final io.cryptvol.session.Inventory inventory;

    /** {@code --yes} and {@code --dry-run} as given to the command. */
    public record Options(boolean yes, boolean dryRun) {
        public static Options of(boolean yes, boolean dryRun) {
            return new Options(yes, dryRun);
        }
    }

    public PlanPresenter(Ui ui, HostAccess hosts, Confirmer confirmer, PlanRunner.KeySource keys,
                         PlanRunner.KeyFileTrail trail, io.cryptvol.session.SessionMode mode) {
        this(ui, hosts, confirmer, keys, trail, mode, null);
    }

    /**
     * @param inventory told when a plan ran ({@link io.cryptvol.session.Inventory#ran}), so that Tab offers
     *                  the names the plan made; null when nothing completes (tests)
     */
    public PlanPresenter(Ui ui, HostAccess hosts, Confirmer confirmer, PlanRunner.KeySource keys,
                         PlanRunner.KeyFileTrail trail, io.cryptvol.session.SessionMode mode,
                         io.cryptvol.session.Inventory inventory) {
        this.inventory = inventory;
        this.mode = mode;
        this.ui = ui;
        this.hosts = hosts;
        this.confirmer = confirmer;
        this.keys = keys;
        this.trail = trail;
    }

    /** Asks before a change that is not a host plan (e.g. creating EBS volumes); honours --yes and replay's assume-yes. */
    public boolean confirm(String question, boolean yes) {
        return confirmer.confirm(question, yes || mode.assumeYes());
    }

    /** True for {@code --dry-run} or a session-wide dry run (replay --dry-run). */
    public boolean dryRun(boolean flag) {
        return flag || mode.dryRun();
    }

    /**
     * The same presenter, but key references are first offered to {@code extra} (a key read from a file, a
     * backup or typed in for this one command); a null answer falls back to the usual key source.
     */
    public PlanPresenter withKeys(PlanRunner.KeySource extra) {
        PlanRunner.KeySource base = keys;
        return new PlanPresenter(ui, hosts, confirmer, ref -> {
            byte[] b = extra.bytes(ref);
            return b != null ? b : base.bytes(ref);
        }, trail, mode, inventory);
    }

    /**
     * The scope to observe and plan in: for a command's {@code --dry-run}, the session's dry run (no changing
     * command reaches the host, the completion inventory is not written), as under replay --dry-run.
     */
    public io.cryptvol.session.SessionMode.Scope planning(boolean dryRunFlag) {
        return dryRunFlag ? mode.enterDryRun() : () -> { };
    }

    /**
     * Ends a dry run after {@code plan} was shown. In a session-wide dry run (replay --dry-run) the plan joins
     * the combined plan, and later lines are planned as if its steps had run (HostObserver lays their
     * effects over what it observes).
     */
    public void dryRunDone(Plan plan) {
        if (mode.dryRun()) {
            mode.plan(plan.steps());
        }
        ui.println(ui.dim("dry run: nothing was changed"));
    }

    /** Plans once and runs it. */
    public boolean execute(PlanResult result, Options opts) {
        return execute(ex -> result, opts);
    }

    /**
     * Plans with {@code planner} (given the executor, so it can observe), shows, confirms, runs.
     * When a step asks for it, the host is observed again and the rest is planned anew.
     *
     * @return true when the host is now as planned (ran, or nothing to do); false for a dry run or a "no"
     */
    public boolean execute(Function<HostExecutor, PlanResult> planner, Options opts) {
        HostExecutor ex = hosts.executor();
        if (inventory != null) {
            inventory.expect(null); // what an earlier plan that failed expected is not this plan's
        }
        PlanResult result;
        // --dry-run plans inside the session's dry run, as replay --dry-run does: no changing command reaches
        // the host while observing, and the inventory is not written (one switch for both)
        try (io.cryptvol.session.SessionMode.Scope s = planning(opts.dryRun())) {
            result = planner.apply(ex);
        }
        if (result.isRefused()) {
            refuse(result);
        }
        Plan plan = result.plan();
        ui.println(ui.bold(plan.title()) + ui.dim("  (on " + ex.target() + ")"));
        ui.print(renderSteps(plan));
        if (plan.isEmpty()) {
            return true;
        }
        if (opts.dryRun() || mode.dryRun()) {
            dryRunDone(plan);
            return false;
        }
        if (!confirmer.confirm("Run these " + plan.steps().size() + " steps on " + ex.target() + "?",
                opts.yes() || mode.assumeYes())) {
            ui.println("Cancelled; nothing was changed.");
            return false;
        }
        int round = 0;
        while (true) {
            PlanRunner.Outcome outcome = run(ex, plan);
            if (!outcome.replanRequested()) {
                break;
            }
            if (++round > 10) {
                throw new CryptvolException("the plan did not converge after 10 rounds; stopping", ExitCode.FAILED, null);
            }
            result = planner.apply(ex);
            if (result.isRefused()) {
                refuse(result);
            }
            plan = result.plan();
            if (plan.isEmpty()) {
                break;
            }
            ui.println(ui.dim("looked at the host again; remaining:"));
            ui.print(renderSteps(plan));
        }
        ui.ok("done");
        if (inventory != null) {
            inventory.ran();
        }
        return true;
    }

    private PlanRunner.Outcome run(HostExecutor ex, Plan plan) {
        WipeProgress[] progress = {null};
        PlanRunner runner = new PlanRunner(ex, keys, trail, new PlanRunner.Listener() {
            @Override
            public void stepStarted(int index, int total, PlanStep step) {
                ui.progressPart(ui.dim("[" + index + "/" + total + "] ") + step.title() + " … ");
                progress[0] = WipeProgress.startIfWipe(ex, step, ui);
            }

            @Override
            public void stepDone(int index, int total, PlanStep step, Duration took) {
                stopProgress(progress);
                ui.progress(ui.green("ok") + ui.dim(" (" + seconds(took) + ")"));
            }

            @Override
            public void stepFailed(int index, int total, PlanStep step, String error) {
                stopProgress(progress);
                ui.progress(ui.red("FAILED"));
                ui.progress(indent(error));
            }

            @Override
            public void cleanupFailed(PlanStep step, HostCommand cleanup, String error) {
                ui.warn("cleanup '" + cleanup.description() + "' failed: " + error.lines().findFirst().orElse(""));
            }
        });
        return runner.run(plan);
    }

    private static void stopProgress(WipeProgress[] p) {
        if (p[0] != null) {
            p[0].stop();
            p[0] = null;
        }
    }

    private void refuse(PlanResult result) {
        for (Refusal r : result.refusals()) {
            ui.println("  - " + r.line());
        }
        int n = result.refusals().size();
        throw new CryptvolException(n == 1 ? "refused: " + result.refusals().get(0).line() + "; nothing was changed"
                : "refused (" + n + " problems above); nothing was changed", ExitCode.FAILED, null);
    }

    String renderSteps(Plan plan) {
        String text = PlanRenderer.render(plan);
        // the title was printed already
        int nl = text.indexOf('\n');
        return plan.isEmpty() ? text : text.substring(nl + 1);
    }

    private static String indent(String s) {
        return s.lines().map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}

package io.cryptvol.shell;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanRenderer;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanEngine;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.Prompt;

import java.time.Duration;
import java.util.List;

/**
 * How {@link PlanEngine} looks in the shell: the plan's title (bold) and numbered steps with their argv on stdout when
 * they are the result (a dry run, nothing to do), else with the diagnostics (stderr in one-command mode) as the run's
 * preamble; a progress line per step, refusals and "Cancelled" there too (with the wipe's own progress); the
 * question through {@link Prompt}.
 */
public class PlanView implements PlanEngine.View {
    private final Ui ui;
    private final Prompt prompt;

    public PlanView(Ui ui, Prompt prompt) {
        this.ui = ui;
        this.prompt = prompt;
    }

    @Override
    public void show(Plan plan, String target, List<String> notes) {
        show(plan, target, notes, true);
    }

    /** The plan on stdout when it is the result (a dry run, nothing to do); else, as progress, with the diagnostics. */
    @Override
    public void show(Plan plan, String target, List<String> notes, boolean asResult) {
        java.util.function.Consumer<String> line = asResult ? ui::println : ui::diagnostic;
        line.accept(ui.bold(plan.title()) + ui.dim("  (on " + target + ")"));
        for (String n : notes) {
            line.accept(ui.dim("  " + n));
        }
        renderSteps(plan).lines().forEach(line);
    }

    @Override
    public void dryRunDone() {
        ui.println(ui.dim("dry run: nothing was changed"));
    }

    @Override
    public boolean confirm(String question, boolean yes) {
        return prompt.confirm(question, yes);
    }

    @Override
    public void cancelled() {
        ui.diagnostic("Cancelled; nothing was changed.");
    }

    @Override
    public void refused(List<Refusal> refusals) {
        if (refusals.size() == 1 && ui.oneCommand()) {
            return; // the error line says it ("refused: …; nothing was changed"): one line on stderr, not two
        }
        for (Refusal r : refusals) {
            ui.diagnostic("  - " + r.line());
        }
    }

    @Override
    public void replanned(Plan remaining) {
        ui.diagnostic(ui.dim("looked at the host again; remaining:"));
        renderSteps(remaining).lines().forEach(ui::diagnostic);
    }

    @Override
    public void done() {
        ui.ok("done");
    }

    @Override
    public PlanRunner.Listener progress(HostExecutor ex) {
        WipeProgress[] progress = {null};
        return new PlanRunner.Listener() {
            @Override
            public void stepStarted(int index, int total, PlanStep step) {
                ui.progressPart(ui.dim("[" + index + "/" + total + "] ") + step.title() + " … ");
                progress[0] = WipeProgress.startIfWipe(ex, step, ui);
            }

            @Override
            public void stepDone(int index, int total, PlanStep step, Duration took) {
                stopProgress(progress);
                ui.progress(ui.green("ok") + ui.dim(" (" + io.cryptvol.domain.Durations.took(took) + ")"));
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
        };
    }

    private static void stopProgress(WipeProgress[] p) {
        if (p[0] != null) {
            p[0].stop();
            p[0] = null;
        }
    }

    /** The numbered steps without the title (printed already). */
    static String renderSteps(Plan plan) {
        String text = PlanRenderer.render(plan);
        int nl = text.indexOf('\n');
        return plan.isEmpty() ? text : text.substring(nl + 1);
    }

    private static String indent(String s) {
        return s.lines().map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    /**
     * The session's engine: the session's executor, key source and key ledger, the one dry-run switch, this view,
     * and the completion inventory told when a plan ran (null: nothing completes, as in tests).
     */
    public static PlanEngine engine(Ui ui, io.cryptvol.session.HostAccess hosts, Prompt prompt, PlanRunner.KeySource keys,
                                    PlanRunner.KeyFileTrail trail, io.cryptvol.session.SessionMode mode,
                                    io.cryptvol.session.Inventory inventory) {
        PlanEngine.Effects effects = inventory == null ? PlanEngine.Effects.NONE : new PlanEngine.Effects() {
            @Override
            public void planning() {
                inventory.expect(null); // what an earlier plan that failed expected is not this plan's
            }

            @Override
            public void ran() {
                inventory.ran();
            }
        };
        return new PlanEngine(hosts::executor, keys, trail, mode, new PlanView(ui, prompt), effects);
    }
}

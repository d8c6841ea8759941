package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.HeaderFiles;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepCommand;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Plan} through a {@link HostExecutor}, step by step: each step's commands in
 * order, stopping at the first failure, and the step's cleanup commands ALWAYS (a key file on
 * tmpfs is shredded even when the step using it failed). Key bytes are fetched just before the
 * command that needs them, go only to its stdin, and are zeroed right after.
 */
public final class PlanRunner {

    /** Where named keys come from (the key store on the user's machine). */
    @FunctionalInterface
    public interface KeySource {
        byte[] bytes(KeyRef ref);
    }

    /** Told about every key file written to and shredded on a target (the key ledger). */
    public interface KeyFileTrail {
        void written(String target, String path, String keyName);

        void shredded(String target, String path);

        KeyFileTrail NONE = new KeyFileTrail() {
            @Override
            public void written(String target, String path, String keyName) {
            }

            @Override
            public void shredded(String target, String path) {
            }
        };
    }

    /** Progress of a run, for the progress line per step. */
    public interface Listener {
        default void stepStarted(int index, int total, PlanStep step) {
        }

        default void stepDone(int index, int total, PlanStep step, Duration took) {
        }

        default void stepFailed(int index, int total, PlanStep step, String error) {
        }

        default void cleanupFailed(PlanStep step, HostCommand cleanup, String error) {
        }

        /**
         * A command of a step exited 0, with what it printed: a step whose output is needed here (a header backup
         * copied back) hands it over this way. Throwing a {@link CryptvolException} fails the step with its
         * message (the step's cleanup still runs). The output is never shown or logged.
         */
        default void commandDone(PlanStep step, HostCommand command, ExecResult result) {
        }

        Listener NONE = new Listener() {
        };
    }

    /** How a run ended. */
    public record Outcome(int stepsRun, boolean replanRequested) {
    }

    private final HostExecutor executor;
    private final KeySource keys;
    private final KeyFileTrail trail;
    private final Listener listener;
    private final SecureRandom random = new SecureRandom();
    /** The result of the command {@link #runOne} just ran successfully, for {@link Listener#commandDone}. */
    private ExecResult lastResult;

    public PlanRunner(HostExecutor executor, KeySource keys, KeyFileTrail trail, Listener listener) {
        this.executor = executor;
        this.keys = keys;
        this.trail = trail == null ? KeyFileTrail.NONE : trail;
        this.listener = listener == null ? Listener.NONE : listener;
    }

    /**
     * Runs the plan. Stops after a step marked {@code replanAfter} (the caller observes the host
     * again and plans the rest). Throws {@link StepFailedException} at the first failing step.
     */
    public Outcome run(Plan plan) {
        List<PlanStep> steps = plan.steps();
        Map<KeyRef, byte[]> ephemeral = new HashMap<>();
        try {
            for (int i = 0; i < steps.size(); i++) {
                PlanStep step = steps.get(i);
                listener.stepStarted(i + 1, steps.size(), step);
                long t0 = System.nanoTime();
                String failure = runStep(step, ephemeral);
                if (failure != null) {
                    listener.stepFailed(i + 1, steps.size(), step, failure);
                    throw new StepFailedException(i + 1, step, failure);
                }
                listener.stepDone(i + 1, steps.size(), step, Duration.ofNanos(System.nanoTime() - t0));
                if (step.replanAfter()) {
                    // also after the last step: that is when the planner could not see what comes next
                    return new Outcome(i + 1, true);
                }
            }
            return new Outcome(steps.size(), false);
        } finally {
            ephemeral.values().forEach(b -> Arrays.fill(b, (byte) 0));
        }
    }

    /** Runs one step; returns null on success, else a one-line description of the failure. */
    private String runStep(PlanStep step, Map<KeyRef, byte[]> ephemeral) {
        String failure = null;
        List<byte[]> used = new ArrayList<>();
        try {
            for (StepCommand c : step.commands()) {
                failure = runOne(c, ephemeral, used);
                if (failure == null && lastResult != null) {
                    try {
                        listener.commandDone(step, c.command(), lastResult);
                    } catch (CryptvolException e) {
                        failure = e.getMessage();
                    } finally {
                        lastResult = null;
                    }
                }
                if (failure != null) {
                    break;
                }
            }
        } finally {
            for (StepCommand c : step.cleanup()) {
                String f;
                try {
                    f = runOne(c, ephemeral, used);
                } catch (CryptvolException e) {
                    f = e.getMessage();
                }
                if (f != null) {
                    listener.cleanupFailed(step, c.command(), f);
                }
            }
            for (byte[] b : used) {
                if (!ephemeral.containsValue(b)) {
                    Arrays.fill(b, (byte) 0);
                }
            }
        }
        return failure;
    }

    private String runOne(StepCommand c, Map<KeyRef, byte[]> ephemeral, List<byte[]> used) {
        HostCommand cmd = c.command();
        byte[] secret = null;
        if (c.stdinKey() != null) {
            KeyRef ref = c.stdinKey();
            secret = ref.ephemeral() ? ephemeral.computeIfAbsent(ref, r -> randomBytes(r.randomBytes())) : keys.bytes(ref);
            used.add(secret);
            cmd = cmd.withSecretStdin(secret);
        }
        KeyFiles.writtenPath(cmd).ifPresent(p -> trail.written(executor.target(), p, c.stdinKey() == null
                ? HeaderFiles.LEDGER_LABEL : c.stdinKey().name()));
        HeaderFiles.backupPath(cmd).ifPresent(p -> trail.written(executor.target(), p, HeaderFiles.LEDGER_LABEL));
        ExecResult r;
        try {
            r = executor.run(cmd);
        } catch (CryptvolException e) {
            return Redactor.of(secret == null ? new byte[0] : secret).redact(e.getMessage());
        }
        if (r.ok()) {
            java.util.Optional<String> shredded = KeyFiles.shreddedPath(cmd);
            if (shredded.isPresent() && executor.changesHost()) {
                // the ledger trusts only "nothing is there now", not shred's exit code
                ExecResult there = executor.run(KeyFiles.stillThere(shredded.get()));
                if (there.exitCode() != 1) {
                    return "shred exited 0 but " + shredded.get() + (there.exitCode() == 0 ? " is still there"
                            : " may still be there (test exit " + there.exitCode() + ")") + ": " + cmd.commandLine();
                }
            }
            shredded.ifPresent(p -> trail.shredded(executor.target(), p));
            lastResult = r;
            return null;
        }
        String err = secret == null ? r.err() : Redactor.of(secret).redact(r.err());
        return "exit " + r.exitCode() + ": " + cmd.commandLine() + (err.isBlank() ? "" : "\n" + err.strip());
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** A step failed: which one, the command and its (redacted) stderr. */
    public static final class StepFailedException extends CryptvolException {
        private final int index;
        private final PlanStep step;
        private final String detail;

        public StepFailedException(int index, PlanStep step, String detail) {
            super("step " + index + " failed (" + step.title() + "): " + firstLine(detail));
            this.index = index;
            this.step = step;
            this.detail = detail;
        }

        public int index() {
            return index;
        }

        public PlanStep step() {
            return step;
        }

        /** The failing command line and its stderr, several lines. */
        public String detail() {
            return detail;
        }

        private static String firstLine(String s) {
            int nl = s.indexOf('\n');
            return nl < 0 ? s : s.substring(0, nl) + " — " + s.substring(nl + 1).strip().lines().findFirst().orElse("");
        }
    }
}

package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.plan.PlanStep;

import java.util.List;

/**
 * The one dry-run switch, as the seams see it: {@link DryRunExecutor} skips changing commands while it is on,
 * {@link PlanEngine} stops after showing a plan. The session's {@code SessionMode} is the implementation; a
 * command's {@code --dry-run} and {@code replay --dry-run} both {@link #enter} it.
 */
public interface DryRun {
    /** A scope that puts the previous value back when closed; never throws. */
    interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Is a dry run on now? */
    boolean on();

    /** Dry run on until the scope closes when {@code flag}; otherwise a scope that changes nothing. */
    Scope enter(boolean flag);

    /** A changing command the executor skipped. */
    void skipped(HostCommand command);

    /** The steps of a plan shown in a dry run: later plans of the same dry run see them as done. */
    void planned(List<PlanStep> steps);

    /** Never on (tests, and tools that have no dry run). */
    DryRun OFF = new DryRun() {
        @Override
        public boolean on() {
            return false;
        }

        @Override
        public Scope enter(boolean flag) {
            if (flag) {
                throw new IllegalStateException("no dry-run switch here");
            }
            return () -> { };
        }

        @Override
        public void skipped(HostCommand command) {
        }

        @Override
        public void planned(List<PlanStep> steps) {
        }
    };
}

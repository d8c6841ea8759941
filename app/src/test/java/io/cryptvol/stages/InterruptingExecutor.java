package io.cryptvol.stages;

import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutionException;
import io.cryptvol.exec.HostExecutor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Simulates an interrupted run (a dropped connection): lets read-only commands through, lets
 * {@code allowed} step-starting mutating commands through, and throws at the next one, as a lost SSH
 * connection would. Commands that continue a step (tmpfs check, key file write, luksAddKey, mount after
 * mkdir, modprobe) and always-run cleanups (shred) are not counted as a step start, so each run gets
 * exactly {@code allowed} whole steps done. Records every mutating command that really ran.
 */
final class InterruptingExecutor implements HostExecutor {
    private final HostExecutor delegate;
    private final int allowed;
    private final Predicate<HostCommand> failHere;
    private int starts;
    private boolean interrupted;
    final List<HostCommand> ran = new ArrayList<>();

    InterruptingExecutor(HostExecutor delegate, int allowedSteps) {
        this(delegate, allowedSteps, c -> false);
    }

    /** @param failHere additionally fails (instead of running) the first command matching it */
    InterruptingExecutor(HostExecutor delegate, int allowedSteps, Predicate<HostCommand> failHere) {
        this.delegate = delegate;
        this.allowed = allowedSteps;
        this.failHere = failHere;
    }

    static boolean continuesStep(HostCommand c) {
        List<String> a = c.argv();
        return KeyFiles.writtenPath(c).isPresent() || KeyFiles.shreddedPath(c).isPresent()
                || c.description().startsWith("Check that " + KeyFiles.DIR)
                || (a.get(0).equals("cryptsetup") && a.get(1).equals("luksAddKey"))
                || a.get(0).equals("mount") || a.get(0).equals("modprobe");
    }

    @Override
    public ExecResult run(HostCommand c) {
        if (c.readOnly()) {
            return delegate.run(c);
        }
        if (KeyFiles.shreddedPath(c).isPresent()) {
            ran.add(c);
            return delegate.run(c); // cleanup always gets through (as it does after a real failure)
        }
        if (!continuesStep(c) && ++starts > allowed) {
            interrupted = true;
            throw new HostExecutionException("simulated interruption before: " + c.description(), null);
        }
        if (failHere.test(c)) {
            interrupted = true;
            throw new HostExecutionException("simulated interruption at: " + c.description(), null);
        }
        ran.add(c);
        return delegate.run(c);
    }

    boolean interrupted() {
        return interrupted;
    }

    @Override
    public String target() {
        return delegate.target();
    }
}

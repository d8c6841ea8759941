package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The executor behind {@code --dry-run}: records every command it is given and changes nothing.
 * Commands marked {@link HostCommand#readOnly() read-only} (see {@link HostCommand#query}) still run
 * through the delegate, when there is one, so that a dry run observes the real host to build its plan;
 * every other command is recorded, skipped and answered with exit 0 and empty output.
 * Without a delegate, read-only commands are recorded and skipped too.
 *
 * <p>The delegate is borrowed, not owned: {@link #close()} does not close it.
 */
public final class DryRunExecutor implements HostExecutor {
    private final HostExecutor delegate;
    private final List<HostCommand> recorded = new ArrayList<>();
    private final List<HostCommand> skipped = new ArrayList<>();

    /** Records and skips everything, including read-only commands. */
    public DryRunExecutor() {
        this(null);
    }

    /** @param delegate runs read-only commands; may be null */
    public DryRunExecutor(HostExecutor delegate) {
        this.delegate = delegate;
    }

    @Override
    public ExecResult run(HostCommand command) {
        synchronized (this) {
            recorded.add(command);
            if (delegate == null || !command.readOnly()) {
                skipped.add(command);
                return new ExecResult(0, new byte[0], new byte[0], Duration.ZERO);
            }
        }
        return delegate.run(command);
    }

    /** Would this command run (read-only with a delegate) rather than be skipped? */
    public boolean wouldRun(HostCommand command) {
        return delegate != null && command.readOnly();
    }

    /** Every command given, in order (read-only ones that ran included). */
    public synchronized List<HostCommand> recorded() {
        return List.copyOf(recorded);
    }

    /** The commands that were not run: what the real execution would do to the host. */
    public synchronized List<HostCommand> skipped() {
        return List.copyOf(skipped);
    }

    public synchronized void clear() {
        recorded.clear();
        skipped.clear();
    }

    @Override
    public String target() {
        return delegate == null ? "dry-run" : "dry-run of " + delegate.target();
    }

    @Override
    public boolean changesHost() {
        return false;
    }
}

package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The one executor decorator behind dry runs. While its {@link DryRun} switch is on, every command that is not
 * {@link HostCommand#readOnly() read-only} is handed to the switch ({@link DryRun#skipped}), skipped and answered
 * with exit 0 and empty output; read-only commands still run through the delegate, so that a dry run observes the
 * real host to build its plan. While the switch is off the delegate runs everything, unchanged.
 *
 * <p>{@link #DryRunExecutor(HostExecutor)} is always on and keeps what it saw in {@link #recorded()} and
 * {@link #skipped()}; without a delegate, read-only commands are recorded and skipped too. The delegate is the
 * session's (closed with it) only in the switched form, which the session wires once under every command.
 */
public final class DryRunExecutor implements HostExecutor {
    private final HostExecutor delegate;
    private final DryRun dryRun;
    private final boolean ownsDelegate;
    private final List<HostCommand> recorded = new ArrayList<>();
    private final List<HostCommand> skipped = new ArrayList<>();

    /** Records and skips everything, including read-only commands. */
    public DryRunExecutor() {
        this(null);
    }

    /** Always on. @param delegate runs read-only commands; may be null; borrowed, not closed */
    public DryRunExecutor(HostExecutor delegate) {
        this(delegate, null, false);
    }

    /** On while {@code dryRun} is on; owns (closes) the delegate. */
    public DryRunExecutor(HostExecutor delegate, DryRun dryRun) {
        this(delegate, dryRun, true);
        if (delegate == null || dryRun == null) {
            throw new IllegalArgumentException("a switched dry-run executor needs a delegate and a switch");
        }
    }

    private DryRunExecutor(HostExecutor delegate, DryRun dryRun, boolean ownsDelegate) {
        this.delegate = delegate;
        this.dryRun = dryRun;
        this.ownsDelegate = ownsDelegate;
    }

    private boolean on() {
        return dryRun == null || dryRun.on();
    }

    @Override
    public ExecResult run(HostCommand command) {
        if (on()) {
            synchronized (this) {
                recorded.add(command);
                if (delegate == null || !command.readOnly()) {
                    skipped.add(command);
                    if (dryRun != null) {
                        dryRun.skipped(command);
                    }
                    return new ExecResult(0, new byte[0], new byte[0], Duration.ZERO);
                }
            }
        }
        return delegate.run(command);
    }

    @Override
    public Conversation converse(HostCommand command) {
        if (delegate == null) {
            throw new UnsupportedOperationException(target() + " cannot hold a command open: " + command.description());
        }
        if (on() && !command.readOnly()) {
            throw new HostExecutionException("a dry run does not hold a command open: " + command.description());
        }
        return delegate.converse(command);
    }

    /** Would this command run (read-only with a delegate) rather than be skipped? */
    public boolean wouldRun(HostCommand command) {
        return delegate != null && (command.readOnly() || !on());
    }

    /** Every command given while on, in order (read-only ones that ran included). */
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
        if (delegate == null) {
            return "dry-run";
        }
        return on() ? "dry-run of " + delegate.target() : delegate.target();
    }

    @Override
    public boolean changesHost() {
        return !on() && delegate.changesHost();
    }

    @Override
    public void close() {
        if (ownsDelegate) {
            delegate.close();
        }
    }
}

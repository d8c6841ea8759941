package io.cryptvol.session;

import io.cryptvol.exec.HostExecutor;

/**
 * The executor for the session's current target, created on first use and reused (one SSH
 * connection per session). Changing the target closes the old connection.
 */
public class HostAccess implements AutoCloseable {
    private final SessionContext context;
    private final ExecutorFactory factory;
    private final SessionMode mode;
    private HostExecutor current;
    private Target currentTarget;
    /** The current connection was opened in a dry run (its host key may be trusted for that dry run only). */
    private boolean openedInDryRun;

    /** Opens an executor for a target (connecting and checking the host key for SSH). */
    @FunctionalInterface
    public interface ExecutorFactory {
        HostExecutor open(Target target, boolean acceptNewHostKey);
    }

    public HostAccess(SessionContext context, ExecutorFactory factory) {
        this(context, factory, null);
    }

    /** With the session's mode: a connection opened in a dry run is not used after it, and is opened afresh. */
    public HostAccess(SessionContext context, ExecutorFactory factory, SessionMode mode) {
        this.context = context;
        this.factory = factory;
        this.mode = mode;
    }

    private boolean dryRun() {
        return mode != null && mode.dryRun();
    }

    /** The executor for the current target; connects when needed. */
    public synchronized HostExecutor executor() {
        Target t = context.target();
        if (current != null && (!t.equals(currentTarget) || (openedInDryRun && !dryRun()))) {
            closeQuietly();
        }
        if (current == null) {
            current = factory.open(t, false);
            currentTarget = t;
            openedInDryRun = dryRun();
        }
        return current;
    }

    /** Connects to a new target (replacing the old connection); the context changes only on success. */
    public synchronized HostExecutor connect(Target t, boolean acceptNewHostKey) {
        HostExecutor fresh = factory.open(t, acceptNewHostKey);
        closeQuietly();
        current = fresh;
        currentTarget = t;
        openedInDryRun = dryRun();
        context.setTarget(t);
        return fresh;
    }

    /**
     * A connection of its own to another target, through the session's factory (the same transcript, dry-run guard and
     * host key checking; a host key not in known_hosts is refused, never trusted here); the session's target and
     * connection do not change. The caller closes it.
     */
    public HostExecutor open(Target t) {
        return factory.open(t, false);
    }

    public synchronized boolean connected() {
        return current != null;
    }

    public synchronized void disconnect() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (current != null) {
            try {
                current.close();
            } catch (Exception ignored) {
                // closing a dead connection is not an error
            }
            current = null;
            currentTarget = null;
        }
    }

    @Override
    public void close() {
        disconnect();
    }
}

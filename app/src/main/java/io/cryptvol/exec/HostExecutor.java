package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;

/**
 * The one seam through which every host command runs: local process, SSH, or dry-run.
 * Implementations never throw for a non-zero exit code (that is a result); they throw
 * {@link HostExecutionException} when the command could not be run at all (connection lost,
 * timeout, sudo refused).
 */
public interface HostExecutor extends AutoCloseable {

    ExecResult run(HostCommand command);

    /** Human name of the target, e.g. "local" or "admin@10.0.0.5:22". */
    String target();

    /** False for the dry-run executor: it records (the shell renders what it recorded) and changes nothing. */
    default boolean changesHost() {
        return true;
    }

    /**
     * Starts a command to talk to while it runs (see {@link Conversation}). Executors that cannot hold a
     * command open throw {@link UnsupportedOperationException} (callers then fall back to separate commands).
     */
    default Conversation converse(HostCommand command) {
        throw new UnsupportedOperationException(target() + " cannot hold a command open: " + command.description());
    }

    @Override
    default void close() {
    }
}

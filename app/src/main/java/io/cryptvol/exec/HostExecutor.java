package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;

/**
 * The one seam through which every host command runs: local process, SSH, or dry-run.
 * Implementations never throw for a non-zero exit code (that is a result); a program that is not
 * installed is a result too, as a shell gives it (exit 127, "NAME: command not found"), here and over
 * SSH alike. They throw {@link HostExecutionException} when the command could not be run at all
 * (connection lost, timeout, sudo refused or missing).
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

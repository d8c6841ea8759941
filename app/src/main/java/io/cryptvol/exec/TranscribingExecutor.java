package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import java.time.Duration;
import java.util.Objects;

/**
 * Decorator that writes every command run through the wrapped executor to a {@link Transcript}, including
 * commands that could not run (their exception is rethrown). It owns the wrapped executor: {@link #close()}
 * closes it.
 */
public final class TranscribingExecutor implements HostExecutor {
    private final HostExecutor delegate;
    private final Transcript transcript;

    public TranscribingExecutor(HostExecutor delegate, Transcript transcript) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.transcript = Objects.requireNonNull(transcript, "transcript");
    }

    @Override
    public ExecResult run(HostCommand command) {
        ExecResult result = attempt(command, () -> delegate.run(command));
        transcript.ran(delegate.target(), !delegate.changesHost(), command, result);
        return result;
    }

    @Override
    public Conversation converse(HostCommand command) {
        Conversation c = attempt(command, () -> delegate.converse(command));
        c.onFinish(r -> transcript.ran(delegate.target(), !delegate.changesHost(), command, r));
        return c;
    }

    /** Runs {@code call}; a command that could not run is written to the transcript with its error, then rethrown. */
    private <T> T attempt(HostCommand command, java.util.function.Supplier<T> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } catch (RuntimeException e) {
            transcript.failed(delegate.target(), !delegate.changesHost(), command,
                    Duration.ofNanos(System.nanoTime() - start), String.valueOf(e.getMessage()));
            throw e;
        }
    }

    public HostExecutor delegate() {
        return delegate;
    }

    public Transcript transcript() {
        return transcript;
    }

    @Override
    public String target() {
        return delegate.target();
    }

    @Override
    public boolean changesHost() {
        return delegate.changesHost();
    }

    @Override
    public void close() {
        try {
            delegate.close();
        } catch (Exception e) {
            throw new HostExecutionException("closing " + delegate.target() + ": " + e.getMessage(), e);
        }
    }
}

package io.cryptvol.exec;

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
        long start = System.nanoTime();
        ExecResult result;
        try {
            result = delegate.run(command);
        } catch (RuntimeException e) {
            transcript.failed(delegate.target(), !delegate.changesHost(), command,
                    Duration.ofNanos(System.nanoTime() - start), String.valueOf(e.getMessage()));
            throw e;
        }
        transcript.ran(delegate.target(), !delegate.changesHost(), command, result);
        return result;
    }

    @Override
    public Conversation converse(HostCommand command) {
        long start = System.nanoTime();
        Conversation c;
        try {
            c = delegate.converse(command);
        } catch (RuntimeException e) {
            transcript.failed(delegate.target(), !delegate.changesHost(), command,
                    Duration.ofNanos(System.nanoTime() - start), String.valueOf(e.getMessage()));
            throw e;
        }
        c.onFinish(r -> transcript.ran(delegate.target(), !delegate.changesHost(), command, r));
        return c;
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

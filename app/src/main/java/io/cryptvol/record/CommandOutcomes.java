package io.cryptvol.record;

import org.springframework.core.Ordered;
import org.springframework.shell.boot.CommandRegistrationCustomizer;
import org.springframework.shell.command.CommandExceptionResolver;
import org.springframework.shell.command.CommandHandlingResult;
import org.springframework.shell.command.CommandRegistration;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Sees every exception a command throws, before the error handling turns it into one line:
 * registered first on every command (highest precedence), it notes the failure and returns null so
 * the next resolver ({@code ErrorHandling}) still renders it. {@link RecordingShell} opens a frame
 * around each evaluation (frames nest: replay runs commands inside a command).
 */
public class CommandOutcomes implements CommandExceptionResolver, CommandRegistrationCustomizer, Ordered {
    private final ThreadLocal<Deque<Exception[]>> frames = ThreadLocal.withInitial(ArrayDeque::new);

    @Override
    public CommandHandlingResult resolve(Exception ex) {
        Exception[] top = frames.get().peek();
        if (top != null && top[0] == null) {
            top[0] = ex;
        }
        return null;
    }

    @Override
    public void customize(CommandRegistration.Builder builder) {
        builder.withErrorHandling().resolver(this);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    void open() {
        frames.get().push(new Exception[1]);
    }

    /** Closes the current frame; returns the exception seen in it, or null. */
    Exception close() {
        Exception[] f = frames.get().pop();
        return f[0];
    }
}

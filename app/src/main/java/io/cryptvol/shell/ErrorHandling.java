package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ui.ErrorMessages;
import org.springframework.shell.command.CommandExceptionResolver;
import org.springframework.shell.command.CommandHandlingResult;

/**
 * Turns any exception a command throws into one clear line ("error: …") and an exit code, as
 * {@link ErrorMessages} says ({@link CryptvolException}'s own code, usage errors 2). The stack
 * trace is shown only in debug mode ({@code --debug} or {@code CRYPTVOL_DEBUG=1}).
 * <p>
 * It resolves parser errors too (it runs before Spring Shell's own resolver, which paints them red
 * whatever the terminal), and the line goes where {@link Ui#diagnostics()} says: stderr in
 * one-command mode, the terminal in the interactive shell.
 */
public class ErrorHandling implements CommandExceptionResolver, org.springframework.core.Ordered {
    private final Ui ui;

    /** Errors rendered for the terminal (the text is returned to the shell, which prints it). */
    public ErrorHandling() {
        this(null);
    }

    public ErrorHandling(Ui ui) {
        this.ui = ui;
    }

    @Override
    public int getOrder() {
        return HIGHEST_PRECEDENCE;
    }

    @Override
    public CommandHandlingResult resolve(Exception ex) {
        String text = ErrorMessages.render(ex);
        if (ui != null && ui.oneCommand()) {
            // one-command mode: the line goes to stderr; the shell gets only the exit code
            java.io.PrintWriter w = ui.diagnostics();
            w.print(text);
            w.flush();
            return CommandHandlingResult.of("", ErrorMessages.exitCode(ex));
        }
        // the interactive shell: "error:" in red where the terminal has colour and NO_COLOR does not say otherwise
        return CommandHandlingResult.of(ui == null ? text : ui.red("error:") + text.substring("error:".length()), ErrorMessages.exitCode(ex));
    }
}

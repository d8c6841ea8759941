package io.cryptvol.shell;

import io.cryptvol.domain.ControlChars;
import io.cryptvol.CryptvolException;
import org.springframework.shell.command.CommandExceptionResolver;
import org.springframework.shell.command.CommandExecution;
import org.springframework.shell.command.CommandHandlingResult;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.stream.Collectors;

/**
 * Turns any exception a command throws into one clear line ("error: …") and an exit code:
 * 2 for usage errors, the {@link CryptvolException}'s own code, 1 for anything else. The stack
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

    public static boolean debug() {
        return Boolean.getBoolean("cryptvol.debug") || "1".equals(System.getenv("CRYPTVOL_DEBUG"));
    }

    @Override
    public CommandHandlingResult resolve(Exception ex) {
        String text = render(ex);
        if (ui != null && ui.oneCommand()) {
            // one-command mode: the line goes to stderr; the shell gets only the exit code
            java.io.PrintWriter w = ui.diagnostics();
            w.print(text);
            w.flush();
            return CommandHandlingResult.of("", exitCode(ex));
        }
        // the interactive shell: "error:" in red where the terminal has colour and NO_COLOR does not say otherwise
        return CommandHandlingResult.of(ui == null ? text : ui.red("error:") + text.substring("error:".length()), exitCode(ex));
    }

    public static String render(Throwable ex) {
        String line = "error: " + message(ex) + "\n";
        if (debug()) {
            StringWriter sw = new StringWriter();
            ex.printStackTrace(new PrintWriter(sw));
            line += sw;
        }
        return line;
    }

    /** One line, never a stack trace; the innermost cryptvol message wins. */
    public static String message(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof CryptvolException) {
                return oneLine(t.getMessage());
            }
        }
        if (ex instanceof CommandExecution.CommandParserExceptionsException pe) {
            // sorted: Spring Shell reports them in no fixed order, and the same mistake should read the same
            return pe.getParserExceptions().stream().map(e -> oneLine(e.getMessage())).sorted()
                    .collect(Collectors.joining("; "));
        }
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        if (m == null || m.isBlank()) {
            m = root.getClass().getSimpleName();
        }
        return oneLine(m);
    }

    public static int exitCode(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof CryptvolException ce) {
                return ce.exitCode();
            }
            if (t instanceof org.springframework.shell.CommandNotFound
                    || t instanceof CommandExecution.CommandParserExceptionsException
                    || t instanceof IllegalArgumentException
                    || t instanceof org.springframework.core.convert.ConversionException) {
                return 2;
            }
            if (t instanceof org.springframework.boot.ExitCodeGenerator g && g.getExitCode() != 0) {
                return g.getExitCode();
            }
        }
        return 1;
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String first = s.strip();
        int nl = first.indexOf('\n');
        // a host's or EC2's words may be in it: never their control characters raw
        return ControlChars.escape(nl < 0 ? first : first.substring(0, nl).strip());
    }
}

package io.cryptvol.ui;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import org.springframework.shell.command.CommandExecution;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.stream.Collectors;

/**
 * What an exception means to a person and to the exit code: one line (never a stack trace unless debug) and
 * {@link ExitCode#USAGE} for usage errors, the {@link CryptvolException}'s own code, {@link ExitCode#FAILED} for
 * anything else. Used by the shell's error handling, the one-command runner and replay alike.
 */
public final class ErrorMessages {
    private ErrorMessages() {
    }

    /** Debug mode ({@code --debug} or {@code CRYPTVOL_DEBUG=1}): stack traces are shown. */
    public static boolean debug() {
        return Boolean.getBoolean("cryptvol.debug") || "1".equals(System.getenv("CRYPTVOL_DEBUG"));
    }

    /** "error: LINE\n", plus the stack trace in debug mode. */
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
                return ExitCode.USAGE.code();
            }
            if (t instanceof org.springframework.boot.ExitCodeGenerator g && g.getExitCode() != 0) {
                return g.getExitCode();
            }
        }
        return ExitCode.FAILED.code();
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

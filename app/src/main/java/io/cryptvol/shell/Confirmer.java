package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.CryptvolException;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.UserInterruptException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;

import java.util.Locale;

/**
 * Asks before anything changes a host. {@code --yes} answers for the user. Without a person at
 * a terminal (non-interactive run, no TTY) and without {@code --yes}, it refuses rather than
 * guess.
 */
public class Confirmer {
    private final ObjectProvider<LineReader> reader;
    private final ObjectProvider<ShellContext> shellContext;
    private final io.cryptvol.session.SessionMode mode;

    public Confirmer(ObjectProvider<LineReader> reader, ObjectProvider<ShellContext> shellContext,
                     io.cryptvol.session.SessionMode mode) {
        this.reader = reader;
        this.shellContext = shellContext;
        this.mode = mode;
    }

    /** True when the user agreed (or {@code assumeYes}); false when they declined. */
    public boolean confirm(String question, boolean assumeYes) {
        if (assumeYes || mode.assumeYes()) {
            return true;
        }
        ShellContext sc = shellContext.getIfAvailable();
        boolean interactive = sc != null && sc.getInteractionMode() == InteractionMode.INTERACTIVE;
        if (!interactive && !consoleIsTerminal()) {
            throw new CryptvolException("not changing anything without confirmation: add --yes to run it, "
                    + "or --dry-run to only see the plan", ExitCode.USAGE, null);
        }
        LineReader r = reader.getIfAvailable();
        if (r == null) {
            throw new CryptvolException("cannot ask for confirmation here: add --yes", ExitCode.USAGE, null);
        }
        try {
            String answer = r.readLine(ControlChars.escape(question) + " [y/N] ");
            String a = answer == null ? "" : answer.strip().toLowerCase(Locale.ROOT);
            return a.equals("y") || a.equals("yes");
        } catch (UserInterruptException | EndOfFileException e) {
            return false;
        }
    }

    /**
     * Whether a person can answer on this process's console. From JDK 22 on, {@code System.console()} is not null
     * even when stdin is a pipe; {@code Console.isTerminal()} (JDK 22+) then says whether it is a terminal.
     */
    public static boolean consoleIsTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (NoSuchMethodException e) {
            return true; // before JDK 22 there is a console only on a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}

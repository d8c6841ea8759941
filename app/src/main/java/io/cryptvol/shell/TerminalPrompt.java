package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.session.Prompt;
import io.cryptvol.session.SessionMode;
import org.jline.terminal.Terminal;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@link Prompt} on the shell's terminal: the one place that decides whether a person can answer, and the one
 * way questions are read (a line from the terminal; without echo for a secret). Neither the question's answer
 * nor a secret is logged, recorded or added to the history: it is read off the terminal, not through the
 * shell's line reader.
 */
public class TerminalPrompt implements Prompt {
    private final ObjectProvider<Terminal> terminal;
    private final ObjectProvider<ShellContext> shellContext;
    private final SessionMode mode;
    private final java.util.concurrent.atomic.AtomicLong waitedNanos = new java.util.concurrent.atomic.AtomicLong();

    /** Null providers mean "no terminal" and "no shell": only {@code --yes} (or the session's assume-yes) answers. */
    public TerminalPrompt(ObjectProvider<Terminal> terminal, ObjectProvider<ShellContext> shellContext, SessionMode mode) {
        this.terminal = terminal;
        this.shellContext = shellContext;
        this.mode = mode;
    }

    /** The interactive shell, or a terminal on this process's console (one command typed at a terminal). */
    @Override
    public boolean interactive() {
        ShellContext sc = shellContext == null ? null : shellContext.getIfAvailable();
        return (sc != null && sc.getInteractionMode() == InteractionMode.INTERACTIVE) || consoleIsTerminal();
    }

    @Override
    public boolean confirm(String question, boolean assumeYes) {
        if (assumeYes || mode.assumeYes()) {
            return true;
        }
        if (!interactive()) {
            throw new CryptvolException("not changing anything without confirmation: add --yes to run it, "
                    + "or --dry-run to only see the plan", ExitCode.USAGE, null);
        }
        String a = readLine(ControlChars.escape(question) + " [y/N] ", false);
        String answer = a == null ? "" : a.strip().toLowerCase(Locale.ROOT);
        return answer.equals("y") || answer.equals("yes");
    }

    @Override
    public String ask(String prompt) {
        requireSomebody();
        return readLine(ControlChars.escape(prompt), false);
    }

    @Override
    public char[] askSecret(String prompt) {
        requireSomebody();
        return read(ControlChars.escape(prompt), true);
    }

    private void requireSomebody() {
        if (!interactive()) {
            throw new CryptvolException("nobody can answer a question here: give the value as an option",
                    ExitCode.USAGE, null);
        }
    }

    private Terminal terminal() {
        Terminal t = terminal == null ? null : terminal.getIfAvailable();
        if (t == null) {
            throw new CryptvolException("cannot ask here (no terminal): give the value as an option, or --yes",
                    ExitCode.USAGE, null);
        }
        return t;
    }

    /** One line off the terminal; null at end of input before anything was typed. */
    private String readLine(String prompt, boolean secret) {
        char[] line = read(prompt, secret);
        if (line == null) {
            return null;
        }
        String s = new String(line);
        Arrays.fill(line, '\0');
        return s;
    }

    /**
     * Reads to the end of the line; with {@code secret} the terminal does not echo. The buffer is wiped as it grows.
     * Ctrl-C while reading is "no answer" (null), at once: the interrupt is the question's, not the shell's (the
     * default handler would end the shell at its next prompt).
     */
    @Override
    public java.time.Duration waited() {
        return java.time.Duration.ofNanos(waitedNanos.get());
    }

    private char[] read(String prompt, boolean secret) {
        long since = System.nanoTime();
        try {
            return readOff(prompt, secret);
        } finally {
            waitedNanos.addAndGet(System.nanoTime() - since);
        }
    }

    private char[] readOff(String prompt, boolean secret) {
        Terminal t = terminal();
        // the handler before the question: a Ctrl-C as soon as the question shows is this question's "no", never
        // the shell's (a full-suite run caught that window once)
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        Terminal.SignalHandler before = t.handle(Terminal.Signal.INT, s -> interrupted.set(true));
        t.writer().print(prompt);
        t.writer().flush();
        boolean echo = secret ? t.echo(false) : false;
        char[] buf = new char[64];
        int n = 0;
        try {
            while (true) {
                int c = t.reader().read(100L);
                if (interrupted.get()) {
                    if (!secret) {
                        t.writer().println();
                        t.writer().flush();
                    }
                    return null;
                }
                if (c == org.jline.utils.NonBlockingReader.READ_EXPIRED) {
                    continue;
                }
                if (c < 0 && n == 0) {
                    return null;
                }
                if (c < 0 || c == '\n' || c == '\r') {
                    return Arrays.copyOf(buf, n);
                }
                if (n == buf.length) {
                    char[] bigger = Arrays.copyOf(buf, n * 2);
                    Arrays.fill(buf, '\0');
                    buf = bigger;
                }
                buf[n++] = (char) c;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            Arrays.fill(buf, '\0');
            t.handle(Terminal.Signal.INT, before);
            if (secret) {
                t.echo(echo);
                t.writer().println();
                t.writer().flush();
            }
        }
    }

    /**
     * Whether a person can answer on this process's console. From JDK 22 on, {@code System.console()} is not null
     * even when stdin is a pipe; {@code Console.isTerminal()} (JDK 22+) then says whether it is a terminal.
     */
    static boolean consoleIsTerminal() {
        return consoleIsTerminal(System.console());
    }

    /** {@link #consoleIsTerminal()} for a given console (null: none). */
    static boolean consoleIsTerminal(java.io.Console c) {
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

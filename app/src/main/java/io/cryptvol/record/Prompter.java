package io.cryptvol.record;

import io.cryptvol.session.SessionMode;
import org.jline.terminal.Terminal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/** Questions on the terminal: yes/no confirmations (honouring {@link SessionMode#assumeYes()}) and secrets. */
public class Prompter {
    private final Terminal terminal;
    private final SessionMode mode;

    public Prompter(Terminal terminal, SessionMode mode) {
        this.terminal = terminal;
        this.mode = mode;
    }

    /** True when the user answers y/yes, or when the session assumes yes. End of input means no. */
    public boolean confirm(String question) {
        if (mode.assumeYes()) {
            return true;
        }
        String a = ask(question + " [y/N] ", false);
        return a != null && (a.strip().equalsIgnoreCase("y") || a.strip().toLowerCase(Locale.ROOT).equals("yes"));
    }

    /** Reads one line; with {@code secret} the terminal does not echo it. Null at end of input. */
    public String ask(String prompt, boolean secret) {
        terminal.writer().print(prompt);
        terminal.writer().flush();
        boolean echo = secret ? terminal.echo(false) : false;
        StringBuilder sb = new StringBuilder();
        try {
            while (true) {
                int c = terminal.reader().read();
                if (c < 0) {
                    return sb.length() == 0 ? null : sb.toString();
                }
                if (c == '\n' || c == '\r') {
                    return sb.toString();
                }
                sb.append((char) c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (secret) {
                terminal.echo(echo);
                terminal.writer().println();
                terminal.writer().flush();
            }
        }
    }
}

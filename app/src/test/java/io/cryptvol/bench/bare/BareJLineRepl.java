package io.cryptvol.bench.bare;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.nio.file.Path;

/**
 * The floor of a JVM REPL for the start-up benchmark: a system terminal (the same JLine and Jansi jars
 * cryptvol ships), a line reader with a history file and a completer, and a prompt. No Spring. Whatever a
 * Java shell does, it cannot reach its first prompt faster than this on the same JDK. Not a test; started
 * by scripts/bench/startup.py from a small jar of its own (never part of the product jar).
 *
 * <p>Arguments: an optional history file (default: none). Reads lines until end of input; {@code exit} ends.
 */
public final class BareJLineRepl {

    private BareJLineRepl() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.jline.terminal.disableDeprecatedProviderWarning", "true");
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            LineReaderBuilder builder = LineReaderBuilder.builder()
                    .terminal(terminal)
                    .appName("floor")
                    .completer(new StringsCompleter("help", "exit", "hello"))
                    .history(new DefaultHistory());
            if (args.length > 0) {
                builder.variable(LineReader.HISTORY_FILE, Path.of(args[0]));
            }
            LineReader reader = builder.build();
            while (true) {
                String line;
                try {
                    line = reader.readLine("floor:> ");
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    return;
                }
                if (line.strip().equals("exit")) {
                    return;
                }
                if (!line.isBlank()) {
                    terminal.writer().println(line.strip());
                    terminal.flush();
                }
            }
        }
    }
}

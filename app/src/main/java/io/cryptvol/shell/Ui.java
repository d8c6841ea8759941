package io.cryptvol.shell;

import io.cryptvol.domain.ControlChars;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.jline.terminal.Terminal;
import org.jline.utils.AttributedStyle;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Everything the shell prints goes through here: plain lines, coloured status lines, tables,
 * JSON. Colour is used only when the terminal supports it and neither {@code NO_COLOR} nor
 * {@code --no-color} says otherwise.
 * <p>
 * The output contract: the result (tables, JSON, "✔ done" lines) goes to {@link #writer()};
 * warnings, errors and progress go to {@link #diagnostics()}. In one-command mode
 * ({@code cryptvol CMD …}) that is the process's stderr, so that stdout holds only the result.
 * In the interactive shell both are the terminal JLine owns: there they reach the same screen,
 * and writing around JLine would put its cursor out of step.
 * <p>This is the seam where text meets the terminal, so terminal control characters are escaped here,
 * once, for whatever is printed ({@link ControlChars}): names from hosts and EC2 may hold them. Only the
 * colour this class adds survives (and only when colour is on). JSON is escaped as JSON.
 */
public class Ui implements io.cryptvol.ui.Output {
    /** Made on the first JSON output, not when the shell starts: Jackson's set-up is a visible part of start-up. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        static {
            // JSON stays JSON: DEL, C1 and bidi controls as \\uXXXX too (Jackson escapes C0 itself)
            MAPPER.getFactory().setCharacterEscapes(new JsonControlEscapes());
        }
    }

    private final Terminal terminal;
    private final boolean color;
    private final java.util.function.BooleanSupplier oneCommand;

    public Ui(Terminal terminal, boolean colorWanted) {
        this(terminal, colorWanted, () -> false);
    }

    /** @param oneCommand true while a single command from the arguments runs (diagnostics then go to stderr) */
    public Ui(Terminal terminal, boolean colorWanted, java.util.function.BooleanSupplier oneCommand) {
        this.terminal = terminal;
        this.color = colorWanted && (isForced() || !Terminal.TYPE_DUMB.equals(terminal.getType()));
        this.oneCommand = oneCommand;
    }

    /** True in one-command mode: diagnostics go to the process's stderr. */
    public boolean oneCommand() {
        return oneCommand.getAsBoolean();
    }

    /**
     * Where warnings, errors and progress go: stderr in one-command mode (the result's stream is
     * flushed first, so that the two interleave in order on a terminal), else the terminal.
     */
    public PrintWriter diagnostics() {
        if (!oneCommand()) {
            return terminal.writer();
        }
        terminal.writer().flush();
        return new PrintWriter(new java.io.OutputStreamWriter(System.err, terminal.encoding()), true);
    }

    /** A whole line of diagnostics (warning, error, progress): see {@link #diagnostics()}. */
    public void diagnostic(String s) {
        PrintWriter w = diagnostics();
        w.println(screen(s));
        w.flush();
    }

    /**
     * Where the lines that show a change go: stdout when they are the answer ({@code answer}: a dry run), else
     * {@link #diagnostic}, so that on a real run stdout holds only the result.
     */
    public Consumer<String> shown(boolean answer) {
        return answer ? this::println : this::diagnostic;
    }

    private static boolean isForced() {
        return "always".equals(System.getProperty("cryptvol.color"));
    }

    /** True unless NO_COLOR is set (to anything non-empty) or colour was switched off. */
    public static boolean colorWantedByEnvironment() {
        String noColor = System.getenv("NO_COLOR");
        if (noColor != null && !noColor.isEmpty()) {
            return false;
        }
        return !"never".equals(System.getProperty("cryptvol.color"));
    }

    public boolean colorEnabled() {
        return color;
    }

    public PrintWriter writer() {
        return terminal.writer();
    }

    public Terminal terminal() {
        return terminal;
    }

    public void println(String s) {
        terminal.writer().println(screen(s));
        terminal.writer().flush();
    }

    public void print(String s) {
        terminal.writer().print(screen(s));
        terminal.writer().flush();
    }

    /** What may reach the terminal of this text: control characters escaped (colour kept when it is on). */
    public String screen(String s) {
        return color ? ControlChars.escapeKeepingColour(s) : ControlChars.escape(s);
    }

    public String style(String s, AttributedStyle style) {
        if (!color) {
            return s;
        }
        return new org.jline.utils.AttributedString(s, style).toAnsi(terminal);
    }

    public String bold(String s) {
        return style(s, AttributedStyle.BOLD);
    }

    public String dim(String s) {
        return style(s, AttributedStyle.DEFAULT.faint());
    }

    public String green(String s) {
        return style(s, AttributedStyle.DEFAULT.foreground(AttributedStyle.GREEN));
    }

    public String red(String s) {
        return style(s, AttributedStyle.DEFAULT.foreground(AttributedStyle.RED));
    }

    public String yellow(String s) {
        return style(s, AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW));
    }

    public void ok(String s) {
        println(green("✔ ") + s);
    }

    public void warn(String s) {
        diagnostic(yellow("warning: ") + s);
    }

    public void error(String s) {
        diagnostic(red("error: ") + s);
    }

    /** A progress line: not part of the result, so it goes with the diagnostics. */
    public void progress(String s) {
        diagnostic(s);
    }

    /** Progress without a line end ("[2/8] Create the VG … ", then "ok" when the step ends). */
    public void progressPart(String s) {
        PrintWriter w = diagnostics();
        w.print(screen(s));
        w.flush();
    }

    public void json(Object value) {
        try {
            terminal.writer().println(Json.MAPPER.writeValueAsString(value)); // escaped by JsonControlEscapes
            terminal.writer().flush();
        } catch (Exception e) {
            throw new IllegalStateException("cannot render JSON: " + e.getMessage(), e);
        }
    }

    /** Aligned "key  value" lines; null values show as "-". */
    public void keyValues(java.util.Map<String, ?> m) {
        int w = m.keySet().stream().mapToInt(String::length).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(k).append(" ".repeat(w - k.length() + 2)).append(v == null ? "-" : String.valueOf(v));
        });
        println(sb.toString());
    }

    /** A plain aligned table: header row, then rows; cells never wrap. */
    public void table(List<String> headers, List<List<String>> rows) {
        println(Tables.render(headers, rows, this::bold));
    }

    /** Renders tables without colour knowledge; {@code headerStyle} decorates header cells. */
    public static final class Tables {
        private Tables() {
        }

        public static String render(List<String> headers, List<List<String>> rows,
                                    java.util.function.UnaryOperator<String> headerStyle) {
            int[] w = new int[headers.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = headers.get(i).length();
            }
            for (List<String> r : rows) {
                for (int i = 0; i < w.length && i < r.size(); i++) {
                    w[i] = Math.max(w[i], cell(r, i).length());
                }
            }
            StringBuilder sb = new StringBuilder();
            List<String> hs = new ArrayList<>();
            for (int i = 0; i < w.length; i++) {
                hs.add(headerStyle.apply(pad(headers.get(i), w[i], i == w.length - 1)));
            }
            sb.append(String.join("  ", hs).stripTrailing());
            for (List<String> r : rows) {
                sb.append('\n');
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < w.length; i++) {
                    if (i > 0) {
                        line.append("  ");
                    }
                    line.append(pad(cell(r, i), w[i], i == w.length - 1));
                }
                sb.append(line.toString().stripTrailing());
            }
            return sb.toString();
        }

        private static String cell(List<String> r, int i) {
            String s = i < r.size() ? r.get(i) : "";
            return s == null ? "" : s;
        }

        private static String pad(String s, int w, boolean last) {
            if (last) {
                return s;
            }
            return s + " ".repeat(Math.max(0, w - s.length()));
        }
    }

    /** Jackson's standard escapes plus DEL, C1 controls and bidi controls as {@code \\uXXXX}. */
    static final class JsonControlEscapes extends com.fasterxml.jackson.core.io.CharacterEscapes {
        private final int[] ascii = standardAsciiEscapesForJSON();

        JsonControlEscapes() {
            ascii[0x7f] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public com.fasterxml.jackson.core.SerializableString getEscapeSequence(int ch) {
            return ControlChars.isControl(ch) ? new com.fasterxml.jackson.core.io.SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }
}

package io.cryptvol.domain;

/**
 * Terminal control characters in text that reaches the screen: values from hosts, EC2, scripts and users
 * are hostile (a device model may hold {@code ESC]0;TITLE BEL}, a mountpoint a carriage return that hides
 * what follows). The shell's Ui passes everything it prints through {@link #escape}; {@code __complete} drops
 * candidates that {@link #any} finds, since a candidate is one line and is inserted into a command line.
 *
 * <p>Escaped: C0 controls except newline and tab, DEL, C1 controls (U+0080–U+009F), and the Unicode
 * bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which reorder what is
 * shown. Everything else, including non-ASCII letters, is kept. The forms are visible and unambiguous:
 * backslash-e, -a, -b, -r, -f, -v, -0 for the common ones, backslash-x and two hex digits for other C0 and DEL,
 * backslash-u and the code point in braces for C1 and bidi (e.g. U+202E shows as "\\u{202e}").
 */
public final class ControlChars {
    private ControlChars() {
    }

    /** True for a character that must never reach the terminal raw (newline and tab excluded). */
    public static boolean isControl(int c) {
        return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f) || isBidi(c)
                || c == 0x2028 || c == 0x2029; // line and paragraph separators: a line break to some terminals
    }

    public static boolean isBidi(int c) {
        return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    }

    /** True when the text holds a control character, newline or tab (not one plain line). */
    public static boolean any(String s) {
        return s != null && s.codePoints().anyMatch(c -> c == '\n' || c == '\t' || isControl(c));
    }

    /**
     * One line of text, safe to print: newline and tab as backslash-n and backslash-t, every other control
     * character as {@link #escape} shows it; null gives "".
     */
    public static String oneLine(String s) {
        return s == null ? "" : escape(s.replace("\n", "\\n").replace("\t", "\\t"));
    }

    /** The text with every control character (newline and tab kept) replaced by its visible escape. */
    public static String escape(String s) {
        return escape(s, false);
    }

    /**
     * The same, but colour sequences ({@code ESC [ digits;… m}, SGR: nothing but colour and weight) are kept:
     * what the shell's Ui prints when colour is on. Every other escape sequence (titles, cursor moves, the
     * clipboard) is escaped.
     */
    public static String escapeKeepingColour(String s) {
        return escape(s, true);
    }

    private static String escape(String s, boolean keepSgr) {
        if (s == null || s.codePoints().noneMatch(ControlChars::isControl)) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            int sgr = keepSgr && c == 0x1b ? sgrLength(s, i) : 0;
            if (sgr > 0) {
                sb.append(s, i, i + sgr);
                i += sgr;
                continue;
            }
            i += Character.charCount(c);
            if (!isControl(c)) {
                sb.appendCodePoint(c);
                continue;
            }
            sb.append(visible(c));
        }
        return sb.toString();
    }

    /** Length of the SGR sequence at {@code i} (ESC [ digits and semicolons m), else 0. */
    private static int sgrLength(String s, int i) {
        if (i + 2 >= s.length() || s.charAt(i + 1) != '[') {
            return 0;
        }
        int j = i + 2;
        while (j < s.length() && j - i < 32 && (Character.isDigit(s.charAt(j)) && s.charAt(j) < 0x80 || s.charAt(j) == ';')) {
            j++;
        }
        return j < s.length() && s.charAt(j) == 'm' ? j + 1 - i : 0;
    }

    private static String visible(int c) {
        return switch (c) {
            case 0x1b -> "\\e";
            case 0x07 -> "\\a";
            case 0x08 -> "\\b";
            case '\r' -> "\\r";
            case 0x0c -> "\\f";
            case 0x0b -> "\\v";
            case 0 -> "\\0";
            default -> c < 0x80 ? String.format("\\x%02x", c) : String.format("\\u{%04x}", c);
        };
    }
}

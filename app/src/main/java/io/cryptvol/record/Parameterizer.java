package io.cryptvol.record;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a recording so that it replays on another instance with other {@code --var} values
 * ({@code record stop --parameterize}). Pure: the recorded lines in, the script text out.
 *
 * <p>A value becomes a variable only where its position in a command says what it is; the text is
 * never searched for values. The positions, by command:
 * <ul>
 *   <li>{@code connect TARGET [OPTIONS...]}: {@code target}, and the values of {@code --identity} ({@code -i}) and
 *       {@code --known-hosts}: {@code identity} and {@code known_hosts}. Other options stay as typed.</li>
 *   <li>{@code use vg|lv|mapping|mountpoint NAME} (not {@code none}), and the value of {@code --vg}, {@code --lv},
 *       {@code --mapping}, {@code --mountpoint} on any command: {@code vg}, {@code lv}, {@code mapping},
 *       {@code mountpoint}. So are {@code vg create VG}, {@code lv create LV}, {@code luks open DEV MAPPING},
 *       {@code luks close MAPPING}, {@code fs make MAPPING} and {@code mount|umount MOUNTPOINT}, so that a
 *       name made by one line and selected by another changes in both.</li>
 *   <li>{@code luks format|add-key|open /dev/VG/LV}: the VG and LV parts, as {@code /dev/${vg}/${lv}}
 *       (not {@code /dev/mapper/...}).</li>
 *   <li>Key names: the values of {@code --key}, {@code --key2}, {@code --new-key}, the names of
 *       {@code keys generate NAME...} and {@code keys backup NAME}: {@code key1}, {@code key2}, ... one per
 *       distinct name.</li>
 *   <li>The {@code /dev/...} words of {@code pv create}, {@code sanitize} and {@code vg create VG}, as one list:
 *       {@code devices}, written {@code ${=devices}} (the explicit list form). The value of {@code --devices a,b} is
 *       {@code devices} too, unless a list came first.</li>
 * </ul>
 * Positional words are those right after the command, before its first option.
 *
 * <p>The first value at a variable's position is its value ({@code set NAME=VALUE} after the header);
 * a later word there becomes {@code "${NAME}"} only when it has that same value, otherwise it stays as typed.
 * A reference is written quoted, so that it stays one word whatever value {@code --var} gives (an empty one too).
 * An empty value stays as typed, and so does a device list whose words hold blanks. Secret prompts
 * {@code ${?name}} are kept as they are. A recording that already has variables is expanded first and then
 * parameterized afresh; one whose variables are not all set cannot be (a {@link ScriptException}).
 */
public final class Parameterizer {
    /** The header comment that lists the variables. */
    public static final String VARIABLES_COMMENT = "# Variables: ";

    private static final Pattern LUKS_DEVICE = Pattern.compile("/dev/([^/]+)/([^/]+)");

    /**
     * The rewritten script.
     *
     * @param text      the whole script, ending in a newline (the lines as given when no variable was found)
     * @param variables name → value, in order of first appearance
     */
    public record Result(String text, Map<String, String> variables) {
        public Result {
            variables = Collections.unmodifiableMap(new LinkedHashMap<>(variables));
        }
    }

    /** What a position holds; the variable it names, where there is one. */
    private enum Kind {
        TARGET("target"), IDENTITY("identity"), KNOWN_HOSTS("known_hosts"), VG("vg"), LV("lv"), MAPPING("mapping"),
        MOUNTPOINT("mountpoint"), KEY(null), KEYS(null), DEVICES("devices"), DEVICES_CSV("devices"), LUKS_DEVICE(null);

        final String variable;

        Kind(String variable) {
            this.variable = variable;
        }
    }

    /** Words {@code start} (inclusive) to {@code end} (exclusive) of a line hold a {@code kind}. */
    private record Slot(int start, int end, Kind kind) {
    }

    private static final Map<String, Kind> USE = Map.of(
            "vg", Kind.VG, "lv", Kind.LV, "mapping", Kind.MAPPING, "mountpoint", Kind.MOUNTPOINT);

    private static final Map<String, Kind> OPTIONS = Map.of(
            "--vg", Kind.VG, "--lv", Kind.LV, "--mapping", Kind.MAPPING, "--mountpoint", Kind.MOUNTPOINT,
            "--key", Kind.KEY, "--key2", Kind.KEY, "--new-key", Kind.KEY, "--devices", Kind.DEVICES_CSV);

    /** The positional words of a command, in order; {@code KEYS} and {@code DEVICES} take the rest. */
    private static final Map<String, List<Kind>> POSITIONALS = Map.ofEntries(
            Map.entry("keys generate", List.of(Kind.KEYS)),
            Map.entry("keys backup", List.of(Kind.KEY)),
            Map.entry("pv create", List.of(Kind.DEVICES)),
            Map.entry("sanitize", List.of(Kind.DEVICES)),
            Map.entry("vg create", List.of(Kind.VG, Kind.DEVICES)),
            Map.entry("lv create", List.of(Kind.LV)),
            Map.entry("luks format", List.of(Kind.LUKS_DEVICE)),
            Map.entry("luks add-key", List.of(Kind.LUKS_DEVICE)),
            Map.entry("luks open", List.of(Kind.LUKS_DEVICE, Kind.MAPPING)),
            Map.entry("luks close", List.of(Kind.MAPPING)),
            Map.entry("fs make", List.of(Kind.MAPPING)),
            Map.entry("mount", List.of(Kind.MOUNTPOINT)),
            Map.entry("umount", List.of(Kind.MOUNTPOINT)));

    private Parameterizer() {
    }

    /**
     * Rewrites a recording: its header comments, a {@code # Variables:} comment, one {@code set} line per
     * variable, a blank line, then the commands with {@code ${NAME}} where a variable's value was. Comments
     * after the header are kept; blank lines and earlier {@code set} lines are dropped.
     *
     * @param file  the name errors refer to
     * @param lines the recording, one string per line
     */
    public static Result parameterize(String file, List<String> lines) {
        Script script = ScriptFormat.parse(file, String.join("\n", lines), Map.of());
        Vars vars = new Vars();
        Map<Integer, String> rewritten = new HashMap<>();
        for (Script.Line line : script.commands()) {
            rewritten.put(line.number(), rewrite(line.words(), vars));
        }
        if (vars.values.isEmpty()) {
            return new Result(String.join("\n", lines) + "\n", vars.values);
        }
        return new Result(assemble(lines, rewritten, vars.values), vars.values);
    }

    /** Header, variables, then the rewritten commands and the comments between them. */
    private static String assemble(List<String> lines, Map<Integer, String> rewritten, Map<String, String> values) {
        List<String> out = new ArrayList<>();
        int i = 0;
        for (; i < lines.size() && isComment(lines.get(i)); i++) {
            if (!lines.get(i).strip().startsWith(VARIABLES_COMMENT)) {
                out.add(lines.get(i));
            }
        }
        out.add(VARIABLES_COMMENT + String.join(", ", values.keySet()) + " (override with --var NAME=VALUE)");
        values.forEach((name, value) -> out.add("set " + name + "=" + ScriptFormat.quote(value)));
        out.add("");
        for (; i < lines.size(); i++) {
            String command = rewritten.get(i + 1);
            if (command != null) {
                out.add(command);
            } else if (isComment(lines.get(i)) && !lines.get(i).strip().startsWith(VARIABLES_COMMENT)) {
                out.add(lines.get(i));
            }
        }
        return String.join("\n", out) + "\n";
    }

    private static boolean isComment(String line) {
        return line.strip().startsWith("#");
    }

    /** One command line, written with its variables. */
    private static String rewrite(List<Script.Word> words, Vars vars) {
        String[] out = new String[words.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = words.get(k).display();
        }
        List<Slot> slots = slots(words);
        slots.sort(Comparator.comparingInt(Slot::start));
        for (Slot s : slots) {
            String replacement = vars.replace(s, words.subList(s.start(), s.end()));
            if (replacement != null) {
                out[s.start()] = replacement;
                Arrays.fill(out, s.start() + 1, s.end(), null);
            }
        }
        List<String> kept = new ArrayList<>();
        for (String o : out) {
            if (o != null) {
                kept.add(o);
            }
        }
        return String.join(" ", kept);
    }

    /** The positions of a command line that may hold a variable. */
    private static List<Slot> slots(List<Script.Word> w) {
        List<Slot> out = new ArrayList<>();
        String first = text(w, 0);
        if ("connect".equals(first)) {
            connect(w, out);
            return out;
        }
        if ("use".equals(first)) {
            use(w, out);
            return out;
        }
        int from = positionals(w, out);
        options(w, from, out);
        return out;
    }

    private static void connect(List<Script.Word> w, List<Slot> out) {
        if (!isValue(w, 1)) {
            return; // options before the target: left as typed
        }
        out.add(new Slot(1, 2, Kind.TARGET));
        for (int i = 2; i + 1 < w.size(); i++) {
            Kind kind = get(CONNECT_OPTIONS, text(w, i));
            if (kind != null && isValue(w, i + 1)) {
                out.add(new Slot(i + 1, i + 2, kind));
                i++;
            }
        }
    }

    private static final Map<String, Kind> CONNECT_OPTIONS = Map.of(
            "--identity", Kind.IDENTITY, "-i", Kind.IDENTITY, "--known-hosts", Kind.KNOWN_HOSTS);

    private static void use(List<Script.Word> w, List<Slot> out) {
        Kind kind = get(USE, text(w, 1));
        if (kind != null && w.size() == 3 && isValue(w, 2) && !"none".equals(text(w, 2))) {
            out.add(new Slot(2, 3, kind));
        }
    }

    /** Adds the slots of the command's positional words; returns the index after its command words. */
    private static int positionals(List<Script.Word> w, List<Slot> out) {
        String one = text(w, 0);
        String two = one == null || text(w, 1) == null ? null : one + " " + text(w, 1);
        List<Kind> spec = get(POSITIONALS, two);
        int from = 2;
        if (spec == null) {
            spec = get(POSITIONALS, one);
            from = 1;
        }
        if (spec == null) {
            return 1;
        }
        int end = from;
        while (isValue(w, end)) {
            end++;
        }
        for (int k = 0; k < spec.size() && from + k < end; k++) {
            positional(w, from + k, end, spec.get(k), out);
        }
        return from;
    }

    private static void positional(List<Script.Word> w, int at, int end, Kind kind, List<Slot> out) {
        switch (kind) {
            case KEYS -> {
                for (int j = at; j < end; j++) {
                    out.add(new Slot(j, j + 1, Kind.KEY));
                }
            }
            case DEVICES -> {
                int e = at;
                while (e < end && text(w, e).startsWith("/dev/")) {
                    e++;
                }
                if (e > at) {
                    out.add(new Slot(at, e, Kind.DEVICES));
                }
            }
            default -> out.add(new Slot(at, at + 1, kind));
        }
    }

    /** The values of the options that name a variable ({@code --vg X}, {@code --key X}, ...). */
    private static void options(List<Script.Word> w, int from, List<Slot> out) {
        for (int i = from; i + 1 < w.size(); i++) {
            Kind kind = get(OPTIONS, text(w, i));
            if (kind != null && isValue(w, i + 1)) {
                out.add(new Slot(i + 1, i + 2, kind));
                i++;
            }
        }
    }

    /** {@code map.get(key)}, null for a null key (the maps are immutable: they refuse null). */
    private static <V> V get(Map<String, V> map, String key) {
        return key == null ? null : map.get(key);
    }

    /** The text of word {@code i}, or null past the end or for a prompt. */
    private static String text(List<Script.Word> w, int i) {
        return i < w.size() && !w.get(i).isPrompt() ? w.get(i).text() : null;
    }

    /** Word {@code i} is a value: there, not a prompt, not an option. */
    private static boolean isValue(List<Script.Word> w, int i) {
        String t = text(w, i);
        return t != null && !t.startsWith("-");
    }

    /** A value a quoted {@code "${NAME}"} gives back unchanged, on one line: not empty, no line break. */
    private static boolean expandsBack(String value) {
        return !value.isEmpty() && value.chars().noneMatch(c -> c == '\n' || c == '\r');
    }

    /** A word of a list that {@code ${=NAME}} splits back into the same words: no blanks either. */
    private static boolean listWord(String value) {
        return expandsBack(value) && value.chars().noneMatch(c -> c == ' ' || c == '\t') && !value.startsWith("-");
    }

    private static String ref(String name) {
        return "\"${" + name + "}\"";
    }

    /** Literal text inside double quotes. */
    private static String inDoubleQuotes(String literal) {
        return literal.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$");
    }

    /** The variables found so far, and the rule that binds a value to one. */
    private static final class Vars {
        final Map<String, String> values = new LinkedHashMap<>();
        final Map<String, String> keyNames = new HashMap<>();
        boolean devicesFromCsv;

        /** What replaces the words of a slot, or null to leave them as typed. */
        String replace(Slot s, List<Script.Word> words) {
            return switch (s.kind()) {
                case KEY -> key(words.get(0));
                case DEVICES_CSV -> devicesCsv(words.get(0));
                case LUKS_DEVICE -> luksDevice(words.get(0));
                case DEVICES -> bindList(s.kind().variable, words);
                default -> bind(s.kind().variable, words.get(0));
            };
        }

        /** {@code "${name}"} when the word is the variable's value (defining it if new), else null. */
        String bind(String name, Script.Word w) {
            if (w.isPrompt() || !expandsBack(w.text())) {
                return null;
            }
            return define(name, w.text()) ? ref(name) : null;
        }

        /** {@code ${=name}} when the words, joined by blanks, are the variable's value (defining it if new), else null. */
        String bindList(String name, List<Script.Word> words) {
            List<String> texts = new ArrayList<>();
            for (Script.Word w : words) {
                if (w.isPrompt() || !listWord(w.text())) {
                    return null;
                }
                texts.add(w.text());
            }
            return define(name, String.join(" ", texts)) ? "${=" + name + "}" : null;
        }

        /** Defines the variable if new; true when it has this value. */
        boolean define(String name, String value) {
            values.putIfAbsent(name, value);
            return values.get(name).equals(value);
        }

        /** Every distinct key name is a variable of its own: key1, key2, ... */
        String key(Script.Word w) {
            if (w.isPrompt() || !expandsBack(w.text())) {
                return null;
            }
            String name = keyNames.computeIfAbsent(w.text(), v -> "key" + (keyNames.size() + 1));
            return bind(name, w);
        }

        /** {@code --devices a,b} is {@code devices} unless a device list defined it first. */
        String devicesCsv(Script.Word w) {
            boolean fresh = !values.containsKey(Kind.DEVICES_CSV.variable);
            if (!fresh && !devicesFromCsv) {
                return null;
            }
            String r = bind(Kind.DEVICES_CSV.variable, w);
            devicesFromCsv |= fresh && r != null;
            return r;
        }

        /** {@code /dev/VG/LV} with its parts as {@code vg} and {@code lv}. */
        String luksDevice(Script.Word w) {
            Matcher m = w.isPrompt() ? null : LUKS_DEVICE.matcher(w.text());
            if (m == null || !m.matches() || m.group(1).equals("mapper")) {
                return null;
            }
            boolean vg = expandsBack(m.group(1)) && define(Kind.VG.variable, m.group(1));
            boolean lv = expandsBack(m.group(2)) && define(Kind.LV.variable, m.group(2));
            if (!vg && !lv) {
                return null;
            }
            return "\"/dev/" + (vg ? "${vg}" : inDoubleQuotes(m.group(1))) + "/"
                    + (lv ? "${lv}" : inDoubleQuotes(m.group(2))) + "\"";
        }
    }
}

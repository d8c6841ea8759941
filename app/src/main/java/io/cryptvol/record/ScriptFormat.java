package io.cryptvol.record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The cryptvol script format ({@code *.cvsh}): what {@code record} writes and {@code replay} reads.
 * Pure Java, no Spring.
 *
 * <ul>
 *   <li>One command per line, exactly as typed at the {@code cryptvol>} prompt. Blank lines are ignored.</li>
 *   <li>{@code #} at the start of a word starts a comment that runs to the end of the line.</li>
 *   <li>A line ending in {@code \} continues on the next line (trailing blanks after it are forgiven).</li>
 *   <li>Quoting: {@code '...'} is literal; {@code "..."} expands variables and takes {@code \"}, {@code \\},
 *       {@code \$}; outside quotes {@code \x} is a literal x.</li>
 *   <li>Variables: {@code ${name}}, {@code ${name:-default}}. An expansion is exactly one word, never split
 *       on blanks (as in zsh): {@code --var 'vg=aa --size 64'} gives the one word {@code aa --size 64}, never an
 *       option. Unquoted, an empty value gives no word at all; quoted ({@code "${name}"}) it gives one empty word.
 *       An unset variable without a default is an error at {@code FILE:LINE}.</li>
 *   <li>A list is asked for explicitly: {@code ${=name}} (zsh's form) splits the value on blanks into words, for
 *       device lists ({@code pv create ${=devices}}). It must be a word of its own, unquoted, and none of its words
 *       may start with {@code -}: a list gives values, never options.</li>
 *   <li>{@code ${name:+WORDS}} gives the words of {@code WORDS} (written in the script, each variable in them
 *       again one word) when {@code name} is set and not empty, and nothing otherwise: an optional option,
 *       {@code ${identity:+--identity ${identity}}}. It must be a word of its own, unquoted.</li>
 *   <li>{@code set name=value} sets a variable for the lines after it. Values given with
 *       {@code --var name=value} win over {@code set}, which wins over {@code :-} defaults.</li>
 *   <li>{@code ${?name}} is a secret asked for once when the replay starts (never echoed, never stored);
 *       it must be a word of its own. Recordings write passphrases this way.</li>
 * </ul>
 */
public final class ScriptFormat {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ScriptFormat() {
    }

    /** Parses a whole script; {@code vars} are the {@code --var} values (they win over {@code set}). */
    public static Script parse(String file, String text, Map<String, String> vars) {
        Map<String, String> fixed = Map.copyOf(vars);
        return parse(file, text, fixed, new HashMap<>(fixed));
    }

    /**
     * Checks a script's syntax only (quotes, continuations, {@code ${...}} forms, {@code set} lines), whatever its
     * variables hold: every variable counts as set to a plain word.
     */
    public static void checkSyntax(String file, String text) {
        Map<String, String> anyValue = new HashMap<>() {
            @Override
            public String get(Object key) {
                return super.getOrDefault(key, "x");
            }
        };
        parse(file, text, Map.of(), anyValue);
    }

    private static Script parse(String file, String text, Map<String, String> fixed, Map<String, String> env) {
        List<Script.Line> out = new ArrayList<>();
        String[] physical = text.split("\r?\n", -1);
        int i = 0;
        while (i < physical.length) {
            int start = i + 1;
            String line = physical[i++];
            if (line.strip().startsWith("#")) {
                continue;
            }
            StringBuilder logical = new StringBuilder();
            while (continues(line)) {
                String body = line.stripTrailing();
                logical.append(body, 0, body.length() - 1).append(' ');
                if (i >= physical.length) {
                    throw new ScriptException(file, start, "the line continues (\\) past the end of the file");
                }
                line = physical[i++];
            }
            logical.append(line);
            String text1 = logical.toString();
            // like a shell assignment, a set value is not split into words
            boolean isSet = text1.strip().startsWith("set ") || text1.strip().startsWith("set\t");
            List<Script.Word> words = words(file, start, text1, env, !isSet);
            if (words.isEmpty()) {
                continue;
            }
            if (!words.get(0).isPrompt() && words.get(0).text().equals("set")) {
                set(file, start, words, env, fixed);
                continue;
            }
            out.add(new Script.Line(start, words));
        }
        int lines = physical.length - (text.endsWith("\n") || text.isEmpty() ? 1 : 0);
        return new Script(file, out, lines);
    }

    private static void set(String file, int line, List<Script.Word> words, Map<String, String> env,
                            Map<String, String> fixed) {
        String assignment = words.size() == 2 && !words.get(1).isPrompt() ? words.get(1).text() : null;
        int eq = assignment == null ? -1 : assignment.indexOf('=');
        if (eq <= 0) {
            throw new ScriptException(file, line, "expected 'set NAME=VALUE' (quote a value that has blanks)");
        }
        String name = assignment.substring(0, eq);
        if (!NAME.matcher(name).matches()) {
            throw new ScriptException(file, line, "not a variable name: '" + name + "'");
        }
        if (!fixed.containsKey(name)) {
            env.put(name, assignment.substring(eq + 1));
        }
    }

    /** A physical line ends in an odd number of backslashes (trailing blanks forgiven). */
    private static boolean continues(String line) {
        String s = line.stripTrailing();
        int n = 0;
        for (int k = s.length() - 1; k >= 0 && s.charAt(k) == '\\'; k--) {
            n++;
        }
        return n % 2 == 1;
    }

    /** Splits one logical line into words, expanding variables. */
    static List<Script.Word> words(String file, int lineNo, String s, Map<String, String> env, boolean split) {
        List<Script.Word> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t') {
                if (inWord) {
                    words.add(Script.Word.of(cur.toString()));
                    cur.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '#' && !inWord) {
                break;
            } else if (c == '\'') {
                int end = s.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new ScriptException(file, lineNo, "unterminated ' quote");
                }
                cur.append(s, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                inWord = true;
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = s.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    } else if (d == '\\' && i + 1 < n && "\"\\$".indexOf(s.charAt(i + 1)) >= 0) {
                        cur.append(s.charAt(i + 1));
                        i += 2;
                    } else if (d == '$' && i + 1 < n && s.charAt(i + 1) == '{') {
                        Ref ref = ref(file, lineNo, s, i);
                        if (ref.prompt) {
                            throw new ScriptException(file, lineNo, "${?" + ref.name + "} must be a word of its own, not quoted");
                        }
                        if (ref.list || ref.alternative != null) {
                            throw new ScriptException(file, lineNo, (ref.list ? "${=" + ref.name + "}" : "${" + ref.name + ":+...}")
                                    + " must be a word of its own, not quoted");
                        }
                        cur.append(value(file, lineNo, ref, env));
                        i = ref.end;
                    } else {
                        cur.append(d);
                        i++;
                    }
                }
                if (!closed) {
                    throw new ScriptException(file, lineNo, "unterminated \" quote");
                }
            } else if (c == '\\') {
                if (i + 1 < n) {
                    cur.append(s.charAt(i + 1));
                    inWord = true;
                }
                i += 2;
            } else if (c == '$' && i + 1 < n && s.charAt(i + 1) == '{') {
                Ref ref = ref(file, lineNo, s, i);
                if (ref.prompt) {
                    boolean alone = !inWord && (ref.end >= n || s.charAt(ref.end) == ' ' || s.charAt(ref.end) == '\t');
                    if (!alone) {
                        throw new ScriptException(file, lineNo, "${?" + ref.name + "} must be a word of its own");
                    }
                    words.add(Script.Word.prompt(ref.name));
                    i = ref.end;
                    continue;
                }
                boolean alone = !inWord && (ref.end >= n || s.charAt(ref.end) == ' ' || s.charAt(ref.end) == '\t');
                if (ref.list || ref.alternative != null) {
                    String form = ref.list ? "${=" + ref.name + "}" : "${" + ref.name + ":+...}";
                    if (!alone) {
                        throw new ScriptException(file, lineNo, form + " must be a word of its own");
                    }
                    words.addAll(ref.list ? list(file, lineNo, ref, env, split) : alternative(file, lineNo, ref, env, split));
                    i = ref.end;
                    continue;
                }
                // one word, never split; an empty value adds nothing (a quoted one would be an empty word)
                String v = value(file, lineNo, ref, env);
                cur.append(v);
                inWord |= !v.isEmpty();
                i = ref.end;
            } else {
                cur.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(Script.Word.of(cur.toString()));
        }
        return words;
    }

    private record Ref(String name, String fallback, String alternative, boolean prompt, boolean list, int end) {
    }

    private static Ref ref(String file, int lineNo, String s, int dollar) {
        int close = -1;
        int depth = 0;
        for (int k = dollar + 2; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '{' && s.charAt(k - 1) == '$') {
                depth++;
            } else if (c == '}') {
                if (depth == 0) {
                    close = k;
                    break;
                }
                depth--;
            }
        }
        if (close < 0) {
            throw new ScriptException(file, lineNo, "unterminated ${ (missing })");
        }
        String body = s.substring(dollar + 2, close);
        boolean prompt = body.startsWith("?");
        boolean list = !prompt && body.startsWith("=");
        if (prompt || list) {
            body = body.substring(1);
        }
        String fallback = null;
        String alternative = null;
        int colon = body.indexOf(':');
        if (colon >= 0 && colon + 1 < body.length() && !prompt) {
            char op = body.charAt(colon + 1);
            if (op == '-') {
                fallback = body.substring(colon + 2);
                body = body.substring(0, colon);
            } else if (op == '+' && !list) {
                alternative = body.substring(colon + 2);
                body = body.substring(0, colon);
            }
        }
        if (!NAME.matcher(body).matches()) {
            throw new ScriptException(file, lineNo, "not a variable name: '" + body + "' in ${" + s.substring(dollar + 2, close) + "}");
        }
        return new Ref(body, fallback, alternative, prompt, list, close + 1);
    }

    /** {@code ${=name}}: the value split on blanks; a word that looks like an option is refused. */
    private static List<Script.Word> list(String file, int lineNo, Ref ref, Map<String, String> env, boolean split) {
        String v = value(file, lineNo, ref, env);
        List<Script.Word> out = new ArrayList<>();
        if (!split) {
            out.add(Script.Word.of(v)); // a set value is never split: the list is split where it is used
            return out;
        }
        for (String part : v.strip().split("[ \t]+")) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.startsWith("-")) {
                throw new ScriptException(file, lineNo, "${=" + ref.name + "} holds '" + part
                        + "': a list gives values, not options");
            }
            out.add(Script.Word.of(part));
        }
        return out;
    }

    /** {@code ${name:+WORDS}}: the words of WORDS when name is set and not empty, else none. */
    private static List<Script.Word> alternative(String file, int lineNo, Ref ref, Map<String, String> env, boolean split) {
        String v = env.get(ref.name);
        if (v == null || v.isEmpty()) {
            return List.of();
        }
        List<Script.Word> out = words(file, lineNo, ref.alternative, env, split);
        if (out.stream().anyMatch(Script.Word::isPrompt)) {
            throw new ScriptException(file, lineNo, "${?...} cannot be part of ${" + ref.name + ":+...}");
        }
        return out;
    }

    private static String value(String file, int lineNo, Ref ref, Map<String, String> env) {
        String v = env.get(ref.name);
        if (v != null) {
            return v;
        }
        if (ref.fallback != null) {
            return expand(file, lineNo, ref.fallback, env);
        }
        throw new ScriptException(file, lineNo, "${" + ref.name + "} is not set: give --var " + ref.name
                + "=VALUE, or add 'set " + ref.name + "=VALUE' before this line");
    }

    /** Expands the variables in a default value (no quoting, no splitting). */
    private static String expand(String file, int lineNo, String text, Map<String, String> env) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("${", i)) {
                Ref r = ref(file, lineNo, text, i);
                if (r.prompt || r.list || r.alternative != null) {
                    throw new ScriptException(file, lineNo, "${" + text.substring(i + 2, r.end - 1) + "} cannot be part of a default");
                }
                sb.append(value(file, lineNo, r, env));
                i = r.end;
            } else {
                sb.append(text.charAt(i++));
            }
        }
        return sb.toString();
    }

    /** Quotes one word so that parsing gives it back unchanged. */
    public static String quote(String word) {
        if (!word.isEmpty() && SAFE.matcher(word).matches()) {
            return word;
        }
        if (!word.contains("'")) {
            return "'" + word + "'";
        }
        return '"' + word.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$") + '"';
    }

    /** Quotes and joins words into one line, the way {@code record} writes them. */
    public static String join(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(quote(w));
        }
        return sb.toString();
    }

    /** Parses {@code NAME=VALUE} pairs as given to {@code --var}. */
    public static Map<String, String> vars(List<String> pairs) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            String name = eq < 0 ? p : p.substring(0, eq);
            if (eq <= 0 || !NAME.matcher(name).matches()) {
                throw new io.cryptvol.CryptvolException("--var wants NAME=VALUE, got '" + p + "'", io.cryptvol.ExitCode.USAGE, null);
            }
            m.put(name, p.substring(eq + 1));
        }
        return m;
    }
}

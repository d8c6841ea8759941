package io.cryptvol.record;

import io.cryptvol.domain.ControlChars;

import io.cryptvol.CryptvolException;
import io.cryptvol.session.Target;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * What a replay is about to do, worked out before anything runs, so that it can be shown before any question:
 * every line as it will run (variables expanded, secrets as {@code ${?name}}, control characters escaped), the
 * targets the script reaches (a {@code connect} in it counts), the lines that run host code written in the
 * script (snapshot hooks: {@code sh -c} as root on the host) and the lines that destroy something that cannot be
 * brought back (a key, a sandbox, snapshots, volumes, a LUKS header overwritten by {@code luks header restore}), which
 * need a confirmation of their own. Pure.
 */
public final class ScriptPreview {

    /** Options of {@code connect} that take a value (so the word after them is not the target). */
    private static final Set<String> CONNECT_VALUE_OPTIONS = Set.of("--identity", "-i", "--known-hosts", "--target");

    /** The long names of the positional values the destructive commands take ({@code keys shred --name K}). */
    private static final Set<String> NAME_OPTIONS = Set.of("--name", "--set", "--volume");

    /**
     * One line of the script as it will run.
     *
     * @param where    {@code FILE:LINE}
     * @param shown    the line, safe to print
     * @param target   where the line runs (after a connect on this line: the new target)
     * @param hostCode the host code the line runs from the script ({@code --pre}/{@code --post}), or null
     * @param destroys what the line destroys for good, or null
     */
    public record Entry(String where, int line, String shown, String target, String hostCode, Destruction destroys) {
    }

    /**
     * A line that destroys something: what, and the word the user types to allow it (a piped {@code y} is not
     * enough).
     */
    public record Destruction(String what, String confirmWord) {
    }

    /**
     * @param entries the lines, in order
     * @param targets the targets reached, in order, without repeats next to each other (the first is where it starts)
     */
    public record Preview(List<Entry> entries, List<String> targets) {
        public Preview {
            entries = List.copyOf(entries);
            targets = List.copyOf(targets);
        }

        /** "local", or "local, then root@host:22". */
        public String targetsText() {
            return String.join(", then ", targets);
        }

        public List<Entry> destructive() {
            return entries.stream().filter(e -> e.destroys() != null).toList();
        }
    }

    private ScriptPreview() {
    }

    /**
     * @param file    the script's name as given
     * @param lines   the lines that will run
     * @param start   where the session is now ({@code Target.display()})
     * @param command the command a line's words name (the shell's rule), or null
     */
    public static Preview of(String file, List<Script.Line> lines, String start, Function<List<String>, String> command) {
        List<Entry> entries = new ArrayList<>();
        List<String> targets = new ArrayList<>(List.of(safe(start)));
        String target = safe(start);
        for (Script.Line line : lines) {
            List<String> words = line.words().stream().map(w -> w.isPrompt() ? "${?" + w.prompt() + "}" : w.text()).toList();
            String cmd = command.apply(words);
            if ("connect".equals(cmd)) {
                target = connectTarget(words);
            } else if ("disconnect".equals(cmd)) {
                target = "local";
            } else if ("sandbox start".equals(cmd) || "sandbox reset".equals(cmd)) {
                target = "the sandbox";
            }
            if (!targets.get(targets.size() - 1).equals(target)) {
                targets.add(target);
            }
            String hooks = "snapshot".equals(cmd) ? hooks(words) : null;
            entries.add(new Entry(file + ":" + line.number(), line.number(), safe(line.display()), target, hooks,
                    destruction(cmd, words)));
        }
        return new Preview(entries, targets);
    }

    /** The target a connect line names, as the session will show it. */
    static String connectTarget(List<String> words) {
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            if (CONNECT_VALUE_OPTIONS.contains(w)) {
                if (w.equals("--target") && i + 1 < words.size()) {
                    return targetName(words.get(i + 1));
                }
                i++;
            } else if (!w.startsWith("-")) {
                return targetName(w);
            }
        }
        return "?";
    }

    private static String targetName(String spec) {
        if ("local".equalsIgnoreCase(spec)) {
            return "local";
        }
        try {
            return safe(Target.ssh(spec, null, null).display());
        } catch (CryptvolException e) {
            return safe(spec);
        }
    }

    /** The {@code --pre}/{@code --post} commands of a snapshot line, or null. */
    static String hooks(List<String> words) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            for (String opt : List.of("--pre", "--post")) {
                if (w.equals(opt) && i + 1 < words.size()) {
                    out.add(opt + " " + ScriptFormat.quote(words.get(i + 1)));
                } else if (w.startsWith(opt + "=")) {
                    out.add(opt + " " + ScriptFormat.quote(w.substring(opt.length() + 1)));
                }
            }
        }
        return out.isEmpty() ? null : safe(String.join(", ", out));
    }

    /** What a command line destroys for good, or null. */
    static Destruction destruction(String command, List<String> words) {
        if (command == null) {
            return null;
        }
        List<String> positional = positionals(command, words);
        String first = positional.isEmpty() ? null : positional.get(0);
        return switch (command) {
            case "keys shred" -> {
                if (first == null) {
                    yield null; // transient copies only: nothing that cannot be made again
                }
                if (words.contains("--retire")) {
                    yield new Destruction("scrubs key '" + safe(first) + "' and every backup of it (the last copy: a volume "
                            + "that needs it is lost)", first);
                }
                yield words.contains("--backups")
                        ? new Destruction("scrubs every backup of key '" + safe(first) + "'", first) : null;
            }
            case "keys import" -> words.contains("--shred-source") && first != null
                    ? new Destruction("shreds the key file imported as '" + safe(first) + "' (the source copy)", first) : null;
            case "sandbox reset" -> new Destruction("deletes every sandbox volume and snapshot", "reset");
            case "luks header restore" -> words.contains("--dry-run") ? null : new Destruction("overwrites the LUKS header of "
                    + (first == null ? deviceOption(words).map(ScriptPreview::safe).orElse("the selected LV") : safe(first))
                    + " with a backup (its key slots too: a key added since stops working)", "restore");
            case "snapshots delete" -> new Destruction("deletes every snapshot of set " + (first == null ? "?" : safe(first)),
                    first == null ? "delete" : first);
            case "snapshots prune" -> new Destruction("deletes older snapshot sets", "prune");
            case "ephemeral remove" -> new Destruction("takes the instance-store scratch down; what it holds is gone with "
                    + "its key", "remove");
            case "volumes delete" -> new Destruction("deletes volume" + (positional.size() == 1 ? " " : "s ")
                    + safe(String.join(" ", positional)) + " (their data is gone)", "delete");
            default -> null;
        };
    }

    /** The value of {@code --device D} or {@code --device=D}, if given. */
    private static java.util.Optional<String> deviceOption(List<String> words) {
        for (int i = 0; i < words.size(); i++) {
            if (words.get(i).equals("--device") && i + 1 < words.size()) {
                return java.util.Optional.of(words.get(i + 1));
            }
            if (words.get(i).startsWith("--device=")) {
                return java.util.Optional.of(words.get(i).substring("--device=".length()));
            }
        }
        return java.util.Optional.empty();
    }

    /** The words right after the command's own words, before its first option. */
    private static List<String> positionals(String command, List<String> words) {
        int from = command.split(" ").length;
        List<String> out = new ArrayList<>();
        for (int i = from; i < words.size() && !words.get(i).startsWith("-"); i++) {
            out.add(words.get(i));
        }
        for (int i = from; out.isEmpty() && i + 1 < words.size(); i++) {
            if (NAME_OPTIONS.contains(words.get(i))) {
                out.add(words.get(i + 1)); // the same value given by option name
            }
        }
        return out;
    }

    /**
     * Text from a script or a host, safe to print on one line: newline and tab as {@code \\n}, {@code \\t}, every
     * other control character as {@link ControlChars} shows it.
     */
    public static String safe(String s) {
        return ControlChars.oneLine(s);
    }
}

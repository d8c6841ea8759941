package io.cryptvol.shell;

import io.cryptvol.domain.ControlChars;
import org.springframework.shell.CompletionContext;
import org.springframework.shell.CompletionProposal;
import org.springframework.shell.command.CommandCatalog;
import org.springframework.shell.command.CommandOption;
import org.springframework.shell.command.CommandRegistration;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Completion for the non-interactive command line ({@code cryptvol __complete WORD... CURRENT}), used by
 * the bash and zsh scripts in {@code completions/}: command names from the {@link CommandCatalog}, option
 * names, and option values from the same {@code CompletionProvider} beans the interactive shell uses (they
 * read the cached inventory only, never the host). Prints candidates for CURRENT, one per line.
 *
 * <p>A candidate is one line and ends up inside a command line, so one holding a newline, a tab or any other
 * control character ({@link ControlChars#any}) is dropped: a mountpoint seen on a host can be named anything,
 * and such a name is better typed by hand than offered. Everything else is printed as it is; the scripts
 * quote it (never evaluate it).
 */
public class CommandLineCompletion {
    /** The hidden entry point: handled by {@code CryptvolApplication} before Spring Shell parses anything. */
    public static final String COMMAND = "__complete";
    static final Set<String> GLOBAL_FLAGS = Set.of("--debug", "--no-color", "--help", "-h", "--version", "-V");

    private final CommandCatalog catalog;

    public CommandLineCompletion(CommandCatalog catalog) {
        this.catalog = catalog;
    }

    /** Candidates for the last word, given all words after the program name (the last one may be ""). */
    public List<String> complete(List<String> args) {
        List<String> words = new ArrayList<>(args.isEmpty() ? List.of("") : args);
        while (words.size() > 1 && GLOBAL_FLAGS.contains(words.get(0))) {
            words.remove(0);
        }
        String current = words.get(words.size() - 1);
        List<String> before = words.subList(0, words.size() - 1);
        Map<String, CommandRegistration> visible = visible();

        String command = longest(before, visible);
        Set<String> out = new TreeSet<>();
        if (command == null) {
            // still typing the command: the next word of every command that starts with what was typed
            String typed = String.join(" ", before);
            for (String c : visible.keySet()) {
                List<String> parts = Arrays.asList(c.split(" "));
                if (parts.size() > before.size() && String.join(" ", parts.subList(0, before.size())).equals(typed)) {
                    out.add(parts.get(before.size()));
                }
            }
            if (before.isEmpty() && current.startsWith("-")) {
                out.addAll(GLOBAL_FLAGS);
            }
            return filter(out, current);
        }
        CommandRegistration reg = visible.get(command);
        int commandWords = command.split(" ").length;
        List<String> argWords = new ArrayList<>(words.subList(commandWords, words.size()));
        List<CommandOption> options = reg.getOptions();
        String previous = argWords.size() > 1 ? argWords.get(argWords.size() - 2) : null;
        CommandOption named = previous == null ? null : byName(options, previous);

        if (named != null && takesValue(named)) {
            out.addAll(values(named, argWords, reg));
        } else if (current.startsWith("-")) {
            for (CommandOption o : options) {
                for (String ln : o.getLongNames()) {
                    if (!argWords.subList(0, argWords.size() - 1).contains("--" + ln)) {
                        out.add("--" + ln);
                    }
                }
            }
        } else {
            CommandOption positional = positional(options, argWords.subList(0, argWords.size() - 1));
            if (positional != null) {
                out.addAll(values(positional, argWords, reg));
            }
        }
        return filter(out, current);
    }

    private Map<String, CommandRegistration> visible() {
        Map<String, CommandRegistration> m = new java.util.TreeMap<>();
        catalog.getRegistrations().forEach((k, v) -> {
            if (!v.isHidden() && !k.startsWith("_")) {
                m.put(k, v);
            }
        });
        return m;
    }

    private static String longest(List<String> before, Map<String, CommandRegistration> visible) {
        String line = String.join(" ", before);
        return visible.keySet().stream()
                .filter(c -> line.equals(c) || line.startsWith(c + " "))
                .max(Comparator.comparingInt(String::length)).orElse(null);
    }

    private static CommandOption byName(List<CommandOption> options, String word) {
        for (CommandOption o : options) {
            for (String ln : o.getLongNames()) {
                if (word.equals("--" + ln)) {
                    return o;
                }
            }
            for (Character sn : o.getShortNames()) {
                if (word.equals("-" + sn)) {
                    return o;
                }
            }
        }
        return null;
    }

    private static boolean takesValue(CommandOption o) {
        Class<?> t = o.getType() == null ? null : o.getType().resolve();
        return t != boolean.class && t != Boolean.class;
    }

    /** The option the next positional word binds to: options by position, minus those given by name. */
    private static CommandOption positional(List<CommandOption> options, List<String> given) {
        List<CommandOption> free = new ArrayList<>(options.stream()
                .filter(o -> o.getPosition() > -1 && takesValue(o))
                .sorted(Comparator.comparingInt(CommandOption::getPosition)).toList());
        int positionals = 0;
        for (int i = 0; i < given.size(); i++) {
            String w = given.get(i);
            CommandOption o = byName(options, w);
            if (o != null) {
                free.remove(o);
                if (takesValue(o)) {
                    i++;
                }
            } else if (!w.startsWith("-")) {
                positionals++;
            }
        }
        return positionals < free.size() ? free.get(positionals) : null;
    }

    private static List<String> values(CommandOption o, List<String> argWords, CommandRegistration reg) {
        if (o.getCompletion() == null) {
            return List.of();
        }
        CompletionContext ctx = new CompletionContext(argWords, argWords.size() - 1, 0, reg, o);
        List<CompletionProposal> proposals = o.getCompletion().apply(ctx);
        return proposals == null ? List.of() : proposals.stream().map(CompletionProposal::value).toList();
    }

    private static List<String> filter(Set<String> candidates, String prefix) {
        return candidates.stream().filter(c -> c.startsWith(prefix) && !c.isEmpty() && !ControlChars.any(c)).toList();
    }
}

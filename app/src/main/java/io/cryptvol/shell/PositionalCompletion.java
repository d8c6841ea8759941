package io.cryptvol.shell;

import org.springframework.shell.CompletionContext;
import org.springframework.shell.CompletionProposal;
import org.springframework.shell.command.CommandOption;
import org.springframework.shell.command.CommandRegistration;
import org.springframework.shell.completion.CompletionResolver;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Completes positional values, which Spring Shell 3 completes only after their {@code --name}: in
 * {@code volumes delete <TAB>} or {@code use instance <TAB>} the word being typed fills the next
 * positional option (the parser's rule: options not given by name, in parameter order, each taking up
 * to its arity), and that option's {@code @OptionValues} provider answers.
 */
public class PositionalCompletion implements CompletionResolver {

    @Override
    public List<CompletionProposal> apply(CompletionContext ctx) {
        CommandRegistration reg = ctx.getCommandRegistration();
        List<String> words = ctx.getWords();
        int index = ctx.getWordIndex();
        if (reg == null || index < 0 || index >= words.size() || words.get(index).startsWith("-")) {
            return List.of();
        }
        List<CommandOption> options = reg.getOptions();
        java.util.Set<CommandOption> named = new java.util.HashSet<>();
        int bare = 0;
        for (int i = 0; i < index; i++) {
            String w = words.get(i);
            Optional<CommandOption> o = w.startsWith("-") ? byName(options, w) : Optional.empty();
            if (o.isPresent()) {
                named.add(o.get());
                if (!isBoolean(o.get())) {
                    if (i == index - 1) {
                        return List.of(); // the value of a named option: Spring Shell completes that one
                    }
                    i++;
                }
            } else if (!w.startsWith("-")) {
                bare++;
            }
        }
        List<CommandOption> positional = options.stream()
                .filter(o -> o.getPosition() > -1 && !named.contains(o) && !isBoolean(o))
                .sorted(Comparator.comparingInt(CommandOption::getPosition))
                .toList();
        for (CommandOption o : positional) {
            int arity = o.getArityMax() < 0 ? (positional.size() == 1 ? Integer.MAX_VALUE : 1) : o.getArityMax();
            if (bare < arity) {
                return o.getCompletion() == null ? List.of() : o.getCompletion().apply(ctx.commandOption(o));
            }
            bare -= arity;
        }
        return List.of();
    }

    private static Optional<CommandOption> byName(List<CommandOption> options, String word) {
        String w = word.startsWith("--") ? word.substring(2) : word.substring(1);
        boolean longForm = word.startsWith("--");
        return options.stream().filter(o -> longForm ? Arrays.asList(o.getLongNames()).contains(w)
                : w.length() == 1 && Arrays.asList(o.getShortNames()).contains(w.charAt(0))).findFirst();
    }

    private static boolean isBoolean(CommandOption o) {
        Class<?> t = o.getType() == null ? null : o.getType().resolve();
        return t == boolean.class || t == Boolean.class;
    }
}

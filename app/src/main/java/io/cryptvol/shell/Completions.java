package io.cryptvol.shell;

import io.cryptvol.domain.ControlChars;
import io.cryptvol.session.Inventory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.shell.CompletionProposal;
import org.springframework.shell.completion.CompletionProvider;

import java.util.List;
import java.util.Locale;

/** Tab completion of values, from the cached inventory only (never a host or network call). */
@Configuration(proxyBeanMethods = false)
public class Completions {

    public static final List<String> CONTEXT_PARTS = List.of("vg", "lv", "mapping", "mountpoint", "instance");

    /** Names by target: completion offers what was seen on the session's current target, and a dry run writes none. */
    @Bean
    public Inventory inventory(io.cryptvol.session.SessionContext ctx, io.cryptvol.session.SessionMode mode) {
        return new Inventory(() -> Inventory.keyOf(ctx.target()), mode::dryRun, ctx::instanceId);
    }

    @Bean
    public CommandLineCompletion commandLineCompletion(@org.springframework.context.annotation.Lazy
                                                      org.springframework.shell.command.CommandCatalog catalog) {
        return new CommandLineCompletion(catalog);
    }

    @Bean
    public CompletionProvider contextPartCompletion() {
        return ctx -> proposals(CONTEXT_PARTS);
    }

    /** Completes the NAME of {@code use PART NAME} with what the inventory knows of that kind. */
    @Bean
    public CompletionProvider contextValueCompletion(Inventory inventory) {
        return ctx -> proposals(inventory.get(contextPart(ctx.getWords())));
    }

    /**
     * The PART of {@code use PART NAME} in the words being completed: the value of {@code --what}, else the
     * first plain word (the words may or may not start with the command itself).
     */
    static String contextPart(List<String> words) {
        List<String> w = !words.isEmpty() && words.get(0).equals("use") ? words.subList(1, words.size()) : words;
        int what = w.indexOf("--what");
        if (what >= 0 && what + 1 < w.size()) {
            return w.get(what + 1).toLowerCase(Locale.ROOT);
        }
        for (int i = 0; i < w.size(); i++) {
            boolean afterOption = i > 0 && w.get(i - 1).startsWith("--");
            if (!w.get(i).startsWith("-") && !afterOption) {
                return w.get(i).toLowerCase(Locale.ROOT);
            }
        }
        return "";
    }

    @Bean
    public CompletionProvider deviceCompletion(Inventory inventory) {
        return ctx -> proposals(inventory.get("device"));
    }

    @Bean
    public CompletionProvider vgCompletion(Inventory inventory) {
        return ctx -> proposals(inventory.get("vg"));
    }

    @Bean
    public CompletionProvider outputCompletion() {
        return ctx -> proposals(List.of("table", "json"));
    }

    /** Proposals of names; a name holding a newline or a control character is not offered (see ControlChars). */
    static List<CompletionProposal> proposals(List<String> values) {
        return values.stream().filter(v -> v != null && !v.isEmpty() && !ControlChars.any(v)).map(CompletionProposal::new).toList();
    }
}

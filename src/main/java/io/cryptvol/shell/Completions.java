package io.cryptvol.shell;

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

    @Bean
    public Inventory inventory() {
        return new Inventory();
    }

    @Bean
    public CompletionProvider contextPartCompletion() {
        return ctx -> proposals(CONTEXT_PARTS);
    }

    /** Completes the NAME of {@code use PART NAME} with what the inventory knows of that kind. */
    @Bean
    public CompletionProvider contextValueCompletion(Inventory inventory) {
        return ctx -> {
            // the part is the word before NAME: "use instance <TAB>" or "use --what instance --name <TAB>"
            String part = ctx.getWords().stream().map(w -> w.toLowerCase(Locale.ROOT))
                    .filter(CONTEXT_PARTS::contains).findFirst().orElse("");
            return proposals(inventory.get(part));
        };
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

    static List<CompletionProposal> proposals(List<String> values) {
        return values.stream().map(CompletionProposal::new).toList();
    }
}

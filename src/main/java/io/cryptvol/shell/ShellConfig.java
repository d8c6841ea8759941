package io.cryptvol.shell;

import io.cryptvol.session.ContextState;
import io.cryptvol.session.ContextStore;
import io.cryptvol.session.SessionContext;
import org.jline.terminal.Terminal;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.shell.boot.CommandRegistrationCustomizer;
import org.springframework.shell.jline.PromptProvider;

/** Wiring of the shell: context (restored from disk), output, prompt and error handling. */
@Configuration(proxyBeanMethods = false)
public class ShellConfig {

    @Bean
    @ConditionalOnMissingBean
    public ContextStore contextStore() {
        return ContextStore.inConfigDir();
    }

    @Bean
    public SessionContext sessionContext(ContextStore store) {
        SessionContext ctx = new SessionContext();
        ContextState saved = store.load();
        if (saved != null) {
            ctx.restore(saved);
        }
        ctx.addListener(c -> store.save(c.state()));
        return ctx;
    }

    @Bean
    public Ui ui(@Lazy Terminal terminal) {
        return new Ui(terminal, Ui.colorWantedByEnvironment());
    }

    @Bean
    public PromptProvider cryptvolPrompt(SessionContext ctx, Ui ui) {
        return () -> {
            String summary = ctx.summary();
            String text = summary.isEmpty() ? "cryptvol> " : "cryptvol [" + summary + "]> ";
            return ui.colorEnabled()
                    ? new AttributedString(text, AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN))
                    : new AttributedString(text);
        };
    }

    @Bean
    public Confirmer confirmer(org.springframework.beans.factory.ObjectProvider<org.jline.reader.LineReader> reader,
                               org.springframework.beans.factory.ObjectProvider<org.springframework.shell.context.ShellContext> sc) {
        return new Confirmer(reader, sc);
    }

    /**
     * Plans get key bytes from the key store just in time, and every key file they write to a
     * target's tmpfs (and shred) is recorded in the key ledger.
     */
    @Bean
    public PlanPresenter planPresenter(Ui ui, io.cryptvol.session.HostAccess hosts, Confirmer confirmer,
                                       io.cryptvol.keys.KeySource keys, io.cryptvol.keys.KeyLedger ledger) {
        return new PlanPresenter(ui, hosts, confirmer, keys::bytes, new io.cryptvol.exec.PlanRunner.KeyFileTrail() {
            @Override
            public void written(String target, String path, String keyName) {
                ledger.record(target, path, keyName);
            }

            @Override
            public void shredded(String target, String path) {
                ledger.markShredded(target, path);
            }
        });
    }

    @Bean
    public ErrorHandling errorHandling() {
        return new ErrorHandling();
    }

    /** Every command gets the same error handling: one line, an exit code, no stack trace. */
    @Bean
    public CommandRegistrationCustomizer cryptvolErrorHandlingCustomizer(ErrorHandling errorHandling) {
        return builder -> builder.withErrorHandling().resolver(errorHandling);
    }
}

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

    @Bean
    @ConditionalOnMissingBean(io.cryptvol.exec.PlanRunner.KeySource.class)
    public io.cryptvol.exec.PlanRunner.KeySource noKeys() {
        return ref -> {
            throw new io.cryptvol.CryptvolException("unknown key '" + ref.name() + "': see 'keys list'", 2, null);
        };
    }

    @Bean
    public PlanPresenter planPresenter(Ui ui, io.cryptvol.session.HostAccess hosts, Confirmer confirmer,
                                       io.cryptvol.exec.PlanRunner.KeySource keys,
                                       org.springframework.beans.factory.ObjectProvider<io.cryptvol.exec.PlanRunner.KeyFileTrail> trail) {
        return new PlanPresenter(ui, hosts, confirmer, keys,
                trail.getIfAvailable(() -> io.cryptvol.exec.PlanRunner.KeyFileTrail.NONE));
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

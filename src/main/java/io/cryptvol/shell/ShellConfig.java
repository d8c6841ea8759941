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
    public SessionContext sessionContext(ContextStore store, io.cryptvol.session.SessionMode mode) {
        SessionContext ctx = new SessionContext();
        ContextState saved = store.load();
        if (saved != null) {
            ctx.restore(saved);
        }
        ctx.addListener(c -> {
            if (!mode.dryRun()) { // a dry run changes nothing anywhere, context.json included
                store.save(c.state());
            }
        });
        return ctx;
    }

    @Bean
    public Ui ui(@Lazy Terminal terminal,
                 org.springframework.beans.factory.ObjectProvider<org.springframework.shell.context.ShellContext> shell) {
        // one-command mode is the shell's NONINTERACTIVE mode (set by its runner for `cryptvol CMD …`)
        return new Ui(terminal, Ui.colorWantedByEnvironment(), () -> {
            org.springframework.shell.context.ShellContext sc = shell.getIfAvailable();
            return sc != null && sc.getInteractionMode() == org.springframework.shell.context.InteractionMode.NONINTERACTIVE;
        });
    }

    @Bean
    public PromptProvider cryptvolPrompt(SessionContext ctx, Ui ui, io.cryptvol.sandbox.Sandbox sandbox,
                                         org.springframework.beans.factory.ObjectProvider<io.cryptvol.day2.LockedMarks> locked) {
        return () -> {
            String summary = ctx.summary();
            io.cryptvol.day2.LockedMarks marks = locked.getIfAvailable();
            if (marks != null && marks.isLocked(ctx.target().display(), ctx.mapping())) {
                summary = summary + " (locked)"; // what the last look saw; no host call per prompt
            }
            String name = sandbox.running() ? "cryptvol(sandbox)" : "cryptvol";
            String text = summary.isEmpty() ? name + "> " : name + " [" + summary + "]> ";
            return ui.colorEnabled()
                    ? new AttributedString(text, AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN))
                    : new AttributedString(text);
        };
    }

    @Bean
    public Confirmer confirmer(org.springframework.beans.factory.ObjectProvider<org.jline.reader.LineReader> reader,
                               org.springframework.beans.factory.ObjectProvider<org.springframework.shell.context.ShellContext> sc,
                               io.cryptvol.session.SessionMode mode) {
        return new Confirmer(reader, sc, mode);
    }

    @Bean
    public io.cryptvol.session.Prompt prompt(Confirmer confirmer,
                                             org.springframework.beans.factory.ObjectProvider<io.cryptvol.record.Prompter> prompter,
                                             org.springframework.beans.factory.ObjectProvider<org.springframework.shell.context.ShellContext> sc) {
        return new TerminalPrompt(confirmer, prompter, sc);
    }

    /**
     * Plans get key bytes from the key store just in time, and every key file they write to a
     * target's tmpfs (and shred) is recorded in the key ledger.
     */
    @Bean
    public PlanPresenter planPresenter(Ui ui, io.cryptvol.session.HostAccess hosts, Confirmer confirmer,
                                       io.cryptvol.exec.PlanRunner.KeySource keys, io.cryptvol.keys.KeyLedger ledger,
                                       io.cryptvol.session.SessionMode mode, io.cryptvol.session.Inventory inventory) {
        return new PlanPresenter(ui, hosts, confirmer, keys::bytes, new io.cryptvol.exec.PlanRunner.KeyFileTrail() {
            @Override
            public void written(String target, String path, String keyName) {
                ledger.record(target, path, keyName);
            }

            @Override
            public void shredded(String target, String path) {
                ledger.markShredded(target, path);
            }
        }, mode, inventory);
    }

    @Bean(destroyMethod = "close")
    public io.cryptvol.sandbox.Sandbox sandbox() {
        return SandboxCommands.create();
    }

    /** {@code cryptvol --sandbox}: start the sandbox before the shell takes the first command. */
    @Bean
    @org.springframework.core.annotation.Order(-100)
    @org.springframework.boot.autoconfigure.condition.ConditionalOnProperty(name = "cryptvol.sandbox", havingValue = "true")
    public org.springframework.boot.ApplicationRunner sandboxOnStart(SandboxCommands commands) {
        return args -> commands.start();
    }

    /** The session's way into and out of the sandbox (its context kept apart from the session's file). */
    @Bean
    public SandboxSession sandboxSession(io.cryptvol.sandbox.Sandbox sandbox, io.cryptvol.session.HostAccess hosts,
            SessionContext ctx, ContextStore store, org.springframework.context.ApplicationEventPublisher events) {
        return new SandboxSession(sandbox, hosts, ctx, store, events);
    }

    /** Where {@code replay --rehearse} runs a script first: a fresh sandbox. */
    @Bean
    public io.cryptvol.record.Replayer.Stage rehearsalStage(io.cryptvol.sandbox.Sandbox sandbox,
            io.cryptvol.session.HostAccess hosts, SessionContext ctx, io.cryptvol.aws.AwsAccess aws,
            SandboxSession session, Ui ui) {
        return new SandboxRehearsal(sandbox, hosts, ctx, aws, session, ui);
    }

    @Bean
    public ErrorHandling errorHandling(Ui ui) {
        return new ErrorHandling(ui);
    }

    /** "error: No command found for 'x' (try 'help')", uncoloured, on stderr in one-command mode. */
    @Bean
    public org.springframework.shell.result.CommandNotFoundMessageProvider commandNotFoundMessageProvider(Ui ui) {
        return ctx -> {
            String line = "error: " + ErrorHandling.message(ctx.error()) + " (try 'help')";
            if (ui.oneCommand()) {
                ui.diagnostic(line);
                return "";
            }
            return line;
        };
    }

    /** Every command gets the same error handling: one line, an exit code, no stack trace. */
    @Bean
    public CommandRegistrationCustomizer cryptvolErrorHandlingCustomizer(ErrorHandling errorHandling) {
        return builder -> builder.withErrorHandling().resolver(errorHandling);
    }
}

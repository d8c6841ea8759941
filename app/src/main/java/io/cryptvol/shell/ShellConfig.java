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
        // a dry run changes nothing anywhere, context.json included
        ctx.addListener(c -> mode.persist(() -> store.save(c.state())));
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
    public PromptProvider cryptvolPrompt(SessionContext ctx, Ui ui, SandboxPresence sandbox,
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

    /** The one way to ask the user anything (and to know whether anybody can answer). */
    @Bean
    public io.cryptvol.session.Prompt prompt(org.springframework.beans.factory.ObjectProvider<Terminal> terminal,
                                             org.springframework.beans.factory.ObjectProvider<org.springframework.shell.context.ShellContext> sc,
                                             io.cryptvol.session.SessionMode mode) {
        return new TerminalPrompt(terminal, sc, mode);
    }

    /**
     * Plans get key bytes from the key store just in time, and every key file they write to a
     * target's tmpfs (and shred) is recorded in the key ledger.
     */
    @Bean
    public io.cryptvol.exec.PlanEngine planEngine(Ui ui, io.cryptvol.session.HostAccess hosts, io.cryptvol.session.Prompt prompt,
                                       io.cryptvol.exec.PlanRunner.KeySource keys, io.cryptvol.keys.KeyLedger ledger,
                                       io.cryptvol.session.SessionMode mode, io.cryptvol.session.Inventory inventory,
                                       io.cryptvol.keys.KeyStore store) {
        io.cryptvol.exec.PlanEngine engine = PlanView.engine(ui, hosts, prompt, keys::bytes, new io.cryptvol.exec.PlanRunner.KeyFileTrail() {
            @Override
            public void written(String target, String path, String keyName) {
                ledger.record(target, path, keyName);
            }

            @Override
            public void shredded(String target, String path) {
                ledger.markShredded(target, path);
            }
        }, mode, inventory);
        // which key went into which LUKS slot (luks format, add-key, provision, a restored copy's new UUID)
        engine.addRunHook(ex -> new io.cryptvol.keys.EnrollmentRecorder(ex, store, ui::warn));
        // every header backup step's copy goes into the key store (SHA-256 checked on both sides)
        engine.addRunHook(ex -> new io.cryptvol.keys.HeaderBackupRecorder(ex, store, ui::ok));
        return engine;
    }

    // the sandbox's beans (the sandbox itself, --sandbox, its session, the rehearsal stage): SandboxConfig, or
    // SandboxAbsentConfig when the sandbox jar is not on the class path

    @Bean
    public ErrorHandling errorHandling(Ui ui) {
        return new ErrorHandling(ui);
    }

    /** "error: No command found for 'x' (try 'help')", uncoloured, on stderr in one-command mode. */
    @Bean
    public org.springframework.shell.result.CommandNotFoundMessageProvider commandNotFoundMessageProvider(Ui ui) {
        return ctx -> {
            String line = "error: " + io.cryptvol.ui.ErrorMessages.message(ctx.error()) + " (try 'help')";
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

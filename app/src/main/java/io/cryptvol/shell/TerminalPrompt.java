package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.record.Prompter;
import io.cryptvol.session.Prompt;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;

/**
 * {@link Prompt} on the shell's terminal. For now it delegates to {@link Confirmer} (confirmations) and
 * {@link Prompter} (lines and secrets); those two are to fold into this one class.
 */
public class TerminalPrompt implements Prompt {
    private final Confirmer confirmer;
    private final ObjectProvider<Prompter> prompter;
    private final ObjectProvider<ShellContext> shellContext;

    public TerminalPrompt(Confirmer confirmer, ObjectProvider<Prompter> prompter, ObjectProvider<ShellContext> shellContext) {
        this.confirmer = confirmer;
        this.prompter = prompter;
        this.shellContext = shellContext;
    }

    @Override
    public boolean interactive() {
        ShellContext sc = shellContext.getIfAvailable();
        return (sc != null && sc.getInteractionMode() == InteractionMode.INTERACTIVE) || Confirmer.consoleIsTerminal();
    }

    @Override
    public boolean confirm(String question, boolean assumeYes) {
        return confirmer.confirm(question, assumeYes);
    }

    @Override
    public String ask(String prompt) {
        requireSomebody();
        return prompter.getObject().ask(io.cryptvol.domain.ControlChars.escape(prompt), false);
    }

    @Override
    public char[] askSecret(String prompt) {
        requireSomebody();
        String s = prompter.getObject().ask(io.cryptvol.domain.ControlChars.escape(prompt), true);
        return s == null ? null : s.toCharArray();
    }

    private void requireSomebody() {
        if (!interactive()) {
            throw new CryptvolException("nobody can answer a question here: give the value as an option",
                    ExitCode.USAGE, null);
        }
    }
}

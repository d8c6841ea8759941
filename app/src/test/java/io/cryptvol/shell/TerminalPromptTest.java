package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.session.SessionMode;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.shell.context.DefaultShellContext;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The one prompt: who can answer, what a confirmation takes, and lines and secrets read off the terminal. */
class TerminalPromptTest {

    private final ByteArrayOutputStream screen = new ByteArrayOutputStream();

    private TerminalPrompt prompt(InteractionMode shellMode, String typed, SessionMode mode) throws Exception {
        Terminal t = new DumbTerminal("t", "dumb", new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)),
                screen, StandardCharsets.UTF_8);
        DefaultShellContext sc = new DefaultShellContext();
        sc.setInteractionMode(shellMode);
        ObjectProvider<Terminal> terminal = new StaticListableBeanFactory(Map.of("t", t)).getBeanProvider(Terminal.class);
        ObjectProvider<ShellContext> shell = new StaticListableBeanFactory(Map.of("s", sc)).getBeanProvider(ShellContext.class);
        return new TerminalPrompt(terminal, shell, mode);
    }

    private String screen() {
        return screen.toString(StandardCharsets.UTF_8);
    }

    /**
     * Surefire gives the test JVM a pipe on stdin. Before JDK 22 there is then no console; from JDK 22 on there is
     * one, and only {@code Console.isTerminal()} says it is not a terminal. Either way nobody can answer on it.
     */
    @Test
    void aPipeOnStdinIsNotATerminal() {
        assertThat(TerminalPrompt.consoleIsTerminal()).isFalse();
        assertThat(TerminalPrompt.consoleIsTerminal(null)).isFalse();
    }

    static Stream<Arguments> confirmations() {
        return Stream.of(
                // shell mode, --yes, session assumes yes, typed → agreed (null: refused as a usage error)
                arguments(InteractionMode.INTERACTIVE, false, false, "y\n", true),
                arguments(InteractionMode.INTERACTIVE, false, false, "YES\n", true),
                arguments(InteractionMode.INTERACTIVE, false, false, " yes \n", true),
                arguments(InteractionMode.INTERACTIVE, false, false, "n\n", false),
                arguments(InteractionMode.INTERACTIVE, false, false, "\n", false),
                arguments(InteractionMode.INTERACTIVE, false, false, "yep\n", false),
                arguments(InteractionMode.INTERACTIVE, false, false, "", false), // end of input means no
                arguments(InteractionMode.INTERACTIVE, true, false, "", true),
                arguments(InteractionMode.INTERACTIVE, false, true, "", true),
                arguments(InteractionMode.NONINTERACTIVE, true, false, "", true),
                arguments(InteractionMode.NONINTERACTIVE, false, true, "", true),
                arguments(InteractionMode.NONINTERACTIVE, false, false, "y\n", null)); // a piped "y" is nobody
    }

    @ParameterizedTest(name = "{0} --yes={1} assumeYes={2} typed={3} → {4}")
    @MethodSource("confirmations")
    void confirm(InteractionMode shellMode, boolean yes, boolean assumeYes, String typed, Boolean agreed) throws Exception {
        SessionMode mode = new SessionMode();
        TerminalPrompt p = prompt(shellMode, typed, mode);
        Runnable run = () -> {
            if (assumeYes) {
                try (var s = mode.assumingYes()) {
                    assertThat(p.confirm("Go?", yes)).isEqualTo(agreed);
                }
            } else {
                assertThat(p.confirm("Go?", yes)).isEqualTo(agreed);
            }
        };
        if (agreed == null) {
            assertThatThrownBy(run::run).isInstanceOfSatisfying(CryptvolException.class, e -> {
                assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE.code());
                assertThat(e.getMessage()).isEqualTo("not changing anything without confirmation: add --yes to run it, "
                        + "or --dry-run to only see the plan");
            });
            assertThat(screen()).isEmpty(); // nothing asked
        } else {
            run.run();
            assertThat(screen()).isEqualTo(yes || assumeYes ? "" : "Go? [y/N] ");
        }
    }

    @Test
    void askReadsOneLineAndEscapesTheQuestion() throws Exception {
        TerminalPrompt p = prompt(InteractionMode.INTERACTIVE, "first answer\nsecond\n", new SessionMode());
        assertThat(p.interactive()).isTrue();
        assertThat(p.ask("Name \u001b]0;x\u0007: ")).isEqualTo("first answer");
        assertThat(p.ask("Again: ")).isEqualTo("second");
        assertThat(p.ask("Gone: ")).isNull();
        assertThat(screen()).doesNotContain("\u001b").doesNotContain("\u0007").contains("Name ").contains("Again: ");
    }

    @Test
    void aSecretIsReadWithoutEchoAndTheEchoComesBack() throws Exception {
        TerminalPrompt p = prompt(InteractionMode.INTERACTIVE, "hunter2 passphrase\r", new SessionMode());
        char[] secret = p.askSecret("Passphrase: ");
        assertThat(new String(secret)).isEqualTo("hunter2 passphrase");
        assertThat(screen()).isEqualTo("Passphrase: " + System.lineSeparator()).doesNotContain("hunter2");
    }

    @Test
    void echoIsOffWhileASecretIsTypedAndComesBackAfter() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Terminal> term = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.List<Boolean> echoAtRead = new java.util.concurrent.CopyOnWriteArrayList<>();
        byte[] typed = "pw\n".getBytes(StandardCharsets.UTF_8);
        java.io.InputStream keyboard = new java.io.InputStream() {
            private int i;

            @Override
            public int read() {
                echoAtRead.add(term.get().echo());
                return i < typed.length ? typed[i++] : -1;
            }
        };
        Terminal t = new DumbTerminal("t", "dumb", keyboard, screen, StandardCharsets.UTF_8);
        term.set(t);
        DefaultShellContext sc = new DefaultShellContext();
        sc.setInteractionMode(InteractionMode.INTERACTIVE);
        TerminalPrompt p = new TerminalPrompt(new StaticListableBeanFactory(Map.of("t", t)).getBeanProvider(Terminal.class),
                new StaticListableBeanFactory(Map.of("s", sc)).getBeanProvider(ShellContext.class), new SessionMode());
        boolean before = t.echo();
        assertThat(new String(p.askSecret("pw: "))).isEqualTo("pw");
        assertThat(echoAtRead).isNotEmpty().containsOnly(false);
        assertThat(t.echo()).isEqualTo(before);
    }

    @Test
    void nobodyToAnswerAQuestionOrASecret() throws Exception {
        TerminalPrompt p = prompt(InteractionMode.NONINTERACTIVE, "typed anyway\n", new SessionMode());
        assertThat(p.interactive()).isFalse();
        assertThatThrownBy(() -> p.ask("Name: ")).isInstanceOfSatisfying(CryptvolException.class,
                e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE.code()));
        assertThatThrownBy(() -> p.askSecret("Passphrase: ")).isInstanceOfSatisfying(CryptvolException.class,
                e -> assertThat(e.getMessage()).isEqualTo("nobody can answer a question here: give the value as an option"));
        assertThat(screen()).isEmpty();
    }

    @Test
    void withoutATerminalOnlyYesAnswers() {
        TerminalPrompt p = new TerminalPrompt(null, null, new SessionMode());
        assertThat(p.interactive()).isFalse();
        assertThat(p.confirm("Go?", true)).isTrue();
        assertThatThrownBy(() -> p.confirm("Go?", false)).isInstanceOf(CryptvolException.class);
    }

    /**
     * Ctrl-C at a question is "no", at once, and the interrupt goes no further: with the terminal's own handler it
     * ended the shell at its next prompt. Nothing is typed here (the input never ends), so only the signal can
     * answer.
     */
    @Test
    void ctrlCAtAQuestionIsNoAndDoesNotReachTheShell() throws Exception {
        java.io.PipedOutputStream keyboard = new java.io.PipedOutputStream();
        Terminal t = new DumbTerminal("t", "dumb", new java.io.PipedInputStream(keyboard), screen, StandardCharsets.UTF_8);
        java.util.concurrent.atomic.AtomicInteger shellSaw = new java.util.concurrent.atomic.AtomicInteger();
        t.handle(Terminal.Signal.INT, s -> shellSaw.incrementAndGet());
        DefaultShellContext sc = new DefaultShellContext();
        sc.setInteractionMode(InteractionMode.INTERACTIVE);
        TerminalPrompt p = new TerminalPrompt(new StaticListableBeanFactory(Map.of("t", t)).getBeanProvider(Terminal.class),
                new StaticListableBeanFactory(Map.of("s", sc)).getBeanProvider(ShellContext.class), new SessionMode());
        java.util.concurrent.CompletableFuture<Boolean> answer =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> p.confirm("Run it?", false));
        while (!screen().contains("Run it? [y/N]")) {
            Thread.onSpinWait();
        }
        t.raise(Terminal.Signal.INT);
        assertThat(answer.get(30, java.util.concurrent.TimeUnit.SECONDS)).isFalse();
        assertThat(p.waited()).as("the wait for an answer is counted (tool times leave it out)").isPositive();
        assertThat(shellSaw).as("the shell's own handler is back, and did not see that interrupt").hasValue(0);
        t.raise(Terminal.Signal.INT);
        assertThat(shellSaw).hasValue(1);
        keyboard.close();
    }
}

package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SshExecutorTest {
    @TempDir
    Path dir;

    TestSshServer server;
    Path identity;
    Path knownHosts;
    SshExecutor executor;

    @BeforeEach
    void start() throws Exception {
        server = new TestSshServer();
        identity = server.writeClientKey(dir);
        knownHosts = dir.resolve("known_hosts");
    }

    @AfterEach
    void stop() throws Exception {
        if (executor != null) {
            executor.close();
        }
        server.close();
    }

    private SshExecutor.Builder builder() {
        return SshExecutor.builder(System.getProperty("user.name"), "127.0.0.1")
                .port(server.port())
                .identityFile(identity)
                .knownHosts(knownHosts)
                .connectTimeout(Duration.ofSeconds(10));
    }

    /** Executor whose known_hosts already trusts the server (commands without stdin in its kept-open shell). */
    private SshExecutor trusted() throws Exception {
        return trusted(true);
    }

    /** The same, with the kept-open shell ({@code keptShell}) or an exec channel per command. */
    private SshExecutor trusted(boolean keptShell) throws Exception {
        Files.writeString(knownHosts, server.knownHostsLine(server.hostKey) + "\n");
        executor = builder().persistentShell(keptShell).build();
        return executor;
    }

    @ParameterizedTest(name = "kept-open shell: {0}")
    @ValueSource(booleans = {true, false})
    void runsCommandAndReturnsStdout(boolean keptShell) throws Exception {
        ExecResult r = trusted(keptShell).run(HostCommand.of("echo", "echo", "hello world", "it's"));
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("hello world it's\n");
        assertThat(executor.target()).isEqualTo(System.getProperty("user.name") + "@127.0.0.1:" + server.port());
        // argv travels shell-quoted, so the quote survives as one word (in the kept shell's input too)
        assertThat(server.commandLines).contains("echo 'hello world' 'it'\\''s'");
    }

    /**
     * Commands without stdin share one exec channel: a shell that evals each line. What each returns must be
     * exactly what it would on a channel of its own: output with and without a final newline, NUL bytes,
     * text that looks like the shell's markers, multi-line arguments, stderr, exit codes, end of input.
     */
    @Test
    void keptOpenShellRunsManyCommandsOnOneChannelWithExactResults() throws Exception {
        SshExecutor ex = trusted(true);
        List<HostCommand> commands = List.of(
                HostCommand.of("no newline", "printf", "abc"),
                HostCommand.of("nothing", "true"),
                HostCommand.of("nul", "printf", "a\\000b\\n"),
                HostCommand.of("lookalike", "printf", "\\n@@cvsh 1 0\\n"),
                HostCommand.of("lines", "sh", "-c", "echo one\necho two >&2\nexit 4"),
                HostCommand.of("stdin", "cat"),
                HostCommand.of("quote", "echo", "it's", "$HOME", "a  b"),
                HostCommand.of("not found", "cryptvol-no-such-command"));
        List<ExecResult> kept = new ArrayList<>();
        for (HostCommand c : commands) {
            kept.add(ex.run(c.withTimeout(Duration.ofSeconds(10))));
        }
        assertThat(server.channelLines).as("id -u, then one shell for all").hasSize(2);
        assertThat(server.channelLines.get(1)).startsWith("sh -c ");
        assertThat(server.commandLines).hasSize(1 + commands.size()).element(5).isEqualTo("sh -c 'echo one\necho two >&2\nexit 4'");
        SshExecutor perChannel = builder().persistentShell(false).build();
        try {
            for (int i = 0; i < commands.size(); i++) {
                ExecResult own = perChannel.run(commands.get(i).withTimeout(Duration.ofSeconds(10)));
                assertThat(kept.get(i).exitCode()).as(commands.get(i).description()).isEqualTo(own.exitCode());
                assertThat(kept.get(i).stdout()).as(commands.get(i).description()).isEqualTo(own.stdout());
                if (i == 7) { // the shell's message names its own script line: compare the gist
                    assertThat(kept.get(i).err()).contains("cryptvol-no-such-command", "not found");
                    assertThat(own.err()).contains("cryptvol-no-such-command", "not found");
                } else {
                    assertThat(kept.get(i).err()).as(commands.get(i).description()).isEqualTo(own.err());
                }
            }
        } finally {
            perChannel.close();
        }
        assertThat(kept.get(0).out()).isEqualTo("abc");
        assertThat(kept.get(2).stdout()).containsExactly('a', 0, 'b', '\n');
        assertThat(kept.get(4).out()).isEqualTo("one\n");
        assertThat(kept.get(4).err()).isEqualTo("two\n");
        assertThat(kept.get(4).exitCode()).isEqualTo(4);
        assertThat(kept.get(7).exitCode()).isEqualTo(127);
        // a command with stdin (key bytes) never goes through the shell's request stream
        byte[] secret = "not-a-real-key".getBytes(StandardCharsets.UTF_8);
        int before = server.channelLines.size();
        assertThat(ex.run(HostCommand.of("hash", "sha256sum").withSecretStdin(secret)).exitCode()).isZero();
        assertThat(server.channelLines).hasSize(before + 1).last().isEqualTo("sha256sum");
        // a shell builtin with effects on the shell itself gets a channel of its own too
        assertThat(ex.run(HostCommand.of("exit", "exit", "5")).exitCode()).isEqualTo(5);
        assertThat(ex.run(HostCommand.of("echo", "echo", "alive")).out()).isEqualTo("alive\n");
        assertThat(server.channelLines).hasSize(before + 2).last().isEqualTo("exit 5");
    }

    @Test
    void aSecondCallerWhileTheShellIsBusyGetsAChannelOfItsOwn() throws Exception {
        SshExecutor ex = trusted(true);
        ex.run(HostCommand.of("warm", "true"));
        // the slow command reads a FIFO: it runs until this test writes to it, however slow the machine is
        Path fifo = dir.resolve("hold.fifo");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        CompletableFuture<ExecResult> slow = CompletableFuture.supplyAsync(
                () -> ex.run(HostCommand.of("hold", "cat", fifo.toString())));
        await("the slow command runs", () -> stillRunning("cat " + fifo));
        CompletableFuture<ExecResult> poll = CompletableFuture.supplyAsync(() -> ex.run(HostCommand.of("poll", "echo", "poll")));
        assertThat(poll.get(30, TimeUnit.SECONDS).out()).as("not queued behind the held command").isEqualTo("poll\n");
        assertThat(slow).as("the held command still runs").isNotDone();
        assertThat(server.channelLines).contains("echo poll");
        Files.writeString(fifo, "released\n");
        ExecResult held = slow.get(30, TimeUnit.SECONDS);
        assertThat(held.exitCode()).isZero();
        assertThat(held.out()).isEqualTo("released\n");
    }

    /** A held command over a real SSH channel: it waits for our line, answers, and ends with its own exit code. */
    @Test
    void conversationTalksToARunningCommandAndItsEndOfInputReachesTheHost() throws Exception {
        HostCommand c = HostCommand.of("talk", "sh", "-c", "echo ready; read -r x; echo \"got $x\"; echo oops >&2; exit 3");
        try (Conversation talk = trusted().converse(c)) {
            assertThat(talk.readLine(Duration.ofSeconds(10))).isEqualTo("ready");
            assertThat(talk.readLine(Duration.ofMillis(300))).as("nothing more until it is told").isNull();
            talk.send("go on");
            assertThat(talk.readLine(Duration.ofSeconds(10))).isEqualTo("got go on");
            ExecResult r = talk.finish(Duration.ofSeconds(10));
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.err()).isEqualTo("oops\n");
            assertThat(talk.readLine(Duration.ofSeconds(1))).isNull();
        }
        // closing without a line: the command reads the end of its input and finishes by itself
        HostCommand wait = HostCommand.of("wait", "sh", "-c", "read -r x || echo eof; exit 0");
        Conversation silent = executor.converse(wait);
        ExecResult r = silent.finish(Duration.ofSeconds(10));
        assertThat(r.exitCode()).isZero();
        assertThat(silent.readLine(Duration.ofSeconds(5))).isEqualTo("eof");
        // the same SSH connection serves plain commands afterwards
        assertThat(executor.run(HostCommand.of("echo", "echo", "still here")).out()).isEqualTo("still here\n");
        assertThat(executor.sessionsOpened()).isEqualTo(1);
    }

    @Test
    void passesStdinBytesExactly() throws Exception {
        byte[] secret = new byte[4096];
        new SecureRandom().nextBytes(secret);
        ExecResult r = trusted().run(HostCommand.of("hash", "sha256sum").withSecretStdin(secret));
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret));
        assertThat(r.out()).startsWith(expected + " ");
    }

    @ParameterizedTest(name = "kept-open shell: {0}")
    @ValueSource(booleans = {true, false})
    void commandsWithoutStdinSeeEndOfInput(boolean keptShell) throws Exception {
        ExecResult r = trusted(keptShell).run(HostCommand.of("cat", "cat").withTimeout(Duration.ofSeconds(5)));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEmpty();
    }

    @ParameterizedTest(name = "kept-open shell: {0}")
    @ValueSource(booleans = {true, false})
    void reportsNonZeroExitCodeAndStderr(boolean keptShell) throws Exception {
        ExecResult r = trusted(keptShell).run(HostCommand.of("fail", "sh", "-c", "echo oops >&2; exit 3"));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("oops\n");
    }

    @ParameterizedTest(name = "kept-open shell: {0}")
    @ValueSource(booleans = {true, false})
    void timesOutNamingTheCommandAndTheTimeout(boolean keptShell) throws Exception {
        SshExecutor ex = trusted(keptShell);
        ex.connect();
        ex.run(HostCommand.of("warm", "true"));
        String nap = keptShell ? "7.3" : "7.4"; // a pattern of its own, to find the process
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ex.run(HostCommand.of("nap", "sleep", nap).withTimeout(Duration.ofMillis(500))))
                .isInstanceOf(HostExecutionException.class)
                .hasMessageContaining("timed out after 500ms")
                .hasMessageContaining("sleep " + nap);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
        if (keptShell) {
            // the overrunning command (the kept shell's child) was told to stop; on a channel of its own, the
            // TERM signal request is the server's to deliver (OpenSSH does; this test server does not)
            await("sleep " + nap + " stopped", () -> !stillRunning("sleep " + nap));
        }
        // the connection is still usable
        assertThat(ex.run(HostCommand.of("echo", "echo", "after")).out()).isEqualTo("after\n");
        assertThat(ex.sessionsOpened()).isEqualTo(1);
    }

    @Test
    void refusesUnknownHostKeyWithFingerprintAndRunsNothing() throws Exception {
        Files.writeString(knownHosts, "");
        executor = builder().build();
        Path marker = dir.resolve("marker");
        assertThatThrownBy(() -> executor.run(HostCommand.of("touch", "touch", marker.toString())))
                .isInstanceOf(HostExecutionException.class)
                .hasMessageContaining("unknown host key")
                .hasMessageContaining(server.hostKeyFingerprint())
                .hasMessageContaining(server.hostKeyFingerprint().substring(0, 7)); // "SHA256:"
        assertThat(server.hostKeyFingerprint()).startsWith("SHA256:");
        assertThat(server.commandLines).isEmpty();
        assertThat(marker).doesNotExist();
        assertThat(Files.readString(knownHosts)).isEmpty();
        assertThat(executor.sessionsOpened()).isZero();
    }

    @Test
    void refusesUnknownHostKeyWhenKnownHostsIsMissing() {
        executor = builder().knownHosts(dir.resolve("none/known_hosts")).build();
        assertThatThrownBy(() -> executor.connect())
                .hasMessageContaining("unknown host key")
                .hasMessageContaining(server.hostKeyFingerprint());
        assertThat(dir.resolve("none")).doesNotExist();
    }

    @Test
    void refusesWhenAnAcceptedKeyCannotBeRemembered() throws Exception {
        Path notAFile = Files.createDirectory(dir.resolve("kh-dir"));
        executor = builder().knownHosts(notAFile).hostKeyPolicy(SshExecutor.HostKeyPolicy.ACCEPT_AND_REMEMBER).build();
        assertThatThrownBy(() -> executor.connect())
                .isInstanceOf(HostExecutionException.class)
                .hasMessageStartingWith("could not add the host key " + server.hostKeyFingerprint())
                .hasMessageContaining(notAFile.toString());
        assertThat(executor.sessionsOpened()).isZero();
        assertThat(executor.rememberedHostKey()).isNull();
        assertThat(server.commandLines).isEmpty();
    }

    @Test
    void acceptsUnknownHostKeyOnlyWithExplicitPolicyAndRemembersIt() throws Exception {
        Path kh = dir.resolve("ssh/known_hosts"); // directory does not exist yet
        executor = builder().knownHosts(kh).hostKeyPolicy(SshExecutor.HostKeyPolicy.ACCEPT_AND_REMEMBER).build();
        assertThat(executor.run(HostCommand.of("echo", "echo", "hi")).out()).isEqualTo("hi\n");
        assertThat(executor.rememberedHostKey()).isEqualTo(server.hostKeyFingerprint());
        String line = Files.readString(kh).trim();
        assertThat(line).startsWith("[127.0.0.1]:" + server.port() + " ecdsa-sha2-nistp256 ");
        executor.close();

        // a strict executor now trusts it
        executor = builder().knownHosts(kh).build();
        assertThat(executor.run(HostCommand.of("echo", "echo", "again")).out()).isEqualTo("again\n");
        assertThat(executor.rememberedHostKey()).isNull();
    }

    @Test
    void sessionPolicyTrustsANewKeyInMemoryOnlyAcrossReconnectionsAndNeverWritesKnownHosts() throws Exception {
        Path kh = dir.resolve("ssh/known_hosts");
        executor = builder().knownHosts(kh).hostKeyPolicy(SshExecutor.HostKeyPolicy.ACCEPT_FOR_SESSION).build();
        assertThat(executor.run(HostCommand.of("echo", "echo", "hi")).out()).isEqualTo("hi\n");
        assertThat(executor.sessionHostKey()).isEqualTo(server.hostKeyFingerprint());
        assertThat(executor.rememberedHostKey()).isNull();
        server.dropConnections();
        // the client learns of the drop asynchronously; a command sent before that is "lost" (rightly not retried)
        await("the client sees the drop", () -> !executor.sessionOpen());
        assertThat(executor.run(HostCommand.of("echo", "echo", "again")).out()).isEqualTo("again\n");
        assertThat(executor.sessionsOpened()).isEqualTo(2);
        assertThat(dir.resolve("ssh")).doesNotExist();
        executor.close();

        // nothing was remembered: a strict executor still refuses the key
        executor = builder().knownHosts(kh).build();
        assertThatThrownBy(() -> executor.connect()).hasMessageContaining("unknown host key");
    }

    @Test
    void sessionPolicyStillRefusesAChangedHostKey() throws Exception {
        KeyPair other = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        String oldLine = server.knownHostsLine(other);
        Files.writeString(knownHosts, oldLine + "\n");
        executor = builder().hostKeyPolicy(SshExecutor.HostKeyPolicy.ACCEPT_FOR_SESSION).build();
        assertThatThrownBy(() -> executor.connect()).hasMessageContaining("HOST KEY CHANGED");
        assertThat(executor.sessionHostKey()).isNull();
        assertThat(Files.readString(knownHosts)).isEqualTo(oldLine + "\n");
    }

    @Test
    void refusesChangedHostKeyEvenWithAcceptPolicy() throws Exception {
        KeyPair other = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        String oldLine = server.knownHostsLine(other);
        Files.writeString(knownHosts, oldLine + "\n");
        executor = builder().hostKeyPolicy(SshExecutor.HostKeyPolicy.ACCEPT_AND_REMEMBER).build();
        assertThatThrownBy(() -> executor.run(HostCommand.of("echo", "echo", "x")))
                .isInstanceOf(HostExecutionException.class)
                .hasMessageContaining("HOST KEY CHANGED")
                .hasMessageContaining(KeyUtils.getFingerPrint(other.getPublic()))
                .hasMessageContaining(server.hostKeyFingerprint());
        assertThat(server.commandLines).isEmpty();
        assertThat(Files.readString(knownHosts)).isEqualTo(oldLine + "\n");
    }

    @ParameterizedTest(name = "kept-open shell: {0}")
    @ValueSource(booleans = {true, false})
    void reusesOneConnectionForManyCommands(boolean keptShell) throws Exception {
        SshExecutor ex = trusted(keptShell);
        for (int i = 0; i < 20; i++) {
            assertThat(ex.run(HostCommand.of("echo", "echo", "n" + i)).out()).isEqualTo("n" + i + "\n");
        }
        assertThat(ex.sessionsOpened()).isEqualTo(1);
        assertThat(server.sessionsCreated.get()).isEqualTo(1);
        // the one-time `id -u`, then 20 channels, or one shell
        assertThat(server.channelLines).hasSize(keptShell ? 2 : 21).filteredOn("id -u"::equals).hasSize(1);
        assertThat(server.commandLines).hasSize(21);
    }

    @ParameterizedTest(name = "kept-open shell: {0}")
    @ValueSource(booleans = {true, false})
    void lostConnectionFailsTheRunningCommandAndTheNextOneReconnects(boolean keptShell) throws Exception {
        SshExecutor ex = trusted(keptShell);
        ex.connect();
        // long enough never to end by itself during the test, however slow the machine; stopped at the end
        String nap = keptShell ? "600.5" : "600.6";
        CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(
                () -> ex.run(HostCommand.of("nap", "sleep", nap)));
        try {
            await("sleep " + nap + " runs", () -> stillRunning("sleep " + nap));
            server.dropConnections();
            assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(HostExecutionException.class)
                    .cause()
                    .hasMessageContaining("connection to " + ex.target() + " lost while running: sleep " + nap)
                    .hasMessageContaining("may or may not have completed");
        } finally {
            ProcessHandle.allProcesses().filter(p -> p.info().commandLine().map(l -> l.endsWith("sleep " + nap)).orElse(false))
                    .forEach(ProcessHandle::destroy);
        }
        assertThat(ex.run(HostCommand.of("echo", "echo", "back")).out()).isEqualTo("back\n");
        assertThat(ex.sessionsOpened()).isEqualTo(2);
    }

    @Test
    void privilegedCommandsGetSudoWhenRemoteUserIsNotRoot() throws Exception {
        server.fakeUid = "1000";
        SshExecutor ex = trusted(false); // the test server fakes sudo by the exec line
        ExecResult r = ex.run(HostCommand.of("plain", "echo", "x").unprivileged());
        assertThat(r.out()).isEqualTo("x\n");
        assertThat(ex.remoteRoot()).isFalse();
        server.sudoNeedsPassword = true;
        assertThatThrownBy(() -> ex.run(HostCommand.of("pv", "pvcreate", "/dev/nvme1n1")))
                .isInstanceOf(HostExecutionException.class)
                .hasMessage("sudo needs a password on " + ex.target() + "; run cryptvol as root or allow passwordless"
                        + " sudo for " + System.getProperty("user.name") + " (needed for: pvcreate)");
        assertThat(server.commandLines).containsSubsequence("id -u", "echo x", "sudo -n pvcreate /dev/nvme1n1");
    }

    @Test
    void privilegedCommandsRunWithoutSudoWhenRemoteUserIsRoot() throws Exception {
        server.fakeUid = "0";
        SshExecutor ex = trusted(false);
        ex.run(HostCommand.of("pv", "echo", "pvcreate"));
        assertThat(server.commandLines).containsExactly("id -u", "echo pvcreate");
    }

    @Test
    void explainsAWrongIdentity() throws Exception {
        KeyPair stranger = KeyUtils.generateKeyPair(KeyPairProvider.ECDSA_SHA2_NISTP256, 256);
        Path strangerFile = dir.resolve("stranger");
        try (var out = Files.newOutputStream(strangerFile)) {
            org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter.INSTANCE
                    .writePrivateKey(stranger, "x", null, out);
        }
        Files.writeString(knownHosts, server.knownHostsLine(server.hostKey) + "\n");
        executor = builder().identityFile(strangerFile).build();
        assertThatThrownBy(() -> executor.connect())
                .isInstanceOf(HostExecutionException.class)
                .hasMessageStartingWith("cannot log in to " + executor.target() + " with key stranger");
        assertThat(server.commandLines).isEmpty();
    }

    @Test
    void explainsAnUnreadableIdentity() throws Exception {
        Path junk = dir.resolve("junk");
        Files.write(junk, "not a key".getBytes(StandardCharsets.UTF_8));
        executor = builder().identityFile(junk).build();
        assertThatThrownBy(() -> executor.connect()).isInstanceOf(HostExecutionException.class)
                .hasMessageContaining(junk.toString());
    }

    /**
     * Waits until {@code cond} holds, checking it every few milliseconds; fails naming {@code what} when it has not
     * held after 30 s (a condition, not a guess at how fast the machine is).
     */
    static void await(String what, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 30 s in vain: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Whether a process with this command line runs on this machine (the test server runs commands here). */
    private static boolean stillRunning(String commandLine) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().map(l -> l.endsWith(commandLine)).orElse(false));
    }

    @Test
    void closedExecutorRefusesToRun() throws Exception {
        SshExecutor ex = trusted();
        ex.run(HostCommand.of("echo", List.of("true")));
        ex.close();
        assertThatThrownBy(() -> ex.run(HostCommand.of("echo", List.of("true"))))
                .hasMessageContaining("closed");
    }
}

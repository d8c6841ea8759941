package io.cryptvol.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
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

    /** Executor whose known_hosts already trusts the server. */
    private SshExecutor trusted() throws Exception {
        Files.writeString(knownHosts, server.knownHostsLine(server.hostKey) + "\n");
        executor = builder().build();
        return executor;
    }

    @Test
    void runsCommandAndReturnsStdout() throws Exception {
        ExecResult r = trusted().run(HostCommand.of("echo", "echo", "hello world", "it's"));
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("hello world it's\n");
        assertThat(executor.target()).isEqualTo(System.getProperty("user.name") + "@127.0.0.1:" + server.port());
        // argv travels shell-quoted, so the quote survives as one word
        assertThat(server.commandLines).contains("echo 'hello world' 'it'\\''s'");
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

    @Test
    void commandsWithoutStdinSeeEndOfInput() throws Exception {
        ExecResult r = trusted().run(HostCommand.of("cat", "cat").withTimeout(Duration.ofSeconds(5)));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void reportsNonZeroExitCodeAndStderr() throws Exception {
        ExecResult r = trusted().run(HostCommand.of("fail", "sh", "-c", "echo oops >&2; exit 3"));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("oops\n");
    }

    @Test
    void timesOutNamingTheCommandAndTheTimeout() throws Exception {
        SshExecutor ex = trusted();
        ex.connect();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ex.run(HostCommand.of("nap", "sleep", "5").withTimeout(Duration.ofMillis(500))))
                .isInstanceOf(HostExecutionException.class)
                .hasMessageContaining("timed out after 500ms")
                .hasMessageContaining("sleep 5");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
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

    @Test
    void reusesOneConnectionForManyCommands() throws Exception {
        SshExecutor ex = trusted();
        for (int i = 0; i < 20; i++) {
            assertThat(ex.run(HostCommand.of("echo", "echo", "n" + i)).out()).isEqualTo("n" + i + "\n");
        }
        assertThat(ex.sessionsOpened()).isEqualTo(1);
        assertThat(server.sessionsCreated.get()).isEqualTo(1);
        // 20 commands plus the one-time `id -u`
        assertThat(server.commandLines).hasSize(21).filteredOn("id -u"::equals).hasSize(1);
    }

    @Test
    void lostConnectionFailsTheRunningCommandAndTheNextOneReconnects() throws Exception {
        SshExecutor ex = trusted();
        ex.connect();
        CompletableFuture<ExecResult> running = CompletableFuture.supplyAsync(
                () -> ex.run(HostCommand.of("nap", "sleep", "5")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!server.commandLines.contains("sleep 5") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        server.dropConnections();
        assertThatThrownBy(() -> running.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(HostExecutionException.class)
                .cause()
                .hasMessageContaining("connection to " + ex.target() + " lost while running: sleep 5")
                .hasMessageContaining("may or may not have completed");
        assertThat(ex.run(HostCommand.of("echo", "echo", "back")).out()).isEqualTo("back\n");
        assertThat(ex.sessionsOpened()).isEqualTo(2);
    }

    @Test
    void privilegedCommandsGetSudoWhenRemoteUserIsNotRoot() throws Exception {
        server.fakeUid = "1000";
        SshExecutor ex = trusted();
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
        SshExecutor ex = trusted();
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

    @Test
    void closedExecutorRefusesToRun() throws Exception {
        SshExecutor ex = trusted();
        ex.run(HostCommand.of("echo", List.of("true")));
        ex.close();
        assertThatThrownBy(() -> ex.run(HostCommand.of("echo", List.of("true"))))
                .hasMessageContaining("closed");
    }
}

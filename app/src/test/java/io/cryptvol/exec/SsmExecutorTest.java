package io.cryptvol.exec;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsClients;
import io.cryptvol.aws.AwsSettings;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.keys.LeakScan;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ssm.LocalAgent;
import io.cryptvol.sandbox.ssm.SandboxSsmService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InvocationDoesNotExistException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SsmExecutor} through the real SDK {@code SsmClient} against the sandbox's SSM service on its HTTP endpoint
 * (JSON 1.1, SigV4 scope "ssm"); the instance's agent runs the scripts on this machine ({@link LocalAgent}): the
 * protocol path is SSM's, only the place the script runs differs from the VM test.
 */
class SsmExecutorTest {
    static final String INSTANCE = "i-0123456789abcdef0";
    @TempDir
    static Path dir;
    static SandboxEc2Server server;
    static SandboxSsmService ssm;
    static AwsClients clients;
    static SsmExecutor ex;

    @BeforeAll
    static void start() {
        server = SandboxEc2Server.builder().dataDir(dir.resolve("ec2")).build().start();
        ssm = new SandboxSsmService(dir.resolve("ssm"));
        server.addService(ssm.manage(INSTANCE, "us-east-1", new LocalAgent(dir.resolve("orchestration"))));
        clients = new AwsClients(AwsSettings.resolve(null, "us-east-1", server.endpoint().toString(), true, Map.of()));
        ex = SsmExecutor.open(clients, INSTANCE);
    }

    @AfterAll
    static void stop() {
        ex.close();
        clients.close();
        server.close();
    }

    @BeforeEach
    void reset() {
        ssm.invisibleFor(Duration.ofMillis(300)).throttleNext(0).pingStatus(INSTANCE, "Online");
    }

    static ExecResult run(String... argv) {
        return ex.run(HostCommand.query("test", argv));
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> commands() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(List.of("echo", "hello"), 0, "hello\n", ""),
                org.junit.jupiter.params.provider.Arguments.of(List.of("sh", "-c", "echo out; echo err >&2; exit 3"), 3, "out\n", "err\n"),
                // 194 would make the real agent reboot the instance: the code comes back, the agent never sees it
                org.junit.jupiter.params.provider.Arguments.of(List.of("sh", "-c", "echo x >&2; exit 194"), 194, "", "x\n"),
                org.junit.jupiter.params.provider.Arguments.of(List.of("sh", "-c", "cat"), 0, "", ""),
                org.junit.jupiter.params.provider.Arguments.of(List.of("printf", "%s", "héllo ✓"), 0, "héllo ✓", ""));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("commands")
    void exitCodesAndOutputsComeBackAsTheCommandGaveThem(List<String> argv, int code, String out, String err) {
        ExecResult r = ex.run(HostCommand.query("t", argv));
        assertThat(r.exitCode()).as(argv.toString()).isEqualTo(code);
        assertThat(r.out()).as(argv.toString()).isEqualTo(out);
        assertThat(r.err()).as(argv.toString()).isEqualTo(err);
    }

    @Test
    void aMissingProgramIsExit127AsAShellGivesIt() {
        ExecResult r = run("no-such-program-here");
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.err()).contains("not found");
    }

    @Test
    void argumentsWithShellCharactersAreNotEvaluated() {
        ExecResult r = run("printf", "%s\n", "$(touch " + dir.resolve("pwned") + ")", "a'b", "`id`");
        assertThat(r.out()).isEqualTo("$(touch " + dir.resolve("pwned") + ")\na'b\n`id`\n");
        assertThat(dir.resolve("pwned")).doesNotExist();
    }

    @Test
    void outputBeyondSsmsLimitsIsFetchedInChunksWhole() throws Exception {
        // 100,000 bytes of stdout and 20,000 of stderr that do not compress much: SSM would show 24,000 and 8,000
        Path out = Files.write(dir.resolve("big.out"), randomText(100_000));
        Path err = Files.write(dir.resolve("big.err"), randomText(20_000));
        int before = ssm.commandCount();
        ExecResult r = run("sh", "-c", "cat \"$1\"; cat \"$2\" >&2; exit 5", "sh", out.toString(), err.toString());
        assertThat(r.exitCode()).isEqualTo(5);
        assertThat(r.stdout()).isEqualTo(Files.readAllBytes(out));
        assertThat(r.stderr()).isEqualTo(Files.readAllBytes(err));
        assertThat(ssm.commandCount() - before).as("1 run, then chunks of 18,000 compressed bytes").isGreaterThanOrEqualTo(1 + 4 + 1);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void outputThatCompressesComesBackInFewChunks() {
        // a LUKS2 header backup is 16 MiB, mostly zeros: gzip on the instance makes it a few chunks
        int before = ssm.commandCount();
        ExecResult r = run("sh", "-c", "head -c 4000000 /dev/zero; head -c 20000 /dev/zero | tr '\\0' b >&2");
        assertThat(r.stdout()).hasSize(4_000_000).containsOnly((byte) 0);
        assertThat(r.stderr()).hasSize(20_000).containsOnly((byte) 'b');
        assertThat(ssm.commandCount() - before).as("1 run + 1 stdout chunk + 1 stderr chunk").isEqualTo(3);
        assertThat(leftovers()).isEmpty();
    }

    static byte[] randomText(int n) {
        byte[] raw = new byte[n];
        new SecureRandom().nextBytes(raw);
        return java.util.Arrays.copyOf(java.util.Base64.getEncoder().encode(raw), n);
    }

    @Test
    void nonSecretStdinTravelsAsBase64() {
        byte[] in = "line one\n$(not run)\n".getBytes(StandardCharsets.UTF_8);
        ExecResult r = ex.run(HostCommand.query("cat", "cat").withStdin(in));
        assertThat(r.stdout()).isEqualTo(in);
    }

    @Test
    void keyBytesReachTheCommandOnStdinAndNeverAppearInWhatSsmKept() throws Exception {
        byte[] key = new byte[4096];
        new SecureRandom().nextBytes(key);
        ExecResult r = ex.run(HostCommand.query("digest", "sha256sum").withSecretStdin(key));
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key)));
        assertThat(leftovers()).as("the one-time key pair and the key file are shredded").isEmpty();
        Path history = dir.resolve("ssm/history.json");
        assertThat(Files.readString(history)).contains("openssl pkeyutl -decrypt").contains("BEGIN PUBLIC KEY");
        List<Path> scanned;
        try (Stream<Path> s = Files.walk(dir)) {
            scanned = s.filter(Files::isRegularFile).toList();
        }
        Path h = dir.resolve("history-dump.json");
        Files.writeString(h, ssm.history());
        LeakScan.assertNoLeak(List.of(key), Stream.concat(scanned.stream(), Stream.of(h)).toList());
    }

    @Test
    void aFailingCommandWithKeyBytesStillShredsThem() throws Exception {
        byte[] key = new byte[64];
        new SecureRandom().nextBytes(key);
        ExecResult r = ex.run(HostCommand.query("fails", "sh", "-c", "cat >/dev/null; exit 2").withSecretStdin(key));
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void invocationDoesNotExistRightAfterSendCommandIsWaitedOut() {
        ssm.invisibleFor(Duration.ofSeconds(4)); // long enough that a loaded machine still polls inside it
        int before = ex.counts().get("notYet");
        assertThat(run("echo", "late").out()).isEqualTo("late\n");
        assertThat(ex.counts().get("notYet")).isGreaterThan(before);
    }

    @Test
    void theSandboxAnswersInvocationDoesNotExistAsSsmDoes() {
        ssm.invisibleFor(Duration.ofSeconds(30));
        try (SsmClient c = clients.configure(SsmClient.builder(), null).build()) {
            String id = c.sendCommand(b -> b.instanceIds(INSTANCE).documentName("AWS-RunShellScript")
                    .parameters(Map.of("commands", List.of("true")))).command().commandId();
            assertThatThrownBy(() -> c.getCommandInvocation(b -> b.commandId(id).instanceId(INSTANCE)))
                    .isInstanceOf(InvocationDoesNotExistException.class);
        }
    }

    @Test
    void throttlingIsRetriedWithBackoff() {
        ssm.throttleNext(6);
        int before = ex.counts().get("throttled");
        assertThat(run("echo", "ok").out()).isEqualTo("ok\n");
        assertThat(ssm.calls()).containsKey("SendCommand");
        assertThat(ex.counts().get("throttled") - before).as("beyond the SDK's own retries").isPositive();
    }

    @Test
    void backoffGrowsToItsCapWithJitter() {
        for (int attempt = 0; attempt < 20; attempt++) {
            Duration d = ex.backoff(attempt);
            double ceiling = Math.min(2000, 150 * Math.pow(1.6, attempt));
            assertThat(d.toMillis()).isBetween((long) (ceiling / 2) - 1, (long) ceiling + 1);
        }
    }

    @Test
    void anInstanceThatIsNotManagedIsOneLine() {
        assertThatThrownBy(() -> SsmExecutor.open(clients, "i-0fedcba9876543210"))
                .isInstanceOf(CryptvolException.class)
                .hasMessage("i-0fedcba9876543210 is not a managed instance: Systems Manager has no agent registered for it"
                        + " in this region (the SSM agent must run there and its instance profile allow Systems Manager)");
    }

    @Test
    void anAgentThatIsNotOnlineIsOneLine() {
        ssm.pingStatus(INSTANCE, "ConnectionLost");
        assertThatThrownBy(() -> SsmExecutor.open(clients, INSTANCE))
                .isInstanceOf(CryptvolException.class)
                .hasMessageStartingWith("the SSM agent of " + INSTANCE + " is ConnectionLost (last ping ")
                .hasMessageEndingWith("not Online: Run Command cannot reach it")
                .message().doesNotContain("\n");
        assertThatThrownBy(() -> run("true")).isInstanceOf(CryptvolException.class)
                .hasMessageContaining("is not a managed instance");
    }

    @Test
    void historyKeepsCommandsAndInvocationsForListCalls() {
        run("echo", "history");
        try (SsmClient c = clients.configure(SsmClient.builder(), null).build()) {
            assertThat(c.listCommands(b -> b.instanceId(INSTANCE)).commands()).isNotEmpty();
            var invs = c.listCommandInvocations(b -> b.instanceId(INSTANCE).details(true)).commandInvocations();
            assertThat(invs).isNotEmpty();
            assertThat(invs.get(0).commandPlugins().get(0).name()).isEqualTo("aws:runShellScript");
        }
    }

    /**
     * Directories the executor made on this machine's tmpfs and did not remove. Other processes on a shared machine
     * (another checkout's tests) make such directories too, for the length of one invocation: one seen is looked at
     * again for up to 5 s, and counts only when it stays.
     */
    static List<Path> leftovers() {
        long until = System.nanoTime() + 5_000_000_000L;
        List<Path> seen = tmpfsDirs();
        while (!seen.isEmpty() && System.nanoTime() < until) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            List<Path> now = tmpfsDirs();
            seen = seen.stream().filter(now::contains).toList();
        }
        return seen;
    }

    private static List<Path> tmpfsDirs() {
        try (Stream<Path> s = Stream.of(Path.of("/run"), Path.of("/dev/shm")).filter(Files::isDirectory)
                .flatMap(d -> {
                    try {
                        return Files.list(d).toList().stream();
                    } catch (java.io.IOException e) {
                        return Stream.empty();
                    }
                })) {
            return s.filter(p -> p.getFileName().toString().startsWith("cryptvol-ssm.")).toList();
        }
    }
}

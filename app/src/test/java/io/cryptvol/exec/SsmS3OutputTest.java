package io.cryptvol.exec;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsClients;
import io.cryptvol.aws.AwsSettings;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.keys.LeakScan;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.s3.SandboxS3Service;
import io.cryptvol.sandbox.ssm.LocalAgent;
import io.cryptvol.sandbox.ssm.SandboxSsmService;
import io.cryptvol.session.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.ssm.SsmClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SsmExecutor} with S3 output (SendCommand's OutputS3BucketName / OutputS3KeyPrefix): the real SDK
 * {@code SsmClient} and {@code S3Client} against the sandbox's SSM and S3 on one endpoint; the agent runs the scripts
 * on this machine ({@link LocalAgent}) and uploads outputs to the sandbox's S3 as the real agent does.
 */
class SsmS3OutputTest {
    static final String INSTANCE = "i-0aaaaaaaaaaaaaaa1";
    static final String PLACE = "s3://" + SandboxS3Service.SANDBOX_BUCKET + "/ssm/out/";
    @TempDir
    static Path dir;
    static SandboxEc2Server server;
    static SandboxSsmService ssm;
    static SandboxS3Service s3;
    static AwsClients clients;
    static SsmExecutor ex;

    @BeforeAll
    static void start() {
        server = SandboxEc2Server.builder().dataDir(dir.resolve("ec2")).build().start();
        s3 = SandboxS3Service.forSandbox(dir.resolve("s3"), "us-east-1");
        ssm = new SandboxSsmService(dir.resolve("ssm")).outputsTo(s3::putAsInstance);
        server.addService(s3);
        server.addService(ssm.manage(INSTANCE, "us-east-1", new LocalAgent(dir.resolve("orchestration"))));
        clients = new AwsClients(AwsSettings.resolve(null, "us-east-1", server.endpoint().toString(), true, Map.of()));
        ex = SsmExecutor.open(clients, INSTANCE, PLACE);
    }

    @AfterAll
    static void stop() {
        ex.close();
        clients.close();
        server.close();
    }

    @AfterEach
    void allow() {
        s3.allow("PutObject");
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    static Stream<Arguments> outputs() {
        return Stream.of(
                // stdout bytes, stderr bytes, exit code, invocations that fetch from S3 (0: inline)
                Arguments.of(random(0), random(0), 0, "fits: inline"),
                Arguments.of("small\n".getBytes(), "warn\n".getBytes(), 3, "fits: inline, exit code"),
                Arguments.of(random(16_000 * 3 / 4), random(10), 0, "just fits (base64 of 12,000 bytes is 16,000)"),
                Arguments.of(random(300_000), random(0), 0, "300 KB of stdout, no stderr object"),
                Arguments.of(random(10), random(40_000), 2, "large stderr, small stdout"),
                Arguments.of(random(2_000_000), random(9_000), 194, "both large; 194 that would reboot the agent"));
    }

    @ParameterizedTest(name = "{3}")
    @MethodSource("outputs")
    void outputComesBackWholeInOneInvocation(byte[] out, byte[] err, int code, String why) throws Exception {
        // the command prints base64 of the bytes: a text output of a known size (the agent keeps output as text)
        Path o = Files.write(dir.resolve("o"), java.util.Base64.getEncoder().encode(out));
        Path e = Files.write(dir.resolve("e"), java.util.Base64.getEncoder().encode(err));
        int before = ssm.commandCount();
        ExecResult r = ex.run(HostCommand.query("t", "sh", "-c", "cat \"$1\"; cat \"$2\" >&2; exit " + code, "sh",
                o.toString(), e.toString()));
        assertThat(r.exitCode()).as(why).isEqualTo(code);
        assertThat(r.stdout()).as(why).isEqualTo(Files.readAllBytes(o));
        assertThat(r.stderr()).as(why).isEqualTo(Files.readAllBytes(e));
        assertThat(ssm.commandCount() - before).as("one invocation, no chunk reads: " + why).isEqualTo(1);
        assertThat(SsmExecutorTest.leftovers()).as("nothing left on the instance's tmpfs").isEmpty();
    }

    @Test
    void theAgentWritesWhereSsmDocumentsItAndGetCommandInvocationGivesTheUrl() {
        ex.run(HostCommand.query("t", "sh", "-c", "echo out; echo err >&2"));
        List<String> keys = s3.keys(SandboxS3Service.SANDBOX_BUCKET).stream().filter(k -> k.startsWith("ssm/out/")).toList();
        assertThat(keys).isNotEmpty().allMatch(k -> k.matches(
                "ssm/out/[0-9a-f-]{36}/" + INSTANCE + "/awsrunShellScript/0\\.awsrunShellScript/std(out|err)"));
        String last = keys.get(keys.size() - 1);
        String commandId = last.split("/")[2];
        try (SsmClient c = clients.configure(SsmClient.builder(), null).build()) {
            var inv = c.getCommandInvocation(b -> b.commandId(commandId).instanceId(INSTANCE));
            assertThat(inv.standardOutputUrl()).isEqualTo("https://s3.us-east-1.amazonaws.com/" + SandboxS3Service.SANDBOX_BUCKET
                    + "/ssm/out/" + commandId + "/" + INSTANCE + "/awsrunShellScript/0.awsrunShellScript/stdout");
            assertThat(c.listCommands(b -> b.commandId(commandId)).commands().get(0).outputS3BucketName())
                    .isEqualTo(SandboxS3Service.SANDBOX_BUCKET);
        }
    }

    @Test
    void whatSsmKeepsOfAnS3OutputIsWhatGetCommandInvocationShows() throws Exception {
        byte[] big = java.util.Base64.getEncoder().encode(random(100_000));
        Path f = Files.write(dir.resolve("big"), big);
        assertThat(ex.run(HostCommand.query("t", "cat", f.toString())).stdout()).isEqualTo(big);
        assertThat(ssm.history()).as("the whole output is in S3, not in SSM's history")
                .doesNotContain(new String(big, 30_000, 1_000));
    }

    @Test
    void anOutputTheAgentCouldNotUploadIsOneLineAndTheCommandIsNotRunAgain() throws Exception {
        s3.deny("PutObject");
        Path marker = dir.resolve("ran");
        Files.deleteIfExists(marker);
        int before = ssm.commandCount();
        assertThatThrownBy(() -> ex.run(HostCommand.query("big", "sh", "-c", "echo x >>\"$1\"; head -c 30000 /dev/zero | tr '\\0' a",
                "sh", marker.toString())))
                .isInstanceOf(HostExecutionException.class)
                .hasMessageStartingWith("'big' ran on ssm:" + INSTANCE + " but its output is not in s3://" + SandboxS3Service.SANDBOX_BUCKET
                        + "/ssm/out/")
                .hasMessageEndingWith("/awsrunShellScript/0.awsrunShellScript/stdout: the instance profile needs s3:PutObject on that bucket")
                .message().doesNotContain("\n");
        assertThat(Files.readString(marker)).isEqualTo("x\n");
        assertThat(ssm.commandCount() - before).isEqualTo(1);
    }

    @Test
    void aBucketThatIsNotPrivateIsRefusedBeforeAnythingRuns() {
        s3.createBucket("open-outputs", "us-east-1");
        s3.publicAccessBlock("open-outputs", null);
        int before = ssm.commandCount();
        assertThatThrownBy(() -> SsmExecutor.open(clients, INSTANCE, "s3://open-outputs/x"))
                .isInstanceOf(CryptvolException.class)
                .hasMessage("S3 bucket 'open-outputs' is not private: it has no public access block; turn on all four Block "
                        + "Public Access settings first");
        assertThat(ssm.commandCount()).isEqualTo(before);
    }

    @Test
    void aMalformedPlaceIsOneUsageLine() {
        assertThatThrownBy(() -> Target.ssm("ssm:" + INSTANCE, "s3://Bad_Bucket/\u001b[31m"))
                .isInstanceOf(CryptvolException.class)
                .hasMessageStartingWith("not an S3 place for SSM output: 's3://Bad_Bucket/")
                .message().doesNotContain("\u001b");
    }

    @Test
    void keyBytesAreInNoOutputObjectNorInAnythingElseSsmKept() throws Exception {
        byte[] key = random(4096);
        // the command also prints more than fits, so its output goes through S3
        ExecResult r = ex.run(HostCommand.query("digest", "sh", "-c", "sha256sum; head -c 40000 /dev/zero | tr '\\0' z")
                .withSecretStdin(key));
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key)));
        assertThat(SsmExecutorTest.leftovers()).isEmpty();
        List<Path> scanned = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).forEach(scanned::add); // S3's object files, SSM's history, the agent's scripts
        }
        for (String k : s3.keys(SandboxS3Service.SANDBOX_BUCKET)) {
            scanned.add(Files.write(dir.resolve("object-" + scanned.size()), s3.object(SandboxS3Service.SANDBOX_BUCKET, k).orElseThrow().body()));
        }
        assertThat(scanned.stream().map(Path::toString).filter(p -> p.contains("/s3/objects/"))).isNotEmpty();
        scanned.add(Files.writeString(dir.resolve("history-dump.json"), ssm.history()));
        LeakScan.assertNoLeak(List.of(key), scanned);
    }
}

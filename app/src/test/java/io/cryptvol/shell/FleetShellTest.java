package io.cryptvol.shell;

import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ssm.LocalAgent;
import io.cryptvol.sandbox.ssm.SandboxSsmService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code connect ssm:} and {@code fleet replay} through the shell, against the sandbox endpoint (EC2 and SSM through the
 * real SDK clients; the one managed instance's agent runs on this machine). Bad input is one line each, before anything
 * runs; --max-errors stops a fleet whose first host fails (its hosts are SSH targets nobody answers on).
 */
class FleetShellTest {
    static final String MANAGED = "i-0123456789abcdef0";
    @TempDir
    static Path home;
    @TempDir
    static Path work;
    static SandboxEc2Server server;
    static ShellHarness shell;

    @BeforeAll
    static void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(work.resolve("ec2")).build().start();
        SandboxSsmService ssm = new SandboxSsmService(work.resolve("ssm"));
        server.addService(ssm.manage(MANAGED, "us-east-1", new LocalAgent(work.resolve("orchestration"))));
        io.cryptvol.sandbox.s3.SandboxS3Service s3 = io.cryptvol.sandbox.s3.SandboxS3Service.forSandbox(work.resolve("s3"), "us-east-1");
        s3.createBucket("open-outputs", "us-east-1");
        s3.publicAccessBlock("open-outputs", null);
        server.addService(s3);
        ssm.outputsTo(s3::putAsInstance);
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(),
                "cryptvol.aws.sandbox", "true", "cryptvol.aws.region", "us-east-1", "cryptvol.aws.imds", "false"));
        System.setProperty("cryptvol.fleet.classpath", VolumeCliTest.productClasspath());
    }

    @AfterAll
    static void stop() {
        System.clearProperty("cryptvol.fleet.classpath");
        if (shell != null) {
            shell.close();
        }
        server.close();
    }

    static List<String> errorLines(String out) {
        return out.lines().filter(l -> l.startsWith("error:")).toList();
    }

    static void oneLine(String line, String expected) throws Exception {
        String out = shell.type(line);
        assertThat(errorLines(out)).as(out).hasSize(1);
        assertThat(errorLines(out).get(0)).contains(expected);
        assertThat(out).doesNotContain("Exception").doesNotContain("\tat ");
    }

    static Path script(String name, String text) throws Exception {
        return Files.writeString(work.resolve(name), text);
    }

    @Test
    void connectSsmRunsOnTheManagedInstanceAndNamesIt() throws Exception {
        String out = shell.type("connect ssm:" + MANAGED);
        assertThat(out).contains("connected to ssm:" + MANAGED);
        assertThat(shell.type("context")).contains("ssm:" + MANAGED).contains(MANAGED);
        shell.type("connect local");
    }

    @Test
    void badInputIsOneLineEach() throws Exception {
        oneLine("connect ssm:i-0fedcba9876543210", "i-0fedcba9876543210 is not a managed instance");
        oneLine("connect ssm:db-1", "not an SSM target: 'ssm:db-1'");
        // S3 output: a malformed place, a place for an SSH target, a bucket that is not there, one that is not private
        oneLine("connect ssm:" + MANAGED + " --output-s3 s3://Bad_Bucket/x", "not an S3 place for SSM output: 's3://Bad_Bucket/x'");
        oneLine("connect root@db1 --output-s3 s3://outputs/x", "--output-s3 is for ssm: targets only");
        oneLine("connect ssm:" + MANAGED + " --output-s3 s3://no-such-outputs/x", "no-such-outputs");
        oneLine("connect ssm:" + MANAGED + " --output-s3 s3://open-outputs/x", "S3 bucket 'open-outputs' is not private");
        Path p = script("p.cvsh", "connect ${target}\ncontext\n");
        oneLine("fleet replay " + p + " --targets tag:Name=db-* --yes", "no instance has a tag Name matching 'db-*' in us-east-1; nothing was run");
        oneLine("fleet replay " + p + " --instances " + MANAGED + ",i-0fedcba9876543210 --yes",
                "i-0fedcba9876543210 is not a managed instance");
        oneLine("fleet replay " + p + " --instances " + MANAGED + " --hosts root@a --yes", "exactly one of");
        oneLine("fleet replay " + p + " --targets Name=db --yes", "--targets takes tag:KEY=VALUE");
        Path noDry = script("nodry.cvsh", "connect ${target}\ncontext\nkeys verify\n");
        oneLine("fleet replay " + noDry + " --instances " + MANAGED + " --dry-run", noDry + ":3: 'keys verify' has no dry run");
        assertThat(home.resolve("state/fleet")).as("nothing ran: no run directory").doesNotExist();
    }

    @Test
    void connectSsmWithS3OutputRunsThereAndRemembersThePlace() throws Exception {
        String out = shell.type("connect ssm:" + MANAGED + " --output-s3 s3://" + io.cryptvol.sandbox.s3.SandboxS3Service.SANDBOX_BUCKET + "/out");
        assertThat(out).contains("connected to ssm:" + MANAGED);
        assertThat(shell.bean(io.cryptvol.session.SessionContext.class).target().outputS3())
                .isEqualTo("s3://" + io.cryptvol.sandbox.s3.SandboxS3Service.SANDBOX_BUCKET + "/out/");
        assertThat(Files.readString(io.cryptvol.session.Dirs.config().resolve("context.json"))).contains("\"outputS3\"");
        shell.type("connect local");
    }

    @Test
    void recordExportWritesAnSsmDocument() throws Exception {
        Path out = work.resolve("doc.json");
        assertThat(shell.type("record export scripts/provision.cvsh --ssm-document cryptvol-provision --output " + out))
                .contains("wrote SSM document cryptvol-provision to " + out);
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toFile()).path("schemaVersion").asText())
                .isEqualTo("2.2");
        oneLine("record export scripts/provision.cvsh --ssm-document AWS-x --output " + out, "may not start with aws");
    }

    @Test
    void maxErrorsExceededStopsStartingHostsAndSaysSoInOneLine() throws Exception {
        Path id = Files.writeString(work.resolve("id_none"), "not a key\n");
        Path p = script("ssh.cvsh", "connect ${target} --identity ${identity}\ncontext\n");
        String out = shell.type("fleet replay " + p + " --hosts root@127.0.0.1:1,root@127.0.0.1:2 --identity " + id
                + " --max-concurrency 1 --max-errors 0 --yes");
        assertThat(errorLines(out)).as(out).containsExactly("error: --max-errors 0 exceeded: 1 of 2 hosts failed, 1 not started");
        assertThat(out).containsPattern("root@127\\.0\\.0\\.1:1\\s+FAILED\\s+\\d+\\.\\d s\\s+" + java.util.regex.Pattern.quote(p + ":1"))
                .containsPattern("root@127\\.0\\.0\\.1:2\\s+not started");
    }
}

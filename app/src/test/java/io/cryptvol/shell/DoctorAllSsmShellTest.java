package io.cryptvol.shell;

import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import io.cryptvol.sandbox.ssm.LocalAgent;
import io.cryptvol.sandbox.ssm.SandboxSsmService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code doctor --all} over SSM: the session is connected to a managed instance ({@code connect ssm:i-…}); the other
 * instance of the estate is reached by its id through Run Command (the sandbox's SSM endpoint, the real SsmClient;
 * its agent runs on this machine); an instance that is not managed is a FAIL line with the reason.
 */
class DoctorAllSsmShellTest {
    static final String M1 = "i-0123456789abcdef1";
    static final String M2 = "i-0123456789abcdef2";
    static final String M3 = "i-0123456789abcdef3";
    @TempDir
    static Path home;
    @TempDir
    static Path work;
    static SandboxEc2Server server;
    static ShellHarness shell;

    @BeforeAll
    static void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(work.resolve("ec2")).timings(SandboxTimings.uniform(Duration.ofMillis(50)))
                .build().start();
        for (String i : List.of(M1, M2, M3)) {
            server.addInstance(i, "us-east-1a", new RecordingDiskHost(), false);
        }
        SandboxSsmService ssm = new SandboxSsmService(work.resolve("ssm"));
        server.addService(ssm.manage(M1, "us-east-1", new LocalAgent(work.resolve("o1")))
                .manage(M2, "us-east-1", new LocalAgent(work.resolve("o2"))));
        try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .build()) {
            for (String i : List.of(M1, M2, M3)) {
                String vol = ec2.createVolume(x -> x.size(1).volumeType("gp3").availabilityZone("us-east-1a")
                        .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(
                                Tag.builder().key("cryptvol:vg").value("vg" + i.substring(i.length() - 1)).build()).build()))
                        .volumeId();
                io.cryptvol.sandbox.ec2.Ec2Seen.volume(ec2, vol);
                ec2.waiter().waitUntilVolumeAvailable(x -> x.volumeIds(vol));
                ec2.attachVolume(x -> x.volumeId(vol).instanceId(i).device("/dev/sdf"));
                ec2.waiter().waitUntilVolumeInUse(x -> x.volumeIds(vol));
            }
        }
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(),
                "cryptvol.aws.sandbox", "true", "cryptvol.aws.region", "us-east-1", "cryptvol.aws.imds", "false"));
        assertThat(shell.type("connect ssm:" + M1)).contains("connected to ssm:" + M1);
    }

    @AfterAll
    static void stop() {
        if (shell != null) {
            shell.close();
        }
        server.close();
    }

    @Test
    void eachInstanceByItsIdOverRunCommand() throws Exception {
        String out = shell.type("doctor --all");
        assertThat(out).doesNotContain("Exception").startsWith("Instances reached over SSM Run Command, each instance by its id");
        for (String i : List.of(M1, M2)) {
            List<String> s = DoctorAllShellTest.section(out, i);
            assertThat(s).as(out).anyMatch(l -> l.matches("^ok\\s+keys\\.ledger\\s.*"))
                    .anyMatch(l -> l.matches("^(ok|FAIL)\\s+vg\\.members\\s+VG vg" + i.substring(i.length() - 1) + "\\s.*"))
                    .noneMatch(l -> l.contains("host.reachable"));
        }
        assertThat(out).contains("== " + M2 + " (ssm:" + M2 + ")");
        assertThat(DoctorAllShellTest.section(out, M3).stream().filter(l -> l.startsWith("FAIL ")).toList()).as(out)
                .singleElement().satisfies(l -> assertThat(l).contains("host.reachable").contains("cannot be reached at ssm:" + M3));
        assertThat(out).contains("fix: check that the SSM agent of " + M3 + " is online");
        assertThat(out.lines().filter(l -> l.startsWith("error:")).toList()).as(out).singleElement()
                .satisfies(l -> assertThat(l).contains(M3));
    }
}

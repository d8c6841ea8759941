package io.cryptvol.shell;

import io.cryptvol.sandbox.ec2.Ec2Seen;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 17 item 1: on a machine without lvm2, {@code volumes detach --dry-run} reaches its "LVM not installed"
 * branch (the local executor gives exit 127, as a shell does) instead of failing with "cannot start pvs". The
 * real CLI in a JVM of its own, the real SDK client against the sandbox endpoint, and a PATH that holds every
 * program of this machine except LVM's.
 */
class MissingProgramCliTest {
    private static final Set<String> LVM = Set.of("pvs", "vgs", "lvs", "lvm", "pvdisplay", "vgchange", "pvcreate");

    @TempDir
    Path home;

    /** A directory of links to every program in the usual PATH directories, LVM's left out. */
    private Path pathWithoutLvm() throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        for (String d : new String[]{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
            Path dir = Path.of(d);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Path link = bin.resolve(p.getFileName().toString());
                    if (!LVM.contains(p.getFileName().toString()) && Files.isExecutable(p) && !Files.exists(link)) {
                        Files.createSymbolicLink(link, p);
                    }
                }
            }
        }
        return bin;
    }

    @Test
    void detachDryRunWithoutLvm2ShowsThePlanAndChangesNothing(@TempDir Path data) throws Exception {
        Path bin = pathWithoutLvm();
        assertThat(bin.resolve("pvs")).doesNotExist();
        assertThat(bin.resolve("lsblk")).exists();
        try (SandboxEc2Server server = SandboxEc2Server.builder().dataDir(data).build().start()) {
            String instance = server.addInstance("us-east-1a", new RecordingDiskHost());
            Map<String, String> env = Map.of("CRYPTVOL_HOME", home.resolve("cv").toString(), "NO_COLOR", "1",
                    "CRYPTVOL_EC2_ENDPOINT", server.endpoint().toString(), "PATH", bin.toString(), "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "AKIDTEST", "AWS_SECRET_ACCESS_KEY", "secret");
            CliRun r = CliRun.cryptvol(home, env, "use", "instance", instance);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            String volume;
            try (Ec2Client ec2 = Ec2Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                    .httpClient(UrlConnectionHttpClient.create()).build();
                 Ec2Waiter waiter = Ec2Waiter.builder().client(ec2).overrideConfiguration(WaiterOverrideConfiguration.builder()
                         .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(100))).waitTimeout(Duration.ofSeconds(30))
                         .maxAttempts(300).build()).build()) {
                volume = ec2.createVolume(b -> b.size(1).volumeType("gp3").availabilityZone("us-east-1a")).volumeId();
                Ec2Seen.volume(ec2, volume); // EC2 may not know a new volume for a moment
                waiter.waitUntilVolumeAvailable(b -> b.volumeIds(volume));
                ec2.attachVolume(b -> b.volumeId(volume).instanceId(instance).device("/dev/sdf"));
                waiter.waitUntilVolumeInUse(b -> b.volumeIds(volume));
            }

            r = CliRun.cryptvol(home, env, "volumes", "detach", volume, "--dry-run");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout() + r.stderr()).as(r.toString()).contains(volume).doesNotContain("cannot start")
                    .doesNotContain("pvs").doesNotContain("error:");
            assertThat(r.stdout()).contains("Detach 1 volume from " + instance).contains("dry run: nothing was changed");
            assertThat(server.world().volumes()).as("a dry run detaches nothing")
                    .anyMatch(v -> v.id().equals(volume) && instance.equals(v.instanceId()) && "in-use".equals(v.state()));
        } finally {
            try (Stream<Path> s = Files.list(bin)) { // the links go before JUnit's clean-up, which warns about each
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}

package io.cryptvol.shell;

import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.AwsClients;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code volumes create} in the real shell against the sandbox endpoint: a stalled attach and a device wait that
 * times out say what exists and the exact undo, and that undo cleans up; {@code --no-attach} and
 * {@code --no-wait}; {@code --debug} counts the EC2 calls as the endpoint received them. The instance is a
 * recording disk host: no block device ever shows up on this machine, which is what the device timeout needs.
 */
class VolumeCreateShellTest {
    static final Pattern VOLUME_ID = Pattern.compile("vol-[0-9a-f]{17}");
    static final Pattern UNDO = Pattern.compile("undo: (volumes detach (?:vol-[0-9a-f]{17} )+--yes), then "
            + "(volumes delete (?:vol-[0-9a-f]{17} )+--yes)$");

    @TempDir
    Path home;
    @TempDir
    Path data;
    SandboxEc2Server server;
    String instance;
    ShellHarness shell;

    @BeforeEach
    void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(data).timings(SandboxTimings.uniform(Duration.ofMillis(100))).build().start();
        instance = server.addInstance("us-east-1a", new RecordingDiskHost());
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(), "cryptvol.aws.sandbox", "true",
                "cryptvol.ebs.attach-timeout", "2s", "cryptvol.ebs.poll-interval", "50ms",
                "cryptvol.ebs.device-timeout", "1s"), DisklessHost.class);
        shell.type("use instance " + instance);
    }

    @AfterEach
    void stop() {
        shell.close();
        server.close();
    }

    /**
     * The target: a host with no EBS disk and no lvm2 (pvs exits 127), as the recording disk host is: it keeps
     * the test off this machine's own disks and tools.
     */
    static class DisklessHost {
        @Bean
        @Primary
        HostAccess disklessHostAccess(SessionContext ctx, SessionMode mode) {
            return new HostAccess(ctx, (target, acceptNew) -> mode.guard(new HostExecutor() {
                @Override
                public ExecResult run(HostCommand c) {
                    String out = switch (c.argv().get(0)) {
                        case "lsblk" -> "{\"blockdevices\": []}";
                        case "pvs" -> null;
                        default -> "";
                    };
                    return out == null ? new ExecResult(127, new byte[0], "pvs: not found\n".getBytes(), Duration.ZERO)
                            : new ExecResult(0, out.getBytes(), new byte[0], Duration.ZERO);
                }

                @Override
                public String target() {
                    return "diskless";
                }
            }));
        }
    }

    static String errorLine(String out) {
        return out.lines().filter(l -> l.startsWith("error:")).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    static Set<String> ids(String s) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = VOLUME_ID.matcher(s);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    List<EbsVolume> stillThere(Set<String> ids) {
        try (AwsClients c = new AwsClients(AwsSettings.sandbox(server.endpoint()))) {
            return new EbsGateway(c, EbsOptions.sandbox()).findVolumes(Map.of("volume-id", List.copyOf(ids))).stream()
                    .filter(v -> !v.state().equals("deleted")).toList();
        }
    }

    /** Runs the undo the error line gave, as typed, and checks that nothing of it is left in EC2. */
    void undoCleansUp(String error, Set<String> created) throws Exception {
        Matcher undo = UNDO.matcher(error);
        assertThat(undo.find()).as(error).isTrue();
        assertThat(ids(undo.group(2))).containsExactlyInAnyOrderElementsOf(created);
        assertThat(shell.type(undo.group(1))).contains("✔ detached");
        assertThat(shell.type(undo.group(2))).contains("✔ deleted");
        assertThat(stillThere(created)).isEmpty();
    }

    @Test
    void aStalledAttachSaysWhatExistsAndTheUndoCleansUp() throws Exception {
        server.faults().stickNextAttachments(1);
        String error = errorLine(shell.type("volumes create --count 2 --size 1 --yes"));

        assertThat(error).startsWith("error: 1 of 2 volumes attached (").contains("still attaching after 2 s");
        Set<String> created = ids(error.substring(error.indexOf("exists now: ")));
        assertThat(created).hasSize(2);
        assertThat(error).containsPattern("exists now: vol-[0-9a-f]{17} \\(in-use, (attached|attaching) to " + instance
                + " as /dev/sdf\\), vol-[0-9a-f]{17} \\(in-use, (attached|attaching) to " + instance + " as /dev/sdg\\)");
        assertThat(error).contains("attaching to " + instance).contains("attached to " + instance);
        assertThat(stillThere(created)).hasSize(2); // really there before the undo
        undoCleansUp(error, created);
    }

    @Test
    void noBlockDeviceInTimeSaysWhatIsAttachedAndTheUndoCleansUp() throws Exception {
        String error = errorLine(shell.type("volumes create --count 2 --size 1 --yes"));

        assertThat(error).startsWith("error: no block device on diskless for ").contains("after 1 s");
        Set<String> created = ids(error.substring(error.indexOf("exists now: ")));
        assertThat(created).hasSize(2);
        assertThat(error).containsPattern("\\(in-use, attached to " + instance + " as /dev/sdf\\)")
                .containsPattern("\\(in-use, attached to " + instance + " as /dev/sdg\\)");
        undoCleansUp(error, created);
    }

    @Test
    void aRefusedCreationSaysNothingWasCreated() throws Exception {
        server.faults().deny("CreateVolume");
        String error = errorLine(shell.type("volumes create --count 2 --size 1 --yes"));
        assertThat(error).isEqualTo("error: not allowed: ec2:CreateVolume — check the IAM policy of "
                + "arn:aws:iam::123456789012:user/sandbox — nothing was created");
    }

    @Test
    void noAttachCreatesAvailableVolumesAndAttachesNothing() throws Exception {
        server.faults().reset();
        String out = shell.type("volumes create --count 2 --size 1 --no-attach --yes");
        assertThat(out).contains("Create 2 EBS volumes in us-east-1a (not attached)").doesNotContain("device names")
                .containsPattern("1\\s+vol-[0-9a-f]{17}\\s+1 GiB\\s+gp3\\s+available\\s+-")
                .contains("✔ 2 volumes created; attach with 'volumes attach vol-");
        assertThat(server.faults().calls("AttachVolume")).isZero();
        assertThat(stillThere(ids(out))).hasSize(2).allSatisfy(v -> assertThat(v.state()).isEqualTo("available"));
    }

    @Test
    void noWaitReturnsAfterTheCallsAndSaysHowToCheck() throws Exception {
        server.faults().reset();
        String out = shell.type("volumes create --count 3 --size 1 --no-attach --no-wait --yes");
        assertThat(out).containsPattern("vol-[0-9a-f]{17}\\s+1 GiB\\s+gp3\\s+creating")
                .contains("✔ 3 volumes created (not waited for; see 'volumes list')");
        assertThat(ids(out)).hasSize(3);
        assertThat(server.faults().calls()).containsOnlyKeys("DescribeInstances", "CreateVolume")
                .containsEntry("CreateVolume", 3);

        server.faults().reset();
        out = shell.type("volumes create --count 2 --size 1 --no-wait --yes");
        assertThat(out).containsPattern("1\\s+vol-[0-9a-f]{17}\\s+1 GiB\\s+gp3\\s+\\S+\\s+/dev/sdf")
                .containsPattern("2\\s+vol-[0-9a-f]{17}\\s+1 GiB\\s+gp3\\s+\\S+\\s+/dev/sdg")
                .contains("✔ 2 volumes created, attaching to " + instance + " (not waited for; see 'volumes list')")
                .doesNotContain("error");
        assertThat(server.faults().calls("AttachVolume")).isEqualTo(2);
    }

    @Test
    void debugPrintsTheEc2CallsPerOperationAsTheEndpointCountedThem() throws Exception {
        String out = shell.type("volumes list");
        assertThat(out).doesNotContain("EC2 call"); // not without --debug
        server.faults().reset();
        System.setProperty("cryptvol.debug", "true");
        try {
            out = shell.type("volumes create --count 4 --size 1 --no-attach --yes");
        } finally {
            System.clearProperty("cryptvol.debug");
        }
        Map<String, Integer> endpoint = new TreeMap<>(server.faults().calls());
        int total = endpoint.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder expected = new StringBuilder("debug: " + total + " EC2 calls");
        String sep = ": ";
        for (var e : endpoint.entrySet()) {
            expected.append(sep).append(e.getKey()).append(' ').append(e.getValue());
            sep = ", ";
        }
        assertThat(out.lines().filter(l -> l.startsWith("debug: ")).toList()).containsExactly(expected.toString());
        assertThat(endpoint).containsEntry("CreateVolume", 4).containsEntry("DescribeInstances", 1);
    }

    /** One command (a process of its own): the counts go to stderr, after the command; stdout keeps only the result. */
    @Test
    void oneCommandModePrintsTheCountsOnStderr(@TempDir Path otherHome) throws Exception {
        server.faults().reset();
        CliRun r = CliRun.cryptvol(otherHome, Map.of("CRYPTVOL_EC2_SANDBOX", "1"), "--debug", "--endpoint", server.endpoint().toString(),
                "use", "instance", instance);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("using instance " + instance).doesNotContain("EC2 call");
        assertThat(r.stderr().lines().filter(l -> l.contains("EC2 call")).toList()).as(r.toString())
                .containsExactly("debug: 1 EC2 call: DescribeInstances 1");
        assertThat(server.faults().calls()).isEqualTo(Map.of("DescribeInstances", 1));

        r = CliRun.cryptvol(otherHome, Map.of("CRYPTVOL_EC2_SANDBOX", "1"), "--endpoint", server.endpoint().toString(), "use", "instance", instance);
        assertThat(r.stderr()).as(r.toString()).doesNotContain("EC2 call"); // not without --debug
    }
}

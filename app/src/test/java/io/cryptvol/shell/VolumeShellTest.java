package io.cryptvol.shell;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.AwsClients;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.aws.VolumeTags;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import io.cryptvol.session.Inventory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The EBS commands in the real shell, through the real SDK client, against the sandbox endpoint (no
 * host devices involved here: the instance is a recording disk host; see VolumesVmTest for the rest).
 */
class VolumeShellTest {
    static final Pattern VOLUME_ID = Pattern.compile("vol-[0-9a-f]{17}");

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
                "cryptvol.ebs.attach-timeout", "2s", "cryptvol.ebs.poll-interval", "50ms"));
    }

    @AfterEach
    void stop() {
        shell.close();
        server.close();
    }

    @Test
    void startupAndHostCommandsNeverTouchEc2() throws Exception {
        assertThat(shell.type("devices")).contains("DEVICE");
        shell.type("context");
        assertThat(shell.type("aws show")).containsPattern("endpoint\\s+" + Pattern.quote(server.endpoint().toString()))
                .containsPattern("sandbox\\s+true").containsPattern("clientStarted\\s+false");
        assertThat(shell.bean(AwsAccess.class).started()).isFalse();
        assertThat(server.faults().calls()).isEmpty();
    }

    @Test
    void useInstanceDescribesItAndThePromptShowsIt() throws Exception {
        String out = shell.type("use instance " + instance);
        assertThat(out).contains("using instance " + instance + " (us-east-1a, running)")
                .containsPattern("/dev/xvda\\s+vol-[0-9a-f]{17}\\s+attached");
        assertThat(shell.prompt()).contains(instance.substring(0, 11));
        assertThat(shell.bean(Inventory.class).get("instance")).containsExactly(instance);

        out = shell.type("use instance i-0123456789abcdef0");
        assertThat(out.strip()).startsWith("error: ").contains("i-0123456789abcdef0").doesNotContain("Exception");
        assertThat(shell.prompt()).contains(instance.substring(0, 11)); // unchanged
    }

    @Test
    void throttlingIsRetried() throws Exception {
        server.faults().failNext("DescribeInstances", 2, "RequestLimitExceeded");
        assertThat(shell.type("use instance " + instance)).contains("using instance " + instance);
        assertThat(server.faults().calls("DescribeInstances")).isEqualTo(3);

        server.faults().failNext("DescribeVolumes", 2, "Throttling");
        assertThat(shell.type("volumes list")).containsPattern("vol-[0-9a-f]{17}\\s+8 GiB");
    }

    @Test
    void permissionErrorIsOneClearLine() throws Exception {
        shell.type("use instance " + instance);
        server.faults().deny("CreateVolume");
        String out = shell.type("volumes create --count 2 --size 1 --yes");
        List<String> errors = out.lines().filter(l -> l.startsWith("error:")).toList();
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0)).startsWith("error: not allowed: ec2:CreateVolume — check the IAM policy of ");
        assertThat(out).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(server.faults().calls("AttachVolume")).isZero();
    }

    @Test
    void aVolumeStuckAttachingTimesOutNamingIt() throws Exception {
        shell.type("use instance " + instance);
        server.faults().stickNextAttachments(1);
        String out = shell.type("volumes create --count 1 --size 1 --yes");
        Matcher m = VOLUME_ID.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        String id = m.group();
        String error = out.lines().filter(l -> l.startsWith("error:")).findFirst().orElseThrow();
        assertThat(error).contains(id).contains("attaching").contains("2 s").contains(instance);
    }

    @Test
    void listShowsSetsAndDeleteAsksAndRefusesAttachedVolumes() throws Exception {
        shell.type("use instance " + instance);
        List<EbsVolume> loose;
        try (AwsClients c = new AwsClients(AwsSettings.sandbox(server.endpoint()))) {
            EbsGateway ebs = new EbsGateway(c, EbsOptions.sandbox());
            loose = ebs.createVolumes(List.of(
                    VolumeSpec.of(2, "gp3").inZone("us-east-1a").withTags(VolumeTags.forMember("1234abcd-set", 0, 2, "myvg")),
                    VolumeSpec.of(2, "gp3").inZone("us-east-1a").withTags(VolumeTags.forMember("1234abcd-set", 1, 2, "myvg"))),
                    null, EbsProgress.NONE);
            ebs.createVolumes(1, VolumeSpec.of(3, "gp2").inZone("us-east-1a"), EbsProgress.NONE); // not cryptvol's
        }
        String a = loose.get(0).id();
        String b = loose.get(1).id();
        String out = shell.type("volumes list");
        assertThat(out).containsPattern(a + "\\s+2 GiB\\s+gp3\\s+available\\s+-\\s+-\\s+1234abcd 1/2\\s+myvg")
                .containsPattern(b + "\\s+2 GiB\\s+gp3\\s+available\\s+-\\s+-\\s+1234abcd 2/2\\s+myvg")
                .containsPattern("8 GiB\\s+gp3\\s+in-use\\s+" + instance + " /dev/xvda")
                .doesNotContain("3 GiB");
        assertThat(shell.type("volumes list --all")).contains("3 GiB");
        assertThat(shell.type("volumes list -o json")).contains("\"set\" : \"1234abcd-set\"").contains("\"vg\" : \"myvg\"");
        assertThat(shell.bean(Inventory.class).get("volume")).contains(a, b);

        shell.keys("n\n");
        out = shell.type("volumes delete " + a + " " + b);
        assertThat(out).contains("Delete 2 volumes for good").contains("Cancelled; nothing was deleted.");
        assertThat(server.faults().calls("DeleteVolume")).isZero();

        String root = shell.type("use instance " + instance).lines().filter(l -> l.contains("/dev/xvda")).findFirst()
                .map(l -> l.replaceAll(".*(vol-[0-9a-f]{17}).*", "$1")).orElseThrow();
        out = shell.type("volumes delete " + root + " --yes");
        assertThat(out.strip()).startsWith("error: cannot delete: " + root + " is attached to " + instance + " as /dev/xvda");
        out = shell.type("volumes detach " + a + " --yes");
        assertThat(out.strip()).contains("refused: " + a + " is not attached");

        out = shell.type("volumes delete " + a + " " + b + " --yes");
        assertThat(out).contains(a + "  deleted").contains("✔ deleted " + a + " " + b);
        assertThat(shell.bean(Inventory.class).get("volume")).doesNotContain(a, b);
        assertThat(shell.type("volumes list")).doesNotContain(a);
    }

    /**
     * EC2's sightings feed the inventory's attachment history: {@code use instance} records the root volume where EC2
     * says it is attached; {@code volumes list} records a volume attached outside cryptvol and keeps the PV UUID a host
     * observation saw on it earlier; after a detach done outside cryptvol, the history (what names a missing VG member)
     * still says where it was last seen attached, and a later {@code volumes list} does not forget it.
     */
    @Test
    void ec2SightingsFeedTheAttachmentHistoryAndOutliveADetachDoneOutsideCryptvol() throws Exception {
        Inventory inv = shell.bean(Inventory.class);
        String root = shell.type("use instance " + instance).lines().filter(l -> l.contains("/dev/xvda")).findFirst()
                .map(l -> l.replaceAll(".*(vol-[0-9a-f]{17}).*", "$1")).orElseThrow();
        assertThat(inv.lastAttachment(root)).hasValueSatisfying(a -> {
            assertThat(a.where()).isEqualTo(instance);
            assertThat(a.device()).isEqualTo("/dev/xvda");
        });
        String pv = "AbCdEf-0123-4567-89ab-cdef-0123-456789";
        String vol;
        io.cryptvol.session.Attachment seen;
        try (AwsClients c = new AwsClients(AwsSettings.sandbox(server.endpoint()))) {
            EbsGateway ebs = new EbsGateway(c, EbsOptions.sandbox());
            vol = ebs.createVolumes(1, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE).get(0).id();
            // an hour ago a host observation saw it holding a PV, somewhere else
            inv.sawAttached(io.cryptvol.session.Attachment.of(vol, "ssh:root@10.0.0.9:22", "/dev/nvme3n1",
                    java.time.Instant.now().minusSeconds(3600), pv).orElseThrow());
            String device = ebs.attachVolumes(instance, List.of(vol), EbsProgress.NONE).get(0).attachment().orElseThrow().device();
            assertThat(shell.type("volumes list")).contains(vol);
            seen = inv.lastAttachment(vol).orElseThrow();
            assertThat(seen.where()).isEqualTo(instance);
            assertThat(seen.device()).isEqualTo(device);
            assertThat(seen.pvUuid()).isEqualTo(pv);
            ebs.detachVolumes(List.of(vol), false, EbsProgress.NONE); // outside cryptvol
        }
        assertThat(shell.type("volumes list")).doesNotContain(vol);
        assertThat(inv.volumeOfPv(pv)).map(io.cryptvol.session.Attachment::describe).hasValue(seen.describe());
        assertThat(seen.describe()).startsWith("last seen attached to " + instance + " as /dev/");
    }

    List<String> complete(String line) {
        List<String> words = new java.util.ArrayList<>(java.util.Arrays.asList(line.split(" ", -1)));
        String last = words.get(words.size() - 1);
        return shell.bean(org.springframework.shell.Shell.class)
                .complete(new org.springframework.shell.CompletionContext(words, words.size() - 1, last.length(), null, null))
                .stream().map(org.springframework.shell.CompletionProposal::value).toList();
    }

    @Test
    void completionOffersKnownVolumesInstancesAndTypesWithoutCallingEc2() throws Exception {
        shell.type("use instance " + instance);
        String root = shell.bean(Inventory.class).get("volume").get(0);
        int calls = server.faults().calls().values().stream().mapToInt(Integer::intValue).sum();
        assertThat(complete("volumes create --type ")).contains("gp3", "io2", "st1");
        assertThat(complete("volumes delete ")).contains(root);
        assertThat(complete("volumes detach ")).contains(root);
        assertThat(complete("use instance ")).contains(instance);
        assertThat(server.faults().calls().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(calls);
    }

    @Test
    void awsUseSwitchesTheEndpointForTheSession() throws Exception {
        assertThat(shell.type("aws use --endpoint http://127.0.0.1:1 --sandbox")).contains("the sandbox at http://127.0.0.1:1");
        String out = shell.type("use instance " + instance);
        assertThat(out.strip()).startsWith("error: cannot reach EC2 for DescribeInstances");
        shell.type("aws use --endpoint " + server.endpoint() + " --sandbox");
        assertThat(shell.type("use instance " + instance)).contains("using instance " + instance);
        assertThat(shell.type("aws use --endpoint ftp://x").strip()).startsWith("error: not an EC2 endpoint URL");
    }

    @Test
    void dryRunChangesNothing() throws Exception {
        shell.type("use instance " + instance);
        String out = shell.type("volumes create --count 3 --size 5 --type io2 --iops 3000 --dry-run");
        assertThat(out).contains("Create 3 EBS volumes and attach them to " + instance).contains("3 × 5 GiB io2, 3000 IOPS")
                .contains("device names: /dev/sdf /dev/sdg /dev/sdh").contains("dry run: nothing was changed");
        try (var scope = shell.bean(io.cryptvol.session.SessionMode.class).enterDryRun()) {
            assertThat(shell.type("volumes create --count 1 --size 1 --yes")).contains("dry run: nothing was changed");
        }
        assertThat(server.faults().calls("CreateVolume")).isZero();

        // the endpoint following the sandbox is SandboxSession's: SandboxSessionTest, SandboxRehearsalTest
    }

    @Test
    void noInstanceMeansAClearHint() throws Exception {
        String out = shell.type("volumes create --count 1 --size 1 --yes");
        assertThat(out.strip()).isEqualTo("error: no instance selected: run 'use instance i-…' (or run cryptvol on the instance itself)");
    }
}

package io.cryptvol.record;

import io.cryptvol.aws.AwsSettings;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.AwsClients;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.host.PlannedEffects;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import io.cryptvol.shell.ShellHarness;
import io.cryptvol.snapshot.SnapshotTags;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every ready script in scripts/ replays with {@code --dry-run} through the real shell: the host is a
 * {@link FixtureHost} (four blank 1 GiB EBS disks, or those disks provisioned, or provisioned and
 * detached), EC2 is the sandbox endpoint through the real SDK client. Each run must print the combined
 * plan of the whole script, in order, and change nothing: no host command but queries, no EC2 call that
 * creates, attaches or deletes, no key generated or copied. The same scripts run for real on the test
 * instance in ScriptsVmTest.
 */
class ScriptsDryRunTest {
    static final long GIB = 1L << 30;
    static volatile FixtureHost host;

    @TempDir
    Path home;
    @TempDir
    Path data;
    @TempDir
    Path backups;
    SandboxEc2Server server;
    AwsClients clients;
    EbsGateway ebs;
    String instance;
    List<EbsVolume> volumes;
    HostState blank;
    ShellHarness shell;
    Map<String, Integer> ec2Before;

    /**
     * The session reaches the fixture host, through the same dry-run guard as a real target. (No
     * @Configuration: the application's component scan would pick it up in other tests' shells.)
     */
    static class FixtureHostConfig {
        @Bean
        @Primary
        HostAccess fixtureHostAccess(SessionContext ctx, SessionMode mode) {
            return new HostAccess(ctx, (target, acceptNew) -> mode.guard(host));
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = SandboxEc2Server.builder().dataDir(data).timings(SandboxTimings.uniform(Duration.ofMillis(20))).build().start();
        instance = server.addInstance("us-east-1a", new RecordingDiskHost());
        clients = new AwsClients(AwsSettings.sandbox(server.endpoint()));
        ebs = new EbsGateway(clients, EbsOptions.sandbox());
        volumes = ebs.createAndAttach(instance, 4, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        blank = FixtureHost.disks(volumes.stream().map(v -> "vol" + v.id().substring(4)).toList(), GIB);
        host = new FixtureHost(blank);
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(), "cryptvol.aws.sandbox", "true",
                "cryptvol.ebs.poll-interval", "20ms"), FixtureHostConfig.class);
        assertThat(shell.type("use instance " + instance)).contains("using instance " + instance);
        ec2Before = new HashMap<>(server.faults().calls());
    }

    @AfterEach
    void stop() {
        shell.close();
        clients.close();
        server.close();
    }

    String replay(String script, String... vars) throws Exception {
        StringBuilder line = new StringBuilder("replay scripts/" + script + " --dry-run");
        for (String v : vars) {
            line.append(" --var '").append(v).append("'");
        }
        return shell.type(line.toString());
    }

    /** Nothing changed: the host saw queries only, EC2 only reads, the key store and backups as they were. */
    void assertNothingChanged(int keysBefore) throws Exception {
        assertThat(host.changes).as("changing host commands").isEmpty();
        assertThat(host.unknown).as("queries the fixture host cannot answer").isEmpty();
        Map<String, Integer> ec2 = new HashMap<>(server.faults().calls());
        ec2Before.forEach((k, v) -> ec2.merge(k, -v, Integer::sum));
        assertThat(ec2.entrySet()).as("EC2 calls during the dry run")
                .allSatisfy(e -> assertThat(e.getValue() == 0 || e.getKey().startsWith("Describe")).as(e.getKey()).isTrue());
        assertThat(shell.bean(KeyStore.class).list()).hasSize(keysBefore);
        try (var s = Files.list(backups)) {
            assertThat(s).isEmpty();
        }
        assertThat(shell.bean(SessionMode.class).dryRun()).isFalse();
    }

    /** The lines of the combined plan, in order, each containing the given fragment. */
    static void assertPlanInOrder(String out, String... fragments) {
        assertThat(out).contains("Combined plan (");
        String plan = out.substring(out.indexOf("Combined plan ("));
        int at = 0;
        for (String f : fragments) {
            int i = plan.indexOf(f, at);
            assertThat(i).as("'%s' in the combined plan after position %d:%n%s", f, at, plan).isGreaterThanOrEqualTo(0);
            at = i + f.length();
        }
    }

    static void assertNoError(String out) {
        assertThat(out).doesNotContain("error:").doesNotContain("Exception");
    }

    @Test
    void setupVolumesPlansEveryStageOnDevicesThatOnlyTheLinesBeforeWouldCreate() throws Exception {
        String out = replay("setup-volumes.cvsh", "size=1", "backup=" + backups);
        assertNoError(out);
        assertThat(out).contains("Dry run of scripts/setup-volumes.cvsh: 20 commands, nothing was changed.")
                .contains("[20/20] scripts/setup-volumes.cvsh:").contains("would generate key 'key1'")
                .contains("would copy key 'key2' to " + backups.resolve("key2.key"));
        String devs = "/dev/nvme1n1 /dev/nvme2n1 /dev/nvme3n1 /dev/nvme4n1";
        assertPlanInOrder(out,
                "dm_crypt", // modules load
                "/dev/nvme1n1", "/dev/nvme4n1", // sanitize
                "pvcreate /dev/nvme1n1", "pvcreate /dev/nvme4n1",
                "vgcreate myvg " + devs,
                "lvcreate -i 4 -I 4k -l 100%VG -n mylv myvg",
                "cryptsetup luksFormat", "/dev/myvg/mylv",
                "cryptsetup luksAddKey", "/dev/myvg/mylv",
                "cryptsetup open --type luks --key-file - /dev/myvg/mylv myencryptedlv",
                "mkfs.xfs", "/dev/mapper/myencryptedlv",
                "/dev/mapper/myencryptedlv /mnt/mymountpoint xfs", "/etc/fstab",
                "mount -t xfs", "/dev/mapper/myencryptedlv /mnt/mymountpoint");
        assertThat(out).doesNotContain("--key-file /run/cryptvol/key1"); // names, never bytes; key files only on tmpfs paths
        assertNothingChanged(0);
        assertThat(shell.bean(SessionContext.class).vg()).as("a dry run puts the session back").isNull();
    }

    @Test
    void provisionPlansTheSameLayoutInOneCommand() throws Exception {
        String out = replay("provision.cvsh");
        assertNoError(out);
        assertThat(out).contains("Dry run of scripts/provision.cvsh: 4 commands, nothing was changed.");
        assertPlanInOrder(out, "pvcreate /dev/nvme1n1", "vgcreate", "myvg /dev/nvme1n1 /dev/nvme2n1 /dev/nvme3n1 /dev/nvme4n1",
                "lvcreate -i 4 -I 4k", "-n mylv myvg", "cryptsetup luksFormat", "cryptsetup luksAddKey",
                "cryptsetup open --type luks --key-file - /dev/myvg/mylv myencryptedlv", "mkfs.xfs",
                "/mnt/mymountpoint xfs", "mount -t xfs");
        assertNothingChanged(0);
    }

    /** The host after provision.cvsh: the planned steps of its dry run, laid over the blank disks. */
    HostState provisioned() throws Exception {
        assertNoError(replay("provision.cvsh"));
        HostState s = PlannedEffects.apply(blank, shell.bean(SessionMode.class).plannedSteps());
        assertThat(s.mountAt("/mnt/mymountpoint")).isPresent();
        host.changes.clear();
        return s;
    }

    @Test
    void detachPlansUmountCloseDeactivate() throws Exception {
        host.state = provisioned();
        String out = replay("detach.cvsh");
        assertNoError(out);
        assertPlanInOrder(out, "umount /mnt/mymountpoint", "cryptsetup close myencryptedlv", "vgchange -an myvg");
        assertNothingChanged(0);
    }

    @Test
    void unlockAfterRebootPlansActivateOpenMount() throws Exception {
        HostState up = provisioned();
        host.state = up;
        assertNoError(replay("detach.cvsh"));
        host.state = PlannedEffects.apply(up, shell.bean(SessionMode.class).plannedSteps());
        assertThat(host.state.mapping("myencryptedlv")).isEmpty();
        assertThat(shell.type("keys generate key1 key2")).contains("generated key 'key2'");
        String out = replay("unlock-after-reboot.cvsh");
        assertNoError(out);
        assertPlanInOrder(out, "vgchange -ay myvg", "cryptsetup open --type luks --key-file - /dev/myvg/mylv myencryptedlv",
                "mount -t xfs", "/dev/mapper/myencryptedlv /mnt/mymountpoint");
        assertNothingChanged(2);
    }

    @Test
    void growSaysWhatItWouldCreateAndCreatesNothing() throws Exception {
        host.state = provisioned();
        shell.type("keys generate key1 key2");
        String out = replay("grow.cvsh", "size=1");
        assertNoError(out);
        assertThat(out).contains("dry run: would create and attach 4 EBS volumes of 1 GiB")
                .contains("vgextend myvg").contains("with 4 stripes");
        assertNothingChanged(2);
    }

    @Test
    void snapshotPlansTheFreezeAndOneCallForEveryVolumeWithoutFreezing() throws Exception {
        host.state = provisioned();
        String out = replay("snapshot.cvsh");
        assertNoError(out);
        for (EbsVolume v : volumes) {
            assertThat(out).contains(v.id());
        }
        assertPlanInOrder(out, "Freeze /mnt/mymountpoint, hold until told", "fsfreeze", "$f -f \"$1\"", "read -r go",
                "$f -u \"$1\"", "sh /mnt/mymountpoint", "Thaw: the held freeze gets its line");
        assertNothingChanged(0);
    }

    @Test
    void restorePlansNewVolumesAndTheCloneImportWithoutCreatingThem() throws Exception {
        host.state = provisioned();
        shell.type("keys generate key1 key2");
        Map<String, String> tags = new LinkedHashMap<>();
        String set = "dddd4444-0000-0000-0000-000000000004";
        tags.put(SnapshotTags.SET, set);
        tags.put(SnapshotTags.COUNT, "4");
        tags.put(SnapshotTags.VG, "myvg");
        tags.put(SnapshotTags.LV, "mylv");
        tags.put(SnapshotTags.MOUNTPOINT, "/mnt/mymountpoint");
        List<EbsSnapshot> snaps = ebs.snapshotVolumes(volumes.stream().map(EbsVolume::id).toList(), "test", tags, EbsProgress.NONE);
        for (int i = 0; i < snaps.size(); i++) {
            ebs.tag(List.of(snaps.get(i).id()), Map.of(SnapshotTags.INDEX, String.valueOf(i + 1)));
        }
        ebs.awaitSnapshots("us-east-1", snaps.stream().map(EbsSnapshot::id).toList(), EbsProgress.NONE);
        ec2Before = new HashMap<>(server.faults().calls());

        String out = replay("restore.cvsh", "snapshot_set=" + set.substring(0, 8));
        assertNoError(out);
        assertThat(out).contains("EC2: create 4 gp3 volumes in us-east-1a from " + snaps.get(0).id());
        assertPlanInOrder(out, "vgimportclone", "cryptsetup luksUUID", "/mnt/restore");
        assertNothingChanged(2);
    }

    @Test
    void aCommandWithoutADryRunIsRefusedBeforeAnythingRuns() throws Exception {
        Path f = home.resolve("shred.cvsh");
        Files.writeString(f, "connect local\nkeys generate k1\nkeys shred --yes\n");
        String out = shell.type("replay " + f + " --dry-run");
        assertThat(out.strip()).startsWith("error: " + f + ":3: 'keys shred' has no dry run").doesNotContain("[1/");
        assertThat(host.queries).isEmpty();
        assertNothingChanged(0);
    }
}

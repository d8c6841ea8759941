package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsProgress.Stage;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The product's gateway, over the real SDK client, against the sandbox endpoint. */
class EbsGatewayTest {
    @TempDir
    Path dir;
    SandboxEc2Server server;
    AwsClients clients;
    EbsGateway ebs;
    RecordingDiskHost host;
    String instance;
    final List<EbsProgress.Event> events = Collections.synchronizedList(new ArrayList<>());
    final EbsProgress progress = events::add;

    @BeforeEach
    void start() {
        server = SandboxEc2Server.builder().dataDir(dir).timings(new SandboxTimings(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
                // a snapshot stays pending long enough that the answer to CreateSnapshots still sees it pending on a
                // loaded machine (200 ms was not: the test then saw "completed")
                Duration.ofMillis(200), Duration.ofSeconds(2))).build().start();
        clients = new AwsClients(AwsSettings.sandbox(server.endpoint()));
        ebs = new EbsGateway(clients, EbsOptions.sandbox().withPollInterval(Duration.ofMillis(50)).withPageSize(5));
        host = new RecordingDiskHost();
        instance = server.addInstance("us-east-1a", host);
    }

    @AfterEach
    void stop() {
        clients.close();
        server.close();
    }

    static String serial(String volumeId) {
        return "vol" + volumeId.substring(4);
    }

    List<Stage> stagesOf(int index) {
        synchronized (events) {
            return events.stream().filter(e -> e.index() == index).map(EbsProgress.Event::stage).toList();
        }
    }

    @Test
    void tagsAResourceMadeAMomentAgoThatEc2DoesNotShowYet() {
        // the sandbox hides a new volume for 2 s (EC2's eventual consistency); CreateTags rides that out
        String id = clients.client().createVolume(b -> b.availabilityZone("us-east-1a").size(1)).volumeId();
        ebs.tag(List.of(id), Map.of("cryptvol:set", "s1"));
        assertThat(clients.client().describeVolumes(b -> b.volumeIds(id)).volumes().get(0).tags())
                .anySatisfy(t -> assertThat(t.key() + "=" + t.value()).isEqualTo("cryptvol:set=s1"));

        // an id that never existed is still an error, once the window is over
        EbsGateway quick = new EbsGateway(clients, EbsOptions.sandbox().withPollInterval(Duration.ofMillis(50))
                .withAvailableTimeout(Duration.ofMillis(300)));
        assertThatThrownBy(() -> quick.tag(List.of("vol-0123456789abcdef0"), Map.of("k", "v")))
                .isInstanceOf(CryptvolException.class).hasMessageContaining("vol-0123456789abcdef0");
    }

    @Test
    void createsFourVolumesConcurrentlyTagsAndAttachesThem() {
        VolumeSpec spec = VolumeSpec.of(1, "gp3").withPerformance(4000, 250).withTags(Map.of("cryptvol:vg", "myvg"));
        List<EbsVolume> vols = ebs.createAndAttach(instance, 4, spec, progress);

        assertThat(vols).hasSize(4).allSatisfy(v -> {
            assertThat(v.state()).isEqualTo("in-use");
            assertThat(v.attachedTo(instance)).isTrue();
            assertThat(v.availabilityZone()).isEqualTo("us-east-1a"); // the instance's zone
            assertThat(v.iops()).isEqualTo(4000);
            assertThat(v.throughput()).isEqualTo(250);
            assertThat(v.tag("cryptvol:vg")).isEqualTo("myvg");
        });
        assertThat(vols).extracting(v -> v.attachment().orElseThrow().device())
                .containsExactlyInAnyOrder("/dev/sdf", "/dev/sdg", "/dev/sdh", "/dev/sdi");
        assertThat(host.attachedSerials()).containsExactlyInAnyOrderElementsOf(vols.stream().map(v -> serial(v.id())).toList());
        for (int i = 0; i < 4; i++) {
            assertThat(stagesOf(i)).containsExactly(Stage.REQUESTED, Stage.CREATING, Stage.AVAILABLE, Stage.ATTACHING, Stage.ATTACHED);
        }
        assertThat(server.faults().calls("CreateVolume")).isEqualTo(4);

        InstanceInfo info = ebs.describeInstance(instance);
        assertThat(info.availabilityZone()).isEqualTo("us-east-1a");
        assertThat(info.state()).isEqualTo("running");
        assertThat(info.deviceNames()).contains("/dev/xvda", "/dev/sdf", "/dev/sdi");

        ebs.tag(vols.stream().map(EbsVolume::id).toList(), Map.of("cryptvol:lv", "mylv"));
        assertThat(ebs.volumesWithTag("cryptvol:lv", "mylv")).hasSize(4);
        assertThat(ebs.volumesAttachedTo(instance)).hasSize(5); // and the root volume
    }

    @Test
    void attachSkipsDeviceNamesInUse() {
        List<EbsVolume> first = ebs.createAndAttach(instance, 1, VolumeSpec.of(1, "gp3"), EbsProgress.NONE);
        assertThat(first.get(0).attachment().orElseThrow().device()).isEqualTo("/dev/sdf");
        List<EbsVolume> loose = ebs.createVolumes(2, VolumeSpec.of(1, "gp2").inZone("us-east-1a"), EbsProgress.NONE);
        assertThat(loose).allSatisfy(v -> assertThat(v.state()).isEqualTo("available"));
        List<EbsVolume> attached = ebs.attachVolumes(instance, loose.stream().map(EbsVolume::id).toList(), EbsProgress.NONE);
        assertThat(attached).extracting(v -> v.attachment().orElseThrow().device())
                .containsExactlyInAnyOrder("/dev/sdg", "/dev/sdh");
    }

    @Test
    void describesWithFiltersThroughPages() {
        ebs.createVolumes(7, VolumeSpec.of(1, "gp3").inZone("us-east-1a").withTags(Map.of("set", "alpha")), EbsProgress.NONE);
        ebs.createVolumes(5, VolumeSpec.of(2, "gp3").inZone("us-east-1a").withTags(Map.of("set", "beta")), EbsProgress.NONE);
        int before = server.faults().calls("DescribeVolumes");
        List<EbsVolume> all = ebs.findVolumes(Map.of("tag-key", List.of("set")));
        assertThat(all).hasSize(12).extracting(EbsVolume::id).doesNotHaveDuplicates();
        assertThat(server.faults().calls("DescribeVolumes") - before).isEqualTo(3); // 5 + 5 + 2
        assertThat(ebs.volumesWithTag("set", "alpha")).hasSize(7);
        assertThat(ebs.findVolumes(Map.of("tag:set", List.of("beta"), "size", List.of("2")))).hasSize(5);
        assertThat(ebs.findVolumes(Map.of("status", List.of("available"), "availability-zone", List.of("us-east-1a")))).hasSize(12);
        List<String> three = all.subList(0, 3).stream().map(EbsVolume::id).toList();
        assertThat(ebs.describeVolumes(three)).extracting(EbsVolume::id).containsExactlyInAnyOrderElementsOf(three);
    }

    @Test
    void detachesAndDeletes() {
        List<EbsVolume> vols = ebs.createAndAttach(instance, 2, VolumeSpec.of(1, "gp3"), EbsProgress.NONE);
        List<String> ids = vols.stream().map(EbsVolume::id).toList();

        assertThatThrownBy(() -> ebs.deleteVolumes(ids.subList(0, 1), EbsProgress.NONE))
                .isInstanceOf(CryptvolException.class)
                .hasMessageStartingWith("DeleteVolume: Volume " + ids.get(0) + " is currently attached to " + instance)
                .hasMessageEndingWith("(VolumeInUse)");

        ebs.detachVolumes(ids, false, progress);
        // issue 17 item 10: DetachVolume names the instance, so EC2 refuses it if the volume moved meanwhile
        assertThat(server.faults().lastParameters("DetachVolume")).containsEntry("InstanceId", instance);
        assertThat(ids).contains(server.faults().lastParameters("DetachVolume").get("VolumeId"));
        assertThat(host.attachedSerials()).isEmpty();
        assertThat(ebs.describeVolumes(ids)).allSatisfy(v -> {
            assertThat(v.state()).isEqualTo("available");
            assertThat(v.attachment()).isEmpty();
        });
        assertThat(stagesOf(0)).containsExactly(Stage.DETACHING, Stage.DETACHED);

        ebs.deleteVolumes(ids, progress);
        assertThat(stagesOf(1)).endsWith(Stage.DELETING, Stage.DELETED);
        assertThatThrownBy(() -> ebs.describeVolumes(ids))
                .isInstanceOf(CryptvolException.class)
                .hasMessageContaining("InvalidVolume.NotFound");
    }

    @Test
    void snapshotsASetFindsItByTagAndRestoresItsContent() throws Exception {
        List<EbsVolume> vols = ebs.createAndAttach(instance, 3, VolumeSpec.of(1, "gp3").withTags(Map.of("cryptvol:vg", "myvg")), EbsProgress.NONE);
        for (EbsVolume v : vols) {
            write(server.volumeImage(v.id()), 4096, "data of " + v.id());
        }
        String set = UUID.randomUUID().toString();
        Map<String, String> tags = Map.of("cryptvol:set", set, "cryptvol:count", "3");

        List<EbsSnapshot> started = ebs.snapshotInstance(instance, true, List.of(), "consistent set", tags, false);
        assertThat(started).hasSize(3).allSatisfy(s -> assertThat(s.state()).isEqualTo("pending"));
        List<EbsSnapshot> done = ebs.awaitSnapshots(ebs.region(), started.stream().map(EbsSnapshot::id).toList(), progress);
        assertThat(done).allSatisfy(s -> {
            assertThat(s.completed()).isTrue();
            assertThat(s.progress()).isEqualTo(100);
        });
        assertThat(events).anyMatch(e -> e.stage() == Stage.SNAPSHOT_COMPLETED);

        List<EbsSnapshot> found = ebs.snapshotsWithTag("cryptvol:set", set);
        assertThat(found).hasSize(3).allSatisfy(s -> assertThat(s.tag("cryptvol:count")).isEqualTo("3"));
        assertThat(found).extracting(EbsSnapshot::volumeId).containsExactlyInAnyOrderElementsOf(vols.stream().map(EbsVolume::id).toList());

        // excluding one data volume
        List<EbsSnapshot> two = ebs.snapshotInstance(instance, true, List.of(vols.get(0).id()), "partial", Map.of(), true);
        assertThat(two).hasSize(2).allSatisfy(s -> assertThat(s.tag("cryptvol:vg")).isEqualTo("myvg"));

        // restore: one volume per snapshot, attached beside the originals
        List<EbsVolume> restored = ebs.restoreSnapshots(found.stream().map(EbsSnapshot::id).toList(),
                VolumeSpec.of(0, "gp3").withTags(Map.of("cryptvol:restored-from", set)), instance, EbsProgress.NONE);
        assertThat(restored).hasSize(3).allSatisfy(v -> {
            assertThat(v.snapshotId()).isNotNull();
            assertThat(v.sizeGiB()).isEqualTo(1);
            assertThat(v.attachedTo(instance)).isTrue();
        });
        for (EbsVolume r : restored) {
            String sourceVolume = found.stream().filter(s -> s.id().equals(r.snapshotId())).findFirst().orElseThrow().volumeId();
            assertThat(read(server.volumeImage(r.id()), 4096, ("data of " + sourceVolume).length())).isEqualTo("data of " + sourceVolume);
        }
        assertThat(host.attachedSerials()).hasSize(6);

        ebs.deleteSnapshots(found.stream().map(EbsSnapshot::id).toList());
        assertThat(ebs.snapshotsWithTag("cryptvol:set", set)).isEmpty();
    }

    @Test
    void snapshotsVolumeByVolumeAndCopiesToAnotherRegion() throws Exception {
        List<EbsVolume> vols = ebs.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        write(server.volumeImage(vols.get(0).id()), 0, "first block");
        List<EbsSnapshot> snaps = ebs.snapshotVolumes(vols.stream().map(EbsVolume::id).toList(), "one by one",
                Map.of("cryptvol:set", "s2"), progress);
        assertThat(snaps).hasSize(2);
        ebs.awaitSnapshots("us-east-1", snaps.stream().map(EbsSnapshot::id).toList(), EbsProgress.NONE);

        List<EbsSnapshot> copies = ebs.copySnapshots("us-east-1", List.of(snaps.get(0).id()), "us-west-2", null, null, EbsProgress.NONE);
        assertThat(copies).singleElement().satisfies(c -> {
            assertThat(c.region()).isEqualTo("us-west-2");
            assertThat(c.completed()).isTrue();
            assertThat(c.tag("cryptvol:set")).isEqualTo("s2"); // the source's tags, passed explicitly
        });
        assertThat(read(server.snapshotImage(copies.get(0).id()), 0, 11)).isEqualTo("first block");
        EbsGateway west = new EbsGateway(new AwsClients(AwsSettings.sandbox(server.endpoint()).withRegion("us-west-2")),
                EbsOptions.sandbox());
        assertThat(west.snapshotsWithTag("cryptvol:set", "s2")).hasSize(1);
        assertThat(ebs.snapshotsWithTag("cryptvol:set", "s2")).hasSize(2);
    }

    @Test
    void throttlingIsRetriedBySdk() {
        server.faults().failNext("CreateVolume", 2, "RequestLimitExceeded");
        List<EbsVolume> vols = ebs.createVolumes(1, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        assertThat(vols).hasSize(1);
        assertThat(server.faults().calls("CreateVolume")).isEqualTo(3);
    }

    @Test
    void throttlingBeyondTheRetriesIsOneClearLine() {
        EbsGateway impatient = new EbsGateway(new AwsClients(AwsSettings.sandbox(server.endpoint()).withMaxAttempts(2)),
                EbsOptions.sandbox());
        server.faults().failNext("DescribeInstances", 2, "RequestLimitExceeded");
        assertThatThrownBy(() -> impatient.describeInstance(instance))
                .isInstanceOf(CryptvolException.class)
                .hasMessage("EC2 is throttling DescribeInstances (RequestLimitExceeded) even after retries — wait a minute and try again");
    }

    @Test
    void unauthorizedIsOneClearLine() {
        server.faults().deny("CreateVolume");
        assertThatThrownBy(() -> ebs.createVolumes(1, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE))
                .isInstanceOf(CryptvolException.class)
                .hasMessage("not allowed: ec2:CreateVolume — check the IAM policy of arn:aws:iam::123456789012:user/sandbox")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Encoded").doesNotContain("\n"));
        assertThat(server.faults().calls("CreateVolume")).isEqualTo(1); // not retried
    }

    @Test
    void aVolumeStuckAttachingTimesOutNamingIt() {
        EbsGateway quick = new EbsGateway(clients, EbsOptions.sandbox().withPollInterval(Duration.ofMillis(50))
                .withAttachTimeout(Duration.ofSeconds(1)));
        server.faults().stickNextAttachments(1);
        assertThatThrownBy(() -> quick.createAndAttach(instance, 1, VolumeSpec.of(1, "gp3"), progress))
                .isInstanceOf(CryptvolException.class)
                .hasMessageMatching("vol-[0-9a-f]{17} still attaching after 1 s \\(instance i-[0-9a-f]{17}, device /dev/sdf\\)");
        assertThat(events).anyMatch(e -> e.stage() == Stage.FAILED && e.resourceId() != null);
    }

    @Test
    void aPartlyFailedBatchSaysWhatIsDone() {
        EbsGateway quick = new EbsGateway(clients, EbsOptions.sandbox().withPollInterval(Duration.ofMillis(50))
                .withAttachTimeout(Duration.ofSeconds(1)));
        List<EbsVolume> loose = quick.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        server.faults().stickAttaching(loose.get(1).id());
        assertThatThrownBy(() -> quick.attachVolumes(instance, loose.stream().map(EbsVolume::id).toList(), EbsProgress.NONE))
                .isInstanceOfSatisfying(EbsBatchException.class, e -> {
                    assertThat(e.completed()).containsExactly(loose.get(0).id());
                    assertThat(e.failed()).containsExactly(loose.get(1).id());
                    assertThat(e.getMessage()).startsWith("1 of 2 volumes attached (" + loose.get(0).id() + "); failed: "
                            + loose.get(1).id() + " still attaching after 1 s");
                });
    }

    @Test
    void ec2ErrorsKeepTheirCode() {
        assertThatThrownBy(() -> ebs.createVolumes(1, VolumeSpec.of(99999, "gp3").inZone("us-east-1a"), EbsProgress.NONE))
                .hasMessage("CreateVolume: Volume of 99999GiB is too large for volume type gp3; maximum is 16384GiB. (InvalidParameterValue)");
        assertThatThrownBy(() -> ebs.describeInstance("i-00000000000000000"))
                .hasMessage("DescribeInstances: The instance ID 'i-00000000000000000' does not exist (InvalidInstanceID.NotFound)");
        assertThatThrownBy(() -> ebs.createAndAttach(instance, 1, VolumeSpec.of(1, "gp3").inZone("us-east-1b"), EbsProgress.NONE))
                .hasMessageContaining("us-east-1b").hasMessageContaining("us-east-1a");
        int before = server.faults().calls("CreateVolume");
        assertThatThrownBy(() -> ebs.createAndAttach(instance, 22, VolumeSpec.of(1, "gp3"), EbsProgress.NONE))
                .hasMessage(instance + " has 21 free device names between /dev/sdf and /dev/sdz; 22 volumes need one each");
        assertThat(server.faults().calls("CreateVolume")).isEqualTo(before); // refused before any creation
    }

    /** Issue 17: every listing is read whole when the endpoint answers in pages of two, whatever MaxResults says. */
    @Test
    void listingsAreReadWholeThroughPagesOfTwo() {
        server.pageSize(2);
        List<EbsVolume> vols = ebs.createAndAttach(instance, 3, VolumeSpec.of(1, "gp3").withTags(Map.of("set", "p")), EbsProgress.NONE);
        ebs.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a").withTags(Map.of("set", "p")), EbsProgress.NONE);
        int before = server.faults().calls("DescribeVolumes");
        assertThat(ebs.volumesWithTag("set", "p")).hasSize(5).extracting(EbsVolume::id).doesNotHaveDuplicates();
        assertThat(server.faults().calls("DescribeVolumes") - before).as("pages of 2, 2, 1").isEqualTo(3);
        assertThat(ebs.volumesAttachedTo(instance)).hasSize(4); // and the root volume
        assertThat(ebs.findVolumes(Map.of())).hasSize(6);
        List<String> ids = vols.stream().map(EbsVolume::id).toList();
        assertThat(ebs.describeVolumes(ids)).extracting(EbsVolume::id).containsExactlyInAnyOrderElementsOf(ids);

        List<EbsSnapshot> snaps = ebs.snapshotInstance(instance, true, List.of(), "paged", Map.of("set", "p"), false);
        ebs.snapshotVolumes(List.of(vols.get(0).id(), vols.get(1).id()), "paged too", Map.of("set", "p"), EbsProgress.NONE);
        ebs.awaitSnapshots(ebs.region(), snaps.stream().map(EbsSnapshot::id).toList(), EbsProgress.NONE);
        before = server.faults().calls("DescribeSnapshots");
        assertThat(ebs.snapshotsWithTag("set", "p")).hasSize(5).extracting(EbsSnapshot::id).doesNotHaveDuplicates();
        assertThat(server.faults().calls("DescribeSnapshots") - before).isEqualTo(3);
        assertThat(ebs.describeInstance(instance).deviceNames()).hasSize(4);
    }

    /**
     * Issue 17: EC2 is eventually consistent. Snapshots just made are not there for DescribeSnapshots for a moment;
     * waiting for them copes (and so does waiting for new volumes).
     */
    @Test
    void waitingCopesWithNewResourcesNotFoundForAMoment() {
        server.timings(new SandboxTimings(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
                Duration.ofMillis(200), Duration.ofSeconds(3)).withNotFoundAfterCreate(Duration.ofMillis(1500)));
        List<EbsVolume> vols = ebs.createVolumes(2, VolumeSpec.of(1, "gp3").inZone("us-east-1a"), EbsProgress.NONE);
        assertThat(vols).allSatisfy(v -> assertThat(v.state()).isEqualTo("available"));

        List<EbsSnapshot> snaps = ebs.snapshotVolumes(vols.stream().map(EbsVolume::id).toList(), "new", Map.of(), EbsProgress.NONE);
        List<String> ids = snaps.stream().map(EbsSnapshot::id).toList();
        assertThat(ebs.findSnapshots(Map.of("snapshot-id", ids))).as("not listed yet").isEmpty();
        int before = server.faults().calls("DescribeSnapshots");
        List<EbsSnapshot> done = ebs.awaitSnapshots(ebs.region(), ids, progress);
        assertThat(done).extracting(EbsSnapshot::id).containsExactlyElementsOf(ids);
        assertThat(done).allSatisfy(x -> assertThat(x.completed()).isTrue());
        assertThat(server.faults().calls("DescribeSnapshots") - before).as("asked again after NotFound").isGreaterThan(1);
        assertThat(ebs.findSnapshots(Map.of("snapshot-id", ids))).hasSize(2);
    }

    /** Issue 17: a volume detached and attached elsewhere meanwhile is not detached from its new instance. */
    @Test
    void detachNamesTheInstanceItSawTheVolumeOn() {
        String other = server.addInstance("us-east-1a", new RecordingDiskHost());
        List<EbsVolume> vols = ebs.createAndAttach(other, 1, VolumeSpec.of(1, "gp3"), EbsProgress.NONE);
        String id = vols.get(0).id();
        ebs.detachVolumes(List.of(id), false, EbsProgress.NONE);
        assertThat(server.faults().lastParameters("DetachVolume")).containsEntry("InstanceId", other).containsEntry("VolumeId", id);
        assertThatThrownBy(() -> ebs.detachVolumes(List.of(id), false, EbsProgress.NONE))
                .isInstanceOf(CryptvolException.class).hasMessageContaining("(IncorrectState)");
        assertThat(server.faults().lastParameters("DetachVolume")).doesNotContainKey("InstanceId");
    }

    static void write(Path image, long offset, String text) throws Exception {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(text.getBytes()), offset);
        }
    }

    static String read(Path image, long offset, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        try (FileChannel ch = FileChannel.open(image)) {
            ch.read(b, offset);
        }
        return new String(b.array());
    }
}

package io.cryptvol.aws;

import io.cryptvol.aws.EbsProgress.Stage;
import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Batch waits of the gateway (one DescribeVolumes per round for the whole batch, backoff, eventual
 * consistency), device names in set order, --no-wait, and what a failed batch says exists: over the real SDK
 * client, against the sandbox endpoint, counting what the endpoint received.
 */
class EbsBatchWaitTest {
    @TempDir
    Path dir;
    SandboxEc2Server server;
    AwsClients clients;
    RecordingDiskHost host;
    String instance;
    final List<EbsProgress.Event> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() {
        server = SandboxEc2Server.builder().dataDir(dir).timings(SandboxTimings.defaults()).build().start();
        clients = new AwsClients(AwsSettings.sandbox(server.endpoint()));
        host = new RecordingDiskHost();
        instance = server.addInstance("us-east-1a", host);
    }

    @AfterEach
    void stop() {
        clients.close();
        server.close();
    }

    EbsGateway gateway(EbsOptions o) {
        return new EbsGateway(clients, o);
    }

    static List<VolumeSpec> set(int n) {
        List<VolumeSpec> specs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            specs.add(VolumeSpec.of(1, "gp3").withTags(VolumeTags.forMember("set-1", i, n, "vg")));
        }
        return specs;
    }

    @Test
    void fourVolumesArePolledAsOneBatchAndTheCountsMatchWhatTheEndpointReceived() {
        EbsGateway ebs = gateway(EbsOptions.sandbox());
        server.faults().reset();
        List<EbsVolume> vols = ebs.createVolumes(set(4), instance, events::add);

        assertThat(vols).hasSize(4).allSatisfy(v -> assertThat(v.attachedTo(instance)).isTrue());
        Map<String, Integer> atEndpoint = server.faults().calls();
        assertThat(atEndpoint).containsEntry("CreateVolume", 4).containsEntry("AttachVolume", 4)
                .containsEntry("DescribeInstances", 1);
        // 300 ms to create and to attach, polled from 100 ms up, ×1.5: a few rounds each, for all four at once
        // (each volume on its own made 32 DescribeVolumes here)
        assertThat(atEndpoint.get("DescribeVolumes")).isBetween(2, 10);
        assertThat(ebs.calls().snapshot()).isEqualTo(atEndpoint);
        System.out.println("EC2 calls for create+attach of 4 volumes (sandbox, 100 ms poll): " + Ec2CallCounts.line(atEndpoint));
        assertThat(Ec2CallCounts.line(ebs.calls().drain())).startsWith(atEndpoint.values().stream().mapToInt(i -> i).sum() + " EC2 calls: AttachVolume 4, CreateVolume 4, DescribeInstances 1, DescribeVolumes ");
        assertThat(ebs.calls().snapshot()).isEmpty(); // drained
    }

    @Test
    void retriedCallsAreCountedAsTheEndpointSawThem() {
        EbsGateway ebs = gateway(EbsOptions.sandbox());
        server.faults().reset().failNext("DescribeInstances", 2, "RequestLimitExceeded");
        ebs.describeInstance(instance);
        assertThat(ebs.calls().snapshot()).isEqualTo(Map.of("DescribeInstances", 3)).isEqualTo(server.faults().calls());
    }

    @Test
    void pollingBacksOffWhileAVolumeTakesLong() {
        server.close();
        server = SandboxEc2Server.builder().dataDir(dir.resolve("slow")).timings(new SandboxTimings(Duration.ofSeconds(3),
                Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100))).build().start();
        clients.close();
        clients = new AwsClients(AwsSettings.sandbox(server.endpoint()));
        EbsGateway ebs = gateway(EbsOptions.sandbox().withPollInterval(Duration.ofMillis(50)));
        long t0 = System.nanoTime();
        List<EbsVolume> vols = ebs.createVolumes(set(3).stream().map(s -> s.inZone("us-east-1a")).toList(), null, events::add);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(vols).allSatisfy(v -> assertThat(v.state()).isEqualTo("available"));
        // a fixed 50 ms poll per volume would be ~180 calls; backing off to 250 ms, for the batch: ~15
        assertThat(server.faults().calls("DescribeVolumes")).as("polls in %d ms", ms).isBetween(5, 20);
    }

    @ParameterizedTest(name = "jitter of {0} ms stays within ±20 %")
    @ValueSource(longs = {50, 100, 2000, 10000})
    void jitterIsBounded(long ms) {
        for (int i = 0; i < 200; i++) {
            long j = EbsGateway.jitter(Duration.ofMillis(ms)).toMillis();
            assertThat(j).isBetween(Math.round(ms * 0.8), Math.round(ms * 1.2));
        }
    }

    @Test
    void aVolumeEc2DoesNotShowYetCountsAsCreating() {
        EbsGateway ebs = gateway(EbsOptions.sandbox());
        // the endpoint answers the first polls as EC2 does for an id it has not propagated yet
        server.faults().failNext("DescribeVolumes", 3, "InvalidVolume.NotFound");
        List<EbsVolume> vols = ebs.createVolumes(set(2), instance, events::add);
        assertThat(vols).allSatisfy(v -> assertThat(v.attachedTo(instance)).isTrue());
        assertThat(server.faults().calls("DescribeVolumes")).isGreaterThan(3);
    }

    @Test
    void aVolumeThatIsGoneIsNotWaitedForWhenItWasNotCreatedHere() {
        EbsGateway ebs = gateway(EbsOptions.sandbox().withAttachTimeout(Duration.ofSeconds(30)));
        List<EbsVolume> loose = ebs.createVolumes(set(1).stream().map(s -> s.inZone("us-east-1a")).toList(), null, EbsProgress.NONE);
        server.faults().failNext("DescribeVolumes", 1, "InvalidVolume.NotFound");
        long t0 = System.nanoTime();
        // not created by this batch: NotFound is an answer, not eventual consistency
        assertThatThrownBy(() -> ebs.attachVolumes(instance, List.of(loose.get(0).id()), EbsProgress.NONE))
                .isInstanceOf(EbsBatchException.class).hasMessageContaining("InvalidVolume.NotFound");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void deviceNamesFollowSetOrderWhateverOrderVolumesFinishIn() {
        EbsGateway ebs = gateway(EbsOptions.sandbox());
        // /dev/sdg is taken on the instance; the first AttachVolume requests are throttled and retried, so the
        // members finish out of order
        ebs.createVolumes(List.of(VolumeSpec.of(1, "gp3")), instance, List.of("/dev/sdg"), true, EbsProgress.NONE);
        server.faults().failNext("AttachVolume", 2, "RequestLimitExceeded").failNext("CreateVolume", 1, "RequestLimitExceeded");
        List<EbsVolume> vols = ebs.createVolumes(set(4), instance, events::add);
        List<String> expected = List.of("/dev/sdf", "/dev/sdh", "/dev/sdi", "/dev/sdj");
        for (EbsVolume v : vols) {
            int index = Integer.parseInt(v.tag(VolumeTags.INDEX)) - 1;
            assertThat(v.attachment().orElseThrow().device()).as("member %d", index).isEqualTo(expected.get(index));
        }
        assertThat(vols).extracting(v -> v.attachment().orElseThrow().device()).containsExactlyElementsOf(expected);
    }

    @Test
    void noWaitWithoutAnInstanceReturnsRightAfterCreateVolume() {
        EbsGateway ebs = gateway(EbsOptions.sandbox());
        server.faults().reset();
        List<EbsVolume> vols = ebs.createVolumes(set(3).stream().map(s -> s.inZone("us-east-1a")).toList(), null, null,
                false, events::add);
        assertThat(vols).hasSize(3).allSatisfy(v -> {
            assertThat(v.state()).isEqualTo("creating");
            assertThat(v.id()).matches("vol-[0-9a-f]{17}");
            assertThat(v.tag(VolumeTags.SET)).isEqualTo("set-1");
        });
        assertThat(server.faults().calls()).isEqualTo(Map.of("CreateVolume", 3));
    }

    @Test
    void noWaitWithAnInstanceWaitsOnlyForAvailableThenAttaches() {
        EbsGateway ebs = gateway(EbsOptions.sandbox());
        server.faults().reset();
        List<EbsVolume> vols = ebs.createVolumes(set(2).stream().map(s -> s.inZone("us-east-1a")).toList(), instance,
                List.of("/dev/sdf", "/dev/sdg"), false, events::add);
        assertThat(server.faults().calls("AttachVolume")).isEqualTo(2);
        assertThat(server.faults().calls("DescribeInstances")).isZero(); // the names were given
        assertThat(vols).extracting(v -> v.attachment().orElseThrow().device()).containsExactly("/dev/sdf", "/dev/sdg");
        assertThat(events).noneMatch(e -> e.stage() == Stage.ATTACHED);
    }

    @Test
    void aStalledAttachReportsEveryMemberAsItIsNow() {
        EbsGateway ebs = gateway(EbsOptions.sandbox().withAttachTimeout(Duration.ofSeconds(1)));
        server.faults().stickNextAttachments(1);
        assertThatThrownBy(() -> ebs.createVolumes(set(2), instance, events::add))
                .isInstanceOfSatisfying(EbsBatchException.class, e -> {
                    assertThat(e.instanceId()).isEqualTo(instance);
                    assertThat(e.members()).hasSize(2);
                    assertThat(e.createdIds()).hasSize(2).doesNotContainNull();
                    assertThat(e.attachedIds()).containsExactlyElementsOf(e.createdIds());
                    assertThat(e.members()).extracting(EbsBatchException.Member::device).containsExactly("/dev/sdf", "/dev/sdg");
                    assertThat(e.members()).extracting(EbsBatchException.Member::attachmentState)
                            .containsExactlyInAnyOrder("attached", "attaching");
                    assertThat(e.completed()).hasSize(1);
                    assertThat(e.getMessage()).startsWith("1 of 2 volumes attached (").contains("still attaching after 1 s");
                });
    }

    @Test
    void aFailedCreationLeavesTheOthersUnattachedAndSaysSo() {
        EbsGateway ebs = gateway(EbsOptions.sandbox());
        server.faults().failNext("CreateVolume", 1, "VolumeLimitExceeded");
        assertThatThrownBy(() -> ebs.createVolumes(set(3), instance, events::add))
                .isInstanceOfSatisfying(EbsBatchException.class, e -> {
                    assertThat(e.members()).filteredOn(m -> m.volumeId() == null).hasSize(1);
                    assertThat(e.createdIds()).hasSize(2);
                    assertThat(e.attachedIds()).isEmpty();
                    assertThat(e.getMessage()).startsWith("2 of 3 volumes created (none attached)").contains("VolumeLimitExceeded");
                });
        assertThat(server.faults().calls("AttachVolume")).isZero();
    }
}

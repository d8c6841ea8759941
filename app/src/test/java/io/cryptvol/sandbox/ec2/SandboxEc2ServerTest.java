package io.cryptvol.sandbox.ec2;

import io.cryptvol.sandbox.RecordingDiskHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeVolumesResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.model.VolumeAttachmentState;
import software.amazon.awssdk.services.ec2.model.VolumeState;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** The sandbox on its own: raw HTTP, and EC2 semantics through the real SDK client (no gateway). */
class SandboxEc2ServerTest {
    @TempDir
    Path dir;
    SandboxEc2Server server;
    Ec2Client ec2;
    RecordingDiskHost host;
    String instance;

    @BeforeEach
    void start() {
        server = SandboxEc2Server.builder().dataDir(dir).timings(SandboxTimings.uniform(Duration.ofMillis(150))).build().start();
        ec2 = client("us-east-1");
        host = new RecordingDiskHost();
        instance = server.addInstance("us-east-1a", host);
    }

    @AfterEach
    void stop() {
        ec2.close();
        server.close();
    }

    Ec2Client client(String region) {
        return Ec2Client.builder().endpointOverride(server.endpoint()).region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
                .build();
    }

    Ec2Waiter waiter() {
        return Ec2Waiter.builder().client(ec2).overrideConfiguration(WaiterOverrideConfiguration.builder()
                .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(50))).waitTimeout(Duration.ofSeconds(10))
                .maxAttempts(200).build()).build();
    }

    Volume volume(String id) {
        return ec2.describeVolumes(b -> b.volumeIds(id)).volumes().get(0);
    }

    String availableVolume(int size) {
        String id = ec2.createVolume(b -> b.size(size).volumeType("gp3").availabilityZone("us-east-1a")).volumeId();
        Ec2Seen.volume(ec2, id);
        try (Ec2Waiter w = waiter()) {
            w.waitUntilVolumeAvailable(b -> b.volumeIds(id));
        }
        return id;
    }

    void await(String what, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!cond.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    int progress(String snapshotId) {
        return Integer.parseInt(ec2.describeSnapshots(b -> b.snapshotIds(snapshotId)).snapshots().get(0).progress().replace("%", ""));
    }

    static Ec2Exception ec2Error(Runnable r) {
        try {
            r.run();
        } catch (Ec2Exception e) {
            return e;
        }
        throw new AssertionError("no EC2 error");
    }

    // ------------------------------------------------------------------ protocol

    HttpResponse<String> raw(String body, boolean withAuth) throws Exception {
        return raw(body, withAuth ? "eu-west-1" : null);
    }

    HttpResponse<String> raw(String body, String signedForRegion) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.endpoint().resolve("/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (signedForRegion != null) {
            b.header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250101/" + signedForRegion + "/ec2/aws4_request, "
                    + "SignedHeaders=host, Signature=00");
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void refusesRequestsWithoutAuthorization() throws Exception {
        HttpResponse<String> r = raw("Action=DescribeVolumes&Version=2016-11-15", false);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("<Response><Errors><Error><Code>AuthFailure</Code>").contains("<RequestID>");
    }

    @Test
    void answersInTheEc2NamespaceAndReadsTheRegionFromTheCredentialScope() throws Exception {
        HttpResponse<String> r = raw("Action=DescribeVolumes&Version=2016-11-15", true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("<DescribeVolumesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">");
        HttpResponse<String> bad = raw("Action=CreateVolume&Version=2016-11-15&Size=1&AvailabilityZone=us-east-1a", true);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("<Code>InvalidParameterValue</Code>").contains("us-east-1a"); // request was eu-west-1
        HttpResponse<String> unknown = raw("Action=RunInstances&Version=2016-11-15", true);
        assertThat(unknown.body()).contains("<Code>InvalidAction</Code>");
    }

    @Test
    void regionsAreSeparate() {
        try (Ec2Client west = client("us-west-2")) {
            String id = availableVolume(1);
            assertThat(ec2Error(() -> west.describeVolumes(b -> b.volumeIds(id))).awsErrorDetails().errorCode())
                    .isEqualTo("InvalidVolume.NotFound");
            assertThat(west.describeInstances().reservations()).isEmpty();
        }
    }

    @Test
    void adminPathInjectsFaults() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.endpoint().resolve("/_sandbox/faults"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("fail=DescribeVolumes&code=InternalError&times=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Ec2Exception e = ec2Error(() -> ec2.describeVolumes());
        assertThat(e.statusCode()).isEqualTo(500);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InternalError");
        ec2.describeVolumes();
        String calls = http.send(HttpRequest.newBuilder(server.endpoint().resolve("/_sandbox/calls")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(calls).contains("DescribeVolumes 2");
    }

    @Test
    void throttlingIs503AndRequestLimitExceeded() {
        server.faults().failNext("DescribeVolumes", 1, "RequestLimitExceeded");
        Ec2Exception e = ec2Error(() -> ec2.describeVolumes());
        assertThat(e.statusCode()).isEqualTo(503);
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("RequestLimitExceeded");
        assertThat(e.isThrottlingException()).isTrue();
    }

    // ------------------------------------------------------------------ volumes

    @Test
    void volumeLifeCycleFollowsTime() throws Exception {
        // each state lasts 1 s, so a loaded machine still sees the in-between states right after each call
        server.timings(SandboxTimings.uniform(Duration.ofSeconds(1)));
        var created = ec2.createVolume(b -> b.size(1).volumeType("gp3").availabilityZone("us-east-1a"));
        String id = created.volumeId();
        assertThat(id).matches("vol-[0-9a-f]{17}");
        Ec2Seen.volume(ec2, id);
        assertThat(created.state()).isEqualTo(VolumeState.CREATING);
        assertThat(created.iops()).isEqualTo(3000);
        assertThat(created.throughput()).isEqualTo(125);
        Path image = server.volumeImage(id);
        assertThat(Files.size(image)).isEqualTo(1L << 30);
        assertThat(allocatedBytes(image)).isLessThan(1 << 20); // sparse
        await("available", () -> volume(id).state() == VolumeState.AVAILABLE);

        var att = ec2.attachVolume(b -> b.volumeId(id).instanceId(instance).device("/dev/sdf"));
        assertThat(att.state()).isEqualTo(VolumeAttachmentState.ATTACHING);
        assertThat(volume(id).state()).isEqualTo(VolumeState.IN_USE);
        await("attached", () -> volume(id).attachments().get(0).state() == VolumeAttachmentState.ATTACHED);
        String serial = "vol" + id.substring(4);
        assertThat(host.attachedSerials()).containsExactly(serial);
        assertThat(host.image(serial)).isEqualTo(image);
        var mappings = ec2.describeInstances(b -> b.instanceIds(instance)).reservations().get(0).instances().get(0);
        assertThat(mappings.placement().availabilityZone()).isEqualTo("us-east-1a");
        assertThat(mappings.blockDeviceMappings()).extracting(m -> m.deviceName()).containsExactly("/dev/xvda", "/dev/sdf");

        var det = ec2.detachVolume(b -> b.volumeId(id));
        assertThat(det.state()).isEqualTo(VolumeAttachmentState.DETACHING);
        await("available again", () -> volume(id).state() == VolumeState.AVAILABLE);
        assertThat(host.attachedSerials()).isEmpty();
        assertThat(host.log()).containsExactly("attach " + serial, "detach " + serial);

        ec2.deleteVolume(b -> b.volumeId(id));
        assertThat(volume(id).state()).isEqualTo(VolumeState.DELETING);
        await("gone", () -> ec2.describeVolumes(b -> b.filters(Filter.builder().name("volume-id").values(id).build()))
                .volumes().isEmpty());
        assertThat(ec2Error(() -> volume(id)).awsErrorDetails().errorCode()).isEqualTo("InvalidVolume.NotFound");
        assertThat(Files.exists(image)).isFalse();
    }

    static long allocatedBytes(Path p) throws Exception {
        Process proc = new ProcessBuilder("du", "-B1", "--", p.toString()).start();
        String out = new String(proc.getInputStream().readAllBytes()).trim();
        proc.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }

    @Test
    void createVolumeValidatesLikeEc2() {
        record Case(String code, String fragment, Consumer<software.amazon.awssdk.services.ec2.model.CreateVolumeRequest.Builder> req) {
        }
        List<Case> cases = List.of(
                new Case("InvalidParameterValue", "too small", b -> b.size(0).volumeType("gp3").availabilityZone("us-east-1a")),
                new Case("InvalidParameterValue", "too large", b -> b.size(20000).volumeType("gp3").availabilityZone("us-east-1a")),
                new Case("InvalidParameterValue", "volumeType", b -> b.size(1).volumeType("gp9").availabilityZone("us-east-1a")),
                new Case("MissingParameter", "iops", b -> b.size(10).volumeType("io2").availabilityZone("us-east-1a")),
                new Case("InvalidParameterCombination", "iops", b -> b.size(10).volumeType("gp2").iops(3000).availabilityZone("us-east-1a")),
                new Case("InvalidParameterValue", "throughput", b -> b.size(10).volumeType("gp3").throughput(5000).availabilityZone("us-east-1a")),
                new Case("InvalidParameterDependency", "KmsKeyId", b -> b.size(10).kmsKeyId("alias/x").availabilityZone("us-east-1a")),
                new Case("MissingParameter", "availabilityZone", b -> b.size(10)),
                new Case("InvalidParameterValue", "availability zone", b -> b.size(10).availabilityZone("eu-west-1a")),
                new Case("InvalidSnapshot.NotFound", "snap-0000", b -> b.snapshotId("snap-00000000000000000").availabilityZone("us-east-1a")));
        for (Case c : cases) {
            Ec2Exception e = ec2Error(() -> ec2.createVolume(c.req()));
            assertThat(e.awsErrorDetails().errorCode()).as(c.toString()).isEqualTo(c.code());
            assertThat(e.awsErrorDetails().errorMessage()).as(c.toString()).contains(c.fragment());
            assertThat(e.statusCode()).isEqualTo(400);
        }
        var enc = ec2.createVolume(b -> b.size(1).encrypted(true).availabilityZone("us-east-1a"));
        assertThat(enc.encrypted()).isTrue();
        assertThat(enc.kmsKeyId()).startsWith("arn:aws:kms:us-east-1:");
        assertThat(enc.volumeTypeAsString()).isEqualTo("gp2");
    }

    @Test
    void attachDetachDeleteRefuseWrongStates() throws Exception {
        server.timings(SandboxTimings.uniform(Duration.ofSeconds(5))); // creating for a while, whatever the load
        String creating = ec2.createVolume(b -> b.size(1).availabilityZone("us-east-1a")).volumeId();
        server.timings(SandboxTimings.uniform(Duration.ofMillis(150)));
        Ec2Seen.volume(ec2, creating);
        assertThat(ec2Error(() -> ec2.attachVolume(b -> b.volumeId(creating).instanceId(instance).device("/dev/sdg")))
                .awsErrorDetails().errorCode()).isEqualTo("IncorrectState");
        String a = availableVolume(1);
        String b2 = availableVolume(1);
        ec2.attachVolume(b -> b.volumeId(a).instanceId(instance).device("/dev/sdf"));
        assertThat(ec2Error(() -> ec2.attachVolume(b -> b.volumeId(a).instanceId(instance).device("/dev/sdh")))
                .awsErrorDetails().errorCode()).isEqualTo("VolumeInUse");
        Ec2Exception busy = ec2Error(() -> ec2.attachVolume(b -> b.volumeId(b2).instanceId(instance).device("/dev/xvdf")));
        assertThat(busy.awsErrorDetails().errorCode()).isEqualTo("InvalidParameterValue");
        assertThat(busy.awsErrorDetails().errorMessage()).contains("/dev/xvdf is already in use");
        assertThat(ec2Error(() -> ec2.deleteVolume(b -> b.volumeId(a))).awsErrorDetails().errorCode()).isEqualTo("VolumeInUse");
        assertThat(ec2Error(() -> ec2.detachVolume(b -> b.volumeId(b2))).awsErrorDetails().errorCode()).isEqualTo("IncorrectState");
        assertThat(ec2Error(() -> ec2.attachVolume(b -> b.volumeId(b2).instanceId("i-00000000000000000").device("/dev/sdg")))
                .awsErrorDetails().errorCode()).isEqualTo("InvalidInstanceID.NotFound");
        assertThat(ec2Error(() -> ec2.describeInstances(b -> b.instanceIds("i-00000000000000000")))
                .awsErrorDetails().errorCode()).isEqualTo("InvalidInstanceID.NotFound");
        String otherZone = server.addInstance("us-east-1b", new RecordingDiskHost());
        assertThat(ec2Error(() -> ec2.attachVolume(b -> b.volumeId(b2).instanceId(otherZone).device("/dev/sdg")))
                .awsErrorDetails().errorCode()).isEqualTo("InvalidVolume.ZoneMismatch");
        assertThat(ec2Error(() -> ec2.attachVolume(b -> b.volumeId(b2).instanceId(instance)))
                .awsErrorDetails().errorCode()).isEqualTo("MissingParameter");
    }

    @Test
    void aDiskHostThatFailsLeavesTheVolumeAvailable() throws Exception {
        String failing = server.addInstance("us-east-1a", new RecordingDiskHost() {
            @Override
            public synchronized void attachDisk(String serial, Path image) {
                throw new IllegalStateException("qmp said no");
            }
        });
        String id = availableVolume(1);
        ec2.attachVolume(b -> b.volumeId(id).instanceId(failing).device("/dev/sdf"));
        await("available again", () -> volume(id).state() == VolumeState.AVAILABLE && volume(id).attachments().isEmpty());
    }

    @Test
    void filtersAndPagination() {
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int n = i;
            made.add(ec2.createVolume(b -> b.size(1 + n % 3).availabilityZone("us-east-1a").tagSpecifications(t -> t.resourceType("volume")
                    .tags(x -> x.key("set").value(n < 7 ? "alpha" : "beta"), x -> x.key("n").value("v" + n)))).volumeId());
        }
        made.forEach(id -> Ec2Seen.volume(ec2, id));
        List<String> seen = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            DescribeVolumesResponse page = ec2.describeVolumes(b -> b.maxResults(5).nextToken(t)
                    .filters(Filter.builder().name("tag-key").values("set").build()));
            pageSizes.add(page.volumes().size());
            page.volumes().forEach(v -> seen.add(v.volumeId()));
            token = page.nextToken();
        } while (token != null);
        assertThat(pageSizes).containsExactly(5, 5, 2);
        assertThat(seen).doesNotHaveDuplicates().hasSize(12);

        assertThat(ec2.describeVolumes(b -> b.filters(f("tag:set", "alpha"))).volumes()).hasSize(7);
        assertThat(ec2.describeVolumes(b -> b.filters(f("tag:set", "alpha", "beta"), f("size", "1"))).volumes()).hasSize(4);
        assertThat(ec2.describeVolumes(b -> b.filters(f("tag:n", "v1*"))).volumes()).hasSize(3); // v1, v10, v11
        assertThat(ec2.describeVolumes(b -> b.filters(f("availability-zone", "us-east-1a"), f("status", "creating", "available")))
                .volumes()).hasSize(12); // not the root volume: it is in-use
        assertThat(ec2.describeVolumes(b -> b.filters(f("attachment.instance-id", instance))).volumes()).hasSize(1);
        assertThat(ec2Error(() -> ec2.describeVolumes(b -> b.maxResults(3))).awsErrorDetails().errorCode())
                .isEqualTo("InvalidParameterValue");
    }

    static Filter f(String name, String... values) {
        return Filter.builder().name(name).values(values).build();
    }

    // ------------------------------------------------------------------ snapshots

    @Test
    void snapshotsCopyImagesAndProgress() throws Exception {
        server.timings(new SandboxTimings(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofMillis(1500)));
        String id = availableVolume(1);
        byte[] data = "hello from the volume".getBytes();
        try (var ch = java.nio.channels.FileChannel.open(server.volumeImage(id), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(data), 512L << 20);
        }
        server.faults().holdSnapshots(); // pending until released below, however slow the machine
        var snap = ec2.createSnapshot(b -> b.volumeId(id).description("d").tagSpecifications(t -> t.resourceType("snapshot")
                .tags(x -> x.key("set").value("s1"))));
        assertThat(snap.stateAsString()).isEqualTo("pending");
        Ec2Seen.snapshot(ec2, snap.snapshotId());
        // the snapshot is the image as it was at the call: a later write does not show in it
        try (var ch = java.nio.channels.FileChannel.open(server.volumeImage(id), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("LATER".getBytes()), 512L << 20);
        }
        // pending until released, however slow the machine: its progress rises, but never to 100 %
        await("the snapshot's progress rises", () -> progress(snap.snapshotId()) >= 1);
        var mid = ec2.describeSnapshots(b -> b.snapshotIds(snap.snapshotId())).snapshots().get(0);
        assertThat(mid.stateAsString()).isEqualTo("pending");
        int pct = Integer.parseInt(mid.progress().replace("%", ""));
        assertThat(pct).isBetween(1, 99);
        assertThat(ec2Error(() -> ec2.createVolume(b -> b.snapshotId(snap.snapshotId()).availabilityZone("us-east-1a")))
                .awsErrorDetails().errorCode()).isEqualTo("IncorrectState");
        server.faults().releaseSnapshots();
        try (Ec2Waiter w = waiter()) {
            w.waitUntilSnapshotCompleted(b -> b.snapshotIds(snap.snapshotId()));
        }
        assertThat(ec2.describeSnapshots(b -> b.ownerIds("self").filters(f("tag:set", "s1"))).snapshots())
                .singleElement().satisfies(s -> assertThat(s.progress()).isEqualTo("100%"));
        assertThat(ec2.describeSnapshots(b -> b.ownerIds("amazon")).snapshots()).isEmpty();

        String restored = ec2.createVolume(b -> b.snapshotId(snap.snapshotId()).size(2).availabilityZone("us-east-1a")).volumeId();
        Ec2Seen.volume(ec2, restored);
        try (Ec2Waiter w = waiter()) {
            w.waitUntilVolumeAvailable(b -> b.volumeIds(restored));
        }
        assertThat(volume(restored).snapshotId()).isEqualTo(snap.snapshotId());
        Path img = server.volumeImage(restored);
        assertThat(Files.size(img)).isEqualTo(2L << 30);
        byte[] back = new byte[data.length];
        try (var ch = java.nio.channels.FileChannel.open(img)) {
            ch.read(java.nio.ByteBuffer.wrap(back), 512L << 20);
        }
        assertThat(new String(back)).isEqualTo("hello from the volume");

        ec2.deleteSnapshot(b -> b.snapshotId(snap.snapshotId()));
        assertThat(ec2Error(() -> ec2.describeSnapshots(b -> b.snapshotIds(snap.snapshotId())))
                .awsErrorDetails().errorCode()).isEqualTo("InvalidSnapshot.NotFound");
    }

    @Test
    void createSnapshotsOfAnInstanceHonoursExclusionsAndCopiesTags() throws Exception {
        String a = availableVolume(1);
        String b2 = availableVolume(1);
        ec2.createTags(b -> b.resources(a, b2).tags(t -> t.key("vg").value("myvg")));
        ec2.attachVolume(b -> b.volumeId(a).instanceId(instance).device("/dev/sdf"));
        ec2.attachVolume(b -> b.volumeId(b2).instanceId(instance).device("/dev/sdg"));
        var all = ec2.createSnapshots(b -> b.instanceSpecification(s -> s.instanceId(instance)).copyTagsFromSource("volume"));
        assertThat(all.snapshots()).hasSize(3); // root included
        var data = ec2.createSnapshots(b -> b.instanceSpecification(s -> s.instanceId(instance).excludeBootVolume(true)
                .excludeDataVolumeIds(b2)).tagSpecifications(t -> t.resourceType("snapshot").tags(x -> x.key("set").value("u"))));
        assertThat(data.snapshots()).singleElement().satisfies(s -> {
            assertThat(s.volumeId()).isEqualTo(a);
            assertThat(s.stateAsString()).isEqualTo("pending");
            assertThat(s.tags()).extracting(t -> t.key()).containsExactly("set");
        });
        assertThat(all.snapshots()).filteredOn(s -> s.volumeId().equals(a)).singleElement()
                .satisfies(s -> assertThat(s.tags()).extracting(t -> t.value()).containsExactly("myvg"));
    }

    @Test
    void copySnapshotAcrossRegionsKeepsOnlyTheTagsAskedFor() throws Exception {
        String id = availableVolume(1);
        var snap = ec2.createSnapshot(b -> b.volumeId(id).tagSpecifications(t -> t.resourceType("snapshot").tags(x -> x.key("k").value("v"))));
        Ec2Seen.snapshot(ec2, snap.snapshotId());
        try (Ec2Waiter w = waiter()) {
            w.waitUntilSnapshotCompleted(b -> b.snapshotIds(snap.snapshotId()));
        }
        try (Ec2Client west = client("us-west-2")) {
            var plain = west.copySnapshot(b -> b.sourceRegion("us-east-1").destinationRegion("us-west-2").sourceSnapshotId(snap.snapshotId()));
            var tagged = west.copySnapshot(b -> b.sourceRegion("us-east-1").destinationRegion("us-west-2").sourceSnapshotId(snap.snapshotId())
                    .tagSpecifications(t -> t.resourceType("snapshot").tags(x -> x.key("k").value("v"))));
            Ec2Seen.snapshot(west, plain.snapshotId());
            Ec2Seen.snapshot(west, tagged.snapshotId());
            assertThat(plain.tags()).isEmpty();
            assertThat(tagged.tags()).hasSize(1);
            var described = west.describeSnapshots(b -> b.snapshotIds(plain.snapshotId(), tagged.snapshotId())).snapshots();
            assertThat(described).hasSize(2);
            assertThat(ec2Error(() -> ec2.describeSnapshots(b -> b.snapshotIds(plain.snapshotId())))
                    .awsErrorDetails().errorCode()).isEqualTo("InvalidSnapshot.NotFound");
            assertThat(ec2Error(() -> west.copySnapshot(b -> b.sourceRegion("us-east-1").destinationRegion("us-west-2").sourceSnapshotId("snap-00000000000000000")))
                    .awsErrorDetails().errorCode()).isEqualTo("InvalidSnapshot.NotFound");
        }
    }

    // ------------------------------------------------------------------ issue 17: as EC2 behaves

    List<String> seenVolumes(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(ec2.createVolume(b -> b.size(1).availabilityZone("us-east-1a")
                    .tagSpecifications(t -> t.resourceType("volume").tags(x -> x.key("set").value("p")))).volumeId());
        }
        ids.forEach(id -> Ec2Seen.volume(ec2, id));
        return ids;
    }

    /** Pages of at most the endpoint's page size, whatever MaxResults asks; NextToken opaque; EC2's parameter rules. */
    @Test
    void describesAnswerInPagesAsEc2Does() {
        server.pageSize(2);
        List<String> ids = seenVolumes(5);
        server.addInstance("us-east-1a", new RecordingDiskHost());
        server.addInstance("us-east-1b", new RecordingDiskHost());

        // no MaxResults: still pages of 2 (EC2 may always answer fewer than asked), the token is opaque
        DescribeVolumesResponse first = ec2.describeVolumes(b -> b.filters(f("tag:set", "p")));
        assertThat(first.volumes()).hasSize(2);
        assertThat(first.nextToken()).isNotBlank().doesNotContain("vol-");
        // the SDK's paginator follows the tokens: every volume, each once (the root volumes are not tagged)
        List<String> all = ec2.describeVolumesPaginator(b -> b.filters(f("tag:set", "p"))).volumes().stream()
                .map(Volume::volumeId).toList();
        assertThat(all).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(ec2.describeVolumesPaginator(b -> b.maxResults(5)).volumes().stream().count()).isEqualTo(8); // + 3 roots
        assertThat(ec2.describeInstances().reservations()).hasSize(2);
        assertThat(ec2.describeInstances().nextToken()).isNotBlank();
        assertThat(ec2.describeInstancesPaginator().reservations().stream().count()).isEqualTo(3);
        // explicit ids are answered whole, never paged
        assertThat(ec2.describeVolumes(b -> b.volumeIds(ids)).volumes()).hasSize(5);

        record Case(String what, Runnable call, String code, String fragment) {
        }
        List<Case> cases = List.of(
                new Case("MaxResults with volume ids", () -> ec2.describeVolumes(b -> b.volumeIds(ids.get(0)).maxResults(5)),
                        "InvalidParameterCombination", "volumeSet cannot be used with the parameter maxResults"),
                new Case("MaxResults with snapshot ids", () -> ec2.describeSnapshots(b -> b.snapshotIds("snap-0123456789abcdef0").maxResults(5)),
                        "InvalidParameterCombination", "snapshotSet cannot be used with the parameter maxResults"),
                new Case("MaxResults with instance ids", () -> ec2.describeInstances(b -> b.instanceIds(instance).maxResults(5)),
                        "InvalidParameterCombination", "instancesSet cannot be used with the parameter maxResults"),
                new Case("MaxResults below 5", () -> ec2.describeVolumes(b -> b.maxResults(4)),
                        "InvalidParameterValue", "Value ( 4 ) for parameter maxResults is invalid"),
                new Case("MaxResults below 5, snapshots", () -> ec2.describeSnapshots(b -> b.maxResults(1)),
                        "InvalidParameterValue", "maxResults"),
                new Case("a token not made by the endpoint", () -> ec2.describeVolumes(b -> b.nextToken("not-a-token")),
                        "InvalidPaginationToken", "not valid"));
        for (Case c : cases) {
            Ec2Exception e = ec2Error(c.call());
            assertThat(e.awsErrorDetails().errorCode()).as(c.what()).isEqualTo(c.code());
            assertThat(e.awsErrorDetails().errorMessage()).as(c.what()).contains(c.fragment());
        }
        // above EC2's largest page: that page, not an error
        assertThat(ec2.describeVolumes(b -> b.maxResults(5000)).volumes()).hasSize(2);
    }

    /** Eventual consistency: a volume or snapshot just made is NotFound (and not listed) for a moment, then there. */
    @Test
    void aNewVolumeOrSnapshotIsNotFoundForAMomentThenFound() {
        server.timings(SandboxTimings.uniform(Duration.ofMillis(150)).withNotFoundAfterCreate(Duration.ofSeconds(30)));
        String id = ec2.createVolume(b -> b.size(1).availabilityZone("us-east-1a")).volumeId();
        Ec2Exception e = ec2Error(() -> ec2.describeVolumes(b -> b.volumeIds(id)));
        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidVolume.NotFound");
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("The volume '" + id + "' does not exist.");
        assertThat(ec2.describeVolumes(b -> b.filters(f("volume-id", id))).volumes()).isEmpty();
        assertThat(ec2Error(() -> ec2.createTags(b -> b.resources(id).tags(t -> t.key("k").value("v"))))
                .awsErrorDetails().errorCode()).isEqualTo("InvalidVolume.NotFound");

        server.timings(SandboxTimings.uniform(Duration.ofMillis(150)).withNotFoundAfterCreate(Duration.ofMillis(300)));
        long asked = System.nanoTime(); // before the request: the window opens after it, so this bounds it from below
        String soon = ec2.createVolume(b -> b.size(1).availabilityZone("us-east-1a")).volumeId();
        assertThat(ec2Error(() -> ec2.describeVolumes(b -> b.volumeIds(soon))).awsErrorDetails().errorCode())
                .isEqualTo("InvalidVolume.NotFound");
        Ec2Seen.volume(ec2, soon);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(ec2.describeVolumes(b -> b.filters(f("volume-id", soon))).volumes()).hasSize(1);

        try (Ec2Waiter w = waiter()) {
            w.waitUntilVolumeAvailable(b -> b.volumeIds(soon));
        }
        // 2 s: long enough that the two looks below fall inside it on a loaded machine
        server.timings(SandboxTimings.uniform(Duration.ofMillis(150)).withNotFoundAfterCreate(Duration.ofSeconds(2)));
        String snap = ec2.createSnapshot(b -> b.volumeId(soon)).snapshotId();
        Ec2Exception s = ec2Error(() -> ec2.describeSnapshots(b -> b.snapshotIds(snap)));
        assertThat(s.awsErrorDetails().errorCode()).isEqualTo("InvalidSnapshot.NotFound");
        assertThat(s.awsErrorDetails().errorMessage()).isEqualTo("The snapshot '" + snap + "' does not exist.");
        assertThat(ec2.describeSnapshots(b -> b.ownerIds("self")).snapshots()).extracting(x -> x.snapshotId()).doesNotContain(snap);
        Ec2Seen.snapshot(ec2, snap);
        assertThat(ec2.describeSnapshots(b -> b.ownerIds("self")).snapshots()).extracting(x -> x.snapshotId()).contains(snap);
    }

    /** A snapshot's progress rises over time while it is pending, and it ends completed at 100%. */
    @Test
    void snapshotProgressAdvancesFromPendingToCompleted() throws Exception {
        server.timings(new SandboxTimings(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofSeconds(2)).withNotFoundAfterCreate(Duration.ZERO));
        String vol = availableVolume(1);
        var created = ec2.createSnapshot(b -> b.volumeId(vol));
        assertThat(created.stateAsString()).isEqualTo("pending");
        assertThat(percentOf(created.progress())).isLessThan(100);
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            var s = ec2.describeSnapshots(b -> b.snapshotIds(created.snapshotId())).snapshots().get(0);
            String now = s.stateAsString() + " " + s.progress();
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(now)) {
                seen.add(now);
            }
            if (s.stateAsString().equals("completed")) {
                break;
            }
            assertThat(System.nanoTime()).as("completed in time: " + seen).isLessThan(deadline);
            Thread.sleep(25);
        }
        assertThat(seen.get(seen.size() - 1)).isEqualTo("completed 100%");
        List<Integer> pending = seen.stream().filter(x -> x.startsWith("pending ")).map(x -> percentOf(x.substring(8))).toList();
        assertThat(pending).as(seen.toString()).hasSizeGreaterThanOrEqualTo(3).isSorted().allSatisfy(p -> assertThat(p).isBetween(0, 99));
    }

    static int percentOf(String progress) {
        return Integer.parseInt(progress.replace("%", ""));
    }

    /** DetachVolume with an InstanceId: refused as EC2 does when it does not match the attachment. */
    @Test
    void detachVolumeChecksTheInstanceId() throws Exception {
        String other = server.addInstance("us-east-1a", new RecordingDiskHost());
        String id = availableVolume(1);
        ec2.attachVolume(b -> b.volumeId(id).instanceId(instance).device("/dev/sdf"));
        await("attached", () -> volume(id).attachments().get(0).state() == VolumeAttachmentState.ATTACHED);
        record Case(String instanceId, String code, String message) {
        }
        List<Case> cases = List.of(
                new Case(other, "InvalidAttachment.NotFound", "The volume '" + id + "' is not attached to instance '" + other + "'"),
                new Case("i-00000000000000000", "InvalidInstanceID.NotFound", "The instance ID 'i-00000000000000000' does not exist"),
                new Case("i-xyz", "InvalidInstanceID.Malformed", "Invalid id: \"i-xyz\""));
        for (Case c : cases) {
            Ec2Exception e = ec2Error(() -> ec2.detachVolume(b -> b.volumeId(id).instanceId(c.instanceId())));
            assertThat(e.awsErrorDetails().errorCode()).as(c.toString()).isEqualTo(c.code());
            assertThat(e.awsErrorDetails().errorMessage()).as(c.toString()).isEqualTo(c.message());
        }
        assertThat(volume(id).attachments()).singleElement().satisfies(a -> assertThat(a.instanceId()).isEqualTo(instance));
        assertThat(ec2.detachVolume(b -> b.volumeId(id).instanceId(instance)).state()).isEqualTo(VolumeAttachmentState.DETACHING);
        await("available again", () -> volume(id).state() == VolumeState.AVAILABLE);
    }

    /** EC2's codes and message shapes for an unknown region, zone or id. */
    @Test
    void unknownRegionZoneAndIdsAnswerWithEc2sCodesAndMessages() throws Exception {
        // a region the endpoint does not serve: EC2's answer for a region it does not know or that is not enabled
        HttpResponse<String> r = raw("Action=DescribeVolumes&Version=2016-11-15", "xx-fake-1");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("<Code>AuthFailure</Code><Message>AWS was not able to validate the provided access "
                + "credentials</Message>");
        try (Ec2Client nowhere = client("xx-fake-1")) {
            // (the JDK's HttpURLConnection, under the SDK's UrlConnectionHttpClient, drops the body of a 401 answer
            // to a streamed POST: the SDK sees the status only)
            assertThat(ec2Error(() -> nowhere.describeVolumes()).statusCode()).isEqualTo(401);
        }
        record Case(String what, Runnable call, String code, String message) {
        }
        String vol = "vol-0123456789abcdef0";
        String snap = "snap-0123456789abcdef0";
        String inst = "i-0123456789abcdef0";
        List<Case> cases = List.of(
                new Case("a zone the region does not have", () -> ec2.createVolume(b -> b.size(1).availabilityZone("us-east-1z")),
                        "InvalidParameterValue", "Invalid availability zone: [us-east-1z]"),
                new Case("a zone of another region", () -> ec2.createVolume(b -> b.size(1).availabilityZone("eu-west-1a")),
                        "InvalidParameterValue", "Invalid availability zone: [eu-west-1a]"),
                new Case("a zone of no region", () -> ec2.createVolume(b -> b.size(1).availabilityZone("xx-fake-1a")),
                        "InvalidParameterValue", "Invalid availability zone: [xx-fake-1a]"),
                new Case("unknown volume", () -> ec2.describeVolumes(b -> b.volumeIds(vol)),
                        "InvalidVolume.NotFound", "The volume '" + vol + "' does not exist."),
                new Case("unknown volume to attach", () -> ec2.attachVolume(b -> b.volumeId(vol).instanceId(instance).device("/dev/sdf")),
                        "InvalidVolume.NotFound", "The volume '" + vol + "' does not exist."),
                new Case("unknown snapshot", () -> ec2.describeSnapshots(b -> b.snapshotIds(snap)),
                        "InvalidSnapshot.NotFound", "The snapshot '" + snap + "' does not exist."),
                new Case("unknown snapshot to restore", () -> ec2.createVolume(b -> b.snapshotId(snap).availabilityZone("us-east-1a")),
                        "InvalidSnapshot.NotFound", "The snapshot '" + snap + "' does not exist."),
                new Case("unknown instance", () -> ec2.describeInstances(b -> b.instanceIds(inst)),
                        "InvalidInstanceID.NotFound", "The instance ID '" + inst + "' does not exist"),
                new Case("malformed volume id", () -> ec2.describeVolumes(b -> b.volumeIds("vol-123")),
                        "InvalidVolumeID.Malformed", "Invalid id: \"vol-123\" (expecting \"vol-...\")"),
                new Case("malformed volume id to delete", () -> ec2.deleteVolume(b -> b.volumeId("myvolume")),
                        "InvalidVolumeID.Malformed", "Invalid id: \"myvolume\" (expecting \"vol-...\")"),
                new Case("malformed snapshot id", () -> ec2.describeSnapshots(b -> b.snapshotIds("snap-XYZ")),
                        "InvalidSnapshotID.Malformed", "Invalid id: \"snap-XYZ\" (expecting \"snap-...\")"),
                new Case("malformed snapshot id to restore", () -> ec2.createVolume(b -> b.snapshotId("snap-1").availabilityZone("us-east-1a")),
                        "InvalidSnapshotID.Malformed", "Invalid id: \"snap-1\" (expecting \"snap-...\")"),
                new Case("malformed instance id", () -> ec2.describeInstances(b -> b.instanceIds("i-123")),
                        "InvalidInstanceID.Malformed", "Invalid id: \"i-123\""));
        for (Case c : cases) {
            Ec2Exception e = ec2Error(c.call());
            assertThat(e.statusCode()).as(c.what()).isEqualTo(400);
            assertThat(e.awsErrorDetails().errorCode()).as(c.what()).isEqualTo(c.code());
            assertThat(e.awsErrorDetails().errorMessage()).as(c.what()).isEqualTo(c.message());
        }
    }
}

package io.cryptvol.sandbox.ec2;

import io.cryptvol.sandbox.PoweredDiskHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateChange;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.model.VolumeAttachmentState;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RebootInstances, StopInstances, StartInstances and the world on disk, through the real SDK client against the
 * sandbox endpoint; the disk host is a {@link PoweredDiskHost} (the qemu side is proven in the VM tests).
 */
class SandboxEc2PowerTest {
    /** Volumes quick; "stopping" long enough to be seen and refused on a loaded machine. */
    static final SandboxTimings T = new SandboxTimings(Duration.ofMillis(150), Duration.ofMillis(150), Duration.ofMillis(150),
            Duration.ofMillis(150), Duration.ofMillis(150), Duration.ofSeconds(3), Duration.ofMillis(300));
    @TempDir
    Path dir;
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    SandboxEc2Server server() {
        SandboxEc2Server s = SandboxEc2Server.builder().dataDir(dir).timings(T).build().start();
        open.add(s);
        return s;
    }

    Ec2Client client(SandboxEc2Server s) {
        Ec2Client c = Ec2Client.builder().endpointOverride(s.endpoint()).region(Region.of("us-east-1"))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(b -> b.maxAttempts(1)))
                .build();
        open.add(c);
        return c;
    }

    static Ec2Waiter waiter(Ec2Client ec2) {
        return Ec2Waiter.builder().client(ec2).overrideConfiguration(WaiterOverrideConfiguration.builder()
                .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(50))).waitTimeout(Duration.ofSeconds(15))
                .maxAttempts(300).build()).build();
    }

    static Instance describe(Ec2Client ec2, String id) {
        return ec2.describeInstances(b -> b.instanceIds(id)).reservations().get(0).instances().get(0);
    }

    static Ec2Exception ec2Error(Runnable r) {
        try {
            r.run();
        } catch (Ec2Exception e) {
            return e;
        }
        throw new AssertionError("no EC2 error");
    }

    static String attachedVolume(Ec2Client ec2, String instance, String device) {
        String id = ec2.createVolume(b -> b.size(1).volumeType("gp3").availabilityZone("us-east-1a")
                .tagSpecifications(t -> t.resourceType("volume").tags(x -> x.key("Name").value("data " + device)))).volumeId();
        Ec2Seen.volume(ec2, id);
        try (Ec2Waiter w = waiter(ec2)) {
            w.waitUntilVolumeAvailable(b -> b.volumeIds(id));
            ec2.attachVolume(b -> b.volumeId(id).instanceId(instance).device(device));
            w.waitUntilVolumeInUse(b -> b.volumeIds(id).filters(f -> f.name("attachment.status").values("attached")));
        }
        return id;
    }

    static void await(String what, Supplier<Boolean> cond) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!cond.get()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    static String serial(String volumeId) {
        return volumeId.replace("-", "");
    }

    @Test
    void rebootKeepsTheInstanceItsStateAndItsDisks() throws Exception {
        SandboxEc2Server s = server();
        PoweredDiskHost host = new PoweredDiskHost(false);
        String id = s.addInstance("us-east-1a", host);
        Ec2Client ec2 = client(s);
        String vol = attachedVolume(ec2, id, "/dev/sdf");

        var r = ec2.rebootInstances(b -> b.instanceIds(id));
        assertThat(r.sdkHttpResponse().isSuccessful()).isTrue();
        await("the host rebooted", () -> host.power().size() == 1);
        assertThat(host.power()).containsExactly("reboot [" + serial(vol) + "]");
        Instance in = describe(ec2, id);
        assertThat(in.state().name()).isEqualTo(InstanceStateName.RUNNING);
        assertThat(in.state().code()).isEqualTo(16);
        assertThat(in.blockDeviceMappings()).extracting(m -> m.ebs().volumeId()).contains(vol);
        assertThat(host.attachedSerials()).containsExactly(serial(vol));
        assertThat(host.log()).containsExactly("attach " + serial(vol)); // nothing unplugged
    }

    /** (instance ids asked for, expected code): every id is checked before anything happens, as EC2 does. */
    @Test
    void powerCallsValidateTheirInstanceIdsLikeEc2() {
        SandboxEc2Server s = server();
        PoweredDiskHost host = new PoweredDiskHost(false);
        String id = s.addInstance("us-east-1a", host);
        Ec2Client ec2 = client(s);
        Object[][] rows = {
                {List.of(), "MissingParameter"},
                {List.of("i-0123456789abcdef0"), "InvalidInstanceID.NotFound"},
                {List.of(id, "i-0123456789abcdef0"), "InvalidInstanceID.NotFound"},
                {List.of("i-xyz"), "InvalidInstanceID.Malformed"},
                {List.of("vol-0123456789abcdef0"), "InvalidInstanceID.Malformed"},
        };
        for (Object[] row : rows) {
            @SuppressWarnings("unchecked") List<String> ids = (List<String>) row[0];
            for (Runnable call : List.<Runnable>of(
                    () -> ec2.rebootInstances(b -> b.instanceIds(ids)),
                    () -> ec2.stopInstances(b -> b.instanceIds(ids)),
                    () -> ec2.startInstances(b -> b.instanceIds(ids)))) {
                Ec2Exception e = ec2Error(call);
                assertThat(e.awsErrorDetails().errorCode()).as(ids.toString()).isEqualTo(row[1]);
                assertThat(e.statusCode()).isEqualTo(400);
            }
        }
        assertThat(ec2Error(() -> ec2.stopInstances(b -> b.instanceIds(id).dryRun(true)))
                .awsErrorDetails().errorCode()).isEqualTo("DryRunOperation");
        assertThat(ec2Error(() -> ec2.stopInstances(b -> b.instanceIds(id).hibernate(true)))
                .awsErrorDetails().errorCode()).isEqualTo("UnsupportedHibernationConfiguration");
        assertThat(host.power()).isEmpty(); // the one valid id in a refused call was not touched
        assertThat(describe(ec2, id).state().name()).isEqualTo(InstanceStateName.RUNNING);
    }

    @Test
    void stopAndStartPassThroughTheStatesAndKeepTheEbsVolumes() throws Exception {
        SandboxEc2Server s = server();
        PoweredDiskHost host = new PoweredDiskHost(false);
        String id = s.addInstance("us-east-1a", host);
        Ec2Client ec2 = client(s);
        String vol = attachedVolume(ec2, id, "/dev/sdf");

        InstanceStateChange stop = ec2.stopInstances(b -> b.instanceIds(id)).stoppingInstances().get(0);
        assertThat(stop.instanceId()).isEqualTo(id);
        assertThat(stop.previousState().name()).isEqualTo(InstanceStateName.RUNNING);
        assertThat(stop.currentState().name()).isEqualTo(InstanceStateName.STOPPING);
        assertThat(stop.currentState().code()).isEqualTo(64);
        assertThat(describe(ec2, id).state().name()).isEqualTo(InstanceStateName.STOPPING);
        // a stopping instance cannot be started or rebooted
        assertThat(ec2Error(() -> ec2.startInstances(b -> b.instanceIds(id))).awsErrorDetails().errorCode())
                .isEqualTo("IncorrectInstanceState");
        try (Ec2Waiter w = waiter(ec2)) {
            w.waitUntilInstanceStopped(b -> b.instanceIds(id));
        }
        Instance stopped = describe(ec2, id);
        assertThat(stopped.state().code()).isEqualTo(80);
        assertThat(stopped.stateReason().code()).isEqualTo("Client.UserInitiatedShutdown");
        assertThat(stopped.stateTransitionReason()).startsWith("User initiated (");
        assertThat(host.poweredOn()).isFalse();
        assertThat(host.power()).containsExactly("powerOff [" + serial(vol) + "]");
        // EBS stays attached while stopped
        Volume v = ec2.describeVolumes(b -> b.volumeIds(vol)).volumes().get(0);
        assertThat(v.stateAsString()).isEqualTo("in-use");
        assertThat(v.attachments().get(0).state()).isEqualTo(VolumeAttachmentState.ATTACHED);
        assertThat(ec2Error(() -> ec2.rebootInstances(b -> b.instanceIds(id))).awsErrorDetails().errorCode())
                .isEqualTo("IncorrectInstanceState");
        // stopping a stopped instance answers, and changes nothing
        InstanceStateChange again = ec2.stopInstances(b -> b.instanceIds(id)).stoppingInstances().get(0);
        assertThat(again.previousState().name()).isEqualTo(InstanceStateName.STOPPED);
        assertThat(again.currentState().name()).isEqualTo(InstanceStateName.STOPPED);

        InstanceStateChange start = ec2.startInstances(b -> b.instanceIds(id)).startingInstances().get(0);
        assertThat(start.previousState().name()).isEqualTo(InstanceStateName.STOPPED);
        assertThat(start.currentState().name()).isEqualTo(InstanceStateName.PENDING);
        assertThat(start.currentState().code()).isEqualTo(0);
        try (Ec2Waiter w = waiter(ec2)) {
            w.waitUntilInstanceRunning(b -> b.instanceIds(id));
        }
        assertThat(host.poweredOn()).isTrue();
        assertThat(host.power()).containsExactly("powerOff [" + serial(vol) + "]", "powerOn [" + serial(vol) + "]");
        assertThat(host.attachedSerials()).containsExactly(serial(vol));
        assertThat(describe(ec2, id).stateReason()).isNull();
        InstanceStateChange running = ec2.startInstances(b -> b.instanceIds(id)).startingInstances().get(0);
        assertThat(running.previousState().name()).isEqualTo(InstanceStateName.RUNNING);
        assertThat(running.currentState().name()).isEqualTo(InstanceStateName.RUNNING);
    }

    /**
     * Attach and detach on a stopped instance take effect at its start, whether the host takes disks while off
     * (then the boot sees them) or only hot-plugs (then they are plugged once it answers).
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void attachAndDetachWhileStoppedChangeWhatComesBackAtStart(boolean coldPlug) throws Exception {
        SandboxEc2Server s = server();
        PoweredDiskHost host = new PoweredDiskHost(coldPlug);
        String id = s.addInstance("us-east-1a", host);
        Ec2Client ec2 = client(s);
        String kept = attachedVolume(ec2, id, "/dev/sdf");
        String leaving = attachedVolume(ec2, id, "/dev/sdg");
        try (Ec2Waiter w = waiter(ec2)) {
            ec2.stopInstances(b -> b.instanceIds(id));
            w.waitUntilInstanceStopped(b -> b.instanceIds(id));
            String coming = attachedVolume(ec2, id, "/dev/sdh"); // attaches while stopped, as on EC2
            ec2.detachVolume(b -> b.volumeId(leaving));
            w.waitUntilVolumeAvailable(b -> b.volumeIds(leaving));
            assertThat(host.attachedSerials()).as("nothing changes on a host that is off until it starts")
                    .containsExactlyInAnyOrder(serial(kept), serial(leaving));

            ec2.startInstances(b -> b.instanceIds(id));
            w.waitUntilInstanceRunning(b -> b.instanceIds(id));
            assertThat(host.attachedSerials()).containsExactlyInAnyOrder(serial(kept), serial(coming));
            String boot = host.power().get(1);
            if (coldPlug) {
                assertThat(boot).as("the boot sees the disks of EC2's view").contains(serial(coming)).doesNotContain(serial(leaving));
            } else {
                assertThat(boot).contains(serial(leaving)).doesNotContain(serial(coming));
            }
            Instance in = describe(ec2, id);
            assertThat(in.blockDeviceMappings()).extracting(m -> m.ebs().volumeId()).contains(kept, coming).doesNotContain(leaving);
        }
    }

    @Test
    void aPoweroffTypedOnTheGuestStopsTheInstance() throws Exception {
        SandboxEc2Server s = server();
        PoweredDiskHost host = new PoweredDiskHost(false);
        String id = s.addInstance("us-east-1a", host);
        Ec2Client ec2 = client(s);
        String vol = attachedVolume(ec2, id, "/dev/sdf");
        host.guestPowersOff();
        Instance in = describe(ec2, id);
        assertThat(in.state().name()).isEqualTo(InstanceStateName.STOPPED);
        assertThat(in.stateReason().code()).isEqualTo("Client.InstanceInitiatedShutdown");
        try (Ec2Waiter w = waiter(ec2)) {
            ec2.startInstances(b -> b.instanceIds(id));
            w.waitUntilInstanceRunning(b -> b.instanceIds(id));
        }
        assertThat(host.power()).containsExactly("guest poweroff", "powerOn [" + serial(vol) + "]");
    }

    @Test
    void aRebootThatDoesNotComeBackShowsTheInstanceStoppedWithItsReason() throws Exception {
        SandboxEc2Server s = server();
        PoweredDiskHost host = new PoweredDiskHost(false);
        String id = s.addInstance("us-east-1a", host);
        Ec2Client ec2 = client(s);
        host.failNextBoot();
        ec2.rebootInstances(b -> b.instanceIds(id));
        s.awaitInstanceIdle(id, Duration.ofSeconds(10));
        Instance in = describe(ec2, id);
        assertThat(in.state().name()).isEqualTo(InstanceStateName.STOPPED);
        assertThat(in.stateReason().code()).isEqualTo("Server.InternalError");
        assertThat(in.stateReason().message()).contains("kernel panic");
        try (Ec2Waiter w = waiter(ec2)) {
            ec2.startInstances(b -> b.instanceIds(id));
            w.waitUntilInstanceRunning(b -> b.instanceIds(id));
        }
        assertThat(host.poweredOn()).isTrue();
    }

    @Test
    void theWorldSurvivesTheEndpoint() throws Exception {
        String id, vol, loose, snap;
        Path snapImage;
        {
            SandboxEc2Server s = server();
            String instanceId = s.addInstance("us-east-1a", new PoweredDiskHost(false));
            Ec2Client ec2 = client(s);
            String v = attachedVolume(ec2, instanceId, "/dev/sdf");
            String l = ec2.createVolume(b -> b.size(2).volumeType("gp3").availabilityZone("us-east-1a")).volumeId();
            Ec2Seen.volume(ec2, l);
            ec2.createTags(b -> b.resources(instanceId, l).tags(t -> t.key("cryptvol:set").value("s1")));
            String sn = ec2.createSnapshots(b -> b.instanceSpecification(i -> i.instanceId(instanceId).excludeBootVolume(true))
                    .tagSpecifications(t -> t.resourceType("snapshot").tags(x -> x.key("cryptvol:snapshot-set").value("set-1"))))
                    .snapshots().get(0).snapshotId();
            Files.writeString(s.volumeImage(v), "data written by the guest");
            id = instanceId;
            vol = v;
            loose = l;
            snap = sn;
            snapImage = s.snapshotImage(sn);
            s.close(); // a sandbox stop: the loose volume was still "creating"
        }
        SandboxEc2Server s = server();
        assertThat(s.instanceIds()).containsExactly(id);
        assertThat(s.instanceStateName(id)).isEqualTo("stopped");
        Ec2Client ec2 = client(s);
        Instance in = describe(ec2, id);
        assertThat(in.tags()).anySatisfy(t -> assertThat(t.key() + "=" + t.value()).isEqualTo("cryptvol:set=s1"));
        assertThat(in.blockDeviceMappings()).extracting(m -> m.ebs().volumeId()).contains(vol);
        Map<String, Volume> vols = new java.util.HashMap<>();
        ec2.describeVolumes().volumes().forEach(x -> vols.put(x.volumeId(), x));
        assertThat(vols).containsKeys(vol, loose).hasSize(3); // root volume too
        assertThat(vols.get(loose).stateAsString()).isEqualTo("available");
        assertThat(vols.get(vol).attachments().get(0).device()).isEqualTo("/dev/sdf");
        assertThat(vols.get(vol).tags()).anySatisfy(t -> assertThat(t.value()).isEqualTo("data /dev/sdf"));
        Snapshot sn = ec2.describeSnapshots(b -> b.snapshotIds(snap)).snapshots().get(0);
        assertThat(sn.stateAsString()).isEqualTo("completed");
        assertThat(sn.tags()).anySatisfy(t -> assertThat(t.value()).isEqualTo("set-1"));
        assertThat(s.snapshotImage(snap)).isEqualTo(snapImage);
        assertThat(s.world().snapshotSets()).singleElement().satisfies(set -> {
            assertThat(set.set()).isEqualTo("set-1");
            assertThat(set.snapshotIds()).containsExactly(snap);
        });
        assertThat(SandboxEc2Server.savedWorld(dir).volumes()).extracting(Ec2StateFile.VolumeInfo::id).contains(vol, loose);

        // a new machine for the same instance: it boots, and the attached volume comes back plugged
        PoweredDiskHost host = new PoweredDiskHost(false);
        s.bindInstance(id, host);
        s.instanceBooted(id, Duration.ofSeconds(10));
        assertThat(s.instanceStateName(id)).isEqualTo("running");
        assertThat(host.attachedSerials()).containsExactly(serial(vol));
        assertThat(Files.readString(host.image(serial(vol)))).startsWith("data written by the guest");
        // and the instance's power goes through it
        s.rebootInstance(id, Duration.ofSeconds(10));
        assertThat(host.power()).containsExactly("reboot [" + serial(vol) + "]");
    }

    @Test
    void aDamagedStateFileIsRefusedWithTheWayOut() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("state.json"), "{ not json");
        try {
            server();
            throw new AssertionError("started on a damaged state");
        } catch (IllegalStateException e) {
            assertThat(e.getMessage()).contains("state.json").contains("sandbox reset");
        }
        Files.writeString(dir.resolve("state.json"), "{\"volumes\":[{\"id\":\"vol-1\",\"state\":\"available\",\"image\":\"../x.img\"}]}");
        try {
            server();
            throw new AssertionError("started on a state naming an image outside its directory");
        } catch (IllegalStateException e) {
            assertThat(e.getMessage()).contains("outside");
        }
    }
}

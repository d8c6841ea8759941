package io.cryptvol.sandbox;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.shell.SandboxSession;
import io.cryptvol.shell.ShellHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.model.VolumeAttachmentState;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sandbox keeps its EC2 world, for real (the test instance in qemu, the sandbox endpoint, the shell):
 * <ol>
 *   <li>provision, write data, snapshot, detach; then {@code sandbox stop} + {@code sandbox start}, and quitting
 *       + starting the shell again, find the same instance id, volumes, snapshot set and data ({@code unlock});</li>
 *   <li>the README's tour: detach → {@code sandbox reboot} → unlock;</li>
 *   <li>RebootInstances through the SDK keeps the instance id, the attachments and the data;</li>
 *   <li>StopInstances + StartInstances through the SDK keep the EBS volumes attached.</li>
 * </ol>
 * One sandbox for the class (every boot costs about 30 s under TCG); the methods build on each other.
 */
@Tag("vm")
@ExtendWith(io.cryptvol.testvm.VmClassTimer.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SandboxWorldVmTest {
    static final Pattern VOLUME = Pattern.compile("vol-[0-9a-f]{17}");
    static final Pattern SET = Pattern.compile("snapshot set ([0-9a-f-]{36})");
    @TempDir
    static Path home;
    static ShellHarness shell;
    static long classStart;
    static String instanceId;
    static Set<String> volumes;
    static String sum;

    @BeforeAll
    static void start() throws Exception {
        classStart = System.nanoTime();
        System.setProperty("cryptvol.root", Path.of("").toAbsolutePath().toString());
        shell = new ShellHarness(home, Map.of());
        assertThat(ok("sandbox start")).contains("sandbox instance i-");
    }

    @AfterAll
    static void stop() throws Exception {
        if (shell != null) {
            shell.type("sandbox stop");
            shell.close();
        }
        System.out.printf("[sandbox-world-vm] class took %.1f s%n", (System.nanoTime() - classStart) / 1e9);
    }

    static String ok(String line) throws Exception {
        long t0 = System.nanoTime();
        String out = shell.type(line);
        System.out.printf("[sandbox-world-vm] %.1f s  %s%n", (System.nanoTime() - t0) / 1e9, line);
        assertThat(out).as(line).doesNotContain("error:").doesNotContain("Exception");
        return out;
    }

    static String host(String... argv) {
        ExecResult r = shell.bean(HostAccess.class).executor().run(HostCommand.query(String.join(" ", argv), argv));
        assertThat(r.exitCode()).as(String.join(" ", argv) + ": " + new String(r.stderr(), StandardCharsets.UTF_8)).isZero();
        return new String(r.stdout(), StandardCharsets.UTF_8).strip();
    }

    static String bootId() {
        return host("cat", "/proc/sys/kernel/random/boot_id");
    }

    static Set<String> volumeIds(String out) {
        Set<String> ids = new TreeSet<>();
        Matcher m = VOLUME.matcher(out);
        while (m.find()) {
            ids.add(m.group());
        }
        return ids;
    }

    /** The NVMe serials the guest sees: the EBS volume ids without their dash. */
    static Set<String> guestSerials() {
        return new TreeSet<>(List.of(host("sh", "-c", "cat /sys/class/nvme/*/serial 2>/dev/null || true").split("\\s+")));
    }

    static String serial(String volumeId) {
        return volumeId.replace("-", "");
    }

    static void unlockAndCheck() throws Exception {
        // Volumes plugged into a running systemd guest are auto-activated by udev (as on an AMI); an unlock typed
        // while that runs once observed the LV without its LUKS header. The observation now waits for udev's queue
        // itself, so the unlock runs at once here, as an admin would type it.
        assertThat(ok("unlock --key wk1 --yes")).contains("unlocked /mnt/w");
        assertThat(host("sha256sum", "/mnt/w/data")).isEqualTo(sum);
    }

    static Sandbox sandbox() {
        return shell.bean(Sandbox.class);
    }

    static Ec2Client ec2() {
        return Ec2Client.builder().endpointOverride(sandbox().status().ec2Endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    static Ec2Waiter waiter(Ec2Client ec2) {
        return Ec2Waiter.builder().client(ec2).overrideConfiguration(WaiterOverrideConfiguration.builder()
                .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(500))).waitTimeout(Duration.ofMinutes(6))
                .maxAttempts(1000).build()).build();
    }

    /** After a power action from outside the shell the session reconnects to the instance (its port may change). */
    static void reenter() {
        SandboxSession s = shell.bean(SandboxSession.class);
        s.enter(sandbox().status(), s.names());
    }

    @Test
    @Order(1)
    void theWorldSurvivesASandboxStopAndStartAndANewShell() throws Exception {
        ok("keys generate wk1 wk2");
        String prov = ok("provision --new-volumes 2 --size 1 --vg wvg --lv wlv --mapping wmap --mountpoint /mnt/w"
                + " --key wk1 --key2 wk2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --yes");
        assertThat(prov).doesNotContain("refused");
        host("sh", "-c", "head -c 4194304 /dev/urandom > /mnt/w/data && sync");
        sum = host("sha256sum", "/mnt/w/data");
        Matcher set = SET.matcher(ok("snapshot --yes"));
        assertThat(set.find()).isTrue();
        String setId = set.group(1);
        for (int i = 0; i < 60 && !ok("snapshots list").contains("completed"); i++) {
            Thread.sleep(500);
        }
        ok("detach --yes");
        instanceId = shell.bean(SessionContext.class).instanceId();
        volumes = volumeIds(ok("volumes list"));
        assertThat(volumes).hasSize(3); // the root volume and the two of the set

        String stopped = ok("sandbox stop");
        assertThat(stopped).contains("3 volumes and 1 snapshot set kept");
        assertThat(shell.bean(SessionContext.class).target().isLocal()).as("the session is back where it was").isTrue();
        String status = ok("sandbox status");
        assertThat(status).contains(instanceId).contains(setId);
        assertThat(volumeIds(status)).isEqualTo(volumes);

        assertThat(ok("sandbox start")).contains("sandbox instance " + instanceId).contains("3 volumes, 1 snapshot set");
        assertThat(volumeIds(ok("volumes list"))).isEqualTo(volumes);
        assertThat(ok("snapshots list")).contains(setId);
        assertThat(shell.bean(SessionContext.class).vg()).as("the sandbox remembers its names").isEqualTo("wvg");
        List<String> data = sandbox().world().volumes().stream()
                .filter(v -> v.device() != null && !v.device().equals("/dev/xvda")).map(v -> serial(v.id())).toList();
        assertThat(data).hasSize(2);
        assertThat(guestSerials()).as("the attached volumes came back attached").containsAll(data);
        unlockAndCheck();

        // quitting with the sandbox running, then a new shell: the normal session is where it was, the sandbox too
        shell.close();
        shell = new ShellHarness(home, Map.of());
        assertThat(ok("context")).doesNotContain("127.0.0.1");
        assertThat(ok("sandbox start")).contains("sandbox instance " + instanceId);
        assertThat(volumeIds(ok("volumes list"))).isEqualTo(volumes);
        assertThat(ok("snapshots list")).contains(setId);
        SessionContext ctx = shell.bean(SessionContext.class);
        assertThat(List.of(ctx.vg(), ctx.lv(), ctx.mapping(), ctx.mountpoint())).as("the sandbox's names, kept in its own file")
                .containsExactly("wvg", "wlv", "wmap", "/mnt/w");
        unlockAndCheck();
    }

    @Test
    @Order(2)
    void detachSandboxRebootUnlock() throws Exception {
        String before = bootId();
        ok("detach --yes");
        String out = ok("sandbox reboot");
        assertThat(out).contains("sandbox instance " + instanceId + " rebooted");
        assertThat(bootId()).as("a real reboot").isNotEqualTo(before);
        assertThat(host("sh", "-c", "ls /dev/mapper")).doesNotContain("wmap"); // noauto: closed after a boot
        unlockAndCheck();
    }

    @Test
    @Order(3)
    void rebootInstancesThroughTheSdkKeepsTheWorld() throws Exception {
        String before = bootId();
        ok("detach --yes");
        try (Ec2Client ec2 = ec2()) {
            ec2.rebootInstances(b -> b.instanceIds(instanceId));
            sandbox().ec2().awaitInstanceIdle(instanceId, Duration.ofMinutes(6));
            Instance in = ec2.describeInstances(b -> b.instanceIds(instanceId)).reservations().get(0).instances().get(0);
            assertThat(in.state().name()).as("state after the reboot (%s)", in.stateReason()).isEqualTo(InstanceStateName.RUNNING);
            assertThat(in.blockDeviceMappings()).extracting(m -> m.ebs().volumeId()).containsExactlyInAnyOrderElementsOf(volumes);
        }
        reenter();
        assertThat(bootId()).isNotEqualTo(before);
        unlockAndCheck();
    }

    @Test
    @Order(4)
    void stopAndStartInstancesThroughTheSdkKeepTheEbsVolumesAttached() throws Exception {
        String before = bootId();
        ok("detach --yes");
        shell.bean(HostAccess.class).disconnect();
        try (Ec2Client ec2 = ec2(); Ec2Waiter w = waiter(ec2)) {
            ec2.stopInstances(b -> b.instanceIds(instanceId));
            w.waitUntilInstanceStopped(b -> b.instanceIds(instanceId));
            for (Volume v : ec2.describeVolumes(b -> b.volumeIds(volumes)).volumes()) {
                assertThat(v.attachments()).singleElement().satisfies(a -> {
                    assertThat(a.instanceId()).isEqualTo(instanceId);
                    assertThat(a.state()).isEqualTo(VolumeAttachmentState.ATTACHED);
                });
            }
            ec2.startInstances(b -> b.instanceIds(instanceId));
            sandbox().ec2().awaitInstanceIdle(instanceId, Duration.ofMinutes(6));
            Instance in = ec2.describeInstances(b -> b.instanceIds(instanceId)).reservations().get(0).instances().get(0);
            assertThat(in.state().name()).as("state after StartInstances (%s)", in.stateReason()).isEqualTo(InstanceStateName.RUNNING);
            w.waitUntilInstanceRunning(b -> b.instanceIds(instanceId));
        }
        reenter();
        assertThat(bootId()).isNotEqualTo(before);
        unlockAndCheck();
    }

    /**
     * Issue 15's confirmed bug: {@code replay --rehearse-only} while the session is on the running sandbox resets it
     * (new ports, new instance); afterwards the session must be on the new sandbox, target and EC2 endpoint alike.
     */
    @Test
    @Order(5)
    void aRehearsalOnTheRunningSandboxLeavesTheSessionOnItsNewInstance() throws Exception {
        Path script = home.resolve("list.cvsh");
        java.nio.file.Files.writeString(script, "volumes list\n");
        String out = ok("replay " + script + " --rehearse-only --yes");
        assertThat(out).contains("rehearsal passed");
        Sandbox.Status s = sandbox().status();
        assertThat(s.instanceId()).isNotEqualTo(instanceId); // the reset forgot the old world
        SessionContext ctx = shell.bean(SessionContext.class);
        assertThat(ctx.target().port()).isEqualTo(s.sshPort());
        assertThat(ctx.instanceId()).isEqualTo(s.instanceId());
        assertThat(ok("aws show")).contains(s.ec2Endpoint().toString());
        assertThat(bootId()).isNotEmpty(); // the session's target answers
        assertThat(volumeIds(ok("volumes list"))).hasSize(1); // the new instance's root volume, through the endpoint
    }
}

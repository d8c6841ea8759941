package io.cryptvol.testvm;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.exec.SshExecutor;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.snapshot.SnapshotService;
import io.cryptvol.snapshot.SnapshotSet;
import io.cryptvol.snapshot.SnapshotTags;
import io.cryptvol.snapshot.SnapshotTarget;
import io.cryptvol.volumes.VolumeService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Consistent snapshot sets on the test instance, through the real SDK client against the sandbox
 * endpoint whose disk host is the instance: the four volumes are EBS volumes attached through
 * AttachVolume, so their NVMe serials are their volume ids and CreateSnapshots copies their images.
 */
@VmTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SnapshotVmTest {
    static final String MNT = "/mnt/snap";
    static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path data;
    static SandboxEc2Server server;
    static String instanceId;
    static AwsAccess aws;
    static SessionContext ctx;
    static SnapshotService service;
    static VolumeService volumes;
    static byte[] key;
    static String setId;
    static String shaAtSnapshot;
    static String shaAfter;

    @BeforeAll
    static void setUp(TestVm vm) {
        long t0 = System.nanoTime();
        server = SandboxEc2Server.builder().dataDir(data).timings(SandboxTimings.uniform(Duration.ofMillis(100))).build().start();
        instanceId = server.addInstance("us-east-1a", vm.instance());
        aws = new AwsAccess(null, null, server.endpoint().toString(), true, Map.of(), EbsOptions.sandbox(),
                Duration.ofMillis(100), 3, null);
        ctx = new SessionContext();
        ctx.set(SessionContext.Part.INSTANCE, instanceId);
        HostAccess hosts = new HostAccess(ctx, (t, a) -> vm.executor());
        volumes = new VolumeService(aws, ctx, hosts, new Inventory(), Duration.ofSeconds(60), Duration.ofMillis(250));
        service = new SnapshotService(aws, ctx, hosts, volumes);

        List<String> devs = volumes.createAndAttachDevices(4, VolumeSpec.of(1, "gp3"), "myvg");
        HostExecutor x = vm.executor();
        ok(x, argv("pvcreate", devs));
        List<String> vg = new ArrayList<>(List.of("myvg"));
        vg.addAll(devs);
        ok(x, argv("vgcreate", vg));
        ok(x, HostCommand.of("lvcreate", "lvcreate", "-i4", "-I4", "-l100%VG", "-n", "mylv", "myvg"));
        key = new byte[4096];
        RANDOM.nextBytes(key);
        ok(x, HostCommand.of("luksFormat", "cryptsetup", "luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2",
                "--pbkdf-force-iterations", "1000", "--key-file", "-", "/dev/myvg/mylv").withSecretStdin(key));
        ok(x, HostCommand.of("open", "cryptsetup", "open", "--key-file", "-", "/dev/myvg/mylv", "myenc").withSecretStdin(key));
        ok(x, HostCommand.of("mkfs", "mkfs.xfs", "-q", "/dev/mapper/myenc"));
        ok(x, HostCommand.of("mkdir", "mkdir", "-p", MNT));
        ok(x, HostCommand.of("mount", "mount", "-o", "rw,noatime,nouuid", "/dev/mapper/myenc", MNT));
        System.out.printf("snapshot vm test: 4 EBS volumes + LVM stripes + LUKS2 + XFS in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void tearDown(TestVm vm) {
        vm.sh("pkill -f '[c]ryptvol-writer'; true");
        if (aws != null) {
            aws.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static SnapshotService.SnapshotOptions opts(int watchdogSeconds, boolean await) {
        return new SnapshotService.SnapshotOptions("sync", "true", Duration.ofSeconds(watchdogSeconds), await);
    }

    @Test
    @Order(1)
    void snapshotWhileAWriterRunsBlocksItForTheFreezeAndTagsTheSet(TestVm vm) {
        vm.shOk("head -c 8388608 /dev/urandom > " + MNT + "/data.bin && sync");
        shaAtSnapshot = sha(vm, MNT + "/data.bin");
        // a writer appending a timestamp every 50 ms; its writes block while the filesystem is frozen
        vm.shOk("setsid sh -c 'while :; do date +%s%N >> " + MNT + "/ts.log; sleep 0.05; done' cryptvol-writer"
                + " </dev/null >/dev/null 2>&1 &");
        sleep(1500);
        server.faults().latency("CreateSnapshots", Duration.ofMillis(1500)); // a slow API: the freeze lasts

        SnapshotTarget t = service.discover(MNT);
        assertThat(t.vg()).isEqualTo("myvg");
        assertThat(t.lv()).isEqualTo("mylv");
        assertThat(t.mapping()).isEqualTo("myenc");
        assertThat(t.members()).hasSize(4);
        assertThat(t.bootVolumeInSet()).isFalse();
        SnapshotService.Result r = service.snapshot(t, opts(60, true), SnapshotService.Listener.NONE);
        server.faults().reset();
        sleep(1500);
        vm.shOk("pkill -f '[c]ryptvol-writer'; true");

        // the writer's largest gap is the freeze, and it went on afterwards
        List<Long> ts = vm.shOk("cat " + MNT + "/ts.log").lines().filter(l -> l.matches("\\d+")).map(Long::parseLong).toList();
        long maxGap = 0;
        int at = 0;
        for (int i = 1; i < ts.size(); i++) {
            if (ts.get(i) - ts.get(i - 1) > maxGap) {
                maxGap = ts.get(i) - ts.get(i - 1);
                at = i;
            }
        }
        double gap = maxGap / 1e9;
        double window = r.freezeWindow().toNanos() / 1e9;
        System.out.printf("snapshot vm test: freeze window %.2f s (CreateSnapshots call %.2f s); writer's largest gap %.2f s, "
                + "%d writes before it, %d after%n", window, r.snapshotCall().toNanos() / 1e9, gap, at, ts.size() - at);
        assertThat(r.createSnapshots()).isTrue();
        assertThat(r.watchdogFired()).isFalse();
        assertThat(r.warnings()).isEmpty();
        assertThat(window).isGreaterThanOrEqualTo(1.5).isLessThan(30);
        assertThat(gap).as("writes blocked during the freeze").isGreaterThan(1.0).isLessThan(window + 5);
        assertThat(ts.size() - at).as("writes resumed after the thaw").isGreaterThan(3);
        assertThat(vm.sh("ps -eo args | grep -c '[c]ryptvol-watchdog'").out().strip())
                .as("the watchdog is stopped after a normal thaw").isEqualTo("0");

        // the set and its tags
        setId = r.setId();
        String luksUuid = vm.shOk("cryptsetup luksUUID /dev/myvg/mylv").strip();
        SnapshotSet set = service.set(setId);
        assertThat(set.status()).isEqualTo(SnapshotSet.Status.COMPLETED);
        assertThat(set.snapshots()).hasSize(4);
        assertThat(set.snapshots()).extracting(EbsSnapshot::volumeId).containsExactlyInAnyOrderElementsOf(t.volumeIds());
        for (int i = 0; i < 4; i++) {
            EbsSnapshot s = set.snapshots().get(i);
            assertThat(s.tags()).containsEntry(SnapshotTags.SET, setId).containsEntry(SnapshotTags.COUNT, "4")
                    .containsEntry(SnapshotTags.INDEX, String.valueOf(i + 1)).containsEntry(SnapshotTags.SOURCE_VOLUME, s.volumeId())
                    .containsEntry(SnapshotTags.VG, "myvg").containsEntry(SnapshotTags.LV, "mylv")
                    .containsEntry(SnapshotTags.MAPPING, "myenc").containsEntry(SnapshotTags.MOUNTPOINT, MNT)
                    .containsEntry(SnapshotTags.LUKS_UUID, luksUuid).containsEntry(SnapshotTags.CONSISTENCY, "frozen")
                    .containsKey(SnapshotTags.TAKEN_AT);
        }
        assertThat(set.takenAtTagged()).isTrue();
        assertThat(set.takenAt()).isBetween(set.started().minusSeconds(60), set.started().plusSeconds(60));
        // the original changes after the snapshot
        vm.shOk("head -c 8388608 /dev/urandom > " + MNT + "/data.bin && sync");
        shaAfter = sha(vm, MNT + "/data.bin");
        assertThat(shaAfter).isNotEqualTo(shaAtSnapshot);
    }

    @Test
    @Order(2)
    void anApiFailureDuringTheFreezeLeavesTheFilesystemThawed(TestVm vm) {
        server.faults().failNext("CreateSnapshots", 10, "InternalError");
        int before = service.sets(null).size();
        SnapshotTarget t = service.discover(MNT);
        assertThatThrownBy(() -> service.snapshot(t, opts(60, false), SnapshotService.Listener.NONE))
                .isInstanceOf(CryptvolException.class)
                .hasMessageStartingWith("snapshot failed: ")
                .hasMessageContaining("CreateSnapshots")
                .hasMessageContaining(MNT + " was thawed after")
                .satisfies(e -> System.out.println("snapshot vm test: API failure shown as: " + e.getMessage()));
        server.faults().reset();
        long t0 = System.nanoTime();
        vm.shOk("echo after-failure > " + MNT + "/after-failure && sync");
        double s = (System.nanoTime() - t0) / 1e9;
        assertThat(s).as("a write right after the failure does not block").isLessThan(5);
        assertThat(vm.sh("ps -eo args | grep -c '[c]ryptvol-watchdog'").out().strip()).isEqualTo("0");
        assertThat(service.sets(null)).hasSize(before);
    }

    @Test
    @Order(3)
    void killingTheConnectionDuringTheFreezeThawsAtOnceAndTheWatchdogStaysTheBackstop(TestVm vm) throws Exception {
        // a second connection, the one cryptvol "loses"
        SshExecutor doomed = SshExecutor.builder(vm.instance().user(), vm.instance().sshHost())
                .port(vm.instance().sshPort()).identityFile(vm.instance().identityFile())
                .knownHosts(vm.instance().knownHostsFile()).defaultTimeout(Duration.ofMinutes(2)).build();
        SessionContext c2 = new SessionContext();
        c2.set(SessionContext.Part.INSTANCE, instanceId);
        HostAccess h2 = new HostAccess(c2, (t, a) -> doomed);
        SnapshotService s2 = new SnapshotService(aws, c2, h2,
                new VolumeService(aws, c2, h2, new Inventory(), Duration.ofSeconds(30), Duration.ofMillis(250)));
        SnapshotTarget t = s2.discover(MNT);
        server.faults().latency("CreateSnapshots", Duration.ofSeconds(8));
        int watchdog = 30;
        CountDownLatch frozen = new CountDownLatch(1);
        long[] frozenAt = new long[1];
        CompletableFuture<SnapshotService.Result> run = CompletableFuture.supplyAsync(() -> s2.snapshot(t,
                new SnapshotService.SnapshotOptions(null, null, Duration.ofSeconds(watchdog), false),
                new SnapshotService.Listener() {
                    @Override
                    public void frozen() {
                        frozenAt[0] = System.nanoTime();
                        frozen.countDown();
                    }
                }));
        assertThat(frozen.await(60, TimeUnit.SECONDS)).as("frozen").isTrue();
        doomed.close(); // the connection dies while CreateSnapshots is in flight
        long killedAt = System.nanoTime();

        vm.shOk("echo after-kill > " + MNT + "/after-kill"); // blocks while frozen
        double sinceKill = (System.nanoTime() - killedAt) / 1e9;
        System.out.printf("snapshot vm test: connection killed %.2f s after the freeze; a write completed %.2f s after the "
                + "kill (watchdog %d s)%n", (killedAt - frozenAt[0]) / 1e9, sinceKill, watchdog);
        assertThat(sinceKill).as("the freeze holder saw its input end and thawed, long before the watchdog").isLessThan(watchdog / 2.0);

        assertThatThrownBy(() -> run.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(CryptvolException.class)
                .cause().hasMessageContaining("thaws " + MNT + " at most " + watchdog + " s after it started")
                .satisfies(e -> System.out.println("snapshot vm test: lost connection shown as: " + e.getMessage()));
        server.faults().reset();

        // the backstop on its own: a freeze nobody thaws is thawed by the watchdog
        long pid = io.cryptvol.snapshot.Watchdog.pid(vm.shOk(io.cryptvol.domain.cmd.ShellQuote.join(
                io.cryptvol.snapshot.Watchdog.start(MNT, Duration.ofSeconds(3)).argv())));
        long t0 = System.nanoTime();
        vm.shOk("xfs_freeze -f " + MNT);
        vm.shOk("echo after-watchdog > " + MNT + "/after-watchdog"); // blocks until the watchdog thaws
        double waited = (System.nanoTime() - t0) / 1e9;
        System.out.printf("snapshot vm test: watchdog (pid %d, 3 s) thawed a lone freeze; the write waited %.2f s%n", pid, waited);
        assertThat(waited).isBetween(1.0, 10.0);
    }

    @Test
    @Order(4)
    void restoreTheSetNextToTheMountedOriginal(TestVm vm) {
        assertThat(setId).as("set from the first test").isNotNull();
        long t0 = System.nanoTime();
        SnapshotSet set = service.set(setId.substring(0, 8));
        SnapshotService.RestorePlan p = service.planRestore(set,
                new SnapshotService.RestoreOptions("/mnt/restore", null, null, "test-key", "gp3"));
        assertThat(p.importClone()).isTrue();
        assertThat(p.newVg()).isEqualTo("myvg_restore");
        assertThat(p.mapping()).isEqualTo("myenc_restore");
        List<VolumeService.Placed> placed = service.restoreVolumes(p, VolumeService.Progress.NONE);
        assertThat(placed).hasSize(4).allSatisfy(x -> assertThat(x.hostDevice()).startsWith("/dev/nvme"));
        // the restored volumes are a volume set of their own ('volumes list' shows them under SET)
        assertThat(aws.ebs().volumesWithTag(io.cryptvol.aws.VolumeTags.SET, p.newSetId())).hasSize(4)
                .allSatisfy(v -> assertThat(v.tags()).containsEntry(SnapshotTags.SET, setId)
                        .containsEntry(io.cryptvol.aws.VolumeTags.COUNT, "4").containsEntry(io.cryptvol.aws.VolumeTags.VG, "myvg_restore"));
        // the host steps as the engine runs them (PlanEngine.steps): one PlanRunner, the key on stdin only
        new PlanRunner(vm.executor(), ref -> {
            assertThat(ref.name()).isEqualTo("test-key");
            return key.clone();
        }, PlanRunner.KeyFileTrail.NONE, PlanRunner.Listener.NONE)
                .run(service.restoreHostPlan(p, placed.stream().map(VolumeService.Placed::hostDevice).toList()));
        System.out.printf("snapshot vm test: restore of 4 volumes took %.1f s%n", (System.nanoTime() - t0) / 1e9);

        String mounts = vm.shOk("findmnt -rn -o TARGET,SOURCE");
        assertThat(mounts).contains(MNT + " /dev/mapper/myenc").contains("/mnt/restore /dev/mapper/myenc_restore");
        assertThat(sha(vm, "/mnt/restore/data.bin")).as("restored = at snapshot time").isEqualTo(shaAtSnapshot);
        assertThat(sha(vm, MNT + "/data.bin")).as("original untouched").isEqualTo(shaAfter);
        assertThat(vm.shOk("cryptsetup luksUUID /dev/myvg_restore/mylv").strip()).isEqualTo(p.newLuksUuid())
                .isNotEqualTo(vm.shOk("cryptsetup luksUUID /dev/myvg/mylv").strip());
        assertThat(vm.shOk("vgs --noheadings -o vg_name")).contains("myvg").contains("myvg_restore");
        // both are writable at once
        vm.shOk("echo a > " + MNT + "/both && echo b > /mnt/restore/both && sync");
    }

    @Test
    @Order(5)
    void afterTheRestoreARebootDoesNotWaitAndUnlockReadsTheRestoredSetBack(TestVm vm) throws Exception {
        assertThat(shaAtSnapshot).as("restore from the fourth test").isNotNull();
        List<String> attached = vm.instance().attachedSerials();
        assertThat(attached).hasSize(8);
        vm.restart(); // RebootInstances: the 4 original and the 4 restored volumes stay attached
        assertThat(vm.instance().attachedSerials()).containsExactlyInAnyOrderElementsOf(attached);
        vm.assertBootDidNotWait();
        String mounts = vm.shOk("findmnt -rn -o TARGET");
        assertThat(mounts).doesNotContain(MNT).doesNotContain("/mnt/restore");
        assertThat(vm.shOk("dmsetup ls")).doesNotContain("myenc");

        Path keyFile = data.resolve("restore.key");
        java.nio.file.Files.write(keyFile, key);
        Path home = java.nio.file.Files.createDirectories(data.resolve("home"));
        try (io.cryptvol.shell.ShellHarness shell = new io.cryptvol.shell.ShellHarness(home, Map.of())) {
            assertThat(shell.type(vm.connectLine())).contains("connected");
            shell.type("use vg myvg_restore");
            shell.type("use lv mylv");
            shell.type("use mapping myenc_restore");
            String out = shell.type("unlock --mountpoint /mnt/restore --key-file " + keyFile + " --yes");
            System.out.println("snapshot vm test: unlock of the restored set after a reboot:\n" + out);
            assertThat(out).contains("unlocked /mnt/restore");
        } finally {
            java.nio.file.Files.deleteIfExists(keyFile);
        }
        assertThat(sha(vm, "/mnt/restore/data.bin")).as("restored, after a reboot").isEqualTo(shaAtSnapshot);
    }

    static String sha(TestVm vm, String file) {
        return vm.shOk("sha256sum " + file).split("\\s+")[0];
    }

    static HostCommand argv(String program, List<String> args) {
        List<String> a = new ArrayList<>(List.of(program));
        a.addAll(args);
        return HostCommand.of(program, a);
    }

    static ExecResult ok(HostExecutor x, HostCommand c) {
        ExecResult r = x.run(c);
        if (!r.ok()) {
            throw new AssertionError(c.commandLine() + " exited " + r.exitCode() + "\n" + r.out() + r.err());
        }
        return r;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

package io.cryptvol.shell;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code doctor} on the test instance, over SSH, with its EBS side through the real SDK client against the sandbox
 * endpoint: a provisioned volume on two EBS volumes, keys backed up twice (on another file system than the key store),
 * a header backup, io_timeout at AWS's maximum and a snapshot set: all ok, exit 0. Then each thing broken in turn and
 * put back: no recent set, one key slot removed, noauto dropped, io_timeout at its default, a member detached; each
 * time the right check fails, with its fix, and the exit code is 1. One booted instance, one method.
 */
@VmTest
class DoctorVmTest {
    static final String FAST_KDF = " --pbkdf pbkdf2 --pbkdf-force-iterations 1000";
    static final String SYS = "/sys/module/nvme_core/parameters/io_timeout";
    static final String MODPROBE = "/etc/modprobe.d/cryptvol-doctor-test.conf";
    static final ObjectMapper JSON = new ObjectMapper();

    /** The key store on tmpfs, the backups on the disk under /tmp: another file system, so they count as off it. */
    static Path home;
    @TempDir
    static Path data;
    @TempDir
    static Path usb;
    @TempDir
    static Path share;
    static SandboxEc2Server server;
    static ShellHarness shell;
    static String instanceId;
    static String ioTimeoutBefore;

    @BeforeAll
    static void start(TestVm vm) throws Exception {
        home = Files.createTempDirectory(Path.of("/dev/shm"), "cryptvol-doctor-");
        server = SandboxEc2Server.builder().dataDir(data).timings(SandboxTimings.uniform(Duration.ofMillis(100))).build().start();
        instanceId = server.addInstance("us-east-1a", vm.instance());
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(), "cryptvol.aws.sandbox",
                "true", "cryptvol.ebs.device-timeout", "30s"));
        ioTimeoutBefore = vm.shOk("cat " + SYS).strip();
    }

    @AfterAll
    static void stop(TestVm vm) throws Exception {
        vm.sh("rm -f " + MODPROBE + "; echo " + (ioTimeoutBefore == null ? "30" : ioTimeoutBefore) + " > " + SYS);
        if (shell != null) {
            shell.close();
        }
        if (server != null) {
            server.close();
        }
        if (home != null) {
            try (var s = Files.walk(home)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String ok(String line) throws Exception {
        String out = shell.type(line);
        assertThat(out).as(line).doesNotContain("error:");
        return out;
    }

    /** The checklist's lines of one check: "STATUS  CHECK  SUBJECT  RESULT". */
    static List<String> lines(String out, String id) {
        return out.lines().filter(l -> l.matches("^(ok|warn|FAIL|skipped)\\s+" + Pattern.quote(id) + "\\s.*")).toList();
    }

    /** Doctor fails exactly these checks (each with a fix line under it), says so in one error line. */
    static void failsOnly(String out, String... ids) {
        List<String> failed = out.lines().filter(l -> l.startsWith("FAIL ")).map(l -> l.split("\\s+")[1]).distinct().toList();
        assertThat(failed).as(out).containsExactlyInAnyOrder(ids);
        List<String> all = out.lines().toList();
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).startsWith("FAIL ")) {
                assertThat(all.get(i + 1)).as(out).startsWith("        fix: ");
            }
        }
        assertThat(out.lines().filter(l -> l.startsWith("error:")).toList()).as(out).singleElement()
                .satisfies(l -> assertThat(l).contains("doctor check").contains("failed on root@127.0.0.1"));
    }

    static String fixOf(String out, String id) {
        List<String> all = out.lines().toList();
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).startsWith("FAIL ") && all.get(i).split("\\s+")[1].equals(id)) {
                return all.get(i + 1).strip();
            }
        }
        throw new AssertionError("no failed " + id + " in\n" + out);
    }

    static void allOk(String out) {
        assertThat(out.lines().filter(l -> l.matches("^(warn|FAIL|skipped)\\s.*")).toList()).as(out).isEmpty();
        assertThat(out).as(out).doesNotContain("error:").containsPattern("root@127.0.0.1:\\d+: \\d+ ok, 0 warnings, 0 failed, 0 skipped");
    }

    CliRun cli(String... args) throws Exception {
        return CliRun.cryptvol(home, Map.of("CRYPTVOL_HOME", home.toString(), "CRYPTVOL_EC2_ENDPOINT",
                server.endpoint().toString(), "CRYPTVOL_EC2_SANDBOX", "1"), args);
    }

    @Test
    void healthyIsAllOkThenEachBrokenCheckFailsWithItsFix(TestVm vm) throws Exception {
        long t0 = System.nanoTime();
        ok("keys generate k1 k2 k3");
        assertThat(shell.type(vm.connectLine())).contains("connected");
        assertThat(shell.type("use instance " + instanceId)).contains("using instance " + instanceId);
        ok("provision --new-volumes 2 --size 1 --vg dvg --lv dlv --mapping dmap --mountpoint /mnt/d --key k1 --key2 k2"
                + FAST_KDF + " --yes");
        for (String k : List.of("k1", "k2", "k3")) {
            ok("keys backup " + k + " --to " + usb);
            ok("keys backup " + k + " --to " + share);
        }
        vm.shOk("echo 4294967295 > " + SYS + " && echo 'options nvme_core io_timeout=4294967295' > " + MODPROBE);
        System.out.printf("doctor vm test: provisioned and backed up in %.1f s%n", (System.nanoTime() - t0) / 1e9);

        // no snapshot set yet: the one thing missing
        String first = shell.type("doctor");
        failsOnly(first, "snapshots.recent");
        assertThat(fixOf(first, "snapshots.recent")).isEqualTo("fix: snapshot --mountpoint /mnt/d --yes");
        assertThat(lines(first, "luks.key-slots")).singleElement().satisfies(l -> assertThat(l)
                .contains("/dev/dvg/dlv").contains("2 key slots in use [0, 1]"));
        assertThat(lines(first, "keys.backups")).hasSize(3).allSatisfy(l -> assertThat(l).contains("2 verified backups, 2 off the machine"));
        assertThat(lines(first, "luks.header-backup")).singleElement().satisfies(l -> assertThat(l).contains("matches the live header"));
        assertThat(lines(first, "boot.noauto")).singleElement().satisfies(l -> assertThat(l).startsWith("ok").contains("noauto"));
        assertThat(lines(first, "nvme.io-timeout")).singleElement().satisfies(l -> assertThat(l).contains("4294967295"));
        assertThat(lines(first, "vg.members")).singleElement().satisfies(l -> assertThat(l).startsWith("ok")
                .contains("2 EBS volumes, all attached to " + instanceId).contains("one zone (us-east-1a)"));

        // healthy: every check ok, exit 0; the JSON alone on stdout
        ok("snapshot --mountpoint /mnt/d --wait --yes");
        allOk(ok("doctor"));
        CliRun healthy = cli("doctor", "--output", "json");
        assertThat(healthy.exitCode()).as(healthy.toString()).isZero();
        JsonNode j = JSON.readTree(healthy.stdout());
        assertThat(j.path("ok").asBoolean()).isTrue();
        assertThat(j.path("target").asText()).startsWith("root@127.0.0.1:");
        assertThat(j.path("counts").path("fail").asInt()).isZero();
        List<String> ids = new ArrayList<>();
        j.path("checks").forEach(c -> {
            ids.add(c.path("id").asText());
            assertThat(c.path("status").asText()).isEqualTo("ok");
            assertThat(c.fieldNames()).toIterable().containsExactly("id", "subject", "status", "message", "fix");
        });
        assertThat(ids).containsAll(io.cryptvol.doctor.Doctor.IDS);
        assertThat(healthy.errorLines()).isEmpty();

        // no recent set: the newest is older than --max-age
        Thread.sleep(2100);
        String old = shell.type("doctor --max-age 2s");
        failsOnly(old, "snapshots.recent");
        assertThat(lines(old, "snapshots.recent").get(0)).contains("older than --max-age 2 s");
        CliRun oldCli = cli("doctor", "--max-age", "2s", "-o", "json");
        assertThat(oldCli.exitCode()).as(oldCli.toString()).isEqualTo(1);
        JsonNode oj = JSON.readTree(oldCli.stdout()); // stdout is still the JSON alone
        assertThat(oj.path("ok").asBoolean()).isFalse();
        assertThat(oj.path("counts").path("fail").asInt()).isEqualTo(1);
        assertThat(oldCli.errorLines()).singleElement().satisfies(l -> assertThat(l).contains("1 doctor check failed"));
        assertThat(oldCli.stderr()).doesNotContain("Exception");

        // one key slot removed (slot 1, k2's); the header changed with it, so its backup no longer matches either
        byte[] k1 = Files.readAllBytes(shell.bean(KeyStore.class).keyFile("k1"));
        try {
            assertThat(vm.executor().run(HostCommand.of("kill slot 1", "cryptsetup", "luksKillSlot", "-q", "--key-file", "-",
                    "/dev/dvg/dlv", "1").withSecretStdin(k1)).ok()).isTrue();
        } finally {
            Arrays.fill(k1, (byte) 0);
        }
        String slot = shell.type("doctor");
        failsOnly(slot, "luks.key-slots", "luks.header-backup");
        assertThat(lines(slot, "luks.key-slots").get(0)).contains("only key slot [0] in use");
        assertThat(fixOf(slot, "luks.key-slots")).isEqualTo("fix: keys generate NEW-KEY, then luks add-key /dev/dvg/dlv --key k1 --new-key NEW-KEY");
        assertThat(fixOf(slot, "luks.header-backup")).isEqualTo("fix: luks header backup /dev/dvg/dlv");
        ok("luks add-key /dev/dvg/dlv --key k1 --new-key k3" + FAST_KDF + " --yes"); // takes a new header backup too
        allOk(ok("doctor"));

        // noauto dropped from the fstab line
        String fstab = vm.shOk("cat /etc/fstab");
        vm.shOk("sed -i 's|^\\(/dev/mapper/dmap .*\\),noauto|\\1|' /etc/fstab");
        assertThat(vm.shOk("grep dmap /etc/fstab")).doesNotContain("noauto");
        String boot = shell.type("doctor");
        failsOnly(boot, "boot.noauto");
        assertThat(fixOf(boot, "boot.noauto")).startsWith("fix: in /etc/fstab, make the line read: /dev/mapper/dmap /mnt/d xfs ")
                .endsWith(",noauto 0 0");
        vm.executor().run(HostCommand.of("restore fstab", "sh", "-c", "cat > /etc/fstab").withStdin(fstab.getBytes()));
        allOk(ok("doctor"));

        // io_timeout back at the kernel's default
        vm.shOk("echo 30 > " + SYS);
        String io = shell.type("doctor");
        failsOnly(io, "nvme.io-timeout");
        assertThat(lines(io, "nvme.io-timeout").get(0)).contains("nvme_core.io_timeout is 30 s");
        assertThat(fixOf(io, "nvme.io-timeout")).contains("echo 4294967295 > /sys/module/nvme_core/parameters/io_timeout")
                .contains("nvme_core.io_timeout=4294967295");
        vm.shOk("echo 4294967295 > " + SYS);
        allOk(ok("doctor"));

        // a member detached: the volume taken offline and its VG exported, then one EBS volume detached in EC2
        String listed = ok("volumes list");
        Matcher m = Pattern.compile("(vol-[0-9a-f]{17})\\s.*\\s2/2\\s").matcher(listed);
        assertThat(m.find()).as(listed).isTrue();
        String second = m.group(1);
        ok("detach --mountpoint /mnt/d --yes");
        vm.shOk("vgexport dvg");
        ok("volumes detach " + second + " --yes");
        String gone = shell.type("doctor");
        failsOnly(gone, "vg.members");
        assertThat(lines(gone, "vg.members").get(0)).contains("not attached to " + instanceId + ": " + second);
        assertThat(fixOf(gone, "vg.members")).isEqualTo("fix: volumes attach " + second);
        ok("volumes attach " + second + " --yes");
        String back = shell.type("doctor");
        assertThat(lines(back, "vg.members")).singleElement().satisfies(l -> assertThat(l).startsWith("ok"));
        System.out.printf("doctor vm test: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}

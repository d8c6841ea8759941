package io.cryptvol.unlock;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.sandbox.QemuInstance;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.kms.InstanceAws;
import io.cryptvol.shell.CliRun;
import io.cryptvol.shell.ShellHarness;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmClassTimer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unattended unlock at boot (#18) on the real tools, booted as EC2 boots (the systemd image with the AWS CLI,
 * variant {@code aws}): the instance takes role credentials from the sandbox's IMDSv2 and calls the sandbox KMS,
 * both reached through qemu's user network. One instance for the class, its own (the variant differs), three boots;
 * the methods run in order, each from the state the previous one left:
 * <ol>
 *   <li>boot 1 (set up): bad input is one line on stderr of a {@code cryptvol} process with a non-zero exit, and
 *       changes nothing; the policy goes on; the last slot that is not the KMS slot stays;</li>
 *   <li>boot 2, a power cycle in which the set is restored (the two volumes swapped for byte copies under new
 *       serials, as new volumes from a snapshot set are): the restored set opens and mounts with no input
 *       (boot-to-mounted time printed), and a leak scan of that boot (journal, /run, /tmp, /var/log, and the argv
 *       and environment of every process sampled while the unit ran) finds no key bytes;</li>
 *   <li>no boot: an instance that never had the policy gets it from the restored header alone (the unit, no new
 *       KMS key);</li>
 *   <li>boot 3, KMS denies: the boot goes on, the volume stays locked, the guided unlock says why in one line and
 *       opens it;</li>
 *   <li>no boot: {@code policy remove} leaves the other slots working.</li>
 * </ol>
 */
@Tag("vm")
@ExtendWith(VmClassTimer.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KmsUnlockVmTest {
    static final long MIB = 1024 * 1024;
    static final String FAST_KDF = " --pbkdf pbkdf2 --pbkdf-force-iterations 1000";
    static final String DEV = "/dev/kvg/klv";
    static final String KMS_KEY = "alias/cryptvol-test";
    /** What the boot unit and the probe leave behind; "nothing changed" compares it too. */
    static final String UNITS = "ls /etc/cryptvol/unlock.d /etc/systemd/system/multi-user.target.wants 2>/dev/null"
            + " | grep -c cryptvol-unlock || true";

    @TempDir
    static Path home;
    @TempDir
    static Path data;
    @TempDir
    static Path restored;
    static SandboxEc2Server server;
    static QemuInstance instance;
    static InstanceAws aws;
    static TestVm vm;
    static ShellHarness shell;
    static String sum;
    static List<String> setSerials;
    static String luks1Device;
    static long t0;

    @BeforeAll
    static void start() throws Exception {
        t0 = System.nanoTime();
        server = SandboxEc2Server.builder().dataDir(data).build().start();
        // a loaded CI machine (2 cores, other VM classes) has been seen to take 180 s for this image's first boot
        instance = new QemuInstance(QemuInstance.Options.defaults().withVariant("aws").withBootTimeout(Duration.ofMinutes(8)));
        aws = InstanceAws.wire(server, instance, "i-0a1b2c3d4e5f60718", "us-east-1a");
        aws.kms().createKey("us-east-1", KMS_KEY);
        instance.start();
        System.out.printf("kms: boot 1 (aws image) answered in %.1f s%n", instance.bootTime().toMillis() / 1000.0);
        vm = TestVm.of(instance);
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(),
                "cryptvol.aws.sandbox", "true"));
        connect();
        assertThat(shell.type("keys generate k1 k2")).doesNotContain("error:");
        List<String> serials = vm.attachNewDisks(3, 256 * MIB);
        List<String> d = serials.stream().map(s -> vm.awaitDevice(s, Duration.ofSeconds(30))).toList();
        String out = shell.type("provision --devices " + d.get(0) + "," + d.get(1) + " --vg kvg --lv klv --mapping vmap"
                + " --mountpoint /mnt/v --key k1 --key2 k2" + FAST_KDF + " --yes");
        assertThat(out).as(out).contains("done");
        setSerials = serials.subList(0, 2);
        luks1Device = d.get(2);
        vm.shOk("head -c 64 /dev/urandom | cryptsetup luksFormat --batch-mode --type luks1 --pbkdf-force-iterations 1000"
                + " --key-file - " + luks1Device);
        byte[] bytes = new byte[1024 * 1024 + 7];
        new SecureRandom().nextBytes(bytes);
        assertThat(vm.executor().run(HostCommand.of("write", "sh", "-c", "cat > /mnt/v/data && sync").withStdin(bytes))
                .exitCode()).isZero();
        sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        System.out.printf("kms: set up (boot 1, provision) in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stop() {
        if (shell != null) {
            shell.close();
        }
        if (vm != null) {
            vm.closeExecutor();
        }
        if (instance != null) {
            instance.close();
        }
        if (aws != null) {
            aws.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Connects the shell; a guest that answered sshd once may still refuse for a moment on a loaded machine. */
    static void connect() throws Exception {
        String out = "";
        for (int i = 0; i < 6 && !out.contains("connected"); i++) {
            if (i > 0) {
                Thread.sleep(5000);
            }
            out = shell.type(vm.connectLine());
        }
        assertThat(out).contains("connected");
    }

    static String header() {
        return vm.shOk("cryptsetup luksDump --dump-json-metadata " + DEV);
    }

    /** {@code cryptvol ARGS} as a user's shell runs it, in a JVM of its own, on the shell's session (target, keys). */
    static CliRun cli(String... args) throws Exception {
        return CliRun.cryptvol(home, Map.of("CRYPTVOL_HOME", home.toString(), "CRYPTVOL_EC2_ENDPOINT",
                server.endpoint().toString(), "CRYPTVOL_EC2_SANDBOX", "1"), args);
    }

    /** Refused: one line on stderr holding {@code says}, nothing on stdout, a non-zero exit, no stack trace. */
    static void refused(CliRun r, String says) {
        assertThat(r.exitCode()).as(r.toString()).isNotZero();
        assertThat(r.stderr().strip().lines().toList()).as(r.toString()).singleElement()
                .satisfies(l -> assertThat(l).startsWith("error:").contains(says));
        assertThat(r.stdout().strip()).as(r.toString()).isEmpty();
    }

    @Test
    @Order(1)
    void badInputIsOneLineOnStderrAndChangesNothing() throws Exception {
        String before = header();
        String luks1Before = vm.shOk("cryptsetup luksDump " + luks1Device);
        String unitsBefore = vm.shOk(UNITS);
        refused(cli("unlock", "policy", "kms", "--key-id", KMS_KEY, "--key", "k1", "--device", luks1Device, "--mapping", "l1",
                "--yes"), "is LUKS1: an unlock policy needs a LUKS2 header");
        refused(cli("unlock", "policy", "kms", "--key-id", "alias/no-such-key", "--key", "k1", "--device", DEV, "--mapping",
                "vmap", "--yes"), "the KMS key does not exist");
        vm.shOk("mv /usr/bin/aws /usr/bin/aws.hidden");
        try {
            refused(cli("unlock", "policy", "kms", "--key-id", KMS_KEY, "--key", "k1", "--device", DEV, "--mapping", "vmap",
                    "--yes"), "the AWS CLI is not on the instance");
        } finally {
            vm.shOk("mv /usr/bin/aws.hidden /usr/bin/aws");
        }
        assertThat(header()).isEqualTo(before);
        assertThat(vm.shOk("cryptsetup luksDump " + luks1Device)).isEqualTo(luks1Before);
        assertThat(vm.shOk(UNITS)).isEqualTo(unitsBefore);
        assertThat(aws.kms().dataKeys()).as("no data key was asked for").isEmpty();
    }

    @Test
    @Order(2)
    void policyOnThenTheRestoredSetOpensAtTheNextBootWithNoInputAndLeaksNoKey() throws Exception {
        String out = shell.type("unlock policy kms --key-id " + KMS_KEY + " --key k1 --device " + DEV + " --mapping vmap --yes");
        assertThat(out).as(out).contains("opens at boot with KMS key arn:aws:kms:us-east-1:").doesNotContain("error:");
        String h = header();
        assertThat(h).contains("\"type\":\"cryptvol-kms\"").contains("\"kms_context\"");
        assertThat(vm.shOk("systemctl is-enabled cryptvol-unlock@vmap.service").strip()).isEqualTo("enabled");
        out = shell.type("unlock policy show --device " + DEV);
        assertThat(out).as(out).contains("kms").contains("enabled (vmap)");
        out = shell.type("luks status");
        assertThat(out).as(out).contains("/dev/kvg/klv: unlock policy kms (token 0, key slot 2, arn:aws:kms:us-east-1:")
                .contains("cryptvol-unlock@vmap enabled)");

        // the last slot that is not the KMS slot stays: k2 (slot 1) may go, then k1 (slot 0) may not; k2 comes back
        assertThat(shell.type("luks remove-key --slot 1 --device " + DEV + " --yes")).doesNotContain("error:");
        String beforeRefusal = header();
        refused(cli("luks", "remove-key", "--slot", "0", "--device", DEV, "--yes"), "is the last one that is not the KMS slot");
        assertThat(header()).isEqualTo(beforeRefusal);
        assertThat(shell.type("luks add-key --key k1 --new-key k2" + FAST_KDF + " --device " + DEV + " --yes"))
                .doesNotContain("error:");

        // test only: a probe that samples every process's argv (ps) and environment while the unit runs. One ps and
        // one cat per round, 0.2 s apart, until the unit wrote its outcome (at most 1500 rounds); awk keeps each
        // distinct line once (at most 20000): the guest's RAM holds /run, and an appending probe once got the
        // unlock unit OOM-killed
        vm.shOk("cat > /etc/kms-argv-probe.sh <<'EOF'\n"
                + "i=0\nwhile [ ! -e /run/cryptvol/unlock-vmap.status ] && [ $i -lt 1500 ]; do\n"
                + "  ps -e -ww -o args=\n  cat /proc/[0-9]*/environ 2>/dev/null | tr '\\000' '\\n'\n"
                // (and, overwritten each round, the three largest processes: what a failure message shows)
                + "  ps -e -o rss=,etime=,args= --sort=-rss | head -n 3 > /run/mem-probe.txt\n"
                + "  i=$((i + 1)); sleep 0.2\ndone | awk '!seen[$0]++ { print; fflush(); if (++n >= 20000) exit }'"
                + " > /run/argv-probe.log\nEOF\n"
                + "cat > /etc/systemd/system/kms-argv-probe.service <<'EOF'\n"
                + "[Unit]\nDescription=test: sample argv and environ during the unattended unlock\nDefaultDependencies=no\n"
                + "Before=cryptvol-unlock@vmap.service\n[Service]\nType=simple\nExecStart=/bin/sh /etc/kms-argv-probe.sh\n"
                + "[Install]\nWantedBy=multi-user.target\nEOF\nsystemctl enable --quiet kms-argv-probe.service\n"
                // the emulated instance on a shared machine runs the AWS CLI far slower than EC2: a test-only drop-in
                + "mkdir -p /etc/systemd/system/cryptvol-unlock@.service.d\n"
                + "printf '[Service]\\nTimeoutStartSec=600\\n' > /etc/systemd/system/cryptvol-unlock@.service.d/slow-sandbox.conf");

        // stop, restore the set (new volumes from its snapshots: the same bytes under new serials, the originals
        // detached), start: the restored set opens with the header it carries
        List<Path> images = setSerials.stream().map(instance::diskImage).toList();
        vm.powerOff();
        instance.detachDisks(setSerials);
        List<String> copies = new ArrayList<>();
        for (Path image : images) {
            String serial = TestVm.newSerial();
            Path copy = restored.resolve(serial + ".img");
            Process cp = new ProcessBuilder("cp", "--sparse=always", image.toString(), copy.toString()).inheritIO().start();
            assertThat(cp.waitFor()).isZero();
            instance.attachDisk(serial, copy);
            copies.add(serial);
        }
        setSerials = copies;
        vm.powerOn();
        connect();
        try {
            // the unit may take minutes on a loaded machine (the AWS CLI under TCG): wait for the boot to settle first
            vm.sh("timeout 600 systemctl is-system-running --wait");
            vm.assertBootDidNotWait();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nthe unit:\n" + vm.sh("journalctl -b -u cryptvol-unlock@vmap --no-pager"
                    + " | tail -n 15; cat /run/cryptvol/unlock-vmap.status").out() + "\nlargest processes at the probe's last"
                    + " round:\n" + vm.sh("cat /run/mem-probe.txt").out() + "\nkernel:\n"
                    + vm.sh("journalctl -b -k --no-pager | grep -i -A12 'invoked oom-killer' | head -n 40").out(), e);
        }
        assertThat(instance.attachedSerials()).containsAll(copies).doesNotContainAnyElementsOf(
                images.stream().map(p -> p.getFileName().toString().replace(".img", "")).toList());
        assertThat(vm.shOk("findmnt -n -o SOURCE /mnt/v").strip()).isEqualTo("/dev/mapper/vmap");
        assertThat(vm.shOk("sha256sum /mnt/v/data").split("\\s+")[0]).isEqualTo(sum);
        assertThat(vm.shOk("cat /run/cryptvol/unlock-vmap.status")).contains("open, mounted on /mnt/v");
        long doneUs = Long.parseLong(vm.shOk("systemctl show -P ExecMainExitTimestampMonotonic cryptvol-unlock@vmap.service").strip());
        String kernel = vm.shOk("systemd-analyze | head -n 1").strip();
        System.out.printf("kms: boot 2 (restored set) mounted with no input %.1f s after the kernel started (%s)%n",
                doneUs / 1e6, kernel);

        // the leak scan: the data key KMS handed out, in every form, in the journal, /run, /tmp, /var/log and the
        // sampled argv and environment
        List<byte[]> dataKeys = aws.kms().dataKeys();
        assertThat(dataKeys).hasSize(1);
        String probe = vm.shOk("cat /run/argv-probe.log");
        assertThat(probe).as("the probe ran while the unit did").contains("--ciphertext-blob").contains("kms decrypt");
        List<String> found = new ArrayList<>();
        Map<String, String> places = Map.of(
                "journal", "journalctl -b -o export --no-pager",
                "/run and /tmp", "tar -cf - --ignore-failed-read /run /tmp 2>/dev/null; true",
                "argv/environ probe", "cat /run/argv-probe.log", "/var/log", "tar -cf - /var/log 2>/dev/null; true");
        long scanned = 0;
        for (Map.Entry<String, String> p : places.entrySet()) {
            ExecResult r = vm.sh(p.getValue());
            scanned += r.stdout().length;
            for (byte[] needle : io.cryptvol.keys.LeakScan.needles(dataKeys.get(0))) {
                if (io.cryptvol.keys.LeakScan.indexOf(r.stdout(), needle) >= 0) {
                    found.add(p.getKey() + " holds the data key (" + needle.length + "-byte form)");
                }
            }
        }
        System.out.printf("kms: leak scan of %d KiB (journal, /run, /tmp, /var/log, %d distinct argv/environ lines): %d finds%n",
                scanned / 1024, probe.lines().count(), found.size());
        assertThat(found).isEmpty();
        assertThat(aws.kms().requests()).allSatisfy(q -> assertThat(q.body()).doesNotContain(
                Base64.getEncoder().encodeToString(dataKeys.get(0)).substring(0, 40)));
        vm.shOk("systemctl disable --quiet kms-argv-probe.service; rm -f /etc/systemd/system/kms-argv-probe.service"
                + " /etc/kms-argv-probe.sh /run/argv-probe.log");
    }

    /**
     * On an instance that never had the policy (its unit, script and settings gone), the restored header alone is
     * enough: {@code unlock policy kms} installs the unit and asks KMS for no new key; boot 3 runs that unit.
     */
    @Test
    @Order(3)
    void anInstanceWithoutThePolicyTakesItFromTheRestoredHeader() throws Exception {
        vm.shOk("systemctl disable --quiet cryptvol-unlock@vmap.service; rm -rf /etc/cryptvol/unlock.d"
                + " /etc/cryptvol/cryptvol-unlock /etc/systemd/system/cryptvol-unlock@.service; systemctl daemon-reload");
        String before = header();
        String out = shell.type("unlock policy kms --key-id " + KMS_KEY + " --key k1 --device " + DEV + " --mapping vmap --yes");
        assertThat(out).as(out).contains("install the unit").contains("opens at boot with KMS key arn:aws:kms:us-east-1:")
                .doesNotContain("error:");
        assertThat(header()).isEqualTo(before);
        assertThat(aws.kms().dataKeys()).as("no new data key").hasSize(1);
        assertThat(vm.shOk("systemctl is-enabled cryptvol-unlock@vmap.service").strip()).isEqualTo("enabled");
    }

    @Test
    @Order(4)
    void kmsDeniesTheBootGoesOnLockedAndTheGuidedUnlockSaysWhyAndOpens() throws Exception {
        aws.kms().deny(InstanceAws.DEFAULT_ROLE);
        try {
            vm.restart();
            connect();
            String state = vm.sh("timeout 600 systemctl is-system-running --wait").out().strip();
            assertThat(state).as("the boot finished, one unit failed").isEqualTo("degraded");
            assertThat(vm.shOk("systemctl list-jobs --no-legend --no-pager").strip()).isEmpty();
            assertThat(vm.shOk("ls -A /run/systemd/ask-password 2>/dev/null | grep '^ask\\.' || true").strip()).isEmpty();
            assertThat(vm.shOk("systemctl list-units --failed --no-legend --no-pager --plain").strip())
                    .startsWith("cryptvol-unlock@vmap.service").hasLineCount(1);
            assertThat(vm.shOk("ls /dev/mapper")).doesNotContain("vmap");
            assertThat(vm.shOk("cat /run/cryptvol/unlock-vmap.status")).contains("locked: ").contains("AccessDenied");

            String out = shell.type("unlock --yes");
            assertThat(out).as(out).contains("the unattended unlock (KMS) left it locked: kms:Decrypt of key arn:aws:kms:")
                    .contains("AccessDenied").contains("unlocked /mnt/v").doesNotContain("error:");
            assertThat(out.lines().filter(l -> l.contains("left it locked")).count()).as(out).isEqualTo(1);
            assertThat(vm.shOk("sha256sum /mnt/v/data").split("\\s+")[0]).isEqualTo(sum);
        } finally {
            aws.kms().allow(InstanceAws.DEFAULT_ROLE);
        }
    }

    @Test
    @Order(5)
    void policyRemoveLeavesTheOtherSlotsWorking() throws Exception {
        String out = shell.type("unlock policy remove --device " + DEV + " --mapping vmap --yes");
        assertThat(out).as(out).doesNotContain("error:");
        String h = header();
        assertThat(h).doesNotContain("cryptvol-kms");
        assertThat(vm.sh("systemctl is-enabled cryptvol-unlock@vmap.service").out().strip()).isNotEqualTo("enabled");
        assertThat(shell.type("unlock policy show --device " + DEV)).contains("No unlock policy on " + DEV);
        assertThat(shell.type("detach --yes")).contains("done");
        for (String k : List.of("k2", "k1")) {
            out = shell.type("unlock --key " + k + " --mountpoint /mnt/v --yes");
            assertThat(out).as(out).contains("unlocked /mnt/v");
            assertThat(vm.shOk("sha256sum /mnt/v/data").split("\\s+")[0]).isEqualTo(sum);
            if (k.equals("k2")) {
                assertThat(shell.type("detach --yes")).contains("done");
            }
        }
        System.out.printf("kms: the class's work (3 boots) took %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}

package io.cryptvol.day2;

import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.shell.ShellHarness;
import io.cryptvol.stages.TestKeys;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every boot-time file cryptvol writes (fstab, crypttab) proven by a real reboot of the systemd test instance,
 * as an EC2 instance boots: after {@code provision} without and with {@code --crypttab}, after {@code grow},
 * and with a member volume detached while the instance was stopped. Each time the boot reaches sshd and
 * finishes without waiting for a passphrase, the volumes stay closed (noauto) and nothing is mounted, and
 * {@code unlock} gives back the same data. Two volumes share each reboot: A (fstab only, on EBS volumes of the
 * sandbox EC2 endpoint, tagged for its VG) and B (fstab and crypttab, on plain disks). The methods run in
 * order, each from the state the previous one left.
 */
@VmTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BootFilesVmTest {
    static final long MIB = 1024 * 1024;
    static final String FAST_KDF = " --pbkdf pbkdf2 --pbkdf-force-iterations 1000";

    @TempDir
    static Path home;
    @TempDir
    static Path keyDir;
    @TempDir
    static Path data;
    static SandboxEc2Server server;
    static ShellHarness shell;
    static final Map<String, String> sums = new HashMap<>();
    static List<String> aIds;

    @BeforeAll
    static void start(TestVm vm) throws Exception {
        TestKeys.generate(keyDir, "k1", "k2");
        server = SandboxEc2Server.builder().dataDir(data).build().start();
        String instanceId = server.addInstance("us-east-1a", vm.instance());
        shell = new ShellHarness(home, Map.of("cryptvol.aws.endpoint", server.endpoint().toString(), "cryptvol.aws.sandbox", "true",
                "cryptvol.ebs.device-timeout", "30s"), TestKeys.class);
        connect(vm);
        assertThat(shell.type("use instance " + instanceId)).contains("using instance " + instanceId);
    }

    @AfterAll
    static void close() {
        if (shell != null) {
            shell.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static void connect(TestVm vm) throws Exception {
        assertThat(shell.type(vm.connectLine())).contains("connected");
    }

    static List<String> devices(TestVm vm, List<String> serials) {
        return serials.stream().map(s -> vm.awaitDevice(s, Duration.ofSeconds(30))).toList();
    }

    static String write(TestVm vm, String mountpoint) throws Exception {
        byte[] data = new byte[1024 * 1024 + 11];
        new SecureRandom().nextBytes(data);
        assertThat(vm.executor().run(HostCommand.of("write", "sh", "-c", "cat > " + mountpoint + "/data && sync")
                .withStdin(data)).exitCode()).isZero();
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static String sum(TestVm vm, String mountpoint) {
        return vm.shOk("sha256sum " + mountpoint + "/data").split("\\s+")[0];
    }

    /** Closed as noauto leaves it: no mapping, nothing mounted, the units systemd made from the lines inactive. */
    static void assertClosed(TestVm vm, String mapping, String mountpoint, boolean crypttab) {
        assertThat(vm.shOk("dmsetup ls")).doesNotContain(mapping);
        assertThat(vm.shOk("findmnt -rn -o TARGET | grep -x '" + mountpoint + "' || true").strip())
                .as(mountpoint + " mounted after the boot").isEmpty();
        // the generators saw the lines (units in /run/systemd/generator) and noauto kept them down
        String mountUnit = mountpoint.substring(1).replace('/', '-') + ".mount";
        assertThat(vm.shOk("systemctl show -p LoadState,ActiveState,FragmentPath " + mountUnit))
                .contains("LoadState=loaded", "ActiveState=inactive", "FragmentPath=/run/systemd/generator/" + mountUnit);
        if (crypttab) {
            String unit = "systemd-cryptsetup@" + mapping + ".service";
            assertThat(vm.shOk("systemctl show -p LoadState,ActiveState,FragmentPath " + unit))
                    .as("systemd-cryptsetup generator made a unit for " + mapping)
                    .contains("LoadState=loaded", "ActiveState=inactive", "FragmentPath=/run/systemd/generator/" + unit);
        }
    }

    void rebootAndCheck(TestVm vm) throws Exception {
        vm.restart();
        connect(vm);
        vm.assertBootDidNotWait();
        assertClosed(vm, "amap", "/mnt/a", false);
        assertClosed(vm, "bmap", "/mnt/b", true);
    }

    @Test
    @Order(1)
    void provisionWithoutAndWithCrypttabThenRebootDoesNotWaitAndUnlockReadsBack(TestVm vm) throws Exception {
        List<String> b = devices(vm, vm.attachNewDisks(2, 256 * MIB));
        String out = shell.type("provision --devices " + String.join(",", b) + " --vg bvg --lv blv --mapping bmap"
                + " --mountpoint /mnt/b --key k1 --key2 k2 --crypttab" + FAST_KDF + " --yes");
        assertThat(out).contains("done");
        String created = shell.type("volumes create --count 2 --size 1 --vg avg --yes");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(vol-[0-9a-f]{17})\\s+1 GiB.*?(/dev/nvme\\d+n1)")
                .matcher(created);
        aIds = new java.util.ArrayList<>();
        List<String> a = new java.util.ArrayList<>();
        while (m.find()) {
            aIds.add(m.group(1));
            a.add(m.group(2));
        }
        assertThat(aIds).as(created).hasSize(2);
        out = shell.type("provision --devices " + String.join(",", a) + " --vg avg --lv alv --mapping amap"
                + " --mountpoint /mnt/a --key k1 --key2 k2" + FAST_KDF + " --yes");
        assertThat(out).contains("done");
        assertThat(vm.shOk("cat /etc/crypttab")).containsPattern("(?m)^bmap\\s+/dev/bvg/blv\\s+none\\s+\\S*noauto")
                .doesNotContain("amap");
        assertThat(vm.shOk("cat /etc/fstab")).contains("/dev/mapper/amap /mnt/a xfs rw,noatime,nouuid,noauto 0 0")
                .contains("/dev/mapper/bmap /mnt/b xfs rw,noatime,nouuid,noauto 0 0");
        sums.put("/mnt/a", write(vm, "/mnt/a"));
        sums.put("/mnt/b", write(vm, "/mnt/b"));

        rebootAndCheck(vm);

        for (String mp : List.of("/mnt/a", "/mnt/b")) {
            out = shell.type("unlock --mountpoint " + mp + " --key k1 --yes");
            System.out.println("boot files: unlock " + mp + " after the reboot:\n" + out);
            assertThat(out).contains("unlocked " + mp);
            assertThat(sum(vm, mp)).isEqualTo(sums.get(mp));
        }
    }

    @Test
    @Order(2)
    void growThenRebootDoesNotWaitAndUnlockReadsBack(TestVm vm) throws Exception {
        List<String> more = devices(vm, vm.attachNewDisks(2, 256 * MIB));
        String out = shell.type("grow " + String.join(" ", more) + " --mountpoint /mnt/b --key k1 --yes");
        System.out.println("boot files: grow:\n" + out);
        assertThat(out).contains("xfs_growfs").contains("done");
        assertThat(vm.shOk("vgs --noheadings -o pv_count bvg").strip()).isEqualTo("4");

        rebootAndCheck(vm);

        out = shell.type("unlock --mountpoint /mnt/b --key k2 --yes");
        assertThat(out).contains("unlocked /mnt/b");
        assertThat(sum(vm, "/mnt/b")).isEqualTo(sums.get("/mnt/b"));
        assertThat(vm.shOk("lvs --segments --noheadings -o stripes bvg/blv").lines().map(String::strip)
                .filter(x -> !x.isEmpty()).toList()).containsExactly("2", "2");
    }

    @Test
    @Order(3)
    void aMemberDetachedWhileStoppedDoesNotBlockTheBootAndUnlockChangesNothing(TestVm vm) throws Exception {
        assertThat(shell.type("detach --mountpoint /mnt/a --yes")).contains("done");
        vm.powerOff();
        String gone = aIds.get(1);
        try (AwsAccess aws = new AwsAccess(null, null, server.endpoint().toString(), true, Map.of(), EbsOptions.sandbox(),
                Duration.ofMillis(100), 3, null)) {
            aws.ebs().detachVolumes(List.of(gone), false, EbsProgress.NONE); // DetachVolume while stopped
        }
        assertThat(vm.instance().attachedSerials()).doesNotContain(gone.replace("-", ""));
        vm.powerOn();
        connect(vm);
        vm.assertBootDidNotWait();
        assertClosed(vm, "amap", "/mnt/a", false);
        assertClosed(vm, "bmap", "/mnt/b", true);

        String before = vm.shOk("dmsetup ls; findmnt -rn -o TARGET; lvs --noheadings -o lv_name,lv_attr avg 2>&1");
        String out = shell.type("unlock --mountpoint /mnt/a --key k1 --yes");
        System.out.println("boot files: unlock with a member missing:\n" + out);
        assertThat(out).doesNotContain("unlocked /mnt/a")
                .containsPattern("VG avg: is missing 1 member: " + gone + " \\(EBS, tagged cryptvol:vg=avg, not attached here; "
                        + "last seen attached to i-[0-9a-f]+ as /dev/nvme\\d+n1 at [0-9T:-]+Z; " // the attachment history
                        + "PV uuid [A-Za-z0-9-]{38}\\); attach it to this instance and unlock again")
                .doesNotContain(aIds.get(0));
        assertThat(vm.shOk("dmsetup ls; findmnt -rn -o TARGET; lvs --noheadings -o lv_name,lv_attr avg 2>&1"))
                .isEqualTo(before);
    }
}

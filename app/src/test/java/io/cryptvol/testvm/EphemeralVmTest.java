package io.cryptvol.testvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryptvol.domain.cmd.Ephemeral;
import io.cryptvol.sandbox.QemuInstance;
import io.cryptvol.shell.ShellHarness;

/**
 * Issue 19's must-show, on an instance of its own with three instance-store disks (and one EBS volume, never used),
 * booted as EC2 boots it (systemd): the refusals on the real host; {@code ephemeral setup} of a scratch mountpoint;
 * a reboot gives it back mounted and encrypted under a NEW key (the first ciphertext block of the XFS superblock, a
 * known write whose first 16 bytes are the same at every boot, read from the LV below the mapping, differs); a
 * {@code remove}, then swap: a stop/start that wiped the disks builds it again at boot, swap active; {@code remove},
 * then /tmp, and a stop/start with one instance-store disk gone: the boot does not wait for it, and /tmp is mounted
 * (1777, nosuid, nodev) on the two disks left. The methods run in order on one instance (four boots).
 */
@Tag("vm")
@ExtendWith(VmClassTimer.class)
@org.junit.jupiter.api.TestInstance(Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EphemeralVmTest {
    private static final long MIB = 1024 * 1024;
    private static final String MNT = "/mnt/scratch";
    private static final String LV = "/dev/" + Ephemeral.VG + "/" + Ephemeral.LV;

    @TempDir
    static Path home;
    private QemuInstance instance;
    private TestVm vm;
    private ShellHarness shell;
    private String ebs;
    private String cipherBlock;
    private String plainBlock;

    @BeforeAll
    void boot() throws Exception {
        // 3 × 160 MiB: XFS wants ≥ 300 MiB, also on the two disks left in the last test (sparse images)
        instance = new QemuInstance(QemuInstance.Options.defaults().withInstanceStore(3, 160 * MIB)
                .withBootTimeout(Duration.ofMinutes(6))); // four boots on a shared 2-core machine
        instance.start();
        vm = new TestVm(instance);
        ebs = vm.attachNewDisks(1, 64 * MIB).get(0);
        shell = new ShellHarness(home, Map.of());
        connect();
    }

    @AfterAll
    void stop() {
        if (shell != null) {
            shell.close();
        }
        if (vm != null) {
            vm.closeExecutor();
        }
        if (instance != null) {
            instance.stop();
        }
    }

    @Test
    @Order(1)
    void refusesThenSetsUpAnEncryptedStripedMountpoint() throws Exception {
        String ebsDev = vm.awaitDevice(ebs, Duration.ofSeconds(30));
        // a disk count other than the instance's
        assertThat(type("ephemeral setup --as mountpoint " + MNT + " --disks 2 --yes"))
                .contains("--disks 2: the instance has 3 instance-store disks").contains("nothing was changed");
        // a mountpoint with files in it
        vm.shOk("mkdir -p /mnt/full && touch /mnt/full/keep");
        assertThat(type("ephemeral setup --as mountpoint /mnt/full --yes")).contains("is a directory with files in it");
        // a disk in use (swap on one of the instance-store disks)
        String store0 = vm.awaitDevice(instance.instanceStoreSerials().get(0), Duration.ofSeconds(30));
        vm.shOk("mkswap " + store0 + " >/dev/null && swapon " + store0);
        assertThat(type("ephemeral setup --as mountpoint " + MNT + " --yes")).contains(store0 + ": is in use as swap");
        vm.shOk("swapoff " + store0 + " && wipefs -a -q " + store0 + " && udevadm trigger --settle " + store0);
        // a dry run shows the plan and changes nothing
        String dry = type("ephemeral setup --as mountpoint " + MNT + " --dry-run");
        assertThat(dry).contains("Write the boot script " + Ephemeral.SCRIPT, "Start " + Ephemeral.UNIT, "dry run");
        assertThat(vm.sh("test -e " + Ephemeral.UNIT_FILE + " || test -e " + Ephemeral.SCRIPT + " || test -e " + MNT)
                .exitCode()).as("the dry run wrote something").isNotZero();

        assertThat(type("ephemeral setup --as mountpoint " + MNT + " --disks 3 --yes")).doesNotContain("error:");
        assertScratchMounted(3);
        assertThat(vm.shOk("pvs --noheadings -o pv_name")).doesNotContain(ebsDev);
        readFingerprint();
        assertThat(plainBlock).as("the XFS superblock through the mapping").startsWith("58465342");
        assertThat(cipherBlock).as("the same block on the LV below").isNotEqualTo(plainBlock);
        vm.shOk("echo cryptvol-scratch-marker > " + MNT + "/marker && sync");

        String status = type("ephemeral status");
        assertThat(status).contains(MNT + " on 3 instance-store disks (unit enabled, active)", "PLAIN aes-xts-plain64",
                "512-bit key", "mount: " + MNT, "in the scratch").doesNotContain(ebs);
        assertThat(type("ephemeral setup --as mountpoint " + MNT + " --yes")).contains("set up already");
    }

    @Test
    @Order(2)
    void rebootMountsItAgainUnderANewKey() throws Exception {
        String before = cipherBlock;
        String plainBefore = plainBlock;
        vm.restart();
        connect();
        vm.assertBootDidNotWait();
        assertScratchMounted(3);
        readFingerprint();
        assertThat(plainBlock).as("the same known write at the same place").isEqualTo(plainBefore);
        assertThat(cipherBlock).as("the ciphertext of the same block after a reboot: the same key?").isNotEqualTo(before);
        assertThat(vm.sh("test -e " + MNT + "/marker").exitCode()).as("a file outlived the boot").isNotZero();
    }

    @Test
    @Order(3)
    void swapIsBuiltAgainAtBootAfterAStopStartWipedTheDisks() throws Exception {
        assertThat(type("ephemeral remove --yes")).doesNotContain("error:");
        assertThat(vm.sh("test -e " + Ephemeral.UNIT_FILE + " || test -e " + Ephemeral.SCRIPT).exitCode()).isNotZero();
        assertThat(vm.shOk("findmnt -rn -o TARGET " + MNT + " || true").strip()).isEmpty();
        assertThat(vm.shOk("lsblk -dn -o FSTYPE " + String.join(" ", storeDevices())).strip()).as("labels left").isEmpty();

        assertThat(type("ephemeral setup --as swap --yes")).doesNotContain("error:");
        assertThat(vm.shOk("swapon --noheadings --show=NAME")).contains("dm-");
        vm.powerOff();
        vm.powerOn();
        connect();
        vm.assertBootDidNotWait();
        assertThat(vm.shOk("journalctl -b -u " + Ephemeral.UNIT + " -o cat --no-pager")).contains("swap ready on 3 disk(s)");
        assertThat(vm.shOk("swapon --noheadings --show=NAME,TYPE")).contains("partition");
        assertThat(vm.shOk("readlink -f " + Ephemeral.MAPPER_PATH).strip())
                .isEqualTo(vm.shOk("swapon --noheadings --show=NAME").strip());
        assertThat(vm.shOk("cryptsetup status " + Ephemeral.MAPPING)).contains("type:    PLAIN", "cipher:  aes-xts-plain64");
        assertThat(vm.shOk("lvs --noheadings -o stripes " + LV).strip()).isEqualTo("3");
        assertThat(type("ephemeral status")).contains("swap on 3 instance-store disks", "mount: swap");
    }

    @Test
    @Order(4)
    void tmpWithOneDiskMissingAtBootAndTheBootDoesNotWait() throws Exception {
        assertThat(type("ephemeral remove --yes")).doesNotContain("error:");
        assertThat(vm.shOk("swapon --noheadings --show=NAME").strip()).isEmpty();
        assertThat(type("ephemeral setup --as tmp --yes")).contains("/tmp is mounted from the next boot on")
                .doesNotContain("error:");
        assertThat(vm.shOk("findmnt -rn -o SOURCE /tmp || true")).doesNotContain(Ephemeral.MAPPING);

        // stop; the instance starts without one of its instance-store disks
        vm.powerOff();
        instance.dropInstanceStoreDisk(instance.instanceStoreSerials().get(1));
        vm.powerOn();
        connect();
        vm.assertBootDidNotWait();
        String journal = vm.shOk("journalctl -b -u " + Ephemeral.UNIT + " -o cat --no-pager");
        assertThat(journal).contains("found 2 instance-store disks, set up for 3", "tmp ready on 2 disk(s)");
        assertThat(vm.shOk("findmnt -rn -o SOURCE,FSTYPE,OPTIONS /tmp").strip())
                .startsWith(Ephemeral.MAPPER_PATH + " xfs ").contains("nosuid", "nodev", "noatime");
        assertThat(vm.shOk("stat -c %a /tmp").strip()).isEqualTo("1777");
        assertThat(vm.shOk("cryptsetup status " + Ephemeral.MAPPING)).contains("type:    PLAIN", "keysize: 512 bits");
        assertThat(vm.shOk("lvs --noheadings -o stripes " + LV).strip()).isEqualTo("2");
        // mounted before the services: the unit finished before local-fs.target
        assertThat(vm.shOk("systemctl show -p Before " + Ephemeral.UNIT)).contains("local-fs.target");
        // the missing disk cost at most the unit's bounded wait
        String took = vm.shOk("systemctl show -p ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic "
                + Ephemeral.UNIT);
        long start = Long.parseLong(took.replaceAll("(?s).*ExecMainStartTimestampMonotonic=(\\d+).*", "$1"));
        long end = Long.parseLong(took.replaceAll("(?s).*ExecMainExitTimestampMonotonic=(\\d+).*", "$1"));
        System.out.printf("[ephemeral-vm] the unit took %.1f s with a disk missing (wait bound %d s)%n",
                (end - start) / 1e6, Ephemeral.DISK_WAIT_SECONDS);
        assertThat((end - start) / 1_000_000).isLessThan(Ephemeral.START_TIMEOUT_SECONDS);
        assertThat(type("ephemeral status")).contains("/tmp on 3 instance-store disks", "mount: /tmp");
    }

    // ------------------------------------------------------------------ helpers

    private void connect() throws Exception {
        assertThat(shell.type(vm.connectLine())).contains("connected");
    }

    private String type(String line) throws Exception {
        long t0 = System.nanoTime();
        String out = shell.type(line);
        System.out.printf("[ephemeral-vm] %.1f s  %s%n", (System.nanoTime() - t0) / 1e9, line);
        return out;
    }

    private List<String> storeDevices() {
        return instance.instanceStoreSerials().stream().map(s -> vm.awaitDevice(s, Duration.ofSeconds(30))).toList();
    }

    /** Mounted from the mapping, XFS, plain dm-crypt aes-xts-plain64 with a 512-bit key, on an LV of N stripes. */
    private void assertScratchMounted(int stripes) {
        assertThat(vm.shOk("findmnt -rn -o SOURCE,FSTYPE " + MNT).strip())
                .isEqualTo(Ephemeral.MAPPER_PATH + " xfs");
        assertThat(vm.shOk("cryptsetup status " + Ephemeral.MAPPING))
                .contains("type:    PLAIN", "cipher:  aes-xts-plain64", "keysize: 512 bits", "device:  /dev/mapper/"
                        + Ephemeral.VG + "-" + Ephemeral.LV);
        assertThat(vm.shOk("lvs --noheadings -o stripes " + LV).strip()).isEqualTo(Integer.toString(stripes));
        assertThat(vm.shOk("pvs --noheadings -o pv_name -S vg_name=" + Ephemeral.VG).strip().split("\\s+"))
                .containsExactlyInAnyOrderElementsOf(storeDevices());
        assertThat(vm.shOk("systemctl is-enabled " + Ephemeral.UNIT).strip()).isEqualTo("enabled");
    }

    /** The first 16 bytes of sector 0: through the mapping (plaintext) and on the LV below it (ciphertext). */
    private void readFingerprint() {
        String read = "dd if=%s bs=4096 count=1 iflag=direct status=none | od -An -tx1 -N16 | tr -d ' \\n'";
        plainBlock = vm.shOk(String.format(read, Ephemeral.MAPPER_PATH)).strip();
        cipherBlock = vm.shOk(String.format(read, LV)).strip();
        assertThat(plainBlock).hasSize(32);
        assertThat(cipherBlock).hasSize(32);
    }
}

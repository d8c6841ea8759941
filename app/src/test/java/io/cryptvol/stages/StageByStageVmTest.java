package io.cryptvol.stages;

import io.cryptvol.shell.ShellHarness;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's setup one stage at a time, each a shell command typed as a user would, on the test
 * instance: sanitize, pv create, vg create, lv create, luks format, luks add-key, luks open,
 * fs make, fstab add, mount, then umount and luks close. Every result is checked on the host.
 */
@VmTest
class StageByStageVmTest {
    static final long MIB = 1024 * 1024;
    static final String FAST_KDF = " --pbkdf pbkdf2 --pbkdf-force-iterations 1000";

    @TempDir
    Path home;
    @TempDir
    Path keyDir;
    ShellHarness shell;

    @BeforeEach
    void start(TestVm vm) throws Exception {
        TestKeys.generate(keyDir, "k1", "k2");
        shell = new ShellHarness(home, Map.of(), TestKeys.class);
        assertThat(shell.type(vm.connectLine())).contains("connected");
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    private String ok(String line) throws Exception {
        String out = shell.type(line);
        assertThat(out).as(line).doesNotContain("error:").doesNotContain("FAILED");
        return out;
    }

    @Test
    void everyStageAsItsOwnCommand(TestVm vm) throws Exception {
        List<String> d = ProvisionVmTest.disks(vm, 2, 200 * MIB);
        String devs = String.join(" ", d);

        // sanitize: random-looking bytes where zeros were, no signature left, progress shown
        String s = ok("sanitize " + devs + " --yes");
        assertThat(s).contains("done");
        for (String dev : d) {
            String zeroTail = vm.shOk("dd if=" + dev + " bs=1M skip=100 count=1 status=none | tr -d '\\000' | wc -c");
            assertThat(Long.parseLong(zeroTail.strip())).as("non-zero bytes in a sanitized MiB of " + dev)
                    .isGreaterThan(1_000_000L);
            assertThat(vm.sh("blkid -p " + dev).exitCode()).as("no signature on " + dev).isEqualTo(2);
        }
        // a sanitized device that then got a filesystem is refused
        vm.shOk("mkfs.ext4 -q " + d.get(0));
        assertThat(shell.type("sanitize " + d.get(0) + " --yes")).contains("error:");
        vm.shOk("wipefs -a -q " + d.get(0));

        ok("pv create " + devs + " --yes");
        assertThat(vm.shOk("pvs --noheadings -o pv_name").lines().map(String::strip)).containsAll(d);
        ok("vg create myvg " + devs + " --yes");
        assertThat(shell.prompt()).contains("myvg");
        ok("lv create mylv --yes");
        String lvs = vm.shOk("lvs --noheadings -o stripes,stripe_size --units b --nosuffix myvg/mylv").strip();
        assertThat(lvs.split("\\s+")).containsExactly("2", "4096");

        ok("luks format /dev/myvg/mylv --key k1" + FAST_KDF + " --yes");
        assertThat(vm.shOk("cryptsetup isLuks /dev/myvg/mylv && echo yes").strip()).isEqualTo("yes");
        ok("luks add-key /dev/myvg/mylv --key k1 --new-key k2" + FAST_KDF + " --yes");
        assertThat(vm.shOk("cryptsetup luksDump /dev/myvg/mylv | grep -cE '^  [0-9]+: luks2'").strip()).isEqualTo("2");
        assertThat(vm.shOk("ls -A /run/cryptvol 2>/dev/null | wc -l").strip()).isEqualTo("0");
        String status = ok("luks status /dev/myvg/mylv");
        assertThat(status).contains("luks2");

        ok("luks open /dev/myvg/mylv myencryptedlv --key k2 --yes");
        assertThat(vm.sh("test -b /dev/mapper/myencryptedlv").ok()).isTrue();
        ok("fs make myencryptedlv --yes");
        assertThat(vm.shOk("blkid -p -o value -s TYPE /dev/mapper/myencryptedlv").strip()).isEqualTo("xfs");
        ok("use mountpoint /mnt/stages");
        ok("fstab add --yes");
        assertThat(vm.shOk("cat /etc/fstab")).contains("/dev/mapper/myencryptedlv /mnt/stages xfs rw,noatime,nouuid,noauto");
        ok("fstab add --yes"); // idempotent
        assertThat(vm.shOk("grep -c myencryptedlv /etc/fstab").strip()).isEqualTo("1");
        ok("mount --yes");
        assertThat(vm.shOk("findmnt -n -o FSTYPE /mnt/stages").strip()).isEqualTo("xfs");
        vm.shOk("echo hello > /mnt/stages/f && sync");

        // closing while mounted is refused; after umount it works
        assertThat(shell.type("luks close myencryptedlv --yes")).contains("error:");
        ok("umount --yes");
        ok("luks close myencryptedlv --yes");
        assertThat(vm.sh("test -e /dev/mapper/myencryptedlv").ok()).isFalse();
    }
}

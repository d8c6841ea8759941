package io.cryptvol.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.keys.HeaderBackups;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.shell.ShellHarness;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LUKS header backups on the test instance, with the real cryptsetup: one after provision and one after add-key
 * (new file, new digest), verify against the live header, a damaged header (the LV's first MiB overwritten) that no
 * longer opens brought back by {@code luks header restore} with the data unchanged, {@code keys verify} of every
 * backup and of the live header (a key slot killed by hand is caught), and the bad inputs.
 */
@VmTest
class HeaderBackupVmTest {
    static final long MIB = 1024 * 1024;
    static final String FAST_KDF = ProvisionVmTest.FAST_KDF;

    @TempDir
    Path home;
    ShellHarness shell;

    @BeforeEach
    void start(TestVm vm) throws Exception {
        shell = new ShellHarness(home, Map.of());
        assertThat(shell.type("keys generate k1 k2 k3")).doesNotContain("error:");
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

    private List<HeaderBackups.Backup> backups() {
        return shell.bean(KeyStore.class).headers().list();
    }

    @Test
    void aBackupAfterProvisionAndAddKey_thenADamagedHeaderIsRestoredAndTheDataIsUnchanged(TestVm vm) throws Exception {
        List<String> d = ProvisionVmTest.disks(vm, 2, 256 * MIB);
        String prov = ok("provision --devices " + String.join(",", d) + " --vg hvg --lv hlv --mapping hmap"
                + " --mountpoint /mnt/h --key k1 --key2 k2" + FAST_KDF + " --yes");
        assertThat(prov).contains("Back up the LUKS header of /dev/hvg/hlv to the key store")
                .contains("$ cryptsetup luksHeaderBackup --batch-mode /dev/hvg/hlv --header-backup-file /run/cryptvol/");
        String uuid = vm.shOk("cryptsetup luksUUID /dev/hvg/hlv").strip();
        assertThat(backups()).singleElement().satisfies(b -> {
            assertThat(b.uuid()).isEqualTo(uuid);
            assertThat(b.device()).isEqualTo("/dev/hvg/hlv");
            assertThat(b.file()).startsWith(uuid + "_").endsWith(".luksheader");
        });
        HeaderBackups.Backup first = backups().get(0);
        Path firstFile = shell.bean(KeyStore.class).headers().dir().resolve(first.file());
        assertThat(Files.getPosixFilePermissions(firstFile)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        // the same bytes as cryptsetup's own backup taken now (the header has not changed since)
        vm.shOk("rm -f /run/hb.img && cryptsetup luksHeaderBackup /dev/hvg/hlv --header-backup-file /run/hb.img");
        assertThat(vm.shOk("sha256sum < /run/hb.img && rm -f /run/hb.img").split("\\s+")[0]).isEqualTo(first.sha256());
        assertThat(vm.shOk("ls -A /run/cryptvol | wc -l").strip()).isEqualTo("0"); // the host copy is shredded
        assertThat(ok("luks header verify /dev/hvg/hlv")).contains("matches the live header");

        vm.shOk("head -c 3000000 /dev/urandom > /mnt/h/data && sync");
        String sum = vm.shOk("sha256sum /mnt/h/data").split("\\s+")[0];
        ok("umount --yes");
        ok("luks close --yes");

        // add-key changes the header: a second backup, other bytes; the first one no longer matches the live header
        ok("luks add-key /dev/hvg/hlv --key k1 --new-key k3" + FAST_KDF + " --yes");
        assertThat(backups()).hasSize(2);
        HeaderBackups.Backup second = backups().get(1);
        assertThat(second.uuid()).isEqualTo(uuid);
        assertThat(second.sha256()).isNotEqualTo(first.sha256());
        assertThat(second.file()).isNotEqualTo(first.file());
        String stale = shell.type("luks header verify /dev/hvg/hlv --backup " + first.file());
        assertThat(stale).contains("key slot 2: on the device, not in the backup").contains("error:");
        assertThat(ok("luks header verify /dev/hvg/hlv")).contains(second.file()).contains("matches");
        JsonNode listed = new ObjectMapper().readTree(ok("luks header list --output json"));
        assertThat(listed).hasSize(2);
        assertThat(listed.get(1).path("sha256").asText()).isEqualTo(second.sha256());

        // a damaged header: the LV's first MiB overwritten; the volume no longer opens
        vm.shOk("dd if=/dev/urandom of=/dev/hvg/hlv bs=1M count=1 conv=fsync status=none");
        assertThat(vm.sh("cryptsetup isLuks /dev/hvg/hlv").exitCode()).isNotZero();
        assertThat(shell.type("luks open /dev/hvg/hlv hmap --key k1 --yes")).contains("error:");

        // restore: both headers shown, the UUID typed; a wrong UUID typed changes nothing
        shell.keys("00000000-0000-0000-0000-000000000000\n");
        String wrong = shell.type("luks header restore /dev/hvg/hlv --yes");
        assertThat(wrong).contains("no readable LUKS header").contains("error:").contains("nothing was changed");
        assertThat(vm.sh("cryptsetup isLuks /dev/hvg/hlv").exitCode()).isNotZero();
        shell.keys(uuid + "\n");
        String restored = ok("luks header restore /dev/hvg/hlv --yes");
        assertThat(restored).as("both headers shown").contains("device /dev/hvg/hlv: no readable LUKS header")
                .contains("backup " + second.file()).contains("UUID " + uuid)
                .contains("$ cryptsetup luksHeaderRestore --batch-mode /dev/hvg/hlv --header-backup-file /run/cryptvol/")
                .contains("restored the LUKS header");
        assertThat(vm.shOk("cryptsetup luksUUID /dev/hvg/hlv").strip()).isEqualTo(uuid);
        assertThat(vm.shOk("ls -A /run/cryptvol | wc -l").strip()).isEqualTo("0");
        ok("luks open /dev/hvg/hlv hmap --key k3 --yes");
        ok("mount --yes");
        assertThat(vm.shOk("sha256sum /mnt/h/data").split("\\s+")[0]).isEqualTo(sum);
        ok("umount --yes");
        ok("luks close --yes");

        // keys verify: every backup file (SHA-256), and the newest against the live header of the connected target
        assertThat(ok("keys verify")).containsPattern("header " + uuid + "\\s+live /dev/hvg/hlv on \\S+\\s+ok: matches "
                + second.file()).contains("and 3 LUKS header backup check(s)");
        // a key slot removed outside cryptvol: the live header no longer matches its newest backup, and keys verify says so
        vm.shOk("cryptsetup -q luksKillSlot /dev/hvg/hlv 2");
        String drift = shell.type("keys verify");
        assertThat(drift).containsPattern("header " + uuid + "\\s+live /dev/hvg/hlv on \\S+\\s+DIFFERS from " + second.file())
                .contains("key slot 2").contains("error: 1 of 3 LUKS header backup checks failed");
        ok("luks header backup /dev/hvg/hlv --yes");
        assertThat(ok("keys verify")).containsPattern("live /dev/hvg/hlv on \\S+\\s+ok: matches " + backups().get(2).file());
    }

    @Test
    void badInputsAreOneLineAndChangeNothing(TestVm vm) throws Exception {
        List<String> d = ProvisionVmTest.disks(vm, 3, 64 * MIB);
        String a = d.get(0);
        String b = d.get(1);
        String plain = d.get(2);
        ok("luks format " + a + " --key k1" + FAST_KDF + " --yes");
        ok("luks format " + b + " --key k2" + FAST_KDF + " --yes");
        String uuidA = vm.shOk("cryptsetup luksUUID " + a).strip();
        String uuidB = vm.shOk("cryptsetup luksUUID " + b).strip();
        assertThat(backups()).extracting(HeaderBackups.Backup::uuid).containsExactlyInAnyOrder(uuidA, uuidB);

        // a header backup of a device that is not LUKS
        vm.shOk("mkfs.ext4 -q " + plain);
        String notLuks = shell.type("luks header backup " + plain + " --yes");
        assertThat(notLuks.lines().filter(l -> l.contains("error:")).toList()).singleElement()
                .satisfies(l -> assertThat(l).contains(plain).contains("holds no LUKS header"));
        assertThat(backups()).hasSize(2);

        // a restore onto another UUID without --force: refused before anything is asked or written
        String before = vm.shOk("sha256sum < " + b).split("\\s+")[0];
        String other = shell.type("luks header restore " + b + " --backup " + uuidA + " --yes");
        assertThat(other.lines().filter(l -> l.contains("error:")).toList()).singleElement()
                .satisfies(l -> assertThat(l).contains("has LUKS UUID " + uuidB).contains("--force"));
        assertThat(vm.shOk("sha256sum < " + b).split("\\s+")[0]).isEqualTo(before);
        // nor over a file system
        String overFs = shell.type("luks header restore " + plain + " --backup " + uuidA + " --yes");
        assertThat(overFs).contains("error:").contains("not a LUKS volume");
        assertThat(vm.shOk("blkid -p -o value -s TYPE " + plain).strip()).isEqualTo("ext4");

        // a backup file whose SHA-256 no longer matches: verify and restore refuse it
        HeaderBackups.Backup ba = shell.bean(KeyStore.class).headers().find(uuidA).orElseThrow();
        Path f = shell.bean(KeyStore.class).headers().dir().resolve(ba.file());
        byte[] bytes = Files.readAllBytes(f);
        bytes[300] ^= 1;
        Files.write(f, bytes);
        String tampered = shell.type("luks header verify " + a);
        assertThat(tampered.lines().filter(l -> l.contains("error:")).toList()).singleElement()
                .satisfies(l -> assertThat(l).contains("SHA-256 no longer matches"));
        assertThat(shell.type("luks header restore " + a + " --yes")).contains("SHA-256 no longer matches");
        assertThat(vm.shOk("cryptsetup luksUUID " + a).strip()).isEqualTo(uuidA);
    }
}

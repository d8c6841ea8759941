package io.cryptvol.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.shell.ShellHarness;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * provision through the real shell and the real SshExecutor on the test instance: the seed's layout
 * (LUKS2 and the legacy LUKS1 preset), the dry run, and a scan of everything cryptvol wrote for key bytes.
 */
@VmTest
class ProvisionVmTest {
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
        String out = shell.type(vm.connectLine());
        assertThat(out).contains("connected");
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    static List<String> disks(TestVm vm, int n, long bytes) {
        List<String> out = new ArrayList<>();
        for (String s : vm.attachNewDisks(n, bytes)) {
            out.add(vm.awaitDevice(s, Duration.ofSeconds(30)));
        }
        return out;
    }

    @Test
    void dryRunShowsTheNumberedPlanAndChangesNothing_thenProvisionBuildsTheSeedLayout(TestVm vm) throws Exception {
        List<String> d = disks(vm, 4, 256 * MIB);
        String devs = String.join(",", d);
        String cmd = "provision --devices " + devs + " --vg myvg --lv mylv --mapping myencryptedlv"
                + " --mountpoint /mnt/mymountpoint --key k1 --key2 k2" + FAST_KDF;
        String before = snapshot(vm, d);

        long t0 = System.nanoTime();
        String dry = shell.type(cmd + " --dry-run");
        System.out.printf("stages: provision --dry-run took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(dry).contains("1. Create PV on " + d.get(0))
                .contains("$ pvcreate " + d.get(0))
                .contains("$ lvcreate -i 4 -I 4k -l 100%VG -n mylv myvg")
                .contains("--key-file - /dev/myvg/mylv  < key 'k1' on stdin")
                .contains("< key 'k2' on stdin")
                .contains("finally $ shred -u /run/cryptvol/")
                .contains("/dev/mapper/myencryptedlv /mnt/mymountpoint xfs rw,noatime,nouuid,noauto 0 0")
                .contains("dry run: nothing was changed");
        assertThat(dry).containsPattern("\\n1[0-9]\\. ");
        assertThat(snapshot(vm, d)).isEqualTo(before);

        t0 = System.nanoTime();
        String out = shell.type(cmd + " --yes");
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("stages: provision (4 disks, LUKS2 pbkdf2) took %.1f s%n", secs);
        assertThat(out).contains("done").doesNotContain("error");
        assertThat(shell.prompt()).contains("myvg/mylv → myencryptedlv @/mnt/mymountpoint");
        assertSeedLayout(vm, "myvg", "mylv", "myencryptedlv", "/mnt/mymountpoint", 2, "aes-xts-plain64");
        String uuid = luksUuid(vm, "/dev/myvg/mylv");

        // a file written through the mount reads back the same after umount, close and a provision re-run
        byte[] data = new byte[2 * 1024 * 1024 + 17];
        new SecureRandom().nextBytes(data);
        String sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        assertThat(vm.executor().run(HostCommand.of("write", "sh", "-c", "cat > /mnt/mymountpoint/data && sync")
                .withStdin(data)).exitCode()).isZero();
        String down = shell.type("umount --yes") + shell.type("luks close --yes");
        assertThat(down).contains("Unmount /mnt/mymountpoint").contains("Close /dev/mapper/myencryptedlv");
        assertThat(vm.shOk("dmsetup ls")).doesNotContain("myencryptedlv");
        String again = shell.type(cmd + " --yes");
        System.out.println("stages: re-run after umount + close:\n" + again);
        assertThat(again).contains("Open /dev/myvg/mylv").doesNotContain("luksFormat").doesNotContain("mkfs");
        assertThat(vm.shOk("sha256sum /mnt/mymountpoint/data").split("\\s+")[0]).isEqualTo(sum);
        assertThat(luksUuid(vm, "/dev/myvg/mylv")).isEqualTo(uuid);
        assertThat(shell.type(cmd + " --yes")).contains("Nothing to do");

        // status: table with 2 slots, no warning
        String status = shell.type("luks status");
        assertThat(status).contains("/dev/myvg/mylv").contains("luks2").contains(uuid).doesNotContain("warning");

        leakScan();
    }

    @Test
    void legacyLuks1Preset(TestVm vm) throws Exception {
        List<String> d = disks(vm, 4, 128 * MIB);
        long t0 = System.nanoTime();
        String out = shell.type("provision --devices " + String.join(",", d) + " --vg oldvg --lv oldlv --mapping oldmap"
                + " --mountpoint /mnt/old --key k1 --key2 k2 --preset legacy-luks1 --pbkdf-force-iterations 1000 --yes");
        System.out.printf("stages: provision (4 disks, legacy LUKS1) took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(out).contains("done").contains("--type luks1 --cipher aes-cbc-essiv:sha256 --key-size 256 --hash ripemd160");
        assertSeedLayout(vm, "oldvg", "oldlv", "oldmap", "/mnt/old", 1, "aes-cbc-essiv:sha256");
        assertThat(vm.shOk("cryptsetup luksDump /dev/oldvg/oldlv")).containsPattern("Hash spec:\\s+ripemd160");
        leakScan();
    }

    /** 4 stripes of 4 KiB, LV = 100 % of the VG, LUKS with 2 slots each key opens, XFS mounted, fstab noauto. */
    static void assertSeedLayout(TestVm vm, String vg, String lv, String mapping, String mp, int luksVersion,
                                 String cipher) throws Exception {
        JsonNode l = new ObjectMapper().readTree(vm.shOk("lvs --reportformat json --units b --nosuffix -o "
                + "lv_name,lv_size,stripes,stripe_size " + vg + "/" + lv)).path("report").path(0).path("lv").path(0);
        JsonNode g = new ObjectMapper().readTree(vm.shOk("vgs --reportformat json --units b --nosuffix -o "
                + "vg_size,vg_free,pv_count " + vg)).path("report").path(0).path("vg").path(0);
        assertThat(l.path("stripes").asText()).isEqualTo("4");
        assertThat(l.path("stripe_size").asText()).isEqualTo("4096");
        assertThat(l.path("lv_size").asText()).isEqualTo(g.path("vg_size").asText());
        assertThat(g.path("vg_free").asText()).isEqualTo("0");
        assertThat(g.path("pv_count").asText()).isEqualTo("4");
        String dump = vm.shOk("cryptsetup luksDump /dev/" + vg + "/" + lv);
        assertThat(dump).containsPattern("Version:\\s+" + luksVersion);
        assertThat(dump).contains(luksVersion == 1 ? "Cipher name:   \taes" : "cipher: " + cipher);
        if (luksVersion == 1) {
            assertThat(dump.lines().filter(x -> x.matches("Key Slot \\d+: ENABLED")).count()).isEqualTo(2);
        } else {
            assertThat(dump.lines().filter(x -> x.matches("  \\d+: luks2")).count()).isEqualTo(2);
        }
        for (String k : List.of("k1", "k2")) {
            ExecResult r = vm.executor().run(HostCommand.of("test key", "cryptsetup", "open", "--test-passphrase",
                    "--key-file", "-", "/dev/" + vg + "/" + lv).withSecretStdin(TestKeys.read(KeyRef.named(k))));
            assertThat(r.exitCode()).as("key " + k + " opens").isZero();
        }
        assertThat(vm.shOk("findmnt -n -o SOURCE,FSTYPE " + mp).strip()).matches("/dev/mapper/" + mapping + "\\s+xfs");
        assertThat(vm.shOk("cat /etc/fstab")).contains("/dev/mapper/" + mapping + " " + mp
                + " xfs rw,noatime,nouuid,noauto 0 0");
        assertThat(vm.shOk("ls -A /run/cryptvol 2>/dev/null || true").strip()).as("no key file left on tmpfs").isEmpty();
    }

    static String luksUuid(TestVm vm, String dev) {
        return vm.shOk("cryptsetup luksUUID " + dev).strip();
    }

    /** What must not change when cryptvol refuses or dry-runs: lsblk and blkid of the devices, fstab, LVM. */
    static String snapshot(TestVm vm, List<String> devices) {
        return vm.shOk("lsblk -o NAME,SIZE,TYPE,MOUNTPOINTS; for d in " + String.join(" ", devices)
                + "; do blkid -p -o export $d; echo \"$d rc=$?\"; done; cat /etc/fstab; pvs; vgs; lvs; dmsetup ls");
    }

    /** No key bytes (raw, hex, base64) in any file under CRYPTVOL_HOME, nor in any argv of the transcript. */
    void leakScan() throws Exception {
        List<byte[]> needles = new ArrayList<>();
        for (String k : List.of("k1", "k2")) {
            needles.addAll(TestKeys.leakNeedles(TestKeys.read(KeyRef.named(k))));
        }
        shell.type("context"); // flush history and context files
        List<Path> files;
        try (Stream<Path> s = Files.walk(home)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        assertThat(files).as("cryptvol wrote a transcript").anyMatch(p -> p.getFileName().toString().equals("transcript.log"));
        int scanned = 0;
        for (Path f : files) {
            byte[] content = Files.readAllBytes(f);
            scanned += content.length;
            for (byte[] n : needles) {
                assertThat(TestKeys.contains(content, n)).as("key bytes in " + home.relativize(f)).isFalse();
            }
        }
        Path transcript = files.stream().filter(p -> p.getFileName().toString().equals("transcript.log")).findFirst().orElseThrow();
        long argvs = 0;
        for (String line : Files.readAllLines(transcript)) {
            JsonNode argv = new ObjectMapper().readTree(line).path("argv");
            for (JsonNode a : argv) {
                byte[] b = a.asText().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                for (byte[] n : needles) {
                    assertThat(TestKeys.contains(b, n)).as("key bytes in argv " + argv).isFalse();
                }
            }
            argvs++;
        }
        assertThat(argvs).isGreaterThan(20);
        System.out.printf("stages: leak scan: %d files (%d bytes), %d transcript argvs, %d needles: clean%n",
                files.size(), scanned, argvs, needles.size());
    }
}

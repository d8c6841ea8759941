package io.cryptvol.testvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;

/** The seed's procedure on a real kernel: 4 NVMe volumes, striped LV, LUKS, XFS, a file read back. */
@VmTest
class SeedProcedureVmTest {
    private static final long MIB = 1024 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void fourStripesLuks2XfsRoundTrip(TestVm vm) throws Exception {
        long t0 = System.nanoTime();
        List<String> devices = new ArrayList<>();
        for (String serial : vm.attachNewDisks(4, 256 * MIB)) {
            devices.add(vm.awaitDevice(serial, Duration.ofSeconds(30)));
        }
        HostExecutor x = vm.executor();

        ok(x, cmd("pvcreate", devices));
        List<String> vgcreate = new ArrayList<>(List.of("vgcreate", "myvg"));
        vgcreate.addAll(devices);
        ok(x, HostCommand.of("vgcreate", vgcreate));
        ok(x, HostCommand.of("lvcreate", "lvcreate", "-i4", "-I4", "-l100%VG", "-n", "mylv", "myvg"));

        byte[] key = new byte[4096];
        RANDOM.nextBytes(key);
        ok(x, HostCommand.of("luksFormat", "cryptsetup", "luksFormat", "-q", "--type", "luks2",
                "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", "/dev/myvg/mylv")
                .withSecretStdin(key));
        openMountWrite(vm, x, key);

        // the stripes, from lvm's JSON report
        ExecResult lvs = ok(x, HostCommand.of("lvs", "lvs", "--reportformat", "json", "-o", "+stripes,stripe_size",
                "--units", "b", "myvg/mylv"));
        JsonNode lv = new ObjectMapper().readTree(lvs.out()).path("report").path(0).path("lv").path(0);
        assertEquals("mylv", lv.path("lv_name").asText(), lvs.out());
        assertEquals(4, Integer.parseInt(lv.path("stripes").asText()), lvs.out());
        assertEquals(4096L, Long.parseLong(lv.path("stripe_size").asText().replace("B", "")), lvs.out());
        assertTrue(Long.parseLong(lv.path("lv_size").asText().replace("B", "")) > 900 * MIB, lvs.out());

        ok(x, HostCommand.of("umount", "umount", "/mnt/mymountpoint"));
        ok(x, HostCommand.of("luksClose", "cryptsetup", "close", "myencryptedlv"));
        ok(x, HostCommand.of("vgchange -an", "vgchange", "-an", "myvg"));
        System.out.printf("test instance: seed procedure (4 disks, LUKS2 pbkdf2) took %.1f s%n",
                (System.nanoTime() - t0) / 1e9);
    }

    /** The seed's original LUKS1 format: aes-cbc-essiv:sha256, ripemd160, 256-bit key. */
    @Test
    void legacyLuks1AesCbcEssivRipemd160Opens(TestVm vm) throws Exception {
        String dev = vm.awaitDevice(vm.attachNewDisks(1, 64 * MIB).get(0), Duration.ofSeconds(30));
        HostExecutor x = vm.executor();
        byte[] key = new byte[4096];
        RANDOM.nextBytes(key);
        ok(x, HostCommand.of("luksFormat luks1", "cryptsetup", "luksFormat", "-q", "--type", "luks1",
                "--cipher", "aes-cbc-essiv:sha256", "--hash", "ripemd160", "--key-size", "256",
                "--pbkdf-force-iterations", "1000", "--key-file", "-", dev).withSecretStdin(key));
        ok(x, HostCommand.of("open", "cryptsetup", "open", "--key-file", "-", dev, "legacy").withSecretStdin(key));
        String dump = ok(x, HostCommand.of("luksDump", "cryptsetup", "luksDump", dev)).out();
        assertTrue(dump.matches("(?s).*Version:\\s+1\\b.*"), dump);
        assertTrue(dump.matches("(?s).*Hash spec:\\s+ripemd160.*"), dump);
        String table = ok(x, HostCommand.of("table", "dmsetup", "table", "legacy")).out();
        assertTrue(table.contains(" crypt aes-cbc-essiv:sha256 "), table);
        // a wrong key must not open it
        byte[] wrong = key.clone();
        wrong[0] ^= 1;
        ExecResult bad = x.run(HostCommand.of("open wrong", "cryptsetup", "open", "--test-passphrase", "--key-file", "-",
                dev).withSecretStdin(wrong));
        assertTrue(bad.exitCode() != 0, "a wrong key opened the LUKS1 header");
        ok(x, HostCommand.of("close", "cryptsetup", "close", "legacy"));
    }

    private static void openMountWrite(TestVm vm, HostExecutor x, byte[] key) throws Exception {
        ok(x, HostCommand.of("luksOpen", "cryptsetup", "open", "--key-file", "-", "/dev/myvg/mylv", "myencryptedlv")
                .withSecretStdin(key));
        ok(x, HostCommand.of("mkfs.xfs", "mkfs.xfs", "-q", "/dev/mapper/myencryptedlv"));
        ok(x, HostCommand.of("mkdir", "mkdir", "-p", "/mnt/mymountpoint"));
        ok(x, HostCommand.of("mount", "mount", "-o", "rw,noatime,nouuid", "/dev/mapper/myencryptedlv",
                "/mnt/mymountpoint"));

        byte[] data = new byte[3 * 1024 * 1024 + 123];
        RANDOM.nextBytes(data);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        ok(x, HostCommand.of("write", "sh", "-c", "cat > /mnt/mymountpoint/data && sync").withStdin(data));

        // read back from the disks, not the page cache: unmount, close, reopen, mount
        ok(x, HostCommand.of("umount", "umount", "/mnt/mymountpoint"));
        ok(x, HostCommand.of("luksClose", "cryptsetup", "close", "myencryptedlv"));
        ok(x, HostCommand.of("luksOpen", "cryptsetup", "open", "--key-file", "-", "/dev/myvg/mylv", "myencryptedlv")
                .withSecretStdin(key));
        ok(x, HostCommand.of("mount", "mount", "-o", "rw,noatime,nouuid", "/dev/mapper/myencryptedlv",
                "/mnt/mymountpoint"));
        String sum = ok(x, HostCommand.of("sha256sum", "sha256sum", "/mnt/mymountpoint/data")).out();
        assertEquals(expected, sum.split("\\s+")[0]);
    }

    private static HostCommand cmd(String program, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.addAll(args);
        return HostCommand.of(program, argv);
    }

    static ExecResult ok(HostExecutor x, HostCommand c) {
        ExecResult r = x.run(c);
        if (!r.ok()) {
            throw new AssertionError(c.commandLine() + " exited " + r.exitCode() + "\nstdout: " + r.out()
                    + "\nstderr: " + r.err());
        }
        return r;
    }
}

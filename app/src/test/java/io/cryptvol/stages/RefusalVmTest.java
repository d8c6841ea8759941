package io.cryptvol.stages;

import io.cryptvol.ui.ErrorMessages;
import io.cryptvol.shell.ShellHarness;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The refusals, through the real shell on the test instance: each is a clear message, a non-zero exit
 * code, and nothing on the host changed (lsblk, blkid of every device, fstab, LVM, device-mapper).
 * (Non-root without sudo is refused by the executors themselves: see SudoTest / SshExecutorTest.)
 */
@VmTest
class RefusalVmTest {
    static final long MIB = 1024 * 1024;

    record Case(String what, String line, String expected, int exitCode) {
    }

    @Test
    void refusalsAreOneClearLineWithANonZeroExitAndChangeNothing(TestVm vm, @TempDir Path home, @TempDir Path keyDir)
            throws Exception {
        TestKeys.generate(keyDir, "k1", "k2");
        String a = disk(vm, 128), b = disk(vm, 128), fs = disk(vm, 128), big = disk(vm, 192), inVg = disk(vm, 128),
                mounted = disk(vm, 128), luks = disk(vm, 128);
        vm.shOk("mkfs.ext4 -q " + fs + " && pvcreate -q " + inVg + " && vgcreate -q othervg " + inVg
                + " && mkfs.ext4 -q " + mounted + " && mkdir -p /mnt/busy && mount " + mounted + " /mnt/busy"
                + " && mkdir -p /data/full && touch /data/full/x /data/f");
        vm.executor().run(io.cryptvol.domain.cmd.HostCommand.of("format", "cryptsetup", "luksFormat", "--batch-mode",
                "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", luks)
                .withSecretStdin(TestKeys.read(io.cryptvol.domain.plan.KeyRef.named("k1"))));
        List<String> all = List.of(a, b, fs, big, inVg, mounted, luks);
        String p = "provision --vg rvg --lv rlv --mapping rmap --mountpoint /mnt/r --key k1 --key2 k2"
                + " --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --yes --devices ";
        List<Case> cases = List.of(
                new Case("device with a filesystem", p + a + "," + fs, fs + ": has a ext4 signature", 1),
                new Case("unequal sizes", p + a + "," + big, "a striped LV needs devices of one size", 1),
                new Case("device in another VG", p + a + "," + inVg, inVg + ": is a PV of VG othervg", 1),
                new Case("mounted device", p + a + "," + mounted, mounted + ": is mounted at /mnt/busy", 1),
                new Case("LUKS already present", "luks format " + luks + " --key k1 --yes",
                        luks + ": already has a LUKS header", 1),
                new Case("unknown key name", (p + a + "," + b).replace("--key k1", "--key nosuch"), "unknown key 'nosuch'", 2),
                new Case("wrong key", "luks open " + luks + " rmap --key k2 --yes",
                        "key 'k2' does not open its LUKS header", 1),
                new Case("missing device", p + "/dev/nvme99n1," + a, "/dev/nvme99n1: no such block device", 1),
                new Case("pv create on a filesystem", "pv create " + fs + " --yes", "has a ext4 signature", 1),
                // what the mountpoint is on the host comes from the observation (HostObserver's path sections)
                new Case("a file as the mountpoint", (p + a + "," + b).replace("/mnt/r", "/data/f"),
                        "mountpoint '/data/f': exists on the host and is not a directory", 1),
                new Case("a mountpoint below a file", (p + a + "," + b).replace("/mnt/r", "/data/f/sub"),
                        "mountpoint '/data/f/sub': cannot be made: '/data/f' is not a directory", 1),
                new Case("a directory with files in it", (p + a + "," + b).replace("/mnt/r", "/data/full"),
                        "mountpoint '/data/full': is a directory with files in it", 1));
        try (ShellHarness shell = new ShellHarness(home, Map.of(), TestKeys.class)) {
            assertThat(shell.type(vm.connectLine())).contains("connected");
            long t0 = System.nanoTime();
            for (Case c : cases) {
                String before = ProvisionVmTest.snapshot(vm, all);
                ShellContext sc = shell.bean(ShellContext.class);
                sc.setInteractionMode(InteractionMode.NONINTERACTIVE);
                int code = 0;
                // one-command mode (NONINTERACTIVE) writes its error line to stderr: read it there
                java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
                java.io.PrintStream stderr = System.err;
                System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
                try {
                    shell.type(c.line());
                } catch (Exception e) {
                    code = ErrorMessages.exitCode(e);
                } finally {
                    System.setErr(stderr);
                    sc.setInteractionMode(InteractionMode.INTERACTIVE);
                }
                String out = shell.type("") + err.toString(java.nio.charset.StandardCharsets.UTF_8);
                List<String> errors = out.lines().filter(l -> l.startsWith("error: ")).toList();
                System.out.printf("stages: refusal %-28s exit %d  %s%n", c.what(), code, out.lines()
                        .filter(l -> l.startsWith("  - ") || l.startsWith("error: ")).toList());
                assertThat(errors).as(c.what() + ": one error line in\n" + out).hasSize(1);
                assertThat(out).as(c.what()).contains(c.expected()).doesNotContain("Exception").doesNotContain("\tat ");
                assertThat(code).as(c.what() + " exit code").isEqualTo(c.exitCode());
                assertThat(ProvisionVmTest.snapshot(vm, all)).as(c.what() + ": nothing changed").isEqualTo(before);
            }
            System.out.printf("stages: %d refusals checked in %.1f s%n", cases.size(), (System.nanoTime() - t0) / 1e9);
        }
        vm.shOk("umount /mnt/busy");
    }

    static String disk(TestVm vm, long mib) {
        String serial = TestVm.newSerial();
        vm.attachNewDisk(serial, mib * MIB);
        return vm.awaitDevice(serial, Duration.ofSeconds(30));
    }
}

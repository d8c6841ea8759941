package io.cryptvol.testvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.SshExecutor;
import io.cryptvol.sandbox.QemuInstance;

/**
 * What a {@link VmTest} class gets: the shared {@link QemuInstance}, an SSH {@link HostExecutor} to it, and
 * disks that live as long as the class. Do not keep {@link #executor()} across {@link #restart()}: ask again.
 */
public final class TestVm {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final QemuInstance instance;
    private SshExecutor executor;
    private Path diskDir;

    TestVm(QemuInstance instance) {
        this.instance = instance;
    }

    /** A TestVm over an instance the class booted itself (another variant or other options). */
    public static TestVm of(QemuInstance instance) {
        return new TestVm(instance);
    }

    /** The shell's {@code connect} line for this instance (host key pinned by its known_hosts file). */
    public String connectLine() {
        return "connect " + instance.user() + "@" + instance.sshHost() + ":" + instance.sshPort() + " --identity "
                + instance.identityFile() + " --known-hosts " + instance.knownHostsFile();
    }

    public QemuInstance instance() {
        return instance;
    }

    /** SSH executor (MINA) to root on the instance; host key checked against the instance's known_hosts. */
    public synchronized HostExecutor executor() {
        if (executor == null) {
            executor = SshExecutor.builder(instance.user(), instance.sshHost())
                    .port(instance.sshPort())
                    .identityFile(instance.identityFile())
                    .knownHosts(instance.knownHostsFile())
                    .defaultTimeout(Duration.ofMinutes(5))
                    .build();
        }
        return executor;
    }

    /** Runs argv on the instance (no shell), returns the result whatever the exit code. */
    public ExecResult run(String... argv) {
        return executor().run(HostCommand.of(String.join(" ", argv), argv));
    }

    /** Runs a /bin/sh script on the instance. */
    public ExecResult sh(String script) {
        return executor().run(HostCommand.of(script, "sh", "-c", script));
    }

    /** Runs a /bin/sh script and fails the test with its output unless it exits 0; returns stdout. */
    public String shOk(String script) {
        ExecResult r = sh(script);
        if (!r.ok()) {
            throw new AssertionError("on the test instance: `" + script + "` exited " + r.exitCode()
                    + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        }
        return r.out();
    }

    /** A fresh EBS-like volume id without its dash: "vol" + 17 hex digits, e.g. vol0123456789abcdef0. */
    public static String newSerial() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return "vol0" + HexFormat.of().formatHex(b);
    }

    /** Creates a sparse image of the given size in this class's disk directory and hot-plugs it. */
    public Path attachNewDisk(String serial, long bytes) {
        Path image = QemuInstance.createDiskImage(diskDir().resolve(serial + ".img"), bytes);
        instance.attachDisk(serial, image);
        return image;
    }

    /** {@code count} new disks of {@code bytes} each; returns their serials in order. */
    public List<String> attachNewDisks(int count, long bytes) {
        List<String> serials = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String s = newSerial();
            attachNewDisk(s, bytes);
            serials.add(s);
        }
        return serials;
    }

    /**
     * Waits until the guest shows an NVMe block device with this serial and returns its /dev path.
     * Hot-plug is asynchronous, like an EBS attachment.
     */
    public String awaitDevice(String serial, Duration timeout) {
        String script = "for c in /sys/class/nvme/nvme*; do [ \"$(cat $c/serial 2>/dev/null | tr -d ' ')\" = '"
                + serial + "' ] && for n in $c/nvme*n*; do [ -e \"$n\" ] && [ -b /dev/$(basename $n) ] && "
                + "echo /dev/$(basename $n) && exit 0; done; done; exit 1";
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ExecResult r = sh(script);
            if (r.ok()) {
                return r.out().trim();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no NVMe device with serial " + serial + " in the guest after "
                        + timeout.toSeconds() + " s");
            }
            sleep(250);
        }
    }

    /** A reboot that keeps the disks; the next {@link #executor()} connects to the new boot. */
    public synchronized void restart() {
        closeExecutor();
        instance.restart();
        System.out.printf("test instance: restarted in %.1f s%n", instance.bootTime().toMillis() / 1000.0);
    }

    /** Powers off as StopInstances does (EBS disks stay attached, see {@link QemuInstance#powerOff()}). */
    public synchronized void powerOff() {
        closeExecutor();
        instance.powerOff();
    }

    /** Boots after {@link #powerOff()}; the next {@link #executor()} connects to the new boot. */
    public synchronized void powerOn() {
        closeExecutor();
        instance.powerOn();
        System.out.printf("test instance: powered on in %.1f s%n", instance.bootTime().toMillis() / 1000.0);
    }

    /**
     * What a boot must look like whatever cryptvol wrote to fstab and crypttab: systemd finished starting
     * (no job left, nothing waiting for a passphrase on a console EC2 does not have) and no unit failed.
     * Returns {@code systemctl list-units --all} lines for the caller's own checks.
     */
    public String assertBootDidNotWait() {
        String state = sh("timeout 120 systemctl is-system-running --wait").out().strip();
        String jobs = shOk("systemctl list-jobs --no-legend --no-pager").strip();
        String asks = shOk("ls -A /run/systemd/ask-password 2>/dev/null | grep '^ask\\.' || true").strip();
        String failed = shOk("systemctl list-units --failed --no-legend --no-pager --plain").strip();
        if (!"running".equals(state) || !jobs.isEmpty() || !asks.isEmpty() || !failed.isEmpty()) {
            throw new AssertionError("the boot did not finish cleanly: is-system-running=" + state + "\njobs: " + jobs
                    + "\npassword requests: " + asks + "\nfailed units: " + failed + "\njournal:\n"
                    + sh("journalctl -b -p warning --no-pager | tail -n 40").out());
        }
        return shOk("systemctl list-units --all --no-legend --no-pager --plain");
    }

    synchronized Path diskDir() {
        if (diskDir == null) {
            try {
                diskDir = Files.createTempDirectory("cryptvol-disks-");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return diskDir;
    }

    /**
     * Between test classes: unmount what tests mounted under /mnt, close every device-mapper device
     * (LUKS mappings, LVs), reset /etc/fstab, detach every disk and delete the images.
     */
    public synchronized void reset() {
        if (!instance.isRunning() && !instance.poweredOn() && instance.identityFile() != null) {
            powerOn(); // a class left it powered off
        }
        if (instance.isRunning()) {
            shOk("for m in $(awk '$2 ~ \"^/mnt/\" {print $2}' /proc/mounts | sort -r); do umount -l \"$m\"; done;"
                    + " dmsetup remove_all --force >/dev/null 2>&1; dmsetup remove_all --force;"
                    // without udev, /dev/VG/LV links of a VG whose disks were pulled stay behind, dangling
                    + " for d in /dev/*/; do d=${d%/}; [ -n \"$(ls -A \"$d\")\" ] || continue; stale=1;"
                    + " for l in \"$d\"/*; do if [ -L \"$l\" ] && [ ! -e \"$l\" ]; then :; else stale=0; break; fi; done;"
                    + " [ $stale = 1 ] && rm -rf \"$d\"; done;"
                    + " rm -rf /run/lvm/* /etc/lvm/backup/* /etc/lvm/archive/* /etc/lvm/devices/*;"
                    + " printf '# <file system> <mount point> <type> <options> <dump> <pass>\\n' > /etc/fstab;"
                    + " printf '# <target name>\\t<source device>\\t\\t<key file>\\t<options>\\n' > /etc/crypttab");
            instance.detachAll();
        }
        if (diskDir != null) {
            try (var s = Files.walk(diskDir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort
            }
            diskDir = null;
        }
    }

    public synchronized void closeExecutor() {
        if (executor != null) {
            executor.close();
            executor = null;
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}

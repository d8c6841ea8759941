package io.cryptvol.bench;

import io.cryptvol.domain.cmd.Ephemeral;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.sandbox.QemuInstance;
import io.cryptvol.session.HostAccess;
import io.cryptvol.shell.ShellHarness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 19's figure, not a test: throughput of the ephemeral scratch (4 instance-store disks, LVM striped, plain
 * dm-crypt, XFS, set up by {@code ephemeral setup}) against one raw disk of the same kind (an NVMe disk on the same
 * qemu backend), write and read, O_DIRECT, alternating in the same run; then the striped LV alone (the unit stopped,
 * no dm-crypt) against the same raw disk, to tell the stripe's gain from the cipher's cost (qemu TCG has no AES-NI).
 * Boots its own instance. Run by scripts/bench/run ({@code --only ephemeral}); args: [runs].
 */
public final class EphemeralBench {
    static final long MIB = 1024 * 1024;
    static final int DISKS = 4;
    static final int MB = 64;
    static final Pattern DD = Pattern.compile("(\\d+) bytes .* copied, ([0-9.]+) s");

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        BenchOut out = new BenchOut("ephemeral");
        Path home = Files.createTempDirectory("cryptvol-bench-ephemeral-");
        QemuInstance vm = new QemuInstance(QemuInstance.Options.defaults().withInstanceStore(DISKS, 512 * MIB));
        try {
            vm.start();
            Path raw = QemuInstance.createDiskImage(home.resolve("raw.img"), 512 * MIB);
            vm.attachDisk("vol0fedcba9876543210", raw);
            try (ShellHarness h = new ShellHarness(home, Map.of())) {
                h.type("connect " + vm.user() + "@" + vm.sshHost() + ":" + vm.sshPort() + " --identity "
                        + vm.identityFile() + " --known-hosts " + vm.knownHostsFile());
                String o = h.type("ephemeral setup --as mountpoint /mnt/scratch --yes");
                if (o.contains("error:")) {
                    throw new IllegalStateException(o);
                }
                HostExecutor ex = h.bean(HostAccess.class).executor();
                String rawDev = sh(ex, "for c in /sys/class/nvme/nvme*; do [ \"$(tr -d ' ' < $c/serial)\" = "
                        + "vol0fedcba9876543210 ] && ls -d $c/nvme*n* | head -n1 | xargs basename; done").strip();
                List<Double> sw = new ArrayList<>(), sr = new ArrayList<>(), rw = new ArrayList<>(), rr = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    sw.add(dd(ex, "if=/dev/zero of=/mnt/scratch/f bs=1M count=" + MB + " oflag=direct conv=fsync"));
                    rw.add(dd(ex, "if=/dev/zero of=/dev/" + rawDev + " bs=1M count=" + MB + " oflag=direct conv=fsync"));
                    sr.add(dd(ex, "if=/mnt/scratch/f of=/dev/null bs=1M iflag=direct"));
                    rr.add(dd(ex, "if=/dev/" + rawDev + " of=/dev/null bs=1M count=" + MB + " iflag=direct"));
                }
                double w = BenchOut.median(sw), r = BenchOut.median(sr), bw = BenchOut.median(rw), br = BenchOut.median(rr);
                String note = DISKS + " disks, " + MB + " MiB O_DIRECT, qemu TCG (AES in software)";
                out.figure("ephemeral scratch write (striped+dm-crypt)", "MiB/s", w, "one raw disk, same run", bw, w / bw,
                        "reported", true, runs, note);
                out.figure("ephemeral scratch read (striped+dm-crypt)", "MiB/s", r, "one raw disk, same run", br, r / br,
                        "reported", true, runs, note);
                // the stripe alone: the unit stopped (no mapping), the LV active again
                sh(ex, "systemctl stop " + Ephemeral.UNIT + " && vgchange -q -ay " + Ephemeral.VG + " >/dev/null");
                String lv = "/dev/" + Ephemeral.VG + "/" + Ephemeral.LV;
                List<Double> lw = new ArrayList<>(), lr = new ArrayList<>();
                rw.clear();
                rr.clear();
                for (int i = 0; i < runs; i++) {
                    lw.add(dd(ex, "if=/dev/zero of=" + lv + " bs=1M count=" + MB + " oflag=direct conv=fsync"));
                    rw.add(dd(ex, "if=/dev/zero of=/dev/" + rawDev + " bs=1M count=" + MB + " oflag=direct conv=fsync"));
                    lr.add(dd(ex, "if=" + lv + " of=/dev/null bs=1M count=" + MB + " iflag=direct"));
                    rr.add(dd(ex, "if=/dev/" + rawDev + " of=/dev/null bs=1M count=" + MB + " iflag=direct"));
                }
                double lwm = BenchOut.median(lw), lrm = BenchOut.median(lr);
                bw = BenchOut.median(rw);
                br = BenchOut.median(rr);
                out.figure("striped LV alone write (no dm-crypt)", "MiB/s", lwm, "one raw disk, same run", bw, lwm / bw,
                        "reported", true, runs, note);
                out.figure("striped LV alone read (no dm-crypt)", "MiB/s", lrm, "one raw disk, same run", br, lrm / br,
                        "reported", true, runs, note);
            }
        } finally {
            vm.stop();
        }
    }

    static String sh(HostExecutor ex, String script) {
        ExecResult r = ex.run(HostCommand.of("bench", "sh", "-c", script).withTimeout(Duration.ofMinutes(10)));
        if (!r.ok()) {
            throw new IllegalStateException(script + ": exit " + r.exitCode() + ": " + r.err());
        }
        return r.out();
    }

    /** MiB/s of one dd, from its own summary line. */
    static double dd(HostExecutor ex, String args) {
        ExecResult r = ex.run(HostCommand.of("bench dd", "sh", "-c", "dd " + args + " 2>&1 >/dev/null | tail -n 1")
                .withTimeout(Duration.ofMinutes(10)));
        Matcher m = DD.matcher(r.out());
        if (!r.ok() || !m.find()) {
            throw new IllegalStateException("dd " + args + ": " + r.out() + r.err());
        }
        return Long.parseLong(m.group(1)) / (double) MIB / Double.parseDouble(m.group(2));
    }
}

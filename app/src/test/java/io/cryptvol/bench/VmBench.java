package io.cryptvol.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsOptions;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.domain.cmd.ShellQuote;
import io.cryptvol.sandbox.QemuInstance;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
import io.cryptvol.sandbox.ec2.SandboxTimings;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.shell.ShellHarness;
import io.cryptvol.snapshot.SnapshotService;
import io.cryptvol.snapshot.SnapshotTarget;
import io.cryptvol.stages.TestKeys;
import io.cryptvol.volumes.VolumeService;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Figures, not tests, on the test instance (a real kernel in qemu, TCG): provision over SSH vs the same
 * host commands as one plain {@code ssh} script; the unlock plan after a restart (vgchange -ay, luks open,
 * mount through PlanRunner) with the KDF reported apart; sanitize throughput vs raw dd of zeros; the
 * freeze window of snapshot for 1, 4 and 16 volumes through the sandbox EC2 endpoint; the boot time of the
 * systemd image (as an EC2 AMI boots) beside the old custom init's, booted alternately in the same run; one command
 * and a whole provision over SSM (Run Command, S3 output) against SSH, on the sandbox, alternating in the same run.
 * Boots its own instances. Run by scripts/bench/run; args: [runs] [only: boot,provision,unlock,sanitize,freeze,ssm].
 */
public final class VmBench {
    static final long MIB = 1024 * 1024;
    static final String FAST_KDF = " --pbkdf pbkdf2 --pbkdf-force-iterations 1000";

    final QemuInstance vm;
    final Path work;
    final BenchOut out;
    final int runs;

    VmBench(QemuInstance vm, Path work, int runs, String parts) {
        this.out = new BenchOut("vm-" + parts.replace(',', '-'));
        this.vm = vm;
        this.work = work;
        this.runs = runs;
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        String only = args.length > 1 ? args[1] : "boot,provision,unlock,sanitize,freeze,ssm";
        Path work = Files.createTempDirectory("cryptvol-vmbench");
        if (only.contains("ssm")) {
            BenchOut ssmOut = new BenchOut("vm-ssm");
            ssmVsSsh(ssmOut, runs, work.resolve("ssm"));
            ssmOut.write();
            only = only.replace("ssm", "").replaceAll("^,+|,+$", "").replaceAll(",,+", ",");
            if (only.isEmpty()) {
                deleteTree(work);
                return;
            }
        }
        if (only.contains("boot")) {
            BenchOut bootOut = new BenchOut("vm-boot");
            bootTimes(bootOut, runs, work.resolve("boot"));
            bootOut.write();
            only = only.replace("boot", "").replaceAll("^,+|,+$", "").replaceAll(",,+", ",");
            if (only.isEmpty()) {
                deleteTree(work);
                return;
            }
        }
        long t0 = System.nanoTime();
        try (QemuInstance vm = new QemuInstance(QemuInstance.Options.defaults().withWorkDir(work.resolve("vm"))).start()) {
            System.out.printf(Locale.ROOT, "test instance up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            VmBench b = new VmBench(vm, work, runs, only);
            TestKeys.generate(Files.createDirectories(work.resolve("keys")), "k1", "k2");
            b.ssh("mkdir -p /run/bk && chmod 700 /run/bk", null);
            b.ssh("cat > /run/bk/k1", Files.readAllBytes(work.resolve("keys/k1")));
            b.ssh("cat > /run/bk/k2", Files.readAllBytes(work.resolve("keys/k2")));
            try (ShellHarness h = new ShellHarness(Files.createDirectories(work.resolve("home")), Map.of(), TestKeys.class)) {
                String c = h.type("connect " + vm.user() + "@" + vm.sshHost() + ":" + vm.sshPort() + " --identity "
                        + vm.identityFile() + " --known-hosts " + vm.knownHostsFile());
                require(c.contains("connected"), c);
                if (only.contains("provision") || only.contains("unlock")) {
                    b.provisionAndUnlock(h, only.contains("provision"), only.contains("unlock"));
                }
                if (only.contains("sanitize")) {
                    b.sanitize(h);
                }
            }
            if (only.contains("freeze")) {
                b.freeze();
            }
            b.out.write();
        } finally {
            deleteTree(work);
        }
    }

    // ------------------------------------------------------------------ boot time

    /**
     * Boots the systemd image and the old-init image alternately ({@code runs} each, so load changes hit both),
     * each from qemu's start to sshd's banner, and reports the medians and their ratio (target: at most 2x).
     */
    static void bootTimes(BenchOut out, int runs, Path work) throws Exception {
        Map<String, List<Double>> times = new LinkedHashMap<>();
        times.put("systemd", new ArrayList<>());
        times.put("init", new ArrayList<>());
        for (int r = 0; r < runs; r++) {
            for (String variant : times.keySet()) {
                try (QemuInstance vm = new QemuInstance(QemuInstance.Options.defaults().withVariant(variant)
                        .withWorkDir(work.resolve(variant + r)))) {
                    vm.start();
                    double t = vm.bootTime().toMillis() / 1000.0;
                    times.get(variant).add(t);
                    System.out.printf(Locale.ROOT, "boot %d: %s image answered ssh in %.1f s (load %s)%n", r + 1,
                            variant, t, BenchOut.loadAverage());
                    if (variant.equals("systemd")) {
                        String analyze = new VmBench(vm, work, 1, "boot").ssh(
                                "systemd-analyze time; systemd-analyze blame | head -n 8", null);
                        System.out.println(analyze.strip());
                    }
                }
            }
        }
        double sd = BenchOut.median(times.get("systemd"));
        double init = BenchOut.median(times.get("init"));
        out.figure("boot to sshd, systemd image (as an AMI)", "s", sd, "old custom init, same run", init, sd / init,
                "<= 2x the old init", sd / init <= 2.0, runs, "systemd " + times.get("systemd") + ", init "
                        + times.get("init"));
    }

    // ------------------------------------------------------------------ SSM against SSH

    /**
     * On the sandbox (its EC2, SSM and S3 on one endpoint; the SSM agent runs each script in the instance): one
     * command ({@code uname -r} through the session's executor, 5 per round) and a whole {@code provision} (2 new
     * volumes, LUKS2 with pbkdf2 1000, its header backup copied back) over SSM with S3 output, against the same over
     * SSH; the transports alternate within each of {@code runs} rounds, so load changes hit both.
     */
    static void ssmVsSsh(BenchOut out, int runs, Path work) throws Exception {
        try (ShellHarness h = new ShellHarness(Files.createDirectories(work.resolve("home")), Map.of())) { // the session's own keys
            String started = h.type("sandbox start");
            require(started.contains("sandbox instance i-"), started);
            io.cryptvol.session.Target t = h.bean(SessionContext.class).target();
            String ssh = "connect " + t.user() + "@" + t.host() + ":" + t.port() + " --identity " + t.identityFile()
                    + " --known-hosts " + t.knownHosts();
            String id = h.bean(io.cryptvol.sandbox.Sandbox.class).status().instanceId();
            String ssm = "connect ssm:" + id + " --output-s3 s3://" + io.cryptvol.sandbox.s3.SandboxS3Service.SANDBOX_BUCKET + "/bench/";
            Map<String, List<Double>> one = new LinkedHashMap<>();
            Map<String, List<Double>> prov = new LinkedHashMap<>();
            for (int r = 0; r < runs; r++) {
                for (String via : List.of("ssm", "ssh")) {
                    String c = h.type(via.equals("ssm") ? ssm : ssh);
                    require(c.contains("connected"), c);
                    if (via.equals("ssh")) {
                        h.type("use instance " + id); // an SSH target names no instance: the one its volumes attach to
                    }
                    HostExecutor ex = h.bean(HostAccess.class).executor();
                    for (int i = 0; i < 5; i++) {
                        long t0 = System.nanoTime();
                        require(ex.run(HostCommand.query("kernel release", "uname", "-r")).exitCode() == 0, "uname -r over " + via);
                        one.computeIfAbsent(via, k -> new ArrayList<>()).add((System.nanoTime() - t0) / 1e6);
                    }
                    String vg = via + "vg" + r;
                    require(h.type("keys generate " + vg + "a " + vg + "b").contains(vg), "keys generate");
                    long t0 = System.nanoTime();
                    String o = h.type("provision --new-volumes 2 --size 1 --vg " + vg + " --lv " + vg + "lv --mapping " + vg
                            + "map --mountpoint /mnt/" + vg + " --key " + vg + "a --key2 " + vg + "b" + FAST_KDF + " --yes");
                    double s = (System.nanoTime() - t0) / 1e9;
                    require(o.contains("done") && !o.contains("error"), o);
                    prov.computeIfAbsent(via, k -> new ArrayList<>()).add(s);
                    System.out.printf(Locale.ROOT, "round %d: provision over %s %.1f s (load %s)%n", r + 1, via, s, BenchOut.loadAverage());
                }
            }
            double os = BenchOut.median(one.get("ssm"));
            double oh = BenchOut.median(one.get("ssh"));
            out.figure("one command (uname -r) over SSM, sandbox", "ms", os, "same over SSH", oh, os / oh,
                    "a figure (no goal)", true, 5 * runs, "SSM: SendCommand + GetCommandInvocation polls (150 ms x1.6, jitter);"
                            + " the sandbox hides an invocation for 300 ms after SendCommand, as SSM does");
            double ps = BenchOut.median(prov.get("ssm"));
            double ph = BenchOut.median(prov.get("ssh"));
            out.figure("provision, 2 new volumes, over SSM (S3 output)", "s", ps, "same over SSH", ph, ps / ph,
                    "a figure (no goal)", true, runs, "SSM " + prov.get("ssm") + ", SSH " + prov.get("ssh"));
            h.type("sandbox stop");
        }
    }

    // ------------------------------------------------------------------ provision + unlock

    void provisionAndUnlock(ShellHarness h, boolean provision, boolean unlock) throws Exception {
        List<Double> ratios = new ArrayList<>();
        List<Double> tool = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        Path transcript = work.resolve("home/state/transcript.log");
        List<String> devs = disks(4, 256 * MIB);
        String cmd = "provision --devices " + String.join(",", devs) + " --vg bvg --lv blv --mapping benc"
                + " --mountpoint /mnt/bench --key k1 --key2 k2" + FAST_KDF + " --yes";
        Map<String, String> keyOf = keysOnStdin(h.type(cmd.replace(" --yes", " --dry-run")));
        for (int r = 0; provision && r < runs; r++) { // "--vm-parts unlock" alone does not time provision
            long before = Files.exists(transcript) ? Files.size(transcript) : 0;
            long t0 = System.nanoTime();
            String o = h.type(cmd);
            double t = (System.nanoTime() - t0) / 1e9;
            require(o.contains("done") && !o.contains("error"), o);
            String script = plainScript(transcript, before, keyOf);
            teardown(devs);
            t0 = System.nanoTime();
            ssh("set -e\n" + script, null);
            double p = (System.nanoTime() - t0) / 1e9;
            teardown(devs);
            tool.add(t);
            plain.add(p);
            ratios.add(t / p);
            if (r == 0) {
                Path outDir = Path.of(System.getProperty("bench.out", "target/bench"));
                Files.writeString(outDir.resolve("provision-plain.sh"), script);
                // every command the tool ran (queries too) with its duration: where the ratio's overhead goes
                byte[] all = Files.readAllBytes(transcript);
                Files.write(outDir.resolve("provision-transcript.jsonl"), Arrays.copyOfRange(all, (int) before, all.length));
            }
        }
        if (provision) {
            double ratio = BenchOut.median(ratios);
            out.figure("provision, 4 devices (LUKS2, pbkdf2 1000)", "s", BenchOut.median(tool), "same commands, one ssh script",
                    BenchOut.median(plain), ratio, "<= 1.15x", ratio <= 1.15, runs,
                    "baseline = the host-changing commands from cryptvol's transcript; keys pre-copied to tmpfs");
        }
        if (unlock) {
            unlock(h, devs, cmd);
        }
        vm.detachAll();
    }

    /**
     * The guided unlock ({@code unlock --yes}, no key option: find what is locked, propose the recorded key, open,
     * mount, verify) against the same host commands as one plain ssh script; the KDF timed apart in the guest.
     */
    void unlock(ShellHarness h, List<String> devs, String provisionCmd) throws Exception {
        require(h.type(provisionCmd).contains("done"), "provision for unlock");
        String down = "umount /mnt/bench; cryptsetup close benc; vgchange -an bvg; echo 3 > /proc/sys/vm/drop_caches";
        // one unlock with the key named: cryptvol records that k1 (also in its key store) opens this LUKS UUID, so the
        // guide proposes it
        h.bean(io.cryptvol.keys.KeyStore.class).importKey("k1", work.resolve("keys/k1"));
        ssh(down, null);
        require(h.type("unlock --mountpoint /mnt/bench --key k1 --yes").contains("unlocked /mnt/bench"), "first unlock");
        String plainUnlock = "set -e; vgchange -ay bvg >/dev/null; cryptsetup open --key-file /run/bk/k1 /dev/bvg/blv benc; "
                + "mount -o rw,noatime,nouuid /dev/mapper/benc /mnt/bench";
        List<Double> tool = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        List<Double> kdf = new ArrayList<>();
        List<Double> outside = new ArrayList<>();
        List<Double> observe = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            ssh(down, null);
            Path transcript = work.resolve("home/state/transcript.log");
            long before = Files.exists(transcript) ? Files.size(transcript) : 0;
            long t0 = System.nanoTime();
            String o = h.type("unlock --yes");
            double tr = (System.nanoTime() - t0) / 1e9;
            tool.add(tr);
            // where the tool time went: the host commands' own durations (the transcript's), the rest is the JVM's
            double hostMs = 0;
            double observeMs = 0;
            byte[] all = Files.readAllBytes(transcript);
            for (String line : new String(all, (int) before, all.length - (int) before, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    JsonNode n = new ObjectMapper().readTree(line);
                    hostMs += n.path("durationMs").asDouble();
                    if (n.path("description").asText().startsWith("Observe")) {
                        observeMs += n.path("durationMs").asDouble();
                    }
                }
            }
            outside.add(tr - hostMs / 1e3);
            observe.add(observeMs / 1e3);
            if (r == 0) {
                // every command the guided unlock ran (queries too) with its duration: where its time goes
                Files.write(Path.of(System.getProperty("bench.out", "target/bench")).resolve("unlock-transcript.jsonl"),
                        Arrays.copyOfRange(all, (int) before, all.length));
            }
            require(o.contains("key: key 'k1'") && o.contains("unlocked /mnt/bench"), o);
            ssh(down, null);
            t0 = System.nanoTime();
            ssh(plainUnlock, null);
            plain.add((System.nanoTime() - t0) / 1e9);
            // the KDF alone: unlock a key slot without creating a mapping, timed inside the guest
            String ns = ssh("s=$(date +%s%N); cryptsetup open --test-passphrase --key-file /run/bk/k1 /dev/bvg/blv; "
                    + "e=$(date +%s%N); echo $((e - s))", null).trim();
            kdf.add(Long.parseLong(ns) / 1e9);
        }
        double k = BenchOut.median(kdf);
        double t = BenchOut.median(tool);
        double p = BenchOut.median(plain);
        double ratio = (t - k) / (p - k);
        out.figure("guided unlock after restart (excl. KDF)", "s", t - k, "same commands, one ssh script", p - k, ratio,
                "<= 1.2x", ratio <= 1.2, runs, "'unlock --yes' with no key option: find what is locked (observation; PV segments from its lvm "
                        + "fullreport), propose the recorded key, vgchange -ay + luks open + mount + verify; restart simulated "
                        + "by umount/close/vgchange -an + drop_caches; the ssh baseline runs vgchange + open + mount only");
        out.figure("  of it: the observation (one command)", "s", BenchOut.median(observe), "-", 0, Double.NaN, "reported apart", true,
                runs, "devices, LVM with PV segments, mounts, fstab, crypttab, the inactive LVs' headers: one round trip");
        out.figure("  of it: outside the host's commands", "s", BenchOut.median(outside), "-", 0, Double.NaN, "reported apart", true,
                runs, "the tool time less the durations of the commands in cryptvol's transcript: parsing, planning, output");
        out.figure("  KDF of that open (pbkdf2, 1000 iterations)", "s", k, "-", 0, Double.NaN, "reported apart", true, runs,
                "cryptsetup open --test-passphrase timed in the guest: the KDF plus cryptsetup's start-up; the product default (argon2id) costs more");
        ssh("umount /mnt/bench; cryptsetup close benc; wipefs -qa /dev/bvg/blv; vgremove -ff bvg; pvremove -ff " + String.join(" ", devs)
                + "; wipefs -qa " + String.join(" ", devs) + "; sed -i '/benc/d' /etc/fstab; true", null);
    }

    /** "$ ARGV  < key 'k1' on stdin" lines of a dry run: which key each secret-stdin command reads. */
    static Map<String, String> keysOnStdin(String dryRun) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : dryRun.split("\n")) {
            int d = line.indexOf("$ ");
            int k = line.indexOf("  < key '");
            if (d >= 0 && k > d) {
                String argv = line.substring(d + 2, k);
                String key = line.substring(k + "  < key '".length(), line.indexOf('\'', k + "  < key '".length()));
                m.put(argv, key);
            }
        }
        return m;
    }

    /** The host-changing commands cryptvol ran (from its transcript), as one sh script reading keys from /run/bk. */
    static String plainScript(Path transcript, long from, Map<String, String> keyOf) throws IOException {
        byte[] all = Files.readAllBytes(transcript);
        String text = new String(all, (int) from, all.length - (int) from, StandardCharsets.UTF_8);
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = json.readTree(line);
            if (!"run".equals(n.path("mode").asText()) || n.path("readOnly").asBoolean(false)) {
                continue;
            }
            List<String> argv = new ArrayList<>();
            n.path("argv").forEach(a -> argv.add(a.asText()));
            String joined = ShellQuote.join(argv);
            sb.append(joined);
            if (n.has("stdin")) {
                String key = keyOf.get(joined);
                if (key == null) {
                    key = n.path("stdin").asText().startsWith("<4096 bytes") ? "k1" : null;
                }
                sb.append(key == null ? " </dev/null" : " < /run/bk/" + key);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    void teardown(List<String> devs) {
        ssh("umount /mnt/bench 2>/dev/null; cryptsetup close benc 2>/dev/null; wipefs -qa /dev/bvg/blv 2>/dev/null; "
                + "vgremove -ff bvg >/dev/null 2>&1; "
                + "pvremove -ff " + String.join(" ", devs) + " >/dev/null 2>&1; wipefs -qa " + String.join(" ", devs)
                + "; sed -i '/benc/d' /etc/fstab; rm -rf /run/cryptvol; sync; true", null);
    }

    // ------------------------------------------------------------------ sanitize

    void sanitize(ShellHarness h) throws Exception {
        long size = 512 * MIB;
        String dev = disks(1, size).get(0);
        List<Double> tool = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<Double> cipherRatios = new ArrayList<>();
        List<Double> byHand = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            ssh("dd if=/dev/zero of=" + dev + " bs=4M count=" + size / (4 * MIB) + " oflag=direct status=none", null); // warm, and no signature
            long t0 = System.nanoTime();
            String o = h.type("sanitize " + dev + " --yes");
            double t = (System.nanoTime() - t0) / 1e9;
            require(o.contains("done") && !o.contains("error"), o);
            t0 = System.nanoTime();
            ssh("dd if=/dev/zero of=" + dev + " bs=4M count=" + size / (4 * MIB) + " oflag=direct status=none", null);
            double d = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            ssh("set -e; head -c 64 /dev/urandom > /run/bk/wipe; cryptsetup open --type plain --cipher aes-xts-plain64"
                    + " --key-size 512 --key-file /run/bk/wipe " + dev + " bwipe; dd if=/dev/zero of=/dev/mapper/bwipe bs=4M count="
                    + size / (4 * MIB) + " oflag=direct status=none; cryptsetup close bwipe; rm -f /run/bk/wipe", null);
            double e = (System.nanoTime() - t0) / 1e9;
            tool.add(size / MIB / t);
            raw.add(size / MIB / d);
            ratios.add(d / t);
            cipherRatios.add(e / t);
            byHand.add(size / MIB / e);
        }
        double ratio = BenchOut.median(ratios);
        out.figure("sanitize throughput, 512 MiB (plain)", "MiB/s", BenchOut.median(tool), "dd zeros, same device",
                BenchOut.median(raw), ratio, ">= 90 %", ratio >= 0.9, runs, "whole command time incl. observe + open/close");
        double cr = BenchOut.median(cipherRatios);
        out.figure("sanitize throughput vs the same by hand", "MiB/s", BenchOut.median(tool), "ssh: open plain + dd + close",
                BenchOut.median(byHand), cr, ">= 90 % (tool overhead)", cr >= 0.9, runs,
                "separates cryptvol's overhead from the cipher's cost (software AES under qemu TCG)");
        vm.detachAll();
    }

    // ------------------------------------------------------------------ snapshot freeze window

    void freeze() throws Exception {
        try (SandboxEc2Server server = SandboxEc2Server.builder().dataDir(Files.createDirectories(work.resolve("ec2")))
                .timings(SandboxTimings.uniform(Duration.ofMillis(100))).build().start();
             AwsAccess aws = new AwsAccess(null, null, server.endpoint().toString(), true, Map.of(), EbsOptions.sandbox(),
                     Duration.ofMillis(100), 3, null)) {
            server.faults().latency(Duration.ofMillis(100));
            String instanceId = server.addInstance("us-east-1a", vm);
            SessionContext ctx = new SessionContext();
            ctx.set(SessionContext.Part.INSTANCE, instanceId);
            HostAccess hosts = new HostAccess(ctx, (t, a) -> io.cryptvol.exec.SshExecutor.builder(vm.user(), vm.sshHost())
                    .port(vm.sshPort()).identityFile(vm.identityFile()).knownHosts(vm.knownHostsFile()).build());
            VolumeService volumes = new VolumeService(aws, ctx, hosts, new Inventory(), Duration.ofSeconds(120), Duration.ofMillis(250));
            SnapshotService service = new SnapshotService(aws, ctx, hosts, volumes);
            List<Double> windows = new ArrayList<>();
            List<Double> calls = new ArrayList<>();
            // one host command through the session's SSH connection: freeze and thaw are one each
            List<Double> rtt = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                long t0 = System.nanoTime();
                hosts.executor().run(HostCommand.of("no-op", "true"));
                rtt.add((System.nanoTime() - t0) / 1e6);
            }
            double exec = BenchOut.median(rtt.subList(2, rtt.size()));
            // 1 + 4 + 16 = 21 volumes: exactly the device names /dev/sdf..sdz (the earlier sets stay attached)
            for (int n : new int[] {1, 4, 16}) {
                List<String> devs = volumes.createAndAttachDevices(n, VolumeSpec.of(1, "gp3"), "fvg");
                String mnt = "/mnt/f" + n;
                ssh("set -e; pvcreate -q " + String.join(" ", devs) + "; vgcreate -q fvg" + n + " " + String.join(" ", devs)
                        + "; lvcreate -q -i" + n + " -I4 -l100%VG -n lv fvg" + n
                        + "; cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000"
                        + " --key-file /run/bk/k1 /dev/fvg" + n + "/lv; cryptsetup open --key-file /run/bk/k1 /dev/fvg" + n
                        + "/lv fenc" + n + "; mkfs.xfs -q /dev/mapper/fenc" + n + "; mkdir -p " + mnt
                        + "; mount -o rw,noatime,nouuid /dev/mapper/fenc" + n + " " + mnt
                        + "; head -c 4194304 /dev/urandom > " + mnt + "/data; sync", null);
                List<Double> w = new ArrayList<>();
                List<Double> call = new ArrayList<>();
                for (int r = 0; r < runs; r++) {
                    SnapshotTarget t = service.discover(mnt);
                    SnapshotService.Result res = service.snapshot(t,
                            new SnapshotService.SnapshotOptions("sync", "true", Duration.ofSeconds(60), false),
                            SnapshotService.Listener.NONE);
                    w.add(res.freezeWindow().toNanos() / 1e6);
                    call.add(res.snapshotCall().toNanos() / 1e6);
                }
                double win = BenchOut.median(w);
                double rt = BenchOut.median(call);
                windows.add(win);
                calls.add(rt);
                out.figure("snapshot freeze window, " + n + " volume" + (n == 1 ? "" : "s"), "ms", win,
                        "the create call inside it", rt, win / rt, "<= call + 100 ms", win <= rt + 100, runs,
                        String.format(Locale.ROOT, "host clock, xfs_freeze -f returned to xfs_freeze -u returned; sandbox endpoint, "
                                + "100 ms injected per call; a new host command over SSH to the TCG guest takes %.0f ms here", exec));
                ssh("umount " + mnt + "; cryptsetup close fenc" + n + "; vgchange -an -q fvg" + n + "; true", null);
            }
            double beyond1 = windows.get(0) - calls.get(0);
            double beyond16 = windows.get(2) - calls.get(2);
            out.figure("freeze window beyond the create call, 16 vs 1 volume", "ms", beyond16, "the same for 1 volume", beyond1,
                    beyond16 / beyond1, "flat (~1x)", beyond16 <= beyond1 + 50, runs,
                    "what cryptvol adds to the call: the thaw line, fsfreeze -u and the host's clock reads");
            double flat = windows.get(2) / windows.get(0);
            out.figure("snapshot freeze window, 16 vs 1 volume", "x", flat, "-", 1, flat, "flat (~1x)", flat <= 1.25, runs,
                    "one CreateSnapshots call for the whole set; the sandbox's call itself takes longer for 16");
        }
        vm.detachAll();
    }

    // ------------------------------------------------------------------ helpers

    /** Fresh sparse disks, hot-plugged; their /dev paths in the guest. */
    List<String> disks(int n, long bytes) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String serial = "vol0" + HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong()));
            vm.attachDisk(serial, QemuInstance.createDiskImage(work.resolve("disks/" + serial + ".img"), bytes));
            out.add(awaitDevice(serial));
        }
        return out;
    }

    String awaitDevice(String serial) throws InterruptedException {
        String script = "for c in /sys/class/nvme/nvme*; do [ \"$(cat $c/serial 2>/dev/null | tr -d ' ')\" = '"
                + serial + "' ] && for n in $c/nvme*n*; do [ -e \"$n\" ] && [ -b /dev/$(basename $n) ] && "
                + "echo /dev/$(basename $n) && exit 0; done; done; exit 1";
        for (int i = 0; i < 120; i++) {
            Run r = run(script, null);
            if (r.exit == 0) {
                return r.out.trim();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("no device with serial " + serial);
    }

    static byte[] longBytes(long v) {
        return java.nio.ByteBuffer.allocate(8).putLong(v).array();
    }

    record Run(int exit, String out, String err) {
    }

    /** The real OpenSSH client with the instance's identity and known_hosts: one connection, one script. */
    Run run(String script, byte[] stdin) {
        try {
            List<String> argv = List.of("ssh", "-q", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", "UserKnownHostsFile=" + vm.knownHostsFile(), "-o", "IdentitiesOnly=yes", "-i", vm.identityFile().toString(),
                    "-p", String.valueOf(vm.sshPort()), vm.user() + "@" + vm.sshHost(), "sh", "-s");
            Process p = new ProcessBuilder(argv).start();
            byte[] body = stdin == null ? script.getBytes(StandardCharsets.UTF_8) : null;
            if (stdin != null) {
                // the script goes as the remote command, the bytes on stdin
                p.destroy();
                List<String> a2 = new ArrayList<>(argv.subList(0, argv.size() - 2));
                a2.add(script);
                p = new ProcessBuilder(a2).start();
                body = stdin;
            }
            try (var os = p.getOutputStream()) {
                os.write(body);
            }
            Process fp = p;
            var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(fp.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = p.waitFor();
            return new Run(exit, o, err.join());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    String ssh(String script, byte[] stdin) {
        Run r = run(script, stdin);
        if (r.exit != 0) {
            throw new IllegalStateException("ssh script failed (" + r.exit + "): " + r.err + "\n" + script);
        }
        return r.out;
    }

    static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("unexpected: " + what);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}

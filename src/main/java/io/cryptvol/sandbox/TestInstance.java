package io.cryptvol.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;

import io.cryptvol.CryptvolException;

/**
 * The cryptvol test instance: a Debian cloud kernel and a minimal rootfs (lvm2, cryptsetup, xfsprogs, sshd)
 * booted in qemu (TCG), reached over SSH on a forwarded loopback port, with raw image files plugged in as
 * NVMe devices whose serial is an EBS volume id without its dash, as on a Nitro instance.
 *
 * <p>The image is built by {@code scripts/testvm/build.sh} (cached outside the repository). Each
 * {@link #start()} makes a fresh ECDSA client key (OpenSSH format, in a private 0700 directory), passes its
 * public half on the kernel command line, reads the guest's host keys from the serial console (between the
 * markers EC2's console output uses) into a known_hosts file, and waits until sshd sends its banner.
 *
 * <p>Not thread-safe beyond what QMP serialises; one owner drives it.
 */
public final class TestInstance implements DiskHost, AutoCloseable {

    public static final String USER = "root";
    public static final String HOST = "127.0.0.1";
    private static final String KEYS_BEGIN = "-----BEGIN SSH HOST KEY KEYS-----";
    private static final String KEYS_END = "-----END SSH HOST KEY KEYS-----";
    private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9]{1,20}");

    private final Options options;
    private final Path workDir;
    private final boolean ownWorkDir;
    private final Map<String, Disk> disks = new LinkedHashMap<>();
    private Path imageDir;
    private Path identityFile;
    private String publicKeyLine;
    private Path knownHostsFile;
    private Path hostKeyFile;
    private Path consoleLog;
    private Process qemu;
    private QmpClient qmp;
    private int port;
    private int boots;
    private int diskCounter;
    private Duration bootTime;
    private List<String> hostKeys = List.of();

    /** Disk plugged into the instance: QMP ids derive from a counter, so a serial can come back. */
    private record Disk(String serial, Path image, String nodeName, String deviceId) {
    }

    /** How to build and run the instance; every field has a default. */
    public record Options(Path buildScript, Path imageDir, Path workDir, int memoryMb, int cpus,
                          Duration bootTimeout, String qemuBinary) {

        public static Options defaults() {
            String image = System.getenv("CRYPTVOL_TESTVM_IMAGE");
            return new Options(Path.of("scripts", "testvm", "build.sh"),
                    image == null || image.isBlank() ? null : Path.of(image), null, 2048, 2,
                    Duration.ofMinutes(4), "qemu-system-x86_64");
        }

        public Options withWorkDir(Path dir) {
            return new Options(buildScript, imageDir, dir, memoryMb, cpus, bootTimeout, qemuBinary);
        }

        public Options withBuildScript(Path script) {
            return new Options(script, imageDir, workDir, memoryMb, cpus, bootTimeout, qemuBinary);
        }

        public Options withImageDir(Path dir) {
            return new Options(buildScript, dir, workDir, memoryMb, cpus, bootTimeout, qemuBinary);
        }

        public Options withBootTimeout(Duration timeout) {
            return new Options(buildScript, imageDir, workDir, memoryMb, cpus, timeout, qemuBinary);
        }
    }

    public TestInstance() {
        this(Options.defaults());
    }

    public TestInstance(Options options) {
        this.options = Objects.requireNonNull(options, "options");
        try {
            if (options.workDir() != null) {
                Files.createDirectories(options.workDir());
                this.workDir = options.workDir();
                this.ownWorkDir = false;
            } else {
                this.workDir = Files.createTempDirectory("cryptvol-vm-");
                this.ownWorkDir = true;
            }
            Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new CryptvolException("cannot create the test instance's work directory: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    /** Builds the image if needed, makes a client key, boots and waits until sshd answers. */
    public synchronized TestInstance start() {
        if (qemu != null) {
            throw new IllegalStateException("test instance already started");
        }
        if (imageDir == null) {
            imageDir = options.imageDir() != null ? options.imageDir() : build(options.buildScript());
        }
        if (!Files.isRegularFile(imageDir.resolve("vmlinuz")) || !Files.isRegularFile(imageDir.resolve("initrd.img"))) {
            throw new CryptvolException("no vmlinuz and initrd.img in " + imageDir);
        }
        if (identityFile == null) {
            makeClientKey();
        }
        if (hostKeyFile == null) {
            makeHostKey();
        }
        boot(freePort());
        return this;
    }

    /**
     * A reboot that keeps the disks: flushes the guest's page cache, stops qemu and boots again with the
     * same disks (given on the command line). The client key, the host key and, when still free, the port
     * stay; {@link #knownHostsFile()} is rewritten only if the port changed.
     */
    public synchronized void restart() {
        requireRunning();
        int oldPort = port;
        shutdown();
        boot(portFreeOr(oldPort));
    }

    /** Flushes the guest, stops qemu, deletes the work directory if this object created it. */
    public synchronized void stop() {
        if (qemu != null) {
            shutdown();
        }
        disks.clear();
        if (ownWorkDir) {
            deleteTree(workDir);
        } else if (identityFile != null) {
            try {
                Files.deleteIfExists(identityFile);
            } catch (IOException ignored) {
                // best effort
            }
        }
        identityFile = null;
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return qemu != null && qemu.isAlive();
    }

    /**
     * Asks the guest to write every dirty page to its disks (through the serial console, so it works even
     * without SSH) and waits for its answer. Images on the host then hold what the guest wrote.
     */
    public synchronized boolean syncGuest(Duration timeout) {
        requireRunning();
        long from = size(consoleLog);
        try {
            OutputStream in = qemu.getOutputStream();
            in.write("cryptvol:sync\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
        } catch (IOException e) {
            return false;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && qemu.isAlive()) {
            if (readFrom(consoleLog, from).contains("cryptvol: synced")) {
                return true;
            }
            sleep(100);
        }
        return false;
    }

    // ------------------------------------------------------------------ disks (DiskHost)

    @Override
    public synchronized void attachDisk(String serial, Path image) {
        requireRunning();
        checkSerial(serial);
        if (disks.containsKey(serial)) {
            throw new CryptvolException("a disk with serial " + serial + " is already attached");
        }
        Path file = image.toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new CryptvolException("disk image " + file + " does not exist");
        }
        Disk d = newDisk(serial, file);
        qmp.execute("blockdev-add", Map.of("node-name", d.nodeName(), "driver", "raw",
                "file", Map.of("driver", "file", "filename", file.toString())));
        try {
            qmp.execute("device_add", Map.of("driver", "nvme", "id", d.deviceId(), "drive", d.nodeName(),
                    "serial", serial));
        } catch (RuntimeException e) {
            try {
                qmp.execute("blockdev-del", Map.of("node-name", d.nodeName()));
            } catch (RuntimeException ignored) {
                // report the first failure
            }
            throw e;
        }
        disks.put(serial, d);
    }

    @Override
    public synchronized void detachDisk(String serial) {
        detachDisks(List.of(serial));
    }

    /**
     * Unplugs several disks at once: every {@code device_del} is sent first, then the guest's ejects are
     * awaited together (each takes about a second under TCG), then the block nodes are deleted.
     */
    public synchronized void detachDisks(List<String> serials) {
        requireRunning();
        List<Disk> ds = new ArrayList<>();
        for (String serial : serials) {
            Disk d = disks.get(serial);
            if (d == null) {
                throw new CryptvolException("no disk with serial " + serial + " is attached");
            }
            ds.add(d);
        }
        for (Disk d : ds) {
            qmp.execute("device_del", Map.of("id", d.deviceId()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<String> stuck = new ArrayList<>();
        for (Disk d : ds) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            var event = qmp.awaitEvent(e -> "DEVICE_DELETED".equals(e.path("event").asText())
                    && d.deviceId().equals(e.path("data").path("device").asText()), left);
            if (event == null) {
                stuck.add(d.serial());
                continue;
            }
            qmp.execute("blockdev-del", Map.of("node-name", d.nodeName()));
            disks.remove(d.serial());
        }
        if (!stuck.isEmpty()) {
            throw new CryptvolException("the guest did not release NVMe device(s) " + stuck + " within 60 s");
        }
    }

    @Override
    public synchronized List<String> attachedSerials() {
        return List.copyOf(disks.keySet());
    }

    /** The image file behind an attached serial. */
    public synchronized Path diskImage(String serial) {
        Disk d = disks.get(serial);
        return d == null ? null : d.image();
    }

    /** Detaches every disk. */
    public synchronized void detachAll() {
        if (!disks.isEmpty()) {
            detachDisks(new ArrayList<>(disks.keySet()));
        }
    }

    /** Creates (or truncates to) a sparse raw image of the given size. */
    public static Path createDiskImage(Path file, long bytes) {
        if (bytes <= 0 || bytes % 512 != 0) {
            throw new IllegalArgumentException("disk size must be a positive multiple of 512: " + bytes);
        }
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(0);
                f.setLength(bytes);
            }
            return file;
        } catch (IOException e) {
            throw new CryptvolException("cannot create disk image " + file + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ accessors

    public String sshHost() {
        return HOST;
    }

    public synchronized int sshPort() {
        return port;
    }

    public String user() {
        return USER;
    }

    /** Unencrypted OpenSSH ECDSA private key (0600) whose public half the guest's root accepts. */
    public synchronized Path identityFile() {
        return identityFile;
    }

    /** The client public key line ("ecdsa-sha2-nistp256 AAAA... comment"). */
    public synchronized String publicKeyLine() {
        return publicKeyLine;
    }

    /** known_hosts with the guest's host keys as printed on its console, for [127.0.0.1]:port. */
    public synchronized Path knownHostsFile() {
        return knownHostsFile;
    }

    /** The host public key lines of the current boot. */
    public synchronized List<String> hostKeys() {
        return hostKeys;
    }

    /** From qemu's start to sshd's banner, for the last boot. */
    public synchronized Duration bootTime() {
        return bootTime;
    }

    /** Serial console of the current boot (qemu's stdout and stderr too). */
    public synchronized Path consoleLog() {
        return consoleLog;
    }

    public synchronized Path imageDir() {
        return imageDir;
    }

    public Path workDir() {
        return workDir;
    }

    /** Resident memory of the qemu process, from /proc (Linux), or -1. */
    public synchronized long qemuRssBytes() {
        if (qemu == null) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(qemu.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux or gone
        }
        return -1;
    }

    @Override
    public String toString() {
        return "TestInstance[" + USER + "@" + HOST + ":" + port + ", disks=" + disks.keySet() + "]";
    }

    // ------------------------------------------------------------------ internals

    private static Path build(Path script) {
        Path s = script.toAbsolutePath();
        if (!Files.isRegularFile(s)) {
            throw new CryptvolException("test instance build script not found: " + s
                    + " (run from the repository root or set CRYPTVOL_TESTVM_IMAGE)");
        }
        try {
            Process p = new ProcessBuilder("bash", s.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            int rc = p.waitFor();
            if (rc != 0) {
                throw new CryptvolException("building the test instance failed (" + s + " exited " + rc
                        + "; its messages are above)");
            }
            String[] lines = out.split("\n");
            Path dir = Path.of(lines[lines.length - 1].trim());
            if (!Files.isRegularFile(dir.resolve("vmlinuz")) || !Files.isRegularFile(dir.resolve("initrd.img"))) {
                throw new CryptvolException("build script printed " + dir + " but it holds no vmlinuz/initrd.img");
            }
            return dir;
        } catch (IOException e) {
            throw new CryptvolException("cannot run " + s + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted while building the test instance", e);
        }
    }

    /**
     * The instance's SSH host key, made once per instance and handed to the guest at every boot
     * (qemu fw_cfg), so that a restart keeps it the way an EC2 reboot does and known_hosts stays valid.
     */
    private void makeHostKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = g.generateKeyPair();
            hostKeyFile = workDir.resolve("ssh_host_ecdsa_key");
            Files.deleteIfExists(hostKeyFile);
            Files.createFile(hostKeyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(hostKeyFile, StandardOpenOption.TRUNCATE_EXISTING)) {
                OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "root@cryptvol-test", null, out);
            }
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new CryptvolException("cannot make the test instance's host key: " + e.getMessage(), e);
        }
    }

    private void makeClientKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = g.generateKeyPair();
            identityFile = workDir.resolve("id_ecdsa");
            Files.deleteIfExists(identityFile);
            Files.createFile(identityFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(identityFile, StandardOpenOption.TRUNCATE_EXISTING)) {
                OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "cryptvol-testvm", null, out);
            }
            publicKeyLine = PublicKeyEntry.toString(kp.getPublic()) + " cryptvol-testvm";
            Files.writeString(workDir.resolve("id_ecdsa.pub"), publicKeyLine + "\n");
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new CryptvolException("cannot make the test instance's client key: " + e.getMessage(), e);
        }
    }

    private void boot(int sshPort) {
        boots++;
        port = sshPort;
        consoleLog = workDir.resolve("console-" + boots + ".log");
        knownHostsFile = workDir.resolve("known_hosts");
        Path qmpSocket = workDir.resolve("qmp.sock");
        try {
            Files.deleteIfExists(qmpSocket);
            Files.deleteIfExists(knownHostsFile);
            // a new TestInstance on a reused work dir (sandbox stop, then start) counts boots from 1 again:
            // without this, the host keys would be read from the previous boot's console log
            Files.deleteIfExists(consoleLog);
        } catch (IOException e) {
            throw new CryptvolException("cannot clean " + workDir + ": " + e.getMessage(), e);
        }
        List<String> cmd = new ArrayList<>(List.of(options.qemuBinary(),
                "-accel", "tcg", "-m", Integer.toString(options.memoryMb()), "-smp", Integer.toString(options.cpus()),
                "-nographic", "-no-reboot", "-vga", "none",
                "-kernel", imageDir.resolve("vmlinuz").toString(),
                "-initrd", imageDir.resolve("initrd.img").toString(),
                "-append", "console=ttyS0 rdinit=/init panic=-1 quiet cryptvol.authkey="
                        + Base64.getEncoder().encodeToString(publicKeyLine.getBytes(StandardCharsets.US_ASCII)),
                "-qmp", "unix:" + qmpSocket + ",server=on,wait=off",
                "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:" + HOST + ":" + port + "-:22",
                "-device", "virtio-net-pci,netdev=n0",
                "-device", "virtio-rng-pci",
                "-fw_cfg", "name=opt/cryptvol/ssh_host_ecdsa_key,file=" + hostKeyFile));
        for (Disk d : disks.values()) { // a reboot keeps the disks: same ids, given at boot
            cmd.add("-blockdev");
            cmd.add(json(Map.of("driver", "raw", "node-name", d.nodeName(),
                    "file", Map.of("driver", "file", "filename", d.image().toString()))));
            cmd.add("-device");
            cmd.add(json(Map.of("driver", "nvme", "id", d.deviceId(), "drive", d.nodeName(), "serial", d.serial())));
        }
        long t0 = System.nanoTime();
        try {
            qemu = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()))
                    .start();
        } catch (IOException e) {
            qemu = null;
            throw new CryptvolException("cannot start " + options.qemuBinary() + " (install qemu-system-x86): "
                    + e.getMessage(), e);
        }
        try {
            qmp = QmpClient.connect(qmpSocket, Duration.ofSeconds(30), qemu.toHandle());
            long deadline = t0 + options.bootTimeout().toNanos();
            hostKeys = awaitHostKeys(deadline);
            writeKnownHosts();
            awaitSshBanner(deadline);
            bootTime = Duration.ofNanos(System.nanoTime() - t0);
        } catch (RuntimeException e) {
            String tail = tail(consoleLog, 15);
            killQemu();
            throw new CryptvolException("the test instance did not boot: " + e.getMessage()
                    + "\n--- last lines of " + consoleLog + " ---\n" + tail, e);
        }
    }

    private List<String> awaitHostKeys(long deadline) {
        while (System.nanoTime() < deadline) {
            String text = readFrom(consoleLog, 0);
            int b = text.indexOf(KEYS_BEGIN);
            int e = b < 0 ? -1 : text.indexOf(KEYS_END, b);
            if (e > 0) {
                List<String> keys = new ArrayList<>();
                for (String line : text.substring(b + KEYS_BEGIN.length(), e).split("\r?\n")) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 2 && (f[0].startsWith("ssh-") || f[0].startsWith("ecdsa-"))) {
                        keys.add(f[0] + " " + f[1]);
                    }
                }
                if (keys.isEmpty()) {
                    throw new CryptvolException("the console showed no host keys between the markers");
                }
                return List.copyOf(keys);
            }
            if (!qemu.isAlive()) {
                throw new CryptvolException("qemu exited with " + qemu.exitValue());
            }
            sleep(200);
        }
        throw new CryptvolException("no host keys on the console within " + options.bootTimeout().toSeconds() + " s");
    }

    private void writeKnownHosts() {
        StringBuilder sb = new StringBuilder();
        for (String k : hostKeys) {
            sb.append('[').append(HOST).append("]:").append(port).append(' ').append(k).append('\n');
        }
        try {
            Files.writeString(knownHostsFile, sb.toString());
        } catch (IOException e) {
            throw new CryptvolException("cannot write " + knownHostsFile + ": " + e.getMessage(), e);
        }
    }

    /** slirp accepts TCP before the guest listens, so only a banner proves sshd is there. */
    private void awaitSshBanner(long deadline) {
        while (System.nanoTime() < deadline) {
            if (!qemu.isAlive()) {
                throw new CryptvolException("qemu exited with " + qemu.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 2000);
                s.setSoTimeout(5000);
                byte[] buf = new byte[8];
                int n = s.getInputStream().readNBytes(buf, 0, 8);
                if (n >= 4 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("SSH-")) {
                    return;
                }
            } catch (IOException ignored) {
                // not yet
            }
            sleep(300);
        }
        throw new CryptvolException("sshd did not answer on " + HOST + ":" + port + " within "
                + options.bootTimeout().toSeconds() + " s");
    }

    private void shutdown() {
        if (qemu.isAlive()) {
            syncGuest(Duration.ofSeconds(30));
            try {
                qmp.execute("quit", null);
            } catch (RuntimeException ignored) {
                // exits anyway
            }
        }
        killQemu();
    }

    private void killQemu() {
        if (qmp != null) {
            qmp.close();
            qmp = null;
        }
        if (qemu != null) {
            try {
                if (!qemu.waitFor(15, TimeUnit.SECONDS)) {
                    qemu.destroy();
                    if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
                        qemu.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    }
                }
            } catch (InterruptedException e) {
                qemu.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            qemu = null;
        }
    }

    private Disk newDisk(String serial, Path file) {
        diskCounter++;
        return new Disk(serial, file, "disk" + diskCounter, "nvme" + diskCounter);
    }

    private void requireRunning() {
        if (qemu == null || !qemu.isAlive() || qmp == null) {
            throw new CryptvolException("the test instance is not running");
        }
    }

    private static void checkSerial(String serial) {
        if (serial == null || !SERIAL.matcher(serial).matches()) {
            throw new IllegalArgumentException("NVMe serial must be 1-20 letters or digits (an EBS volume id"
                    + " without its dash, e.g. vol0123456789abcdef0): " + serial);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new CryptvolException("no free loopback port: " + e.getMessage(), e);
        }
    }

    private static int portFreeOr(int wanted) {
        try (ServerSocket s = new ServerSocket(wanted, 1, java.net.InetAddress.getByName(HOST))) {
            return wanted;
        } catch (IOException e) {
            return freePort();
        }
    }

    private static String json(Map<String, ?> value) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0;
        }
    }

    private static String readFrom(Path f, long offset) {
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "r")) {
            long len = r.length() - offset;
            if (len <= 0) {
                return "";
            }
            byte[] b = new byte[(int) Math.min(len, 4 << 20)];
            r.seek(offset);
            r.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String tail(Path f, int lines) {
        String[] all = readFrom(f, 0).split("\r?\n");
        return String.join("\n", java.util.Arrays.asList(all).subList(Math.max(0, all.length - lines), all.length));
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted");
        }
    }
}

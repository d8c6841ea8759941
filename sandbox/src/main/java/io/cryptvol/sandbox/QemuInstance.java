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
 * <p>The image is built by the recipe this jar ships ({@link ImageRecipe}: build.sh and its files, also linked
 * as {@code scripts/testvm/}; the image is cached outside the repository); its default
 * variant boots as an EC2 AMI does (systemd as PID 1, udev, the systemd-cryptsetup generator, sshd as a
 * unit). Each {@link #start()} makes a fresh ECDSA client key (OpenSSH format, in a private 0700 directory),
 * passes its public half on the kernel command line, reads the guest's host keys from the serial console
 * (between the markers EC2's console output uses) into a known_hosts file, and waits until sshd sends its
 * banner.
 *
 * <p>Power as EC2 gives it ({@link DiskHost}): {@link #reboot()} keeps every disk, {@link #powerOff()} /
 * {@link #powerOn()} keep the EBS disks and give the instance-store disks back empty. qemu runs with
 * {@code -no-reboot}, so every boot is a new qemu process: a {@code reboot} typed on the guest ends it with
 * a SHUTDOWN event whose reason is "guest-reset", and the driver boots it again with the same disks; a
 * {@code poweroff} typed on the guest ("guest-shutdown") leaves it powered off and calls the
 * {@link #onGuestPowerOff} listener. Each boot gives the NVMe controllers to qemu in a shuffled order
 * (PCI slots, hence enumeration and /dev/nvmeX names, differ between boots as on Nitro); the seed and the
 * order are logged on the console log and stderr, and {@value #SEED_PROPERTY} (or
 * {@code CRYPTVOL_TESTVM_NVME_SEED}) pins the seed to reproduce a run.
 *
 * <p>Not thread-safe beyond what QMP serialises; one owner drives it.
 */
public final class QemuInstance implements DiskHost, AutoCloseable {

    public static final String USER = "root";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    public static final String HOST = "127.0.0.1";
    private static final String KEYS_BEGIN = "-----BEGIN SSH HOST KEY KEYS-----";
    private static final String KEYS_END = "-----END SSH HOST KEY KEYS-----";
    private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9]{1,20}");
    /** System property that pins the NVMe shuffle's base seed (a long), to reproduce a run's orders. */
    public static final String SEED_PROPERTY = "cryptvol.testvm.nvmeSeed";
    /** What EC2 reports as the model of an instance-store NVMe device. */
    public static final String INSTANCE_STORE_MODEL = "Amazon EC2 NVMe Instance Storage";
    private static final Duration GUEST_SHUTDOWN_TIMEOUT = Duration.ofMinutes(2);
    private static final long ROOT_VOLUME_BYTES = 256L << 20;

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
    private final List<Disk> instanceStore = new ArrayList<>();
    private final long nvmeBaseSeed;
    private Long nextBootSeed;
    private long lastNvmeSeed;
    private List<String> lastNvmeOrder = List.of();
    private volatile boolean powered;
    private int completedBoots;
    /** qemu processes this driver ends itself; their exit is no guest act. */
    private final java.util.Set<Process> expectedExits = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private volatile Runnable guestPowerOffListener = () -> { };
    /** guestfwd rules (guest address:port → a host port on 127.0.0.1) and fw_cfg files, from the next boot on. */
    private final Map<String, Integer> hostForwards = new LinkedHashMap<>();
    private final Map<String, byte[]> firmwareFiles = new LinkedHashMap<>();

    /** Disk plugged into the instance: QMP ids derive from a counter, so a serial can come back. */
    private record Disk(String serial, Path image, String nodeName, String deviceId) {
    }

    /**
     * How to build and run the instance; every field has a default.
     *
     * @param buildScript        the image build script; null: the recipe this jar ships ({@link ImageRecipe})
     * @param variant            the image variant build.sh makes ("systemd", "init"); null: build.sh's default
     *                           (systemd, or CRYPTVOL_TESTVM_VARIANT)
     * @param instanceStoreDisks how many instance-store NVMe disks the instance has (0: none)
     * @param instanceStoreBytes the size of each
     * @param nvmeSeed           base seed of the NVMe shuffle; null: {@value #SEED_PROPERTY}, then
     *                           CRYPTVOL_TESTVM_NVME_SEED, then random
     */
    public record Options(Path buildScript, Path imageDir, Path workDir, int memoryMb, int cpus,
                          Duration bootTimeout, String qemuBinary, String variant, int instanceStoreDisks,
                          long instanceStoreBytes, Long nvmeSeed) {

        public Options {
            if (variant != null && !variant.matches("[a-z]+")) {
                throw new IllegalArgumentException("image variant must be a lower-case word: " + variant);
            }
            if (instanceStoreDisks < 0 || instanceStoreDisks > 8) {
                throw new IllegalArgumentException("instance-store disks must be 0 to 8: " + instanceStoreDisks);
            }
            if (instanceStoreDisks > 0 && (instanceStoreBytes <= 0 || instanceStoreBytes % 512 != 0)) {
                throw new IllegalArgumentException("instance-store size must be a positive multiple of 512: "
                        + instanceStoreBytes);
            }
        }

        public static Options defaults() {
            String image = System.getenv("CRYPTVOL_TESTVM_IMAGE");
            return new Options(null,
                    image == null || image.isBlank() ? null : Path.of(image), null, 2048, 2,
                    Duration.ofMinutes(4), "qemu-system-x86_64", null, 0, 0, null);
        }

        public Options withWorkDir(Path dir) {
            return new Options(buildScript, imageDir, dir, memoryMb, cpus, bootTimeout, qemuBinary, variant,
                    instanceStoreDisks, instanceStoreBytes, nvmeSeed);
        }

        public Options withBuildScript(Path script) {
            return new Options(script, imageDir, workDir, memoryMb, cpus, bootTimeout, qemuBinary, variant,
                    instanceStoreDisks, instanceStoreBytes, nvmeSeed);
        }

        public Options withImageDir(Path dir) {
            return new Options(buildScript, dir, workDir, memoryMb, cpus, bootTimeout, qemuBinary, variant,
                    instanceStoreDisks, instanceStoreBytes, nvmeSeed);
        }

        public Options withBootTimeout(Duration timeout) {
            return new Options(buildScript, imageDir, workDir, memoryMb, cpus, timeout, qemuBinary, variant,
                    instanceStoreDisks, instanceStoreBytes, nvmeSeed);
        }

        /** The image variant to build and boot ("systemd" or "init"); ignored when an image dir is given. */
        public Options withVariant(String v) {
            return new Options(buildScript, imageDir, workDir, memoryMb, cpus, bootTimeout, qemuBinary, v,
                    instanceStoreDisks, instanceStoreBytes, nvmeSeed);
        }

        /** {@code count} instance-store NVMe disks of {@code bytes} each, kept on reboot, empty after power-on. */
        public Options withInstanceStore(int count, long bytes) {
            return new Options(buildScript, imageDir, workDir, memoryMb, cpus, bootTimeout, qemuBinary, variant,
                    count, bytes, nvmeSeed);
        }

        /** Pins the NVMe shuffle's base seed (each boot's seed derives from it and the boot number). */
        public Options withNvmeSeed(long seed) {
            return new Options(buildScript, imageDir, workDir, memoryMb, cpus, bootTimeout, qemuBinary, variant,
                    instanceStoreDisks, instanceStoreBytes, seed);
        }
    }

    public QemuInstance() {
        this(Options.defaults());
    }

    public QemuInstance(Options options) {
        this.options = Objects.requireNonNull(options, "options");
        this.nvmeBaseSeed = baseSeed(options.nvmeSeed());
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
    public synchronized QemuInstance start() {
        if (qemu != null) {
            throw new IllegalStateException("test instance already started");
        }
        if (imageDir == null) {
            imageDir = options.imageDir() != null ? options.imageDir() : build(options.buildScript(), options.variant());
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
        if (instanceStore.isEmpty() && options.instanceStoreDisks() > 0) {
            makeInstanceStore();
        }
        boot(freePort());
        return this;
    }

    /** The same as {@link #reboot()} (the name older callers use). */
    public synchronized void restart() {
        reboot();
    }

    /**
     * A reboot as RebootInstances gives it: the guest shuts down cleanly (systemd, through Ctrl-Alt-Del;
     * the old init variant is synced and stopped), and qemu boots again with every disk (EBS and instance
     * store, kept as they are) given on its command line in a new shuffled order. The client key, the host
     * key and, when still free, the port stay; {@link #knownHostsFile()} is rewritten only if the port changed.
     */
    @Override
    public synchronized void reboot() {
        requireRunning();
        int oldPort = port;
        if (isSystemd()) {
            String reason = guestShutdown(() -> qmp.execute("send-key", Map.of("keys", List.of(
                    Map.of("type", "qcode", "data", "ctrl"), Map.of("type", "qcode", "data", "alt"),
                    Map.of("type", "qcode", "data", "delete")))));
            log("reboot: the guest went down (" + reason + ")");
        } else {
            shutdown();
        }
        boot(portFreeOr(oldPort));
    }

    /**
     * Powers off as StopInstances does: an ACPI power-button press, which systemd answers with a clean
     * poweroff (the old init variant is synced and stopped). The EBS disks stay attached for
     * {@link #powerOn()}; the instance listener is not called (this is no guest act).
     */
    @Override
    public synchronized void powerOff() {
        requireRunning();
        if (isSystemd()) {
            String reason = guestShutdown(() -> qmp.execute("system_powerdown", null));
            log("power-off: the guest went down (" + reason + ")");
        } else {
            shutdown();
        }
        powered = false;
    }

    /**
     * Boots again after {@link #powerOff()} (or a guest poweroff), as StartInstances does: the EBS disks
     * attached now (also those attached or detached while powered off) are given on the command line; the
     * instance-store disks come back empty.
     */
    @Override
    public synchronized void powerOn() {
        if (qemu != null) {
            throw new IllegalStateException("the test instance is already powered on");
        }
        if (identityFile == null) {
            throw new IllegalStateException("the test instance was never started (or was stopped for good)");
        }
        for (Disk d : instanceStore) {
            createDiskImage(d.image(), options.instanceStoreBytes()); // as EC2: a new, empty instance store
        }
        boot(portFreeOr(port));
    }

    @Override
    public boolean poweredOn() {
        return powered;
    }

    @Override
    public void onGuestPowerOff(Runnable listener) {
        this.guestPowerOffListener = listener == null ? () -> { } : listener;
    }

    /** Boots that reached sshd since {@link #start()} (a reboot typed on the guest counts too). */
    public synchronized int completedBoots() {
        return completedBoots;
    }

    /**
     * Waits until at least {@code boots} boots have reached sshd, e.g. after a {@code reboot} typed on the
     * guest: {@code int n = completedBoots(); ...reboot...; awaitBoots(n + 1, ...)}. False on timeout or
     * when the guest powered off instead.
     */
    public synchronized boolean awaitBoots(int boots, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (completedBoots < boots) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** The seed for the next boot's NVMe order only (then back to the base seed's sequence). */
    public synchronized void nextBootNvmeSeed(long seed) {
        nextBootSeed = seed;
    }

    /** Serials in the order the last boot gave them to qemu (PCI slot order), instance store included. */
    public synchronized List<String> lastNvmeOrder() {
        return lastNvmeOrder;
    }

    /** The seed of the last boot's NVMe order. */
    public synchronized long lastNvmeSeed() {
        return lastNvmeSeed;
    }

    /**
     * The NVMe order a seed gives: a plain seeded shuffle of the instance-store serials followed by the EBS
     * serials in attach order, so a test can pick a seed that changes the order.
     */
    public static List<String> nvmeOrder(List<String> serials, long seed) {
        List<String> order = new ArrayList<>(serials);
        java.util.Collections.shuffle(order, new java.util.Random(seed));
        return List.copyOf(order);
    }

    /**
     * While powered off: the next boots go without this instance-store disk, as when EC2 starts the instance with
     * one failed (an ephemeral test of a boot that must not wait for it). Its image is deleted.
     */
    public synchronized void dropInstanceStoreDisk(String serial) {
        if (qemu != null) {
            throw new IllegalStateException("power the test instance off first");
        }
        Disk d = instanceStore.stream().filter(x -> x.serial().equals(serial)).findFirst()
                .orElseThrow(() -> new CryptvolException("no instance-store disk " + serial));
        instanceStore.remove(d);
        try {
            Files.deleteIfExists(d.image());
        } catch (IOException e) {
            throw new CryptvolException("cannot delete " + d.image() + ": " + e.getMessage(), e);
        }
    }

    /** Serials of the instance-store disks ("AWS" and 17 hex digits, as EC2 gives them). */
    public synchronized List<String> instanceStoreSerials() {
        return instanceStore.stream().map(Disk::serial).toList();
    }

    /**
     * The root volume's image (systemd variant): the guest's /etc lives on it, so it persists across reboots and
     * power cycles, and across instances that share the work directory; deleted with a work directory this
     * object made.
     */
    public Path rootVolume() {
        return workDir.resolve("root-volume.img");
    }

    /** The image variant booted ("systemd" or "init", from the image directory). */
    public synchronized String variant() {
        return imageVariant(imageDir);
    }

    /** Flushes the guest, stops qemu, deletes the work directory if this object created it. */
    public synchronized void stop() {
        if (qemu != null) {
            shutdown();
        }
        powered = false;
        disks.clear();
        instanceStore.clear();
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

    /**
     * Hot-plugs the disk; while powered off (after {@link #powerOff()}), records it for the next
     * {@link #powerOn()}, as EC2 attaches a volume to a stopped instance.
     */
    @Override
    public synchronized void attachDisk(String serial, Path image) {
        checkSerial(serial);
        if (disks.containsKey(serial) || instanceStore.stream().anyMatch(d -> d.serial().equals(serial))) {
            throw new CryptvolException("a disk with serial " + serial + " is already attached");
        }
        Path file = image.toAbsolutePath();
        if (!Files.isRegularFile(file)) {
            throw new CryptvolException("disk image " + file + " does not exist");
        }
        if (qemu == null && identityFile != null) {
            disks.put(serial, newDisk(serial, file));
            return;
        }
        requireRunning();
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
        List<Disk> ds = new ArrayList<>();
        for (String serial : serials) {
            Disk d = disks.get(serial);
            if (d == null) {
                throw new CryptvolException("no disk with serial " + serial + " is attached");
            }
            ds.add(d);
        }
        if (qemu == null && identityFile != null) { // powered off: the next power-on goes without them
            for (Disk d : ds) {
                disks.remove(d.serial());
            }
            return;
        }
        requireRunning();
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

    /** Serials of the EBS disks attached now (while powered off: those the next power-on brings). */
    @Override
    public synchronized List<String> attachedSerials() {
        return List.copyOf(disks.keySet());
    }

    /** The image file behind an attached serial. */
    public synchronized Path diskImage(String serial) {
        Disk d = disks.get(serial);
        if (d == null) {
            d = instanceStore.stream().filter(x -> x.serial().equals(serial)).findFirst().orElse(null);
        }
        return d == null ? null : d.image();
    }

    /** Detaches every disk. */
    public synchronized void detachAll() { // EBS disks; the instance store stays
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
        return "QemuInstance[" + USER + "@" + HOST + ":" + port + ", disks=" + disks.keySet() + "]";
    }

    // ------------------------------------------------------------------ internals

    private static Path build(Path script, String variant) {
        Path s = (script != null ? script : ImageRecipe.buildScript()).toAbsolutePath();
        if (!Files.isRegularFile(s)) {
            throw new CryptvolException("test instance build script not found: " + s
                    + " (or set CRYPTVOL_TESTVM_IMAGE)");
        }
        try {
            List<String> argv = new ArrayList<>(List.of("bash", s.toString()));
            if (variant != null) {
                argv.add("--variant");
                argv.add(variant);
            }
            Process p = new ProcessBuilder(argv)
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

    /**
     * Boots; a guest kernel that panics while it boots is booted once more, with a log line. Under TCG the
     * guest's Debian kernel has been seen to die at about 1 s ("Fatal exception in interrupt" in a timer
     * routine) and at 0.05 s (in setup_IO_APIC), before anything of ours ran: an emulation fault, not the
     * disks or the image.
     */
    private void boot(int sshPort) {
        try {
            bootOnce(sshPort);
        } catch (CryptvolException e) {
            // the whole console of this boot, not only the tail in the message: an early panic (seen in
            // setup_IO_APIC at 0.05 s) prints its trace above the last lines
            String console = consoleLog == null ? "" : readFrom(consoleLog, 0);
            if (!console.contains("Kernel panic") && (e.getMessage() == null || !e.getMessage().contains("Kernel panic"))) {
                throw e;
            }
            log("the guest kernel panicked while booting (emulation fault, console above): booting once more");
            bootOnce(portFreeOr(sshPort));
        }
    }

    private void bootOnce(int sshPort) {
        boots++;
        port = sshPort;
        consoleLog = workDir.resolve("console-" + boots + ".log");
        knownHostsFile = workDir.resolve("known_hosts");
        Path qmpSocket = workDir.resolve("qmp.sock");
        try {
            Files.deleteIfExists(qmpSocket);
            Files.deleteIfExists(knownHostsFile);
            // a new QemuInstance on a reused work dir (sandbox stop, then start) counts boots from 1 again:
            // without this, the host keys would be read from the previous boot's console log
            Files.deleteIfExists(consoleLog);
        } catch (IOException e) {
            throw new CryptvolException("cannot clean " + workDir + ": " + e.getMessage(), e);
        }
        String variant = imageVariant(imageDir);
        List<String> cmd = new ArrayList<>(List.of(options.qemuBinary(),
                "-accel", "tcg", "-m", Integer.toString(options.memoryMb()), "-smp", Integer.toString(options.cpus()),
                "-nographic", "-no-reboot", "-vga", "none",
                "-kernel", imageDir.resolve("vmlinuz").toString(),
                "-initrd", imageDir.resolve("initrd.img").toString(),
                "-append", "console=ttyS0 " + kernelArgs(imageDir) + " panic=-1 quiet cryptvol.authkey="
                        + Base64.getEncoder().encodeToString(publicKeyLine.getBytes(StandardCharsets.US_ASCII)),
                "-qmp", "unix:" + qmpSocket + ",server=on,wait=off",
                "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:" + HOST + ":" + port + "-:22" + guestForwards(),
                "-device", "virtio-net-pci,netdev=n0",
                "-device", "virtio-rng-pci",
                "-fw_cfg", "name=opt/cryptvol/ssh_host_ecdsa_key,file=" + hostKeyFile));
        firmwareFiles.forEach((name, file) -> cmd.addAll(List.of("-fw_cfg", "name=opt/cryptvol/" + name + ",file="
                + workDir.resolve("fw_cfg-" + name))));
        if (isSystemd(variant)) {
            // the root volume: the guest keeps /etc on it (an overlay, see scripts/testvm/systemd/cryptvol-rdinit.sh),
            // so fstab, crypttab and LVM's metadata backups survive reboots and stops, as on an EBS root volume.
            // virtio, not NVMe: it stays out of the NVMe order and of the disks cryptvol is given.
            Path root = rootVolume();
            if (!Files.isRegularFile(root)) {
                createDiskImage(root, ROOT_VOLUME_BYTES);
            }
            cmd.addAll(List.of("-drive", "file=" + root + ",if=virtio,format=raw,cache=writeback"));
        }
        // Every disk (EBS kept across the reboot, instance store) is given at boot, in a shuffled order: qemu
        // puts them in PCI slots in command-line order, so the guest enumerates them differently at each
        // boot, as Nitro does.
        Map<String, Disk> all = new LinkedHashMap<>();
        instanceStore.forEach(d -> all.put(d.serial(), d));
        all.putAll(disks);
        long seed = nextBootSeed != null ? nextBootSeed : bootSeed(nvmeBaseSeed, boots);
        nextBootSeed = null;
        List<String> order = nvmeOrder(new ArrayList<>(all.keySet()), seed);
        lastNvmeSeed = seed;
        lastNvmeOrder = order;
        for (String serial : order) {
            Disk d = all.get(serial);
            cmd.add("-blockdev");
            cmd.add(json(Map.of("driver", "raw", "node-name", d.nodeName(),
                    "file", Map.of("driver", "file", "filename", d.image().toString()))));
            cmd.add("-device");
            cmd.add(json(Map.of("driver", "nvme", "id", d.deviceId(), "drive", d.nodeName(), "serial", d.serial())));
        }
        String orderLine = "testvm: boot " + boots + " (" + variant + "): nvme seed " + seed + " (base seed "
                + nvmeBaseSeed + ", pin with -D" + SEED_PROPERTY + "=" + nvmeBaseSeed + "), slot order: "
                + (order.isEmpty() ? "(no disks)" : String.join(" ", order));
        log(orderLine);
        try {
            Files.writeString(consoleLog, orderLine + "\n");
        } catch (IOException e) {
            throw new CryptvolException("cannot write " + consoleLog + ": " + e.getMessage(), e);
        }
        long t0 = System.nanoTime();
        Process started;
        try {
            started = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()))
                    .start();
        } catch (IOException e) {
            qemu = null;
            throw new CryptvolException("cannot start " + options.qemuBinary() + " (install qemu-system-x86): "
                    + e.getMessage(), e);
        }
        qemu = started;
        powered = true;
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
            powered = false;
            throw new CryptvolException("the test instance did not boot: " + e.getMessage()
                    + "\n--- last lines of " + consoleLog + " ---\n" + tail, e);
        }
        completedBoots++;
        notifyAll();
        log(String.format("boot %d (%s) answered ssh in %.1f s", boots, variant, bootTime.toMillis() / 1000.0));
        started.onExit().thenRunAsync(() -> onQemuExit(started), r -> {
            Thread t = new Thread(r, "testvm-power");
            t.setDaemon(true);
            t.start();
        });
    }

    /**
     * qemu ended without this driver asking: the guest rebooted (reason "guest-reset" under -no-reboot) or
     * powered itself off. A reboot boots again with the same disks; a power-off tells the listener.
     */
    private void onQemuExit(Process p) {
        Runnable notify = null;
        synchronized (this) {
            if (expectedExits.remove(p) || p != qemu) {
                return;
            }
            var event = qmp == null ? null
                    : qmp.awaitEvent(e -> "SHUTDOWN".equals(e.path("event").asText()), Duration.ofSeconds(2));
            String reason = event == null ? "unknown" : event.path("data").path("reason").asText("unknown");
            killQemu();
            if ("guest-reset".equals(reason)) {
                log("the guest rebooted itself (" + reason + "): booting it again with the same disks");
                try {
                    boot(portFreeOr(port));
                } catch (RuntimeException e) {
                    log("the reboot the guest asked for failed: " + e.getMessage());
                    powered = false;
                    notifyAll();
                }
                return;
            }
            log("the guest powered itself off (" + reason + ", qemu exit " + p.exitValue() + ")");
            powered = false;
            notifyAll();
            notify = guestPowerOffListener;
        }
        notify.run();
    }

    /**
     * Asks the guest to go down (the action sends the key press or the ACPI event), waits until qemu ends
     * and returns the SHUTDOWN reason; a guest that does not go down in time is synced and stopped, as EC2
     * forces a stop or reboot that the OS does not perform.
     */
    private String guestShutdown(Runnable action) {
        Process p = qemu;
        expectedExits.add(p);
        qmp.clearEvents();
        action.run();
        try {
            if (!p.waitFor(GUEST_SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                log("the guest did not go down within " + GUEST_SHUTDOWN_TIMEOUT.toSeconds() + " s: forced");
                shutdown();
                return "forced";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted while the guest went down", e);
        }
        var event = qmp.awaitEvent(e -> "SHUTDOWN".equals(e.path("event").asText()), Duration.ofSeconds(2));
        killQemu();
        return event == null ? "unknown" : event.path("data").path("reason").asText("unknown");
    }

    private boolean isSystemd() {
        return isSystemd(imageVariant(imageDir));
    }

    /** systemd as PID 1 with a root volume: the systemd variant and the ones built on it (aws). */
    private static boolean isSystemd(String variant) {
        return "systemd".equals(variant) || "aws".equals(variant);
    }

    /**
     * From the next boot on, connections the guest makes to {@code guestAddress:guestPort} (an address in qemu's
     * user network, e.g. 10.0.2.100) reach {@code 127.0.0.1:hostPort} on this machine: qemu's {@code guestfwd} runs
     * a relay per connection, so a guest on {@code restrict=on} still reaches only what is forwarded.
     */
    public synchronized void forwardToHost(String guestAddress, int guestPort, int hostPort) {
        if (!guestAddress.matches("10\\.0\\.2\\.\\d{1,3}") || guestPort < 1 || guestPort > 65535 || hostPort < 1
                || hostPort > 65535) {
            throw new IllegalArgumentException("guest forward " + guestAddress + ":" + guestPort + " -> " + hostPort);
        }
        hostForwards.put(guestAddress + ":" + guestPort, hostPort);
    }

    /**
     * From the next boot on, the guest reads {@code contents} at
     * {@code /sys/firmware/qemu_fw_cfg/by_name/opt/cryptvol/NAME/raw} (qemu fw_cfg), as the host key comes.
     */
    public synchronized void firmwareFile(String name, byte[] contents) {
        if (!name.matches("[a-z][a-z0-9_]{0,30}")) {
            throw new IllegalArgumentException("fw_cfg name: " + name);
        }
        try {
            Path f = workDir.resolve("fw_cfg-" + name);
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(f, contents);
        } catch (IOException e) {
            throw new CryptvolException("cannot write a fw_cfg file into " + workDir + ": " + e.getMessage(), e);
        }
        firmwareFiles.put(name, contents.clone());
    }

    /** The netdev's guestfwd options (qemu splits the command at spaces: a relay script in the work dir, no quoting). */
    private String guestForwards() {
        if (hostForwards.isEmpty()) {
            return "";
        }
        Path relay = workDir.resolve("guestfwd-relay.sh");
        if (relay.toString().matches(".*[\\s,].*")) {
            throw new CryptvolException("the work directory's path holds a space or a comma: " + workDir);
        }
        try {
            Files.writeString(relay, "#!/bin/bash\n# one guest connection (stdin/stdout) <-> 127.0.0.1:$1\n"
                    + "exec 3<>/dev/tcp/127.0.0.1/\"$1\" || exit 1\ncat <&3 &\ncat >&3\nwait\n");
            Files.setPosixFilePermissions(relay, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new CryptvolException("cannot write " + relay + ": " + e.getMessage(), e);
        }
        StringBuilder sb = new StringBuilder();
        hostForwards.forEach((guest, hostPort) -> sb.append(",guestfwd=tcp:").append(guest).append("-cmd:")
                .append(relay).append(' ').append(hostPort));
        return sb.toString();
    }

    private static String imageVariant(Path dir) {
        try {
            return dir == null ? "unknown" : Files.readString(dir.resolve("variant")).trim();
        } catch (IOException e) {
            return "init"; // images built before the variants existed
        }
    }

    /** What the image's variant needs on the kernel command line (rdinit=..., written by build.sh). */
    private static String kernelArgs(Path dir) {
        try {
            String line = Files.readString(dir.resolve("cmdline")).trim();
            if (!line.matches("[A-Za-z0-9_./=, -]+")) {
                throw new CryptvolException("unexpected kernel arguments in " + dir.resolve("cmdline"));
            }
            return line;
        } catch (IOException e) {
            return "rdinit=/init";
        }
    }

    private void makeInstanceStore() {
        byte[] r = new byte[9];
        for (int i = 0; i < options.instanceStoreDisks(); i++) {
            RANDOM.nextBytes(r);
            String serial = "AWS" + java.util.HexFormat.of().withUpperCase().formatHex(r).substring(0, 17);
            Path image = workDir.resolve("instance-store").resolve("ephemeral" + i + ".img");
            createDiskImage(image, options.instanceStoreBytes());
            diskCounter++;
            instanceStore.add(new Disk(serial, image, "store" + diskCounter, "nvmestore" + diskCounter));
        }
    }

    private static long baseSeed(Long pinned) {
        if (pinned != null) {
            return pinned;
        }
        String v = System.getProperty(SEED_PROPERTY);
        if (v == null || v.isBlank()) {
            v = System.getenv("CRYPTVOL_TESTVM_NVME_SEED");
        }
        if (v != null && !v.isBlank()) {
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(SEED_PROPERTY + " must be a long: " + v.trim());
            }
        }
        return RANDOM.nextLong();
    }

    /** Boot n's seed from the base seed (a SplitMix64 step, so neighbouring boots differ). */
    static long bootSeed(long base, int boot) {
        long z = base + boot * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void log(String line) {
        System.err.println("testvm: " + line.replaceFirst("^testvm: ", ""));
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
        expectedExits.add(qemu);
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

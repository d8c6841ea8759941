package io.cryptvol.shell;

import io.cryptvol.exec.TestSshServer;
import io.cryptvol.exec.Transcript;
import io.cryptvol.keys.KeyLedger;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.keys.LeakScan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key bytes of {@code luks add-key} leave no trace: the shell command as typed, through the session's real
 * SSH executor and plan runner, to a host at the SSH level (a real MINA server running {@code /bin/sh}). The host
 * is this machine in a mount namespace of its own, with a tmpfs on /run (so the key file goes where it would on an
 * instance) and recording fakes of lsblk, blkid and cryptsetup on PATH (this machine has no device-mapper): the fake
 * cryptsetup checks that the existing key came on stdin and the new one in a 0600 file on tmpfs, and remembers the
 * new key as opening the header. Then logs, transcript, history, the recording, the ledger, the screen, every command
 * line the host ran and every argv the fakes saw are scanned for the key bytes, and the key file must be gone.
 *
 * <p>Needs root and unshare(1) (a mount namespace); without them it fails, it does not skip.
 */
class AddKeyLeakScanTest {
    @TempDir
    Path home;
    @TempDir
    Path work;
    TestSshServer server;
    ShellHarness shell;
    Process namespace;
    Path fakes;
    StringBuilder screen = new StringBuilder();

    @BeforeEach
    void start() throws Exception {
        // the host's mount namespace: /run is a tmpfs of its own, the rest is this machine
        namespace = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs -o mode=0755 cryptvol-test-run /run && echo ready && exec sleep 600")
                .redirectErrorStream(true).start();
        String ready = new BufferedReader(new InputStreamReader(namespace.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(ready).as("a mount namespace with a tmpfs on /run (needs root and unshare)").isEqualTo("ready");
        fakes = Files.createDirectories(work.resolve("fake-bin"));
        writeFakes();
        server = new TestSshServer();
        server.hostPrefix = List.of("nsenter", "--mount=/proc/" + namespace.pid() + "/ns/mnt", "--");
        server.hostEnv = Map.of("PATH", fakes + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        shell = new ShellHarness(home, Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        if (shell != null) {
            shell.close();
        }
        if (server != null) {
            server.close();
        }
        if (namespace != null) {
            namespace.destroy();
            namespace.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private String type(String line) throws Exception {
        String out = shell.type(line);
        screen.append(out);
        return out;
    }

    /** Runs a command inside the host's namespace (to look at its /run). */
    private String onHost(String script) throws Exception {
        Process p = new ProcessBuilder("nsenter", "--mount=/proc/" + namespace.pid() + "/ns/mnt", "--", "sh", "-c", script)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private void writeFakes() throws Exception {
        Files.copy(Path.of("app/src/test/resources/fixtures/luksdump-luks2.txt"), fakes.resolve("luksdump.txt"));
        Files.writeString(fakes.resolve("opens.sha256"), "");
        String log = fakes.resolve("argv.log").toString();
        script("lsblk", "printf 'lsblk %s\\n' \"$*\" >> " + log + "\n"
                + "cat <<'EOF'\n"
                + "{\"blockdevices\": [{\"name\": \"vdz\", \"path\": \"/dev/vdz\", \"size\": 1073741824, \"serial\": \"vol0fa4e0000000000001\","
                + " \"model\": \"Amazon Elastic Block Store\", \"type\": \"disk\", \"fstype\": \"crypto_LUKS\","
                + " \"uuid\": \"4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b\", \"label\": null, \"mountpoints\": [null], \"pkname\": null}]}\n"
                + "EOF\n");
        script("blkid", "printf 'blkid %s\\n' \"$*\" >> " + log + "\n"
                + "case \"$*\" in *' /dev/vdz') printf 'DEVNAME=/dev/vdz\\nUUID=4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b\\n"
                + "VERSION=2\\nTYPE=crypto_LUKS\\nUSAGE=crypto\\n';; *) exit 2;; esac\n");
        String dir = fakes.toString();
        script("cryptsetup", "printf 'cryptsetup %s\\n' \"$*\" >> " + log + "\n"
                + "case \"$1\" in\n"
                + "luksDump) cat " + dir + "/luksdump.txt;;\n"
                + "open) h=$(sha256sum | cut -d' ' -f1); grep -qx \"$h\" " + dir + "/opens.sha256 || exit 2;;\n"
                + "luksAddKey)\n"
                + "  for a in \"$@\"; do file=$a; done\n"
                + "  h=$(sha256sum | cut -d' ' -f1)\n"
                + "  grep -qx \"$h\" " + dir + "/opens.sha256 || { echo 'No key available with this passphrase.' >&2; exit 2; }\n"
                + "  mode=$(stat -c %a \"$file\"); fs=$(stat -f -c %T \"$file\")\n"
                + "  [ \"$mode\" = 600 ] && [ \"$fs\" = tmpfs ] || { echo \"key file $file is $mode on $fs\" >&2; exit 1; }\n"
                + "  sha256sum < \"$file\" | cut -d' ' -f1 >> " + dir + "/opens.sha256\n"
                + "  echo \"added: existing key on stdin, new key in $file, mode $mode on $fs\" >> " + dir + "/added.log;;\n"
                // a LUKS1 binary header of this UUID, written where asked, never over a file that is there
                + "luksHeaderBackup)\n"
                + "  for a in \"$@\"; do file=$a; done\n"
                + "  [ -e \"$file\" ] && { echo \"Requested header backup file $file already exists.\" >&2; exit 1; }\n"
                + "  umask 077; { printf 'LUKS\\272\\276\\000\\001'; head -c 160 /dev/zero; "
                + "printf '4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b'; head -c 3892 /dev/zero; } > \"$file\";;\n"
                + "*) echo \"fake cryptsetup: $1 is not faked\" >&2; exit 1;;\n"
                + "esac\n");
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    private void script(String name, String body) throws Exception {
        Path p = fakes.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void addKeyOverSshLeavesNoKeyBytesAnywhere() throws Exception {
        var logs = captureLogs(home.resolve("cryptvol.log"));
        Path identity = server.writeClientKey(work);
        type("keys generate data-key-1 data-key-2");
        type("keys list --output json");
        KeyStore store = shell.bean(KeyStore.class);
        byte[] k1 = store.read("data-key-1");
        byte[] k2 = store.read("data-key-2");
        Files.writeString(fakes.resolve("opens.sha256"), KeyStore.sha256(k1) + "\n"); // the header opens with key 1 only

        assertThat(type("record start " + work.resolve("setup.cvsh"))).contains("recording");
        assertThat(type("connect root@127.0.0.1:" + server.port() + " --identity " + identity + " --known-hosts "
                + work.resolve("known_hosts") + " --accept-new-host-key")).contains("connected to root@127.0.0.1:" + server.port());
        String out = type("luks add-key --device /dev/vdz --key data-key-1 --new-key data-key-2 --pbkdf pbkdf2 "
                + "--pbkdf-force-iterations 1000 --yes");
        assertThat(out).contains("Add key 'data-key-2' to /dev/vdz").doesNotContain("error:");
        // the real path ran: the existing key on stdin, the new one in a 0600 file on the host's tmpfs
        assertThat(Files.readString(fakes.resolve("added.log")).strip()).matches(
                "added: existing key on stdin, new key in /run/cryptvol/[A-Za-z0-9_-]+\\.key, mode 600 on tmpfs");
        assertThat(Files.readAllLines(fakes.resolve("opens.sha256"))).containsExactly(KeyStore.sha256(k1), KeyStore.sha256(k2));
        // and left nothing there: the file is shredded, the ledger says so
        assertThat(onHost("ls -A /run/cryptvol")).isEmpty();
        assertThat(onHost("stat -c %a /run/cryptvol").strip()).isEqualTo("700");
        assertThat(shell.bean(KeyLedger.class).outstanding()).isEmpty();
        // the key file and the header backup's host copy, both shredded
        assertThat(shell.bean(KeyLedger.class).all()).hasSize(2).allSatisfy(e -> assertThat(e.shredded()).isTrue());
        // the header came back whole (base64 over SSH, SHA-256 the same on both sides) into the key store
        assertThat(store.headers().list()).singleElement().satisfies(b -> {
            assertThat(b.uuid()).isEqualTo("4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b");
            assertThat(b.size()).isEqualTo(4096);
            assertThat(b.device()).isEqualTo("/dev/vdz");
            assertThat(Files.getPosixFilePermissions(store.headers().dir().resolve(b.file())))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(store.headers().read(b)).startsWith((byte) 'L', (byte) 'U', (byte) 'K', (byte) 'S', (byte) 0xba, (byte) 0xbe);
        });
        // the second time the new key opens the header: nothing to do, no key file
        assertThat(type("luks add-key --device /dev/vdz --key data-key-1 --new-key data-key-2 --yes"))
                .doesNotContain("error:").doesNotContain("Write a key file");
        // the other key sources (day2/KeyChoice), for both keys: a key file, a typed passphrase, a backup directory
        byte[] f1 = random(4096);
        byte[] p1 = "seven hidden tulips at dawn".getBytes(StandardCharsets.UTF_8);
        byte[] b1 = random(4096);
        Path oldKey = Files.write(work.resolve("old.key"), f1);
        Path usb0 = Files.createDirectories(work.resolve("usb0"));
        Files.write(usb0.resolve("b1.key"), b1);
        assertThat(type("luks add-key --device /dev/vdz --key data-key-1 --new-key-file " + oldKey + " --yes"))
                .contains("Add key 'file old.key' to /dev/vdz").doesNotContain("error:");
        shell.keys("seven hidden tulips at dawn\nseven hidden tulips at dawn\n");
        assertThat(type("luks add-key --device /dev/vdz --key-file " + oldKey + " --new-passphrase --yes"))
                .contains("Add key 'typed passphrase' to /dev/vdz").doesNotContain("error:");
        shell.keys("seven hidden tulips at dawn\n");
        assertThat(type("luks add-key --device /dev/vdz --passphrase --new-key-backup " + usb0 + " --yes"))
                .contains("Add key 'backup b1.key' to /dev/vdz").doesNotContain("error:");
        // each went in with the one before it, each new key through a 0600 tmpfs file, now shredded
        assertThat(Files.readAllLines(fakes.resolve("opens.sha256"))).containsExactly(KeyStore.sha256(k1), KeyStore.sha256(k2),
                KeyStore.sha256(f1), KeyStore.sha256(p1), KeyStore.sha256(b1));
        assertThat(Files.readAllLines(fakes.resolve("added.log"))).hasSize(4).allMatch(l -> l.matches(
                "added: existing key on stdin, new key in /run/cryptvol/[A-Za-z0-9_-]+\\.key, mode 600 on tmpfs"));
        assertThat(onHost("ls -A /run/cryptvol")).isEmpty();
        assertThat(shell.bean(KeyLedger.class).outstanding()).isEmpty();
        // four key files and, after each add-key, the header backup's transient copy: all shredded
        assertThat(shell.bean(KeyLedger.class).all()).hasSize(8).allSatisfy(e -> assertThat(e.shredded()).isTrue())
                .filteredOn(e -> "luks-header".equals(e.keyName())).hasSize(4);
        assertThat(type("record stop")).contains("setup.cvsh");
        // the rest of the keys commands a session runs, in the same scan
        Path usb1 = Files.createDirectories(work.resolve("usb1"));
        Path usb2 = Files.createDirectories(work.resolve("usb2"));
        type("keys list");
        type("keys backup data-key-1 --to " + usb1);
        type("keys backup data-key-1 --to " + usb2);
        type("keys verify");
        type("keys where --all");
        type("keys where --all --output json");
        type("keys shred");
        type("keys generate data-key-1");
        type("keys backup nope --to " + usb1);
        assertThat(Files.readString(shell.bean(Transcript.class).file())).contains("secret, redacted")
                .contains("luksAddKey");

        shell.close();
        shell = null;
        logs.stop();
        ((ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory())
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);

        List<Path> scanned = new ArrayList<>();
        try (Stream<Path> s = Files.walk(home)) {
            s.filter(Files::isRegularFile).filter(p -> !p.startsWith(home.resolve("config/keys"))).forEach(scanned::add);
        }
        assertThat(scanned).extracting(p -> home.relativize(p).toString()).contains("config/keys.json",
                "config/context.json", "state/key-ledger.json", "state/transcript.log", "cryptvol.log");
        scanned.add(work.resolve("setup.cvsh"));
        scanned.add(Files.writeString(work.resolve("screen.txt"), screen, StandardCharsets.UTF_8));
        // argv: every command line the host's shell was given, and every argv the fakes were called with
        scanned.add(Files.write(work.resolve("host-command-lines.txt"), server.commandLines, StandardCharsets.UTF_8));
        scanned.add(Files.write(work.resolve("host-channel-lines.txt"), server.channelLines, StandardCharsets.UTF_8));
        scanned.add(fakes.resolve("argv.log"));
        assertThat(Files.readString(fakes.resolve("argv.log"))).contains("cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2");
        assertThat(Files.readString(work.resolve("setup.cvsh"))).contains("luks add-key --device /dev/vdz");
        assertThat(Files.readString(work.resolve("setup.cvsh"))).contains("--new-passphrase").contains("--passphrase")
                .doesNotContain("tulips");
        LeakScan.assertNoLeak(List.of(k1, k2, f1, p1, b1), scanned);
    }

    /**
     * The early tmpfs check is an observed fact: with the host's /run on a disk, the planner refuses before step 1,
     * naming the file system, and not one command that changes the host runs (no key file, no cryptsetup call).
     */
    @Test
    void aKeyDirOnADiskIsRefusedBeforeStepOne() throws Exception {
        // the build directory is on the project's disk, never on tmpfs: it becomes the host's /run
        Path onDisk = Files.createDirectories(Path.of("target", "keydir-" + System.nanoTime())).toAbsolutePath();
        try {
            onHost("mount --bind " + onDisk + " /run");
            String fs = onHost("stat -f -c %T /run").strip();
            assertThat(fs).as("file system of the build directory").isNotEqualTo("tmpfs");
            Path identity = server.writeClientKey(work);
            type("keys generate data-key-1 data-key-2");
            Files.writeString(fakes.resolve("opens.sha256"), KeyStore.sha256(shell.bean(KeyStore.class).read("data-key-1")) + "\n");
            type("connect root@127.0.0.1:" + server.port() + " --identity " + identity + " --known-hosts "
                    + work.resolve("known_hosts") + " --accept-new-host-key");
            int before = server.commandLines.size();
            String out = type("luks add-key --device /dev/vdz --key data-key-1 --new-key data-key-2 --yes");
            String refusal = "/run/cryptvol: is on " + fs + ", not tmpfs: refusing to write a key file there (mount a tmpfs on /run first)";
            assertThat(out.strip().lines()).containsExactly("- " + refusal, "error: refused: " + refusal + "; nothing was changed");
            assertThat(server.commandLines.subList(before, server.commandLines.size()))
                    .noneMatch(l -> l.contains("install -d") || l.contains("luksAddKey") || l.contains("umask 077"));
            assertThat(Files.readString(fakes.resolve("argv.log"))).doesNotContain("luksAddKey");
            assertThat(onDisk.resolve("cryptvol")).doesNotExist();
            assertThat(shell.bean(KeyLedger.class).all()).isEmpty();
        } finally {
            onHost("umount /run");
            try (Stream<Path> s = Files.walk(onDisk)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Tests log to the console (logback-test.xml): copy everything io.cryptvol logs, at DEBUG, into home. */
    static ch.qos.logback.core.FileAppender<ch.qos.logback.classic.spi.ILoggingEvent> captureLogs(Path file) {
        var lc = (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        var enc = new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
        enc.setContext(lc);
        enc.setPattern("%d %-5level %logger - %msg%n%ex");
        enc.start();
        var app = new ch.qos.logback.core.FileAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        app.setContext(lc);
        app.setFile(file.toString());
        app.setEncoder(enc);
        app.start();
        lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(app);
        lc.getLogger("io.cryptvol").setLevel(ch.qos.logback.classic.Level.DEBUG);
        return app;
    }
}

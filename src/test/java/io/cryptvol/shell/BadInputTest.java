package io.cryptvol.shell;

import io.cryptvol.CryptvolApplication;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.ProvisionPlanner;
import io.cryptvol.domain.plan.ProvisionSpec;
import io.cryptvol.domain.plan.StagePlanner;
import io.cryptvol.host.PlannedEffects;
import io.cryptvol.record.FixtureHost;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import org.jline.reader.Parser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bad-input table (issue 14, "Must show"): each row is a command line a hostile or careless user could
 * type. It runs through the real shell (interactive mode, {@link ShellHarness}) and in one-command mode (the
 * product's own {@link CryptvolApplication#run} in-process, with its exit code), against a {@link FixtureHost}
 * that fails and records any changing command. Each must give one error line (on stderr in one-command mode)
 * and a non-zero exit, print no raw control character, and change nothing: the host saw no changing command
 * (its fstab stays as it was), and the key store, known_hosts and inventory.json are byte for byte as before.
 *
 * <p>Adding a row: {@code row("what it shows", Host.X, "the command line as typed")}; {@code keys} types
 * answers for an interactive question first, {@link Host} picks what the fixture host holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    static final long GIB = 1L << 30;
    static volatile FixtureHost host;

    @TempDir
    static Path tmp;
    Path home;
    Path userHome;
    ShellHarness shell;
    String savedUserHome;
    HostState blank;
    HostState closed;

    /** What the fixture host holds for a row. */
    enum Host {
        /** Four blank 1 GiB EBS disks /dev/nvme1n1..4 (and the root disk). */
        BLANK,
        /** vg1/lv1 provisioned on nvme1n1+2 (LUKS, fstab line for /mnt/data), then unmounted and closed; LV active. */
        CLOSED
    }

    record Row(String name, Host host, String line, String keys, boolean keysOpen) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row row(String name, Host h, String line) {
        return new Row(name, h, line, null, true);
    }

    /** The session reaches the fixture host through the same dry-run guard as a real target. */
    static class FixtureHostConfig {
        @Bean
        @Primary
        HostAccess fixtureHostAccess(SessionContext ctx, SessionMode mode) {
            return new HostAccess(ctx, (target, acceptNew) -> mode.guard(host));
        }
    }

    static final String PROVISION = "provision --devices /dev/nvme1n1,/dev/nvme2n1 --vg vg1 --lv lv1 --mapping m1 "
            + "--key k1 --key2 k2 --yes";
    static final String P = PROVISION + " --mountpoint /mnt/data";
    static final String ESC = "\u001b]0;TITLE\u0007";

    static Stream<Row> rows() {
        return Stream.of(
                // ---- item 3: mountpoints ----
                row("mountpoint // is /", Host.BLANK, PROVISION + " --mountpoint //"),
                row("mountpoint /mnt/.. is /", Host.BLANK, PROVISION + " --mountpoint /mnt/.."),
                row("mountpoint /", Host.BLANK, PROVISION + " --mountpoint /"),
                row("mountpoint /usr", Host.BLANK, PROVISION + " --mountpoint /usr"),
                row("mountpoint /etc/", Host.BLANK, PROVISION + " --mountpoint /etc/"),
                row("mountpoint /var", Host.BLANK, PROVISION + " --mountpoint /var"),
                row("mountpoint /home", Host.BLANK, PROVISION + " --mountpoint /home"),
                row("mountpoint /boot", Host.BLANK, PROVISION + " --mountpoint /boot"),
                row("mountpoint under /tmp", Host.BLANK, PROVISION + " --mountpoint /tmp/data"),
                row("mountpoint under /proc, even with --force", Host.BLANK, PROVISION + " --mountpoint /proc/x --force"),
                row("mountpoint under /run, even with --force", Host.BLANK, PROVISION + " --mountpoint /run/data --force"),
                row("relative mountpoint", Host.BLANK, PROVISION + " --mountpoint mnt/data"),
                row("a file as the mountpoint", Host.BLANK, PROVISION + " --mountpoint /data/file"),
                row("/etc/passwd with --force", Host.BLANK, PROVISION + " --mountpoint /etc/passwd --force"),
                row("below a file", Host.BLANK, PROVISION + " --mountpoint /data/file/sub"),
                row("a symbolic link", Host.BLANK, PROVISION + " --mountpoint /data/link"),
                row("a directory with files in it", Host.BLANK, PROVISION + " --mountpoint /data/full"),
                row("mountpoint with $(...)", Host.BLANK, PROVISION + " --mountpoint '/mnt/$(touch${IFS}/tmp/pwned)'"),
                row("mountpoint with ;", Host.BLANK, PROVISION + " --mountpoint '/mnt/a;reboot'"),
                row("mountpoint with a terminal escape", Host.BLANK, PROVISION + " --mountpoint '/mnt/" + ESC + "'"),
                row("mountpoint with a newline", Host.BLANK, PROVISION + " --mountpoint '/mnt/a\n/dev/sda1 / ext4'"),
                row("fstab add over /usr", Host.CLOSED, "fstab add --mapping m1 --mountpoint /usr --yes"),
                row("fstab add at //", Host.CLOSED, "fstab add --mapping m1 --mountpoint // --yes"),
                row("mount on /", Host.CLOSED, "mount / --mapping m1 --yes"),
                row("mount on a file", Host.CLOSED, "mount /data/file --mapping m1 --yes"),
                row("umount /", Host.CLOSED, "umount / --yes"),
                row("use mountpoint /mnt/..", Host.BLANK, "use mountpoint /mnt/.."),
                // ---- item 4: fstab options and mapping names ----
                row("options with fsck fields", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw,noauto 1 1 extra' --yes"),
                row("options with auto, no --auto", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options defaults,auto --yes"),
                row("options with a comment", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw#x' --yes"),
                row("options with $(...)", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw,$(touch${IFS}/tmp/x)' --yes"),
                row("options with an empty option", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options rw,,noauto --yes"),
                row("options with a newline", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw\n/dev/sda1 / ext4 defaults 0 1' --yes"),
                row("options with ESC", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw," + ESC + "' --yes"),
                row("fstab add --mapping control", Host.CLOSED, "fstab add --mapping control --mountpoint /mnt/new --yes"),
                row("fstab add --mapping ..", Host.CLOSED, "fstab add --mapping .. --mountpoint /mnt/new --yes"),
                row("mount --mapping control", Host.CLOSED, "mount /mnt/new --mapping control --yes"),
                row("fs make control", Host.CLOSED, "fs make control --yes"),
                row("fs make ../x", Host.CLOSED, "fs make ../x --yes"),
                row("luks close control", Host.CLOSED, "luks close control --yes"),
                row("luks close a/b", Host.CLOSED, "luks close a/b --yes"),
                row("luks open as control", Host.CLOSED, "luks open /dev/vg1/lv1 control --key k1 --yes"),
                row("luks open with ESC", Host.CLOSED, "luks open /dev/vg1/lv1 'm" + ESC + "' --key k1 --yes"),
                row("provision --mapping control", Host.BLANK, P.replace("--mapping m1", "--mapping control")),
                row("provision --mapping of 128 characters", Host.BLANK, P.replace("--mapping m1", "--mapping " + "m".repeat(128))),
                row("use mapping control", Host.BLANK, "use mapping control"),
                // ---- item 5: LUKS options, stripes, LVM names ----
                row("provision --cipher 'bogus x'", Host.BLANK, P + " --cipher 'bogus x'"),
                row("provision --pbkdf bogus", Host.BLANK, P + " --pbkdf bogus"),
                row("provision --iter-time -1", Host.BLANK, P + " --iter-time -1"),
                row("provision --pbkdf-memory -5", Host.BLANK, P + " --pbkdf-memory -5"),
                row("provision --key-size 384", Host.BLANK, P + " --key-size 384"),
                row("provision --hash md5", Host.BLANK, P + " --hash md5"),
                row("provision LUKS1 with argon2id", Host.BLANK, P + " --type luks1 --pbkdf argon2id"),
                row("provision LUKS2 with ripemd160", Host.BLANK, P + " --hash ripemd160"),
                row("provision --stripes 0", Host.BLANK, P + " --stripes 0"),
                row("provision --stripes -1", Host.BLANK, P + " --stripes -1"),
                row("provision --stripes 3 over 2 devices", Host.BLANK, P + " --stripes 3"),
                row("provision --stripe-size 3K", Host.BLANK, P + " --stripe-size 3K"),
                row("provision --stripe-size -4K", Host.BLANK, P + " --stripe-size -4K"),
                row("provision --stripe-size 8M", Host.BLANK, P + " --stripe-size 8M"),
                row("provision --lv snapshot", Host.BLANK, P.replace("--lv lv1", "--lv snapshot")),
                row("provision --lv x_tdata", Host.BLANK, P.replace("--lv lv1", "--lv x_tdata")),
                row("provision --vg ..", Host.BLANK, P.replace("--vg vg1", "--vg ..")),
                row("provision --lv 'a;b'", Host.BLANK, P.replace("--lv lv1", "--lv 'a;b'")),
                row("luks format --cipher 'bogus x'", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --cipher 'bogus x' --yes"),
                row("luks format --pbkdf bogus", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --pbkdf bogus --yes"),
                row("luks format --iter-time -1", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --iter-time -1 --yes"),
                row("luks format --pbkdf-memory -5", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --pbkdf-memory -5 --yes"),
                row("luks format adiantum on LUKS1", Host.BLANK,
                        "luks format /dev/nvme1n1 --key k1 --type luks1 --cipher xchacha12,aes-adiantum-plain64 --key-size 256 --yes"),
                row("luks format --key-size 0", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --key-size 0 --yes"),
                row("luks add-key --pbkdf-memory -5", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key k1 --new-key k2 --pbkdf-memory -5 --yes"),
                row("lv create snapshot", Host.CLOSED, "lv create snapshot --vg vg1 --yes"),
                row("lv create x_rimage_0", Host.CLOSED, "lv create x_rimage_0 --vg vg1 --yes"),
                row("lv create --stripes 0", Host.CLOSED, "lv create lv2 --vg vg1 --stripes 0 --yes"),
                row("vg create ..", Host.BLANK, "vg create .. /dev/nvme3n1 --yes"),
                row("use lv pvmove0", Host.BLANK, "use lv pvmove0"),
                // ---- item 6: unlock --dry-run tests the key ----
                new Row("unlock --dry-run with a key that does not open", Host.CLOSED,
                        "unlock --key k1 --mountpoint /mnt/data --dry-run", "q\n", false),
                new Row("unlock with a key that does not open", Host.CLOSED,
                        "unlock --key k1 --mountpoint /mnt/data --yes", "q\n", false),
                // ---- obvious bad values ----
                row("unknown devices", Host.BLANK, P.replace("/dev/nvme1n1,/dev/nvme2n1", "/dev/nvme9n1,/dev/nvme8n1")),
                row("a device with ;", Host.BLANK, "pv create '/dev/nvme1n1;reboot' --yes"),
                row("a device with $(...)", Host.BLANK, "luks format '/dev/$(touch${IFS}/tmp/x)' --key k1 --yes"),
                row("a device with ESC", Host.BLANK, "pv create '/dev/" + ESC + "' --yes"),
                row("a device twice", Host.BLANK, P.replace("/dev/nvme1n1,/dev/nvme2n1", "/dev/nvme1n1,/dev/nvme1n1")),
                row("negative new volumes", Host.BLANK, PROVISION.replace("--devices /dev/nvme1n1,/dev/nvme2n1",
                        "--new-volumes -1 --size 1") + " --mountpoint /mnt/data"),
                row("an unknown key", Host.BLANK, P.replace("--key k1", "--key nosuchkey")),
                row("bad extents", Host.BLANK, P + " --extents '100%VG;reboot'"),
                row("key name with ;", Host.BLANK, "keys generate 'a;b'"),
                row("key name ../x", Host.BLANK, "keys generate ../x"));
    }

    @BeforeAll
    void start() throws Exception {
        home = Files.createDirectories(tmp.resolve("cryptvol"));
        userHome = Files.createDirectories(tmp.resolve("user"));
        savedUserHome = System.getProperty("user.home");
        System.setProperty("user.home", userHome.toString()); // ~/.ssh/known_hosts is the test's
        Files.createDirectories(userHome.resolve(".ssh"));
        Files.writeString(userHome.resolve(".ssh/known_hosts"), "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\n");
        blank = FixtureHost.disks(List.of("vol0aaaaaaaaaaaaaaa1", "vol0aaaaaaaaaaaaaaa2", "vol0aaaaaaaaaaaaaaa3",
                "vol0aaaaaaaaaaaaaaa4"), GIB);
        closed = closedVolume(blank);
        host = new FixtureHost(blank);
        host.paths.put("/data/file", "file");
        host.paths.put("/etc/passwd", "file");
        host.paths.put("/data/file/sub", "blocked /data/file");
        host.paths.put("/data/link", "symlink");
        host.paths.put("/data/full", "dir-nonempty");
        shell = new ShellHarness(home, Map.of(), FixtureHostConfig.class);
        assertThat(shell.type("keys generate k1 k2")).contains("generated key 'k2'");
        // the inventory as the fixture host fills it, so that a refused command's observation rewrites the same
        for (HostState s : List.of(closed, blank)) {
            host.state = s;
            assertThat(shell.type(P.replace("--yes", "--dry-run"))).doesNotContain("error:");
        }
        host.changes.clear();
    }

    /** The host after provision on nvme1n1+2 (vg1/lv1, mapping m1, /mnt/data), unmounted and closed again. */
    static HostState closedVolume(HostState blank) {
        ProvisionSpec spec = ProvisionSpec.builder().devices("/dev/nvme1n1", "/dev/nvme2n1").vg("vg1").lv("lv1")
                .keys("k1", "k2").mapping("m1").mountpoint("/mnt/data").build();
        HostState up = PlannedEffects.apply(blank, new ProvisionPlanner(() -> "00112233445566778899aabb").plan(spec, blank).plan().steps());
        StagePlanner p = new StagePlanner(() -> "00112233445566778899aabb");
        List<PlanStep> down = new ArrayList<>(p.umount("/mnt/data", up).plan().steps());
        HostState unmounted = PlannedEffects.apply(up, down);
        HostState c = PlannedEffects.apply(unmounted, p.luksClose("m1", unmounted).plan().steps());
        assertThat(c.lv("vg1", "lv1")).get().matches(l -> l.active());
        assertThat(c.mapping("m1")).isEmpty();
        assertThat(c.fstabFor("/mnt/data")).isPresent();
        assertThat(c.fstabFor("/mnt/data").get().fstype()).isEqualTo(FsType.XFS.fsName());
        return c;
    }

    @AfterAll
    void stop() {
        shell.close();
        System.setProperty("user.home", savedUserHome);
    }

    void use(Row r) {
        host.state = r.host() == Host.BLANK ? blank : closed;
        host.keysOpen = r.keysOpen();
        host.changes.clear();
        host.unknown.clear();
    }

    /** The rows a prompt can take: a newline ends the line there (those rows run in one-command mode). */
    static Stream<Row> shellRows() {
        return rows().filter(r -> !r.line().contains("\n"));
    }

    @ParameterizedTest(name = "shell: {0}")
    @MethodSource("shellRows")
    void inTheShell(Row r) throws Exception {
        use(r);
        Map<String, String> before = snapshot();
        if (r.keys() != null) {
            shell.keys(r.keys());
        }
        String out = shell.type(r.line());
        List<String> errors = out.lines().filter(l -> l.startsWith("error:")).toList();
        assertThat(errors).as(out).hasSize(1);
        assertClean(out);
        assertNothingChanged(before);
    }

    @ParameterizedTest(name = "one command: {0}")
    @MethodSource("rows")
    void asOneCommand(Row r) throws Exception {
        use(r);
        Map<String, String> before = snapshot();
        List<String> argv = words(r.line().replace("\n", "\u0000")).stream().map(w -> w.replace("\u0000", "\n")).toList();
        Run run = oneCommand(argv);
        assertThat(run.exit()).as(run.toString()).isNotZero();
        List<String> errors = run.err().lines().toList();
        assertThat(errors).as(run.toString()).hasSize(1);
        assertThat(errors.get(0)).startsWith("error: ");
        assertThat(run.out()).as("stdout holds results only").doesNotContain("error:");
        assertClean(run.out() + run.err());
        assertNothingChanged(before);
    }

    /** No stack trace, no raw control character (a terminal escape from a value must arrive escaped). */
    static void assertClean(String out) {
        assertThat(out).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out.chars().filter(c -> c < 0x20 && c != '\n' && c != '\t').count()).as(out).isZero();
    }

    void assertNothingChanged(Map<String, String> before) throws Exception {
        assertThat(host.changes).as("changing commands sent to the host").isEmpty();
        assertThat(host.unknown).as("queries the fixture host cannot answer").isEmpty();
        assertThat(snapshot()).isEqualTo(before);
    }

    /** Digest of each file that must not change: key store, known_hosts, inventory.json, the host's fstab. */
    Map<String, String> snapshot() throws Exception {
        Map<String, String> m = new TreeMap<>();
        Path config = home.resolve("config");
        if (Files.isDirectory(config)) {
            try (Stream<Path> s = Files.walk(config)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    m.put(home.relativize(p).toString(), digest(Files.readAllBytes(p)) + " "
                            + java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                }
            }
        }
        for (Path p : List.of(home.resolve("state/inventory.json"), userHome.resolve(".ssh/known_hosts"))) {
            m.put(p.getFileName().toString(), Files.exists(p) ? digest(Files.readAllBytes(p)) : "absent");
        }
        m.put("inventory in the shell", String.valueOf(shell.bean(io.cryptvol.session.Inventory.class).snapshot()));
        m.put("host fstab", digest(host.state.fstab().render().getBytes(StandardCharsets.UTF_8)));
        assertThat(m.keySet()).as("the key store holds the keys").anyMatch(k -> k.contains("k1"));
        return m;
    }

    static String digest(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** The line's words as the shell's own parser splits them (quotes as a POSIX shell would take them). */
    List<String> words(String line) {
        Parser parser = shell.bean(Parser.class);
        return parser.parse(line, line.length()).words().stream().filter(w -> !w.isEmpty()).toList();
    }

    record Run(int exit, String out, String err) {
    }

    /**
     * One-command mode in this JVM: {@link CryptvolApplication#run(String[], Class[])} with the fixture host, a
     * terminal writing to the captured stdout, stdin at its end (like /dev/null), stderr captured.
     */
    Run oneCommand(List<String> argv) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PipedInputStream in = new PipedInputStream();
        new PipedOutputStream(in).close();
        ShellHarness.Streams shellStreams = ShellHarness.STREAMS.get();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        String oldHome = System.getProperty("cryptvol.home");
        int code;
        // a fresh process has no logging set up yet: let this run set it up as the product does
        org.springframework.boot.logging.LoggingSystem.get(getClass().getClassLoader()).cleanUp();
        try {
            ShellHarness.STREAMS.set(new ShellHarness.Streams(in, out));
            System.setProperty("cryptvol.home", home.toString());
            // the product's logging (logback-spring.xml: a file), not the test classpath's logback-test.xml, which
            // logs to the console that is the product's stdout
            System.setProperty("logging.config", "classpath:logback-spring.xml");
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = CryptvolApplication.run(argv.toArray(new String[0]), ShellHarness.TestTerminal.class,
                    FixtureHostConfig.class);
        } finally {
            System.clearProperty("logging.config");
            System.setOut(oldOut);
            System.setErr(oldErr);
            ShellHarness.STREAMS.set(shellStreams);
            if (oldHome != null) {
                System.setProperty("cryptvol.home", oldHome);
            }
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"), err.toString(StandardCharsets.UTF_8));
    }
}

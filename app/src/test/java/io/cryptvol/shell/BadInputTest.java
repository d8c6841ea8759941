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
 * <p>Adding a row: {@code row("what it shows", Host.X, "the command line as typed", "part of the error line")};
 * {@link Host} picks what the fixture host holds; {@link Row#keys} types answers to a question first.
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

    /**
     * @param expect   what the one error line must contain (the reason, not just any error)
     * @param keys     answers typed for an interactive question first (null: none)
     * @param keysOpen whether the fixture's LUKS headers open with the keys
     */
    record Row(String name, Host host, String line, String expect, String keys, boolean keysOpen) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Row row(String name, Host h, String line, String expect) {
        return new Row(name, h, line, expect, null, true);
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
    /** The UUID of a header backup in the key store that no volume of the fixture host has. */
    static final String OTHER_UUID = "11111111-2222-4333-8444-555555555555";

    /** Files the record/replay/backup rows point at (made once, outside the session's directories). */
    static final Path FILES = files();

    static Path files() {
        try {
            Path d = Files.createTempDirectory("cryptvol-badinput-");
            Files.writeString(d.resolve(".bashrc"), "alias ll='ls -l'\n");
            Files.write(d.resolve("app.jar"), new byte[] {'P', 'K', 3, 4, 20, 0, 8, 0, 0, 0, (byte) 0xc3, 0x28});
            Files.writeString(d.resolve("two.cvsh"), "use vg vg1\nuse lv lv1\n");
            Files.writeString(d.resolve("a-file"), "not a directory\n");
            Files.write(d.resolve("empty.key"), new byte[0]);
            d.toFile().deleteOnExit();
            return d;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<Row> rows() {
        return Stream.concat(recordReplayAndKeys(), inputs());
    }

    /** Items 2, 10 and 12 (record, replay, key backups): refused in one line before anything is written. */
    static Stream<Row> recordReplayAndKeys() {
        return Stream.of(
                row("record --append to .bashrc", Host.BLANK, "record start " + FILES.resolve(".bashrc") + " --append",
                        "not a cryptvol script (a recording starts with"),
                row("record --append to a jar", Host.BLANK, "record start " + FILES.resolve("app.jar") + " --append",
                        "binary content, not a cryptvol script"),
                row("replay --from-line -5", Host.BLANK, "replay " + FILES.resolve("two.cvsh") + " --from-line -5 --yes",
                        "--from-line -5 is not a line of"),
                row("replay --from-line 0", Host.BLANK, "replay " + FILES.resolve("two.cvsh") + " --from-line 0 --yes",
                        "--from-line 0 is not a line of"),
                row("replay --from-line past the end", Host.BLANK, "replay " + FILES.resolve("two.cvsh")
                        + " --from-line 99 --yes", "--from-line 99 is not a line of"),
                row("replay of a missing script", Host.BLANK, "replay " + FILES.resolve("nosuch.cvsh") + " --yes",
                        "nosuch.cvsh"),
                row("keys backup to a file", Host.BLANK, "keys backup k1 --to " + FILES.resolve("a-file"),
                        "is not a directory: give the directory to copy the key into"),
                row("keys backup to /proc", Host.BLANK, "keys backup k1 --to /proc",
                        "/proc is on a proc file system, not a disk"),
                row("keys backup to a missing directory", Host.BLANK, "keys backup k1 --to " + FILES.resolve("gone"),
                        "does not exist (is the drive mounted?)"),
                row("a header backup of a device that is not LUKS", Host.BLANK, "luks header backup /dev/nvme1n1 --yes",
                        "/dev/nvme1n1: holds no LUKS header: nothing to back up"),
                row("a header verify with no backup taken", Host.CLOSED, "luks header verify /dev/vg1/lv1",
                        "no header backup of /dev/vg1/lv1"),
                row("a header restore onto another UUID without --force", Host.CLOSED,
                        "luks header restore /dev/vg1/lv1 --backup " + OTHER_UUID + " --yes", "/dev/vg1/lv1: has LUKS UUID "
                                + "4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b, the backup is of " + OTHER_UUID
                                + ": refusing to restore another volume's header (--force to do it anyway)"),
                row("a header restore from a backup that is not there", Host.CLOSED,
                        "luks header restore /dev/vg1/lv1 --backup nope --yes", "no header backup 'nope'"));
    }

    static Stream<Row> inputs() {
        return Stream.of(
                // ---- item 3: mountpoints ----
                row("mountpoint // is /", Host.BLANK, PROVISION + " --mountpoint //",
                        "mountpoint '//': resolves to /, the root"),
                row("mountpoint /mnt/.. is /", Host.BLANK, PROVISION + " --mountpoint /mnt/..",
                        "mountpoint '/mnt/..': resolves to /, the root"),
                row("mountpoint /", Host.BLANK, PROVISION + " --mountpoint /",
                        "mountpoint '/': is the root filesystem"),
                row("mountpoint /usr", Host.BLANK, PROVISION + " --mountpoint /usr",
                        "mountpoint '/usr': is /usr, which the system"),
                row("mountpoint /etc/", Host.BLANK, PROVISION + " --mountpoint /etc/",
                        "mountpoint '/etc': is /etc, which the system"),
                row("mountpoint /var", Host.BLANK, PROVISION + " --mountpoint /var",
                        "mountpoint '/var': is a system directory: a"),
                row("mountpoint /home", Host.BLANK, PROVISION + " --mountpoint /home",
                        "mountpoint '/home': is a system directory: a"),
                row("mountpoint /boot", Host.BLANK, PROVISION + " --mountpoint /boot",
                        "mountpoint '/boot': is /boot, which the system"),
                row("mountpoint under /tmp", Host.BLANK, PROVISION + " --mountpoint /tmp/data",
                        "mountpoint '/tmp/data': is under /tmp, which the"),
                row("mountpoint under /proc, even with --force", Host.BLANK, PROVISION + " --mountpoint /proc/x --force",
                        "mountpoint '/proc/x': is under /proc, a kernel or"),
                row("mountpoint under /run, even with --force", Host.BLANK, PROVISION + " --mountpoint /run/data --force",
                        "mountpoint '/run/data': is under /run, a kernel or"),
                row("relative mountpoint", Host.BLANK, PROVISION + " --mountpoint mnt/data",
                        "mountpoint 'mnt/data': must be an absolute"),
                row("a file as the mountpoint", Host.BLANK, PROVISION + " --mountpoint /data/file",
                        "mountpoint '/data/file': exists on the host and is not"),
                row("/etc/passwd with --force", Host.BLANK, PROVISION + " --mountpoint /etc/passwd --force",
                        "mountpoint '/etc/passwd': exists on the host and is not"),
                row("below a file", Host.BLANK, PROVISION + " --mountpoint /data/file/sub",
                        "mountpoint '/data/file/sub': cannot be made: '/data/file'"),
                row("a symbolic link", Host.BLANK, PROVISION + " --mountpoint /data/link",
                        "mountpoint '/data/link': is a symbolic link on the"),
                row("a directory with files in it", Host.BLANK, PROVISION + " --mountpoint /data/full",
                        "mountpoint '/data/full': is a directory with files in"),
                row("mountpoint with $(...)", Host.BLANK, PROVISION + " --mountpoint '/mnt/$(touch${IFS}/tmp/pwned)'",
                        "mountpoint '/mnt/$(touch${IFS}/tmp/pwned)': must not contain '$': a new"),
                row("mountpoint with ;", Host.BLANK, PROVISION + " --mountpoint '/mnt/a;reboot'",
                        "mountpoint '/mnt/a;reboot': must not contain ';': a new"),
                row("mountpoint with a terminal escape", Host.BLANK, PROVISION + " --mountpoint '/mnt/" + ESC + "'",
                        "mountpoint '/mnt/\\e]0;TITLE\\a': must not contain spaces or"),
                row("mountpoint with a newline", Host.BLANK, PROVISION + " --mountpoint '/mnt/a\n/dev/sda1 / ext4'",
                        "must not contain spaces or control characters"),
                row("fstab add over /usr", Host.CLOSED, "fstab add --mapping m1 --mountpoint /usr --yes",
                        "mountpoint '/usr': is /usr, which the system"),
                row("fstab add at //", Host.CLOSED, "fstab add --mapping m1 --mountpoint // --yes",
                        "mountpoint '//': resolves to /, the root"),
                row("mount on /", Host.CLOSED, "mount / --mapping m1 --yes",
                        "mountpoint '/': is the root filesystem"),
                row("mount on a file", Host.CLOSED, "mount /data/file --mapping m1 --yes",
                        "mountpoint '/data/file': exists on the host and is not a"),
                row("umount /", Host.CLOSED, "umount / --yes",
                        "mountpoint '/': is the root filesystem"),
                row("use mountpoint /mnt/..", Host.BLANK, "use mountpoint /mnt/..",
                        "mountpoint '/mnt/..': resolves to /, the root"),
                // ---- item 4: fstab options and mapping names ----
                row("options with fsck fields", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw,noauto 1 1 extra' --yes",
                        "mount options 'rw,noauto 1 1 extra': must not contain spaces or"),
                row("options with auto, no --auto", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options defaults,auto --yes",
                        "mount options 'defaults,auto': 'auto' would make each boot"),
                row("options with a comment", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw#x' --yes",
                        "mount options 'rw#x': must not contain"),
                row("options with $(...)", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw,$(touch${IFS}/tmp/x)' --yes",
                        "mount options 'rw,$(touch${IFS}/tmp/x)': must not contain"),
                row("options with an empty option", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options rw,,noauto --yes",
                        "mount options 'rw,,noauto': have an empty option (',,' or"),
                row("options with a newline", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw\n/dev/sda1 / ext4 defaults 0 1' --yes",
                        "must not contain spaces or control characters"),
                row("options with ESC", Host.CLOSED, "fstab add --mapping m1 --mountpoint /mnt/new --options 'rw," + ESC + "' --yes",
                        "mount options 'rw,\\e]0;TITLE\\a': must not contain spaces or"),
                row("fstab add --mapping control", Host.CLOSED, "fstab add --mapping control --mountpoint /mnt/new --yes",
                        "mapping 'control': is the device-mapper's own"),
                row("fstab add --mapping ..", Host.CLOSED, "fstab add --mapping .. --mountpoint /mnt/new --yes",
                        "mapping '..': is not a name"),
                row("mount --mapping control", Host.CLOSED, "mount /mnt/new --mapping control --yes",
                        "mapping 'control': is the device-mapper's own"),
                row("fs make control", Host.CLOSED, "fs make control --yes",
                        "mapping 'control': is the device-mapper's own"),
                row("fs make ../x", Host.CLOSED, "fs make ../x --yes",
                        "mapping '../x': may hold only letters, digits"),
                row("luks close control", Host.CLOSED, "luks close control --yes",
                        "mapping 'control': is the device-mapper's own"),
                row("luks close a/b", Host.CLOSED, "luks close a/b --yes",
                        "mapping 'a/b': may hold only letters, digits"),
                row("luks open as control", Host.CLOSED, "luks open /dev/vg1/lv1 control --key k1 --yes",
                        "mapping 'control': is the device-mapper's own"),
                row("luks open with ESC", Host.CLOSED, "luks open /dev/vg1/lv1 'm" + ESC + "' --key k1 --yes",
                        "mapping 'm\\e]0;TITLE\\a': may hold only letters, digits"),
                row("provision --mapping control", Host.BLANK, P.replace("--mapping m1", "--mapping control"),
                        "mapping 'control': is the device-mapper's own"),
                row("provision --mapping of 128 characters", Host.BLANK, P.replace("--mapping m1", "--mapping " + "m".repeat(128)),
                        "mapping 'mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm': is longer than 127"),
                row("use mapping control", Host.BLANK, "use mapping control",
                        "mapping 'control': is the device-mapper's own"),
                // ---- item 5: LUKS options, stripes, LVM names ----
                row("provision --cipher 'bogus x'", Host.BLANK, P + " --cipher 'bogus x'",
                        "--cipher 'bogus x': is not one cryptvol formats"),
                row("provision --pbkdf bogus", Host.BLANK, P + " --pbkdf bogus",
                        "--pbkdf 'bogus': is not supported; choose"),
                row("provision --iter-time -1", Host.BLANK, P + " --iter-time -1",
                        "--iter-time -1: must be between 1 and 60000"),
                row("provision --pbkdf-memory -5", Host.BLANK, P + " --pbkdf-memory -5",
                        "--pbkdf-memory -5: must be between 32 and"),
                row("provision --key-size 384", Host.BLANK, P + " --key-size 384",
                        "--key-size 384: does not fit aes-xts-plain64"),
                row("provision --hash md5", Host.BLANK, P + " --hash md5",
                        "--hash 'md5': is not supported; choose"),
                row("provision LUKS1 with argon2id", Host.BLANK, P + " --type luks1 --pbkdf argon2id",
                        "LUKS1 supports pbkdf2 only, not"),
                row("provision LUKS2 with ripemd160", Host.BLANK, P + " --hash ripemd160",
                        "--hash ripemd160: is for old LUKS1 headers"),
                row("provision --stripes 0", Host.BLANK, P + " --stripes 0",
                        "--stripes 0: must be at least 1"),
                row("provision --stripes -1", Host.BLANK, P + " --stripes -1",
                        "--stripes -1: must be at least 1"),
                row("provision --stripes 3 over 2 devices", Host.BLANK, P + " --stripes 3",
                        "--stripes 3: is more than the 2 PV(s) to"),
                row("provision --stripe-size 3K", Host.BLANK, P + " --stripe-size 3K",
                        "--stripe-size 3072 bytes: must be a power of two from 4"),
                row("provision --stripe-size -4K", Host.BLANK, P + " --stripe-size -4K",
                        "--stripe-size -4096 bytes: must be a power of two from 4"),
                row("provision --stripe-size 8M", Host.BLANK, P + " --stripe-size 8M",
                        "--stripe-size 8388608 bytes: must be a power of two from 4"),
                row("provision --lv snapshot", Host.BLANK, P.replace("--lv lv1", "--lv snapshot"),
                        "LV 'snapshot': is reserved by LVM (names"),
                row("provision --lv x_tdata", Host.BLANK, P.replace("--lv lv1", "--lv x_tdata"),
                        "LV 'x_tdata': contains '_tdata', which LVM"),
                row("provision --vg ..", Host.BLANK, P.replace("--vg vg1", "--vg .."),
                        "VG '..': is not a name"),
                row("provision --lv 'a;b'", Host.BLANK, P.replace("--lv lv1", "--lv 'a;b'"),
                        "LV 'a;b': may hold only letters, digits"),
                row("luks format --cipher 'bogus x'", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --cipher 'bogus x' --yes",
                        "--cipher 'bogus x': is not one cryptvol formats"),
                row("luks format --pbkdf bogus", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --pbkdf bogus --yes",
                        "--pbkdf 'bogus': is not supported; choose"),
                row("luks format --iter-time -1", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --iter-time -1 --yes",
                        "--iter-time -1: must be between 1 and 60000"),
                row("luks format --pbkdf-memory -5", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --pbkdf-memory -5 --yes",
                        "--pbkdf-memory -5: must be between 32 and"),
                row("luks format adiantum on LUKS1", Host.BLANK,
                        "luks format /dev/nvme1n1 --key k1 --type luks1 --cipher xchacha12,aes-adiantum-plain64 --key-size 256 --yes",
                        "--cipher xchacha12,aes-adiantum-plain64: needs a LUKS2 header (--type l"),
                row("luks format --key-size 0", Host.BLANK, "luks format /dev/nvme1n1 --key k1 --key-size 0 --yes",
                        "LUKS key size must be a positive multiple of 8 bits, not"),
                row("luks add-key --pbkdf-memory -5", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key k1 --new-key k2 --pbkdf-memory -5 --yes",
                        "--pbkdf-memory -5: must be between 32 and"),
                // ---- luks add-key: one source for each key (day2/KeyChoice) ----
                row("luks add-key without the key that opens it", Host.CLOSED, "luks add-key /dev/vg1/lv1 --new-key k2 --yes",
                        "give the key that opens it: --key NAME, --key-file PATH, --key-backup DIR"),
                row("luks add-key with two existing keys", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key k1 --key-file "
                        + FILES.resolve("a-file") + " --new-key k2 --yes", "give one source for the key that opens it: --key NAME"),
                row("luks add-key without a new key", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key k1 --yes",
                        "give the key to add: --new-key NAME, --new-key-file PATH, --new-key-backup DIR (with --new-key NAME to "
                                + "pick the file) or --new-passphrase"),
                row("luks add-key with two new keys", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key k1 --new-key k2 "
                        + "--new-passphrase --yes", "give one source for the key to add: --new-key NAME"),
                row("luks add-key --key-file missing", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key-file " + FILES.resolve("nope.key")
                        + " --new-key k2 --yes", "nope.key does not exist or cannot be read"),
                row("luks add-key --new-key-file empty", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key k1 --new-key-file "
                        + FILES.resolve("empty.key") + " --yes", "empty.key is empty"),
                row("luks add-key --key-backup not a directory", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key-backup "
                        + FILES.resolve("a-file") + " --new-key k2 --yes", "a-file is not a directory"),
                new Row("luks add-key with a key that does not open", Host.CLOSED, "luks add-key /dev/vg1/lv1 --key-file "
                        + FILES.resolve("a-file") + " --new-key k2 --yes", "key 'file a-file' does not open", null, false),
                row("lv create snapshot", Host.CLOSED, "lv create snapshot --vg vg1 --yes",
                        "LV 'snapshot': is reserved by LVM (names"),
                row("lv create x_rimage_0", Host.CLOSED, "lv create x_rimage_0 --vg vg1 --yes",
                        "LV 'x_rimage_0': contains '_rimage', which LVM"),
                row("lv create --stripes 0", Host.CLOSED, "lv create lv2 --vg vg1 --stripes 0 --yes",
                        "--stripes 0: must be at least 1"),
                row("vg create ..", Host.BLANK, "vg create .. /dev/nvme3n1 --yes",
                        "VG '..': is not a name"),
                row("use lv pvmove0", Host.BLANK, "use lv pvmove0",
                        "LV 'pvmove0': is reserved by LVM (names"),
                // ---- item 6: unlock --dry-run tests the key ----
                new Row("unlock --dry-run with a key that does not open", Host.CLOSED,
                        "unlock --key k1 --mountpoint /mnt/data --dry-run", "key 'k1' does not open /dev/vg1/lv1", "q\n", false),
                new Row("unlock with a key that does not open", Host.CLOSED,
                        "unlock --key k1 --mountpoint /mnt/data --yes", "key 'k1' does not open /dev/vg1/lv1", "q\n", false),
                // ---- obvious bad values ----
                row("unknown devices", Host.BLANK, P.replace("/dev/nvme1n1,/dev/nvme2n1", "/dev/nvme9n1,/dev/nvme8n1"),
                        "refused (2 problems above)"),
                row("a device with ;", Host.BLANK, "pv create '/dev/nvme1n1;reboot' --yes",
                        "device '/dev/nvme1n1;reboot': must not contain spaces,"),
                row("a device with $(...)", Host.BLANK, "luks format '/dev/$(touch${IFS}/tmp/x)' --key k1 --yes",
                        "device '/dev/$(touch${IFS}/tmp/x)': must not contain spaces,"),
                row("a device with ESC", Host.BLANK, "pv create '/dev/" + ESC + "' --yes",
                        "device '/dev/\\e]0;TITLE': must not contain spaces,"),
                row("a device twice", Host.BLANK, P.replace("/dev/nvme1n1,/dev/nvme2n1", "/dev/nvme1n1,/dev/nvme1n1"),
                        "spec: a device is listed twice: [/de"),
                row("negative new volumes", Host.BLANK, PROVISION.replace("--devices /dev/nvme1n1,/dev/nvme2n1",
                        "--new-volumes -1 --size 1") + " --mountpoint /mnt/data",
                        "--new-volumes N needs N ≥ 1 and --size GiB ≥ 1"),
                row("an unknown key", Host.BLANK, P.replace("--key k1", "--key nosuchkey"),
                        "unknown key 'nosuchkey': see 'keys"),
                row("bad extents", Host.BLANK, P + " --extents '100%VG;reboot'",
                        "spec: extents must be a count or N%V"),
                row("key name with ;", Host.BLANK, "keys generate 'a;b'",
                        "not a valid key name: 'a;b' (letters, digits, '.',"),
                row("key name ../x", Host.BLANK, "keys generate ../x",
                        "not a valid key name: '../x' (letters, digits, '.',"));
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
        // a LUKS1 header backup of another volume (magic, version, UUID at 168), as luksHeaderBackup writes one
        java.nio.ByteBuffer other = java.nio.ByteBuffer.allocate(4096).put(new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe})
                .putShort((short) 1);
        other.position(168).put(OTHER_UUID.getBytes(StandardCharsets.US_ASCII));
        shell.bean(io.cryptvol.keys.KeyStore.class).headers().add(other.array(), null, "/dev/vg9/lv9", "local",
                java.time.Instant.parse("2026-11-30T10:00:00Z"));
        // the volume unlock finds on the CLOSED host (it has an fstab line, no crypttab line)
        assertThat(shell.type("use vg vg1")).doesNotContain("error:");
        assertThat(shell.type("use lv lv1")).doesNotContain("error:");
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
        // the test terminal does not echo a typed answer and its newline: the next line follows the question
        String out = shell.type(r.line()).replace("[q]uit: ", "[q]uit: \n");
        List<String> errors = out.lines().filter(l -> l.startsWith("error:")).toList();
        assertThat(errors).as(out).hasSize(1);
        assertThat(errors.get(0)).as(r.name()).contains(r.expect());
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
        // stderr: one error line, last; before it only the problems it counts ("refused (2 problems above)")
        List<String> lines = run.err().lines().toList();
        List<String> errors = lines.stream().filter(l -> l.startsWith("error: ")).toList();
        assertThat(errors).as(run.toString()).hasSize(1);
        assertThat(lines.get(lines.size() - 1)).as(run.toString()).isEqualTo(errors.get(0));
        assertThat(lines.subList(0, lines.size() - 1)).as(run.toString()).allMatch(l -> l.startsWith("  - "));
        assertThat(lines.size() - 1).as(run.toString()).isEqualTo(errors.get(0).contains("problems above)")
                ? Integer.parseInt(errors.get(0).replaceAll(".*refused \\((\\d+) problems above\\).*", "$1")) : 0);
        assertThat(errors.get(0)).startsWith("error: ").contains(r.expect());
        assertThat(run.out()).as("stdout holds results only").doesNotContain("error:");
        assertClean(run.out() + run.err());
        assertNothingChanged(before);
    }

    /**
     * Item 6: {@code unlock --dry-run} really tests the key while the LV is active ({@code cryptsetup open
     * --test-passphrase}, the key on stdin, not in argv), says so, and changes nothing.
     */
    @org.junit.jupiter.api.Test
    void unlockDryRunTestsTheKey() throws Exception {
        use(new Row("unlock --dry-run with a key that opens", Host.CLOSED, "", null, null, true));
        Map<String, String> before = snapshot();
        host.queries.clear();
        String out = shell.type("unlock --key k1 --mountpoint /mnt/data --dry-run");
        assertThat(out).doesNotContain("error:").contains("key 'k1' opens /dev/vg1/lv1 (tested with cryptsetup open "
                + "--test-passphrase)").contains("dry run: nothing was changed");
        List<io.cryptvol.domain.cmd.HostCommand> tests = host.queries.stream().filter(q -> q.argv().contains("--test-passphrase"))
                .toList();
        assertThat(tests).singleElement().satisfies(q -> {
            assertThat(q.argv()).contains("/dev/vg1/lv1").noneMatch(w -> w.contains("k1"));
            assertThat(q.stdinSecret()).isTrue();
            // the key went on stdin (and was zeroed after the test: the recorded bytes are gone)
            assertThat(q.stdinLength()).isEqualTo(Files.size(home.resolve("config/keys/k1.key")));
        });
        // a plan that is not refused refreshes the completion inventory; whether a dry run may do that is
        // issue 14 items 7 and 11 (dry-run trust store, inventory per target): compared without it here
        before.remove("inventory in the shell");
        Map<String, String> after = snapshot();
        after.remove("inventory in the shell");
        assertThat(host.changes).isEmpty();
        assertThat(after).isEqualTo(before);
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

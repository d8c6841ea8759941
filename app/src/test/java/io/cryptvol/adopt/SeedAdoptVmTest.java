package io.cryptvol.adopt;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.keys.KeyInfo;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.sandbox.Sandbox;
import io.cryptvol.sandbox.ec2.Ec2Seen;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.shell.ShellHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16's must-show: a volume built exactly by the seed's commands, by hand, on the sandbox (four EBS volumes
 * created and attached through the real SDK client, untagged, as an admin did in the console years ago; pvcreate,
 * vgcreate, lvcreate -i4 -I4, two key files made with dd from /dev/urandom, LUKS1 aes-cbc-essiv:sha256 with
 * ripemd160, luksAddKey of the second key, mkfs.xfs, an fstab line with noauto, NO crypttab line, mounted, a file
 * written). Then only through the shell: {@code keys import} twice, {@code adopt}, {@code snapshot}, {@code detach},
 * {@code sandbox reboot} (a real systemd boot), {@code unlock}, the checksum unchanged, {@code grow --add} keeping 4
 * stripes, and {@code restore} beside the original with an equal checksum.
 * The methods build on each other (one sandbox for the class) and run in order.
 */
@Tag("vm")
@ExtendWith(io.cryptvol.testvm.VmClassTimer.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedAdoptVmTest {
    static final String MNT = "/mnt/mymountpoint";
    static final Pattern SET = Pattern.compile("snapshot set ([0-9a-f-]{36})");
    @TempDir
    static Path home;
    /** Where the admin kept the key files all these years (a backup directory on their machine). */
    @TempDir
    static Path adminKeys;
    static ShellHarness shell;
    static long classStart;
    static List<String> volumeIds = new ArrayList<>();
    static String sum;
    static String luksUuid;
    static String setId;

    @BeforeAll
    static void start() throws Exception {
        classStart = System.nanoTime();
        System.setProperty("cryptvol.root", Path.of("").toAbsolutePath().toString());
        shell = new ShellHarness(home, Map.of());
        assertThat(ok("sandbox start")).contains("sandbox instance i-");
    }

    @AfterAll
    static void stop() throws Exception {
        if (shell != null) {
            shell.type("sandbox stop");
            shell.close();
        }
        System.out.printf("[seed-adopt-vm] class took %.1f s%n", (System.nanoTime() - classStart) / 1e9);
    }

    static String type(String line) throws Exception {
        long t0 = System.nanoTime();
        String out = shell.type(line);
        System.out.printf("[seed-adopt-vm] %.1f s  %s%n", (System.nanoTime() - t0) / 1e9, line);
        return out;
    }

    static String ok(String line) throws Exception {
        String out = type(line);
        assertThat(out).as(line).doesNotContain("error:").doesNotContain("Exception");
        return out;
    }

    static ExecResult run(String... argv) {
        return shell.bean(HostAccess.class).executor().run(HostCommand.of(String.join(" ", argv), argv));
    }

    /** A seed command on the instance, as the admin typed it. */
    static String host(String... argv) {
        ExecResult r = run(argv);
        assertThat(r.exitCode()).as(String.join(" ", argv) + ": " + r.err()).isZero();
        return r.out().strip();
    }

    static String sh(String script) {
        return host("sh", "-c", script);
    }

    static Sandbox sandbox() {
        return shell.bean(Sandbox.class);
    }

    static Ec2Client ec2() {
        return Ec2Client.builder().endpointOverride(sandbox().status().ec2Endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    static Ec2Waiter waiter(Ec2Client ec2) {
        return Ec2Waiter.builder().client(ec2).overrideConfiguration(WaiterOverrideConfiguration.builder()
                .backoffStrategyV2(BackoffStrategy.fixedDelay(Duration.ofMillis(250))).waitTimeout(Duration.ofMinutes(3))
                .maxAttempts(1000).build()).build();
    }

    static Map<String, String> tags(Volume v) {
        return v.tags().stream().collect(Collectors.toMap(software.amazon.awssdk.services.ec2.model.Tag::key,
                software.amazon.awssdk.services.ec2.model.Tag::value));
    }

    @Test
    @Order(1)
    void theSeedsOwnCommandsBuildTheVolumeByHand() throws Exception {
        String instance = shell.bean(SessionContext.class).instanceId();
        // four EBS volumes, created and attached as in the console: no tags
        try (Ec2Client ec2 = ec2(); Ec2Waiter w = waiter(ec2)) {
            String[] names = {"/dev/sdf", "/dev/sdg", "/dev/sdh", "/dev/sdi"};
            for (String name : names) {
                String id = ec2.createVolume(b -> b.availabilityZone(Sandbox.AZ).size(1).volumeType("gp3")).volumeId();
                Ec2Seen.volume(ec2, id); // EC2 (and the sandbox) may not know a new volume for a moment
                w.waitUntilVolumeAvailable(b -> b.volumeIds(id));
                ec2.attachVolume(b -> b.volumeId(id).instanceId(instance).device(name));
                volumeIds.add(id);
            }
            w.waitUntilVolumeInUse(b -> b.volumeIds(volumeIds));
        }
        List<String> devs = new ArrayList<>();
        for (String id : volumeIds) {
            String serial = id.replace("-", "");
            String dev = "";
            for (int i = 0; i < 120 && dev.isEmpty(); i++) {
                dev = sh("lsblk -dn -o PATH,SERIAL | awk '$2 == \"" + serial + "\" {print $1}'");
                if (dev.isEmpty()) {
                    Thread.sleep(250);
                }
            }
            assertThat(dev).as("the guest shows " + id).startsWith("/dev/nvme");
            devs.add(dev);
        }

        // the seed, line by line
        sh("mkdir -m 700 -p /run/seed");
        host("dd", "if=/dev/urandom", "of=/run/seed/keyfile1", "bs=4096", "count=1");
        host("dd", "if=/dev/urandom", "of=/run/seed/keyfile2", "bs=4096", "count=1");
        List<String> pv = new ArrayList<>(List.of("pvcreate"));
        pv.addAll(devs);
        host(pv.toArray(String[]::new));
        List<String> vg = new ArrayList<>(List.of("vgcreate", "myvg"));
        vg.addAll(devs);
        host(vg.toArray(String[]::new));
        host("lvcreate", "-i4", "-I4", "-l100%VG", "-n", "mylv", "myvg");
        // the seed's LUKS1 format; a low iteration count for the test only (TCG is slow)
        host("cryptsetup", "luksFormat", "-q", "--type", "luks1", "-c", "aes-cbc-essiv:sha256", "-h", "ripemd160", "-s", "256",
                "--pbkdf-force-iterations", "1000", "/dev/myvg/mylv", "/run/seed/keyfile1");
        host("cryptsetup", "luksAddKey", "-q", "--pbkdf-force-iterations", "1000", "--key-file", "/run/seed/keyfile1",
                "/dev/myvg/mylv", "/run/seed/keyfile2");
        host("cryptsetup", "luksOpen", "--key-file", "/run/seed/keyfile1", "/dev/myvg/mylv", "myencryptedlv");
        host("mkfs.xfs", "-q", "/dev/mapper/myencryptedlv");
        host("mkdir", "-p", MNT);
        sh("echo '/dev/mapper/myencryptedlv " + MNT + " xfs rw,noatime,nouuid,noauto 0 0' >> /etc/fstab");
        host("mount", MNT);
        sh("head -c 3145851 /dev/urandom > " + MNT + "/data && sync");
        sum = sh("sha256sum " + MNT + "/data | cut -d' ' -f1");
        luksUuid = host("cryptsetup", "luksUUID", "/dev/myvg/mylv");

        // the admin's copies of the key files (world-readable, as dd left them under umask 022), then the instance's shredded
        for (String k : List.of("keyfile1", "keyfile2")) {
            ExecResult r = run("cat", "/run/seed/" + k);
            assertThat(r.stdout()).hasSize(4096);
            Path copy = adminKeys.resolve(k);
            Files.write(copy, r.stdout());
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        }
        sh("shred -u /run/seed/keyfile1 /run/seed/keyfile2");

        assertThat(sh("cat /etc/crypttab 2>/dev/null || true")).doesNotContain("myencryptedlv");
        assertThat(host("cryptsetup", "luksDump", "/dev/myvg/mylv")).containsPattern("Version:\\s+1")
                .containsPattern("Hash spec:\\s+ripemd160").containsPattern("Cipher mode:\\s+cbc-essiv:sha256");
    }

    @Test
    @Order(2)
    void keysImportTwiceThenAdopt() throws Exception {
        String out = ok("keys import seed-key-1 --from " + adminKeys.resolve("keyfile1"));
        assertThat(out).contains("imported " + adminKeys.resolve("keyfile1") + " as key 'seed-key-1'")
                .contains("the source was readable by every user");
        out = ok("keys import seed-key-2 --from " + adminKeys.resolve("keyfile2") + " --shred-source --yes");
        assertThat(out).contains("shredded " + adminKeys.resolve("keyfile2") + " (checked: it is gone)");
        assertThat(Files.exists(adminKeys.resolve("keyfile2"))).isFalse();

        // a dry run looks, tests the keys (read-only) and changes nothing anywhere: no tags, no selection, no records
        String dry = ok("adopt --mountpoint " + MNT + " --dry-run");
        assertThat(dry).contains("would tag 4 EBS volumes as cryptvol set").contains("dry run: nothing was changed");
        try (Ec2Client ec2 = ec2()) {
            assertThat(ec2.describeVolumes(b -> b.volumeIds(volumeIds)).volumes())
                    .allSatisfy(v -> assertThat(tags(v)).doesNotContainKey("cryptvol:set"));
        }
        assertThat(shell.bean(SessionContext.class).mapping()).isNull();
        assertThat(shell.bean(KeyStore.class).keysFor(luksUuid)).isEmpty();

        out = ok("adopt --mountpoint " + MNT + " --yes");
        System.out.println("[seed-adopt-vm] adopt:\n" + out);
        assertThat(out).contains("myvg/mylv (/dev/myvg/mylv)").contains("striped, 4 stripes of 4 KiB, 4 PVs")
                .contains("LUKS1 aes-cbc-essiv:sha256 256 bit, hash ripemd160, key slots [0, 1], UUID " + luksUuid)
                .contains("/dev/mapper/myencryptedlv (open)").contains(MNT + " (mounted)")
                .contains("/dev/mapper/myencryptedlv " + MNT + " xfs rw,noatime,nouuid,noauto")
                .contains("no line (unlock is by hand")
                .containsPattern("0\\s+seed-key-1").containsPattern("1\\s+seed-key-2")
                .contains("tagged 4 EBS volumes as cryptvol set ")
                .contains("adopted myvg/mylv → myencryptedlv @" + MNT);
        for (String id : volumeIds) {
            assertThat(out).contains(id);
        }
        SessionContext ctx = shell.bean(SessionContext.class);
        assertThat(List.of(ctx.vg(), ctx.lv(), ctx.mapping(), ctx.mountpoint()))
                .containsExactly("myvg", "mylv", "myencryptedlv", MNT);

        // the tags cryptvol's own sets carry, through the real SDK client
        try (Ec2Client ec2 = ec2()) {
            List<Volume> vs = ec2.describeVolumes(b -> b.volumeIds(volumeIds)).volumes();
            Map<String, Map<String, String>> byId = new LinkedHashMap<>();
            vs.forEach(v -> byId.put(v.volumeId(), tags(v)));
            assertThat(byId.values().stream().map(t -> t.get("cryptvol:set")).distinct()).hasSize(1).doesNotContainNull();
            assertThat(byId.values()).allSatisfy(t -> {
                assertThat(t).containsEntry("cryptvol:count", "4").containsEntry("cryptvol:vg", "myvg");
                assertThat(t.get("Name")).matches("cryptvol-myvg-[1-4]of4");
            });
            assertThat(byId.values().stream().map(t -> t.get("cryptvol:index")).sorted().toList())
                    .containsExactly("1", "2", "3", "4");
        }
        // the enrollments, metadata only
        KeyStore store = shell.bean(KeyStore.class);
        assertThat(store.keysFor(luksUuid)).extracting(KeyInfo::name).containsExactly("seed-key-1", "seed-key-2");
        assertThat(ok("keys list")).contains("myvg/mylv (" + luksUuid.substring(0, 8) + ") slot 0")
                .contains("myvg/mylv (" + luksUuid.substring(0, 8) + ") slot 1");
        // adopting again changes nothing and says the set is tagged
        assertThat(ok("adopt --yes")).contains("EBS volumes already tagged as cryptvol set");
    }

    @Test
    @Order(3)
    void snapshotDetachRebootUnlockKeepsTheData() throws Exception {
        Matcher set = SET.matcher(ok("snapshot --yes"));
        assertThat(set.find()).isTrue();
        setId = set.group(1);
        for (int i = 0; i < 120 && !ok("snapshots list").contains("completed"); i++) {
            Thread.sleep(500);
        }
        assertThat(ok("detach --yes")).contains("done");
        String boot = host("cat", "/proc/sys/kernel/random/boot_id");
        assertThat(ok("sandbox reboot")).contains("rebooted");
        assertThat(host("cat", "/proc/sys/kernel/random/boot_id")).as("a real reboot").isNotEqualTo(boot);
        assertThat(sh("ls /dev/mapper")).doesNotContain("myencryptedlv"); // noauto, no crypttab: closed after a boot
        // the guide: no arguments, one confirmation; it finds the closed volume (no crypttab, an fstab noauto line,
        // an exported VG) and proposes the key recorded for its LUKS UUID by the import and adoption
        shell.keys("y\n");
        String out = ok("unlock");
        // either imported key opens it; the guide names the one enrolled last, and tries no other
        assertThat(out).contains("myvg/mylv").contains("LUKS1 aes-cbc-essiv:sha256")
                .containsPattern("key 'seed-key-[12]' . recorded as opening LUKS UUID");
        System.out.println("[seed-adopt-vm] unlock:\n" + out);
        assertThat(out).contains("unlocked " + MNT);
        assertThat(sh("sha256sum " + MNT + "/data | cut -d' ' -f1")).isEqualTo(sum);
    }

    @Test
    @Order(4)
    void growAddKeepsFourStripes() throws Exception {
        // LUKS1 resizes without a key: grow asks for none
        String out = ok("grow --add 4 --size 1 --yes");
        System.out.println("[seed-adopt-vm] grow:\n" + out);
        assertThat(out).contains("lvextend -i 4 -I 4k").contains("done");
        List<String> stripes = sh("lvs --segments --noheadings -o stripes myvg/mylv").lines().map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
        assertThat(stripes).containsExactly("4", "4");
        assertThat(sh("vgs --noheadings -o pv_count myvg").strip()).isEqualTo("8");
        assertThat(sh("sha256sum " + MNT + "/data | cut -d' ' -f1")).isEqualTo(sum);
    }

    @Test
    @Order(5)
    void restoreBesideTheOriginal() throws Exception {
        String out = ok("restore " + setId + " --key seed-key-1 --mountpoint /mnt/restored --yes");
        System.out.println("[seed-adopt-vm] restore:\n" + out);
        assertThat(out).contains("restored set " + setId + " at /mnt/restored");
        assertThat(sh("sha256sum /mnt/restored/data | cut -d' ' -f1")).isEqualTo(sum);
        assertThat(sh("findmnt -n -o SOURCE " + MNT)).isEqualTo("/dev/mapper/myencryptedlv"); // the original stays
        assertThat(sh("sha256sum " + MNT + "/data | cut -d' ' -f1")).isEqualTo(sum);
        String copyUuid = sh("dev=$(cryptsetup status \"$(basename \"$(findmnt -n -o SOURCE /mnt/restored)\")\" "
                + "| awk '$1 == \"device:\" {print $2}'); cryptsetup luksUUID \"$dev\"");
        assertThat(copyUuid).isNotEqualTo(luksUuid);
        System.out.println("[seed-adopt-vm] copy UUID " + copyUuid + "; keys list:\n" + ok("keys list -o json"));
        assertThat(shell.bean(KeyStore.class).keysFor(copyUuid)).as("the copy's new UUID opens with the same keys")
                .extracting(KeyInfo::name).contains("seed-key-1");
    }
}

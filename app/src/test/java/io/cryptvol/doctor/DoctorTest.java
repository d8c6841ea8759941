package io.cryptvol.doctor;

import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.CrypttabFile;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabFile;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.keys.LedgerEntry;
import io.cryptvol.snapshot.SnapshotSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The check logic on observed states made by hand: a healthy host gives only ok lines; each row breaks one thing and
 * the right check (and only it) says so, with its fix.
 */
class DoctorTest {
    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    static final String UUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    static final String I = "i-0123456789abcdef0";
    static final String V1 = "vol-0aaaaaaaaaaaaaaa1";
    static final String V2 = "vol-0aaaaaaaaaaaaaaa2";

    // ---- a healthy host: VG dvg on two EBS volumes, LV dlv, LUKS with 2 slots, mapping dmap at /mnt/d -------------

    static BlockDevice disk(String path, String volumeId, List<BlockDevice> children) {
        return new BlockDevice(path.substring(5), path, 1L << 30, "vol" + volumeId.substring(4), "Amazon Elastic Block Store",
                DeviceType.DISK, "LVM2_member", null, null, List.of(), null, children);
    }

    static HostState host(List<Integer> slots, String fstabOptions, String crypttabOptions, boolean secondPv) {
        BlockDevice map = new BlockDevice("dmap", "/dev/mapper/dmap", 1L << 31, null, null, DeviceType.CRYPT, "xfs", null,
                null, List.of("/mnt/d"), null, List.of());
        BlockDevice lv = new BlockDevice("dvg-dlv", "/dev/mapper/dvg-dlv", 1L << 31, null, null, DeviceType.LVM,
                "crypto_LUKS", UUID, null, List.of(), null, List.of(map));
        List<BlockDevice> disks = new ArrayList<>(List.of(disk("/dev/nvme1n1", V1, List.of(lv))));
        List<PhysicalVolume> pvs = new ArrayList<>(List.of(new PhysicalVolume("/dev/nvme1n1", "pv1", "dvg", 1L << 30, 0)));
        if (secondPv) {
            disks.add(disk("/dev/nvme2n1", V2, List.of(lv)));
            pvs.add(new PhysicalVolume("/dev/nvme2n1", "pv2", "dvg", 1L << 30, 0));
        }
        return HostState.empty().withDevices(disks)
                .withLvm(pvs, List.of(new VolumeGroup("dvg", "vgu", 2L << 30, 0, 4 << 20, 2, 1, List.of())),
                        List.of(new LogicalVolume("dlv", "dvg", "lvu", 2L << 30, "/dev/dvg/dlv", "/dev/mapper/dvg-dlv", true, List.of())))
                .withLuks(new LuksHeader("/dev/mapper/dvg-dlv", 2, UUID, "aes-xts-plain64", 512, "sha256", "argon2id", slots, 16 << 20))
                .withFstab(FstabFile.parse("UUID=abc / ext4 defaults 0 1\n/dev/mapper/dmap /mnt/d xfs " + fstabOptions + " 0 0\n"))
                .withCrypttab(crypttabOptions == null ? CrypttabFile.empty()
                        : CrypttabFile.parse("dmap /dev/dvg/dlv none " + crypttabOptions + "\n"));
    }

    static EbsVolume volume(String id, String zone, String set, String count, boolean attached) {
        Map<String, String> tags = new java.util.LinkedHashMap<>();
        if (set != null) {
            tags.put("cryptvol:set", set);
            tags.put("cryptvol:vg", "dvg");
        }
        if (count != null) {
            tags.put("cryptvol:count", count);
        }
        return new EbsVolume(id, 1, "gp3", null, null, false, null, zone, attached ? "in-use" : "available", null, NOW,
                tags, attached ? Optional.of(new EbsVolume.Attachment(I, "/dev/sdf", "attached")) : Optional.empty());
    }

    static SnapshotSet set(String id, Instant taken, int members, int count, String state) {
        List<EbsSnapshot> s = new ArrayList<>();
        for (int i = 1; i <= members; i++) {
            s.add(new EbsSnapshot("snap-" + id + i, "us-east-1", i == 1 ? V1 : V2, 1, state, 100, "", false, taken,
                    Map.of("cryptvol:snapshot-set", id, "cryptvol:index", String.valueOf(i), "cryptvol:count", String.valueOf(count),
                            "cryptvol:vg", "dvg", "cryptvol:taken-at", taken.toString())));
        }
        return SnapshotSet.group(s).get(0);
    }

    static Facts.Ec2 ec2(List<EbsVolume> vols, List<SnapshotSet> sets) {
        return new Facts.Ec2(null, I, vols.stream().filter(v -> v.attachedTo(I)).toList(), Map.of("dvg", vols), sets, null);
    }

    static final List<EbsVolume> MEMBERS = List.of(volume(V1, "us-east-1a", "set1", "2", true),
            volume(V2, "us-east-1a", "set1", "2", true));

    static Facts.KeyFacts key(String name, Facts.BackupFacts... backups) {
        return new Facts.KeyFacts(name, List.of(backups), List.of(UUID));
    }

    static Facts.BackupFacts off(String where) {
        return new Facts.BackupFacts(where, where.startsWith("s3://") ? Facts.Place.S3 : Facts.Place.OTHER_DISK, true);
    }

    static Facts.BackupFacts same(String where) {
        return new Facts.BackupFacts(where, Facts.Place.SAME_DISK, true);
    }

    static Facts healthy() {
        return new Facts("root@10.0.0.5:22", host(List.of(0, 1), "rw,noatime,nouuid,noauto", null, true),
                new Facts.Nvme("4294967295", "6.1.0-28-cloud-amd64", "4294967295"),
                List.of(key("k1", off("s3://b/k1.key"), same("/root/k1.key")), key("k2", off("/media/usb/k2.key"), off("/mnt/nfs/k2.key"))),
                List.of(new Facts.HeaderFacts("/dev/mapper/dvg-dlv", UUID, UUID + "_20261201T100000Z.luksheader", List.of(), null)),
                List.of(), List.of(), ec2(MEMBERS, List.of(set("s1", NOW.minus(Duration.ofHours(3)), 2, 2, "completed"))),
                NOW, Duration.ofHours(24));
    }

    static Facts withHost(Facts f, HostState h) {
        return new Facts(f.target(), h, f.nvme(), f.keys(), f.headers(), f.outstanding(), f.files(), f.ec2(), f.now(), f.maxAge());
    }

    static Facts withNvme(Facts f, Facts.Nvme n) {
        return new Facts(f.target(), f.host(), n, f.keys(), f.headers(), f.outstanding(), f.files(), f.ec2(), f.now(), f.maxAge());
    }

    static Facts withKeys(Facts f, Facts.KeyFacts... k) {
        return new Facts(f.target(), f.host(), f.nvme(), List.of(k), f.headers(), f.outstanding(), f.files(), f.ec2(), f.now(), f.maxAge());
    }

    static Facts withHeader(Facts f, Facts.HeaderFacts h) {
        return new Facts(f.target(), f.host(), f.nvme(), f.keys(), List.of(h), f.outstanding(), f.files(), f.ec2(), f.now(), f.maxAge());
    }

    static Facts withEc2(Facts f, Facts.Ec2 e) {
        return new Facts(f.target(), f.host(), f.nvme(), f.keys(), f.headers(), f.outstanding(), f.files(), e, f.now(), f.maxAge());
    }

    static Facts withLedger(Facts f, LedgerEntry e) {
        return new Facts(f.target(), f.host(), f.nvme(), f.keys(), f.headers(), List.of(e), f.files(), f.ec2(), f.now(), f.maxAge());
    }

    static Facts withFiles(Facts f, Facts.FileProblem p) {
        return new Facts(f.target(), f.host(), f.nvme(), f.keys(), f.headers(), f.outstanding(), List.of(p), f.ec2(), f.now(), f.maxAge());
    }

    @Test
    void aHealthyHostIsAllOkAndEveryCheckSpeaks() {
        Report r = new Report("t", Doctor.checks(healthy()));
        assertThat(r.checks()).allSatisfy(c -> assertThat(c.status()).as(c.toString()).isEqualTo(Check.Status.OK));
        assertThat(r.checks()).extracting(Check::id).containsAll(Doctor.IDS);
        assertThat(r.failed()).isFalse();
        assertThat(r.summary()).isEqualTo(r.checks().size() + " ok, 0 warnings, 0 failed, 0 skipped");
    }

    static Stream<Arguments> broken() {
        Facts h = healthy();
        return Stream.of(
                arguments("one key slot", (UnaryOperator<Facts>) f -> withHost(f, host(List.of(0), "noauto", null, true)),
                        Doctor.KEY_SLOTS, Check.Status.FAIL, "luks add-key /dev/dvg/dlv --key k1 --new-key NEW-KEY"),
                arguments("one verified backup", (UnaryOperator<Facts>) f -> withKeys(f, key("k1", off("s3://b/k1.key"),
                        new Facts.BackupFacts("/media/usb/k1.key", Facts.Place.MISSING, false))),
                        Doctor.KEY_BACKUPS, Check.Status.FAIL, "keys backup k1 --to"),
                arguments("two backups on the key store's disk", (UnaryOperator<Facts>) f -> withKeys(f, key("k1",
                        same("/root/a/k1.key"), same("/root/b/k1.key"))), Doctor.KEY_BACKUPS, Check.Status.FAIL, "s3://"),
                arguments("two backups, one in memory", (UnaryOperator<Facts>) f -> withKeys(f, key("k1",
                        same("/root/a/k1.key"), new Facts.BackupFacts("/dev/shm/k1.key", Facts.Place.MEMORY, true))),
                        Doctor.KEY_BACKUPS, Check.Status.FAIL, "keys backup k1"),
                arguments("no header backup", (UnaryOperator<Facts>) f -> withHeader(f, new Facts.HeaderFacts(
                        "/dev/mapper/dvg-dlv", UUID, null, List.of(), null)), Doctor.HEADER_BACKUP, Check.Status.FAIL,
                        "luks header backup /dev/dvg/dlv"),
                arguments("a stale header backup", (UnaryOperator<Facts>) f -> withHeader(f, new Facts.HeaderFacts(
                        "/dev/mapper/dvg-dlv", UUID, "x.luksheader", List.of("key slot 2: on the device, not in the backup"),
                        null)), Doctor.HEADER_BACKUP, Check.Status.FAIL, "luks header backup /dev/dvg/dlv"),
                arguments("fstab without noauto", (UnaryOperator<Facts>) f -> withHost(f, host(List.of(0, 1),
                        "rw,noatime,nouuid", null, true)), Doctor.BOOT, Check.Status.FAIL,
                        "/dev/mapper/dmap /mnt/d xfs rw,noatime,nouuid,noauto 0 0"),
                arguments("crypttab without noauto", (UnaryOperator<Facts>) f -> withHost(f, host(List.of(0, 1),
                        "noauto", "luks", true)), Doctor.BOOT, Check.Status.FAIL, "dmap /dev/dvg/dlv none luks,noauto"),
                arguments("io_timeout at the default", (UnaryOperator<Facts>) f -> withNvme(f, new Facts.Nvme("30",
                        "6.1.0", null)), Doctor.IO_TIMEOUT, Check.Status.FAIL, "nvme_core.io_timeout=4294967295"),
                arguments("io_timeout set now, not for the next boot", (UnaryOperator<Facts>) f -> withNvme(f,
                        new Facts.Nvme("4294967295", "6.1.0", null)), Doctor.IO_TIMEOUT, Check.Status.WARN, "modprobe.d"),
                arguments("an old kernel's maximum", (UnaryOperator<Facts>) f -> withNvme(f, new Facts.Nvme("30",
                        "4.14.1", "30")), Doctor.IO_TIMEOUT, Check.Status.FAIL, "echo 255 >"),
                arguments("a member detached", (UnaryOperator<Facts>) f -> withEc2(withHost(f, host(List.of(0, 1), "noauto",
                        null, false)), ec2(List.of(MEMBERS.get(0), volume(V2, "us-east-1a", "set1", "2", false)),
                        f.ec2().sets())), Doctor.VG_MEMBERS, Check.Status.FAIL, "volumes attach " + V2),
                arguments("a member without the set's tags", (UnaryOperator<Facts>) f -> withEc2(f, ec2(List.of(
                        MEMBERS.get(0), volume(V2, "us-east-1a", null, null, true)), f.ec2().sets())),
                        Doctor.VG_MEMBERS, Check.Status.FAIL, "adopt --vg dvg"),
                arguments("members in two zones", (UnaryOperator<Facts>) f -> withEc2(f, ec2(List.of(MEMBERS.get(0),
                        volume(V2, "us-east-1b", "set1", "2", true)), f.ec2().sets())), Doctor.VG_MEMBERS,
                        Check.Status.FAIL, "restore"),
                arguments("no recent set", (UnaryOperator<Facts>) f -> withEc2(f, ec2(MEMBERS, List.of(set("s0",
                        NOW.minus(Duration.ofDays(3)), 2, 2, "completed")))), Doctor.RECENT_SET, Check.Status.FAIL,
                        "snapshot --mountpoint /mnt/d --yes"),
                arguments("an incomplete set", (UnaryOperator<Facts>) f -> withEc2(f, ec2(MEMBERS, List.of(h.ec2().sets().get(0),
                        set("s2", NOW.minus(Duration.ofHours(1)), 1, 2, "completed")))), Doctor.SETS_COMPLETE,
                        Check.Status.WARN, "snapshots delete s2"),
                arguments("a transient key copy left", (UnaryOperator<Facts>) f -> withLedger(f, new LedgerEntry("ab12cd34",
                        LedgerEntry.Kind.TARGET_FILE, "root@10.0.0.5:22", "/run/cryptvol/k1.key", "k1", NOW, false, null)),
                        Doctor.LEDGER, Check.Status.FAIL, "keys shred"),
                arguments("a loose key file", (UnaryOperator<Facts>) f -> withFiles(f, new Facts.FileProblem(
                        "/root/.config/cryptvol/keys/k1.key", "the key file has mode 0644, should be 0600",
                        "keys verify --fix")), Doctor.PERMISSIONS, Check.Status.FAIL, "keys verify --fix"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("broken")
    void eachBrokenThingIsTheRightCheckWithItsFix(String name, UnaryOperator<Facts> breakIt, String id, Check.Status status,
                                                  String fix) {
        List<Check> checks = Doctor.checks(breakIt.apply(healthy()));
        assertThat(checks.stream().filter(c -> c.status() != Check.Status.OK).toList()).as(checks.toString())
                .singleElement().satisfies(c -> {
                    assertThat(c.id()).isEqualTo(id);
                    assertThat(c.status()).isEqualTo(status);
                    assertThat(c.fix()).contains(fix);
                });
        assertThat(new Report("t", checks).failed()).isEqualTo(status == Check.Status.FAIL);
    }

    @Test
    void withoutEc2TheEbsChecksAreSkippedWithTheReason() {
        List<Check> checks = Doctor.checks(withEc2(healthy(), Facts.Ec2.skipped("no instance selected: run 'use instance i-…'")));
        assertThat(checks.stream().filter(c -> c.status() == Check.Status.SKIPPED).map(Check::id).toList())
                .containsExactly(Doctor.VG_MEMBERS, Doctor.RECENT_SET, Doctor.SETS_COMPLETE);
        assertThat(checks).filteredOn(c -> c.status() == Check.Status.SKIPPED)
                .allSatisfy(c -> assertThat(c.message()).contains("no instance selected"));
        assertThat(new Report("t", checks).failed()).isFalse();
    }

    @Test
    void aSetMadeWithoutAVgNameIsOneSet() {
        EbsVolume a = volume(V1, "us-east-1a", "set1", "2", true);
        EbsVolume b = volume(V2, "us-east-1a", "set1", "2", true);
        Map<String, String> noVg = new java.util.HashMap<>(a.tags());
        noVg.remove("cryptvol:vg");
        List<EbsVolume> vols = List.of(a, new EbsVolume(b.id(), 1, "gp3", null, null, false, null, "us-east-1a", "in-use", null,
                NOW, noVg, b.attachment()));
        assertThat(Doctor.vgMembers(withEc2(healthy(), ec2(vols, healthy().ec2().sets())), "dvg").status())
                .isEqualTo(Check.Status.OK);
        Map<String, String> otherVg = new java.util.HashMap<>(noVg);
        otherVg.put("cryptvol:vg", "othervg");
        List<EbsVolume> mixed = List.of(a, new EbsVolume(b.id(), 1, "gp3", null, null, false, null, "us-east-1a", "in-use",
                null, NOW, otherVg, b.attachment()));
        assertThat(Doctor.vgMembers(withEc2(healthy(), ec2(mixed, healthy().ec2().sets())), "dvg").status())
                .isEqualTo(Check.Status.FAIL);
    }

    @Test
    void aLockedVolumeIsSkippedNotGuessed() {
        HostState h = HostState.empty().withLvm(List.of(), List.of(),
                List.of(new LogicalVolume("dlv", "dvg", "lvu", 1, "/dev/dvg/dlv", "/dev/mapper/dvg-dlv", false, List.of())))
                .withCrypttab(CrypttabFile.parse("dmap /dev/dvg/dlv none luks,noauto\n"));
        List<Check> checks = Doctor.checks(withEc2(withHost(healthy(), h), Facts.Ec2.skipped("no EC2")));
        assertThat(checks).filteredOn(c -> c.id().equals(Doctor.KEY_SLOTS)).singleElement()
                .satisfies(c -> assertThat(c.status()).isEqualTo(Check.Status.SKIPPED));
    }

    @Test
    void anInactiveLvOfAnotherVgIsNoneOfDoctorsBusiness() {
        HostState h = healthy().host();
        h = h.withLvm(h.pvs(), h.vgs(), List.of(h.lvs().get(0),
                new LogicalVolume("scratch", "othervg", "u2", 1, "/dev/othervg/scratch", "/dev/mapper/othervg-scratch", false, List.of())));
        List<Check> checks = Doctor.checks(withHost(healthy(), h));
        assertThat(checks).allSatisfy(c -> assertThat(c.status()).as(c.toString()).isEqualTo(Check.Status.OK));
        assertThat(checks).noneSatisfy(c -> assertThat(c.subject()).contains("othervg"));
    }

    static Stream<Arguments> ioTimeouts() {
        return Stream.of(
                arguments("4294967295", "6.1.0-28-cloud-amd64", "4294967295", Check.Status.OK),
                arguments("4294967295", "6.1.0", null, Check.Status.WARN),
                arguments("4294967295", "6.1.0", "30", Check.Status.WARN),
                arguments("30", "6.1.0", "4294967295", Check.Status.FAIL),
                arguments("255", "6.1.0", "255", Check.Status.FAIL),
                arguments("255", "4.14.0", "255", Check.Status.OK),
                arguments("junk", "6.1.0", null, Check.Status.FAIL),
                arguments(null, "6.1.0", null, Check.Status.SKIPPED));
    }

    @ParameterizedTest(name = "io_timeout {0} on {1}, next boot {2}: {3}")
    @MethodSource("ioTimeouts")
    void ioTimeoutAgainstAwsRecommendation(String value, String kernel, String persisted, Check.Status want) {
        assertThat(Doctor.ioTimeout(withNvme(healthy(), new Facts.Nvme(value, kernel, persisted))))
                .singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(want));
    }

    @Test
    void theNextBootsValueComesFromTheCommandLineElseModprobeD() {
        assertThat(DoctorService.persisted("console=ttyS0 nvme_core.io_timeout=4294967295 quiet", "")).isEqualTo("4294967295");
        assertThat(DoctorService.persisted("console=ttyS0", "options nvme_core io_timeout=4294967295\n")).isEqualTo("4294967295");
        assertThat(DoctorService.persisted("nvme_core.io_timeout=255", "options nvme_core io_timeout=4294967295")).isEqualTo("255");
        assertThat(DoctorService.persisted("console=ttyS0", "")).isNull();
    }

    static Stream<Arguments> ages() {
        return Stream.of(arguments("24h", Duration.ofHours(24)), arguments("2d", Duration.ofDays(2)),
                arguments("90m", Duration.ofMinutes(90)), arguments("36", Duration.ofHours(36)),
                arguments("1w", Duration.ofDays(7)), arguments(null, Duration.ofHours(24)));
    }

    @ParameterizedTest(name = "--max-age {0}")
    @MethodSource("ages")
    void maxAges(String typed, Duration want) {
        assertThat(DoctorService.maxAge(typed)).isEqualTo(want);
    }

    @ParameterizedTest(name = "--max-age ''{0}'' is refused")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"0", "-1h", "1y", "24 hours", "$(reboot)", "1h\u001b"})
    void badMaxAges(String typed) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DoctorService.maxAge(typed))
                .isInstanceOf(io.cryptvol.CryptvolException.class).hasMessageContaining("is not an age")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b"));
    }

    @Test
    void theJsonHasStableFieldNames() {
        Report r = new Report("root@h:22", List.of(Check.ok(Doctor.KEY_SLOTS, "/dev/dvg/dlv", "2 key slots"),
                Check.fail(Doctor.IO_TIMEOUT, "host", "30 s", "echo …")));
        Map<String, Object> j = r.json();
        assertThat(j.keySet()).containsExactly("target", "ok", "counts", "checks");
        assertThat(j.get("ok")).isEqualTo(false);
        assertThat(j.get("counts")).isEqualTo(Map.of("ok", 1L, "warn", 0L, "fail", 1L, "skipped", 0L));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> checks = (List<Map<String, Object>>) j.get("checks");
        assertThat(checks.get(1)).containsExactly(Map.entry("id", "nvme.io-timeout"), Map.entry("subject", "host"),
                Map.entry("status", "fail"), Map.entry("message", "30 s"), Map.entry("fix", "echo …"));
    }
}

package io.cryptvol.day2;

import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.CrypttabFile;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabFile;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.LvSegment;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.PvSegment;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.parse.RawLuksHeaderParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The finder over host facts: what is locked, how it was found, and what the guide can do with it. */
class LockedFinderTest {
    static final long GIB = 1L << 30;
    static final String FSTAB = "LABEL=root / ext4 defaults 0 1\n/dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto 0 0\n";
    static final VolumeLocator.Selection NONE = new VolumeLocator.Selection(null, null, null, null);
    static final LuksHeader LUKS1 = new LuksHeader("/dev/myvg/mylv", 1, "11111111-aaaa-bbbb-cccc-000000000001",
            "aes-cbc-essiv:sha256", 256, "ripemd160", "pbkdf2", List.of(0, 1), 2 << 20);
    static final LuksHeader LUKS2 = new LuksHeader("/dev/myvg/mylv", 2, "22222222-aaaa-bbbb-cccc-000000000002",
            "aes-xts-plain64", 512, "sha256", "argon2id", List.of(0, 1), 16 << 20);

    static BlockDevice disk(int i, List<BlockDevice> children) {
        return new BlockDevice("nvme" + i + "n1", "/dev/nvme" + i + "n1", GIB, "vol0abc000000000000" + i,
                "Amazon Elastic Block Store", DeviceType.DISK, "LVM2_member", null, null, List.of(), null, children);
    }

    static List<BlockDevice> disks(int n, List<BlockDevice> children) {
        List<BlockDevice> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(disk(i, children));
        }
        return out;
    }

    static LogicalVolume lv(String vg, String name, boolean active) {
        return new LogicalVolume(name, vg, "u-" + name, 4 * GIB, "/dev/" + vg + "/" + name, "/dev/mapper/" + vg + "-" + name,
                active, List.of(new LvSegment("striped", 4, 4096, 4 * GIB, List.of())));
    }

    static HostState lvm(HostState h, String vg, int pvs, List<LogicalVolume> lvs) {
        List<PhysicalVolume> p = new ArrayList<>();
        for (int i = 1; i <= pvs; i++) {
            p.add(new PhysicalVolume("/dev/nvme" + i + "n1", "pv" + i, vg, GIB, 0));
        }
        return h.withLvm(p, List.of(new VolumeGroup(vg, "vgu", 4 * GIB, 0, 4 << 20, pvs, lvs.size(), List.of())), lvs);
    }

    /** pvs --segments rows of a 4-stripe LV (stripe i on /dev/nvme{i}n1), PV {@code missing} (1-based, 0 = none) gone. */
    static List<PvSegment> segments(String vg, String lv, boolean exported, int missing) {
        List<PvSegment.Area> areas = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            areas.add(new PvSegment.Area(i == missing ? "[unknown]" : "/dev/nvme" + i + "n1", 0));
        }
        List<PvSegment> out = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            out.add(new PvSegment(i == missing ? "[unknown]" : "/dev/nvme" + i + "n1", "pv" + i, i == missing, 1 << 20, vg,
                    exported, 4 << 20, lv, 0, 4, 4096, areas));
        }
        return out;
    }

    static HostState base(String fstab, String crypttab) {
        return HostState.empty().withMounts(List.of(new Mount("/dev/nvme0n1p1", "/", "ext4", List.of("rw"))))
                .withFstab(FstabFile.parse(fstab)).withCrypttab(CrypttabFile.parse(crypttab));
    }

    /** An active LUKS LV with its header read (HostObserver probes active LVs), mapping closed. */
    static HostState activeLuks(HostState h) {
        BlockDevice lvDev = new BlockDevice("myvg-mylv", "/dev/mapper/myvg-mylv", 4 * GIB, null, null, DeviceType.LVM,
                "crypto_LUKS", null, null, List.of(), null, List.of());
        return lvm(h.withDevices(disks(4, List.of(lvDev))), "myvg", 4, List.of(lv("myvg", "mylv", true))).withLuks(LUKS2);
    }

    record Expect(String name, String mountpoint, List<String> foundBy, boolean active, boolean exported, Integer luks,
                  int missing, boolean unlockable) {
    }

    static Expect e(String name, String mp, List<String> by, boolean active, boolean exported, Integer luks, int missing,
                    boolean unlockable) {
        return new Expect(name, mp, by, active, exported, luks, missing, unlockable);
    }

    static Stream<Arguments> hosts() {
        HostState inactive = lvm(base(FSTAB, "").withDevices(disks(4, List.of())), "myvg", 4, List.of(lv("myvg", "mylv", false)));
        HostState exported = base(FSTAB, "").withDevices(disks(4, List.of())); // fullreport left the exported VG out
        HostState missing = lvm(base(FSTAB, "").withDevices(disks(3, List.of())), "myvg", 3, List.of(lv("myvg", "mylv", false)));
        HostState two = lvm(base(FSTAB + "/dev/mapper/other /mnt/other xfs noauto 0 0\n",
                        "secure /dev/myvg/mylv none luks,noauto\nother /dev/ovg/olv none luks,noauto\n")
                        .withDevices(disks(4, List.of())), "myvg", 4, List.of(lv("myvg", "mylv", false), lv("ovg", "olv", false)));
        List<PvSegment> twoSegs = new ArrayList<>(segments("myvg", "mylv", false, 0));
        twoSegs.addAll(segments("ovg", "olv", false, 0).stream().map(s -> new PvSegment(s.pvName().replace("n1", "n9"),
                s.pvUuid() + "o", false, s.peStartBytes(), "ovg", false, s.extentBytes(), "olv", 0, 4, 4096, List.of())).toList());
        return Stream.of(
                arguments("fstab line only (the VG's volumes are not attached)", base(FSTAB, ""), List.of(), Map.of(), NONE,
                        List.of(e("?/? → secure", "/mnt/data", List.of("fstab"), false, false, null, 0, false))),
                arguments("crypttab line only, LV active", activeLuks(base("LABEL=root / ext4 defaults 0 1\n",
                                "secure /dev/myvg/mylv none luks,noauto\n")), List.of(), Map.of(), NONE,
                        List.of(e("myvg/mylv → secure", null, List.of("crypttab"), true, false, 2, 0, false))),
                arguments("fstab noauto, no crypttab, VG inactive after a reboot (LUKS1 read from the PVs)", inactive,
                        segments("myvg", "mylv", false, 0), Map.of("myvg/mylv", new RawLuksHeaderParser.Result(true, LUKS1)), NONE,
                        List.of(e("myvg/mylv → secure", "/mnt/data", List.of("fstab", "lvm"), false, false, 1, 0, true))),
                arguments("fstab noauto, VG exported by detach (LUKS2 read from the PVs)", exported,
                        segments("myvg", "mylv", true, 0), Map.of("myvg/mylv", new RawLuksHeaderParser.Result(true, LUKS2)), NONE,
                        List.of(e("myvg/mylv → secure", "/mnt/data", List.of("fstab", "lvm"), false, true, 2, 0, true))),
                arguments("a member missing: header unreadable, still paired, the member named", missing,
                        segments("myvg", "mylv", false, 4), Map.of(), NONE,
                        List.of(e("myvg/mylv → secure", "/mnt/data", List.of("fstab", "lvm"), false, false, null, 1, true))),
                arguments("two locked volumes, each by its crypttab line", two, twoSegs,
                        Map.of("myvg/mylv", new RawLuksHeaderParser.Result(true, LUKS2),
                                "ovg/olv", new RawLuksHeaderParser.Result(true, LUKS1)), NONE,
                        List.of(e("myvg/mylv → secure", "/mnt/data", List.of("crypttab", "fstab"), false, false, 2, 0, true),
                                e("ovg/olv → other", "/mnt/other", List.of("crypttab", "fstab"), false, false, 1, 0, true))),
                arguments("an inactive LV that is not LUKS is no candidate", inactive, segments("myvg", "mylv", false, 0),
                        Map.of("myvg/mylv", RawLuksHeaderParser.Result.notLuks()), NONE,
                        List.of(e("?/? → secure", "/mnt/data", List.of("fstab"), false, false, null, 0, false))),
                arguments("the session's selection names the LV of an unknown header", inactive, List.of(), Map.of(),
                        new VolumeLocator.Selection("myvg", "mylv", "secure", "/mnt/data"),
                        List.of(e("myvg/mylv → secure", "/mnt/data", List.of("fstab", "selection"), false, false, null, 0, true))),
                arguments("an open, mounted volume is not locked", openMounted(), List.of(), Map.of(), NONE, List.of()),
                arguments("a LUKS LV without any line: listed, but the guide needs a mountpoint", activeLuks(base(
                        "LABEL=root / ext4 defaults 0 1\n", "")), List.of(), Map.of(), NONE,
                        List.of(e("myvg/mylv", null, List.of("lvm"), true, false, 2, 0, false))));
    }

    static HostState openMounted() {
        BlockDevice crypt = new BlockDevice("secure", "/dev/mapper/secure", 4 * GIB, null, null, DeviceType.CRYPT, "xfs", null,
                null, List.of("/mnt/data"), "myvg-mylv", List.of());
        BlockDevice lvDev = new BlockDevice("myvg-mylv", "/dev/mapper/myvg-mylv", 4 * GIB, null, null, DeviceType.LVM,
                "crypto_LUKS", null, null, List.of(), null, List.of(crypt));
        HostState h = base(FSTAB, "").withDevices(disks(4, List.of(lvDev)));
        return lvm(h, "myvg", 4, List.of(lv("myvg", "mylv", true))).withLuks(LUKS2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hosts")
    void finds(String name, HostState h, List<PvSegment> segs, Map<String, RawLuksHeaderParser.Result> raw,
               VolumeLocator.Selection sel, List<Expect> expected) {
        List<LockedVolume> found = LockedFinder.find(h, segs, raw, sel);
        List<Expect> got = found.stream().map(v -> new Expect(v.name(), v.mountpoint(), v.foundBy().stream().sorted().toList(),
                v.vgActive(), v.vgExported(), v.header() == null ? null : v.header().version(), v.missing().size(),
                v.notUnlockable() == null)).toList();
        assertThat(got).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void membersCarryTheEbsVolumeIdFromTheNvmeSerialAndNameTheMissingPv() {
        HostState h = lvm(base(FSTAB, "").withDevices(disks(3, List.of())), "myvg", 3, List.of(lv("myvg", "mylv", false)));
        LockedVolume v = LockedFinder.find(h, segments("myvg", "mylv", false, 4), Map.of(), NONE).get(0);
        assertThat(v.members()).extracting(LockedVolume.Member::volumeId)
                .containsExactly("vol-0abc0000000000001", "vol-0abc0000000000002", "vol-0abc0000000000003", null);
        assertThat(v.missing()).singleElement().satisfies(m -> {
            assertThat(m.pvUuid()).isEqualTo("pv4");
            assertThat(m.device()).isNull();
        });
    }
}

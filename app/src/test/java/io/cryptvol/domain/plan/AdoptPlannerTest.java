package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LvSegment;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.plan.AdoptPlanner.Selector;
import io.cryptvol.domain.plan.Refusal.Reason;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Adoption, pure: (observed host, what the user pointed at) → the volume found, or the refusal. */
class AdoptPlannerTest {
    static final Selector BY_MNT = new Selector("/mnt/data", null, null, null);
    static final Selector BY_VG = new Selector(null, "myvg", null, null);

    /** The seed's volume after a reboot: VG active, LUKS closed, the fstab line (noauto) and no crypttab. */
    static HostState closed() {
        HostState h = after(ADD_KEY);
        return h.withFstab(h.fstab().add(FstabEntry.of("/dev/mapper/secure", "/mnt/data", "xfs", "rw,noatime,nouuid,noauto")));
    }

    static HostState twoLuks() {
        HostState h = closed();
        List<LogicalVolume> lvs = new ArrayList<>(h.lvs());
        lvs.add(new LogicalVolume("b", "bvg", "u3", GIB, "/dev/bvg/b", "/dev/mapper/bvg-b", true, List.of()));
        h = h.withLvm(h.pvs(), h.vgs(), lvs);
        return h.withLuks(new io.cryptvol.domain.model.LuksHeader("/dev/bvg/b", 1, "u-b", "aes-cbc-essiv:sha256", 256,
                "ripemd160", "pbkdf2", List.of(0), 2 << 20));
    }

    static HostState withLv(HostState h, UnaryOperator<LogicalVolume> f) {
        return h.withLvm(h.pvs(), h.vgs(), h.lvs().stream().map(f).toList());
    }

    static HostState withCryptFs(HostState h, String fstype) {
        return h.withDevices(h.devices().stream().map(d -> swap(d, fstype)).toList());
    }

    static BlockDevice swap(BlockDevice d, String fstype) {
        BlockDevice x = d.type() == DeviceType.CRYPT ? d.withFstype(fstype) : d;
        return x.withChildren(x.children().stream().map(c -> swap(c, fstype)).toList());
    }

    static Stream<Arguments> rows() {
        HostState mounted = after(MOUNTED);
        HostState twoLvs = withLv(closed(), l -> l);
        List<LogicalVolume> lvs = new ArrayList<>(twoLvs.lvs());
        lvs.add(new LogicalVolume("other", "myvg", "u2", GIB, "/dev/myvg/other", "/dev/mapper/myvg-other", true,
                List.of(new LvSegment("linear", 1, 0, GIB, List.of()))));
        twoLvs = twoLvs.withLvm(twoLvs.pvs(), twoLvs.vgs(), lvs);
        HostState md = closed();
        List<PhysicalVolume> pvs = new ArrayList<>(md.pvs());
        pvs.set(0, new PhysicalVolume("/dev/md0", "pvmd", "myvg", GIB, 0));
        md = md.withLvm(pvs, md.vgs(), md.lvs());
        HostState hostileMnt = after(ADD_KEY);
        hostileMnt = hostileMnt.withFstab(hostileMnt.fstab().add(FstabEntry.of("/dev/mapper/secure", "/mnt/$(reboot)",
                "xfs", "noauto")));
        HostState hostileOpts = after(ADD_KEY);
        hostileOpts = hostileOpts.withFstab(hostileOpts.fstab().add(FstabEntry.of("/dev/mapper/secure", "/mnt/data",
                "xfs", "noauto,x-`id`")));
        return Stream.of(
                arguments("mounted, found by its mountpoint", mounted, BY_MNT,
                        "myvg/mylv /dev/myvg/mylv → secure @/mnt/data xfs; 4 stripes; 4 PVs; LUKS2 [0, 1]; noauto open mounted"),
                arguments("mounted, found by its VG", mounted, BY_VG,
                        "myvg/mylv /dev/myvg/mylv → secure @/mnt/data xfs; 4 stripes; 4 PVs; LUKS2 [0, 1]; noauto open mounted"),
                arguments("closed after a reboot, no crypttab: the fstab line names the mapping", closed(), BY_VG,
                        "myvg/mylv /dev/myvg/mylv → secure @/mnt/data xfs; 4 stripes; 4 PVs; LUKS2 [0, 1]; noauto closed unmounted"),
                arguments("closed, by the mountpoint alone: the host's one closed LUKS LV", closed(), BY_MNT,
                        "myvg/mylv /dev/myvg/mylv → secure @/mnt/data xfs; 4 stripes; 4 PVs; LUKS2 [0, 1]; noauto closed unmounted"),
                arguments("closed, by the mountpoint alone, two closed LUKS LVs: cannot tell", twoLuks(), BY_MNT, Reason.AMBIGUOUS),
                arguments("closed, by mountpoint and VG", closed(), new Selector("/mnt/data", "myvg", null, null),
                        "myvg/mylv /dev/myvg/mylv → secure @/mnt/data xfs; 4 stripes; 4 PVs; LUKS2 [0, 1]; noauto closed unmounted"),
                arguments("ext4 is adoptable", withCryptFs(mounted, "ext4"), BY_MNT,
                        "myvg/mylv /dev/myvg/mylv → secure @/mnt/data ext4; 4 stripes; 4 PVs; LUKS2 [0, 1]; noauto open mounted"),
                arguments("a linear LV is adoptable", withLv(mounted, l -> new LogicalVolume(l.name(), l.vgName(), l.uuid(),
                                l.sizeBytes(), l.path(), l.dmPath(), true, List.of(new LvSegment("linear", 1, 0, l.sizeBytes(), List.of())))),
                        BY_MNT, "myvg/mylv /dev/myvg/mylv → secure @/mnt/data xfs; 1 stripes; 4 PVs; LUKS2 [0, 1]; noauto open mounted"),
                arguments("btrfs is not", withCryptFs(mounted, "btrfs"), BY_MNT, Reason.NOT_ADOPTABLE),
                arguments("no LUKS header on the LV", after(LV), BY_VG, Reason.NOT_ADOPTABLE),
                arguments("an inactive LV: its header cannot be read", withLv(closed(), l -> new LogicalVolume(l.name(),
                        l.vgName(), l.uuid(), l.sizeBytes(), l.path(), l.dmPath(), false, l.segments())), BY_VG, Reason.NOT_ADOPTABLE),
                arguments("a PV on an mdadm array", md, BY_VG, Reason.NOT_ADOPTABLE),
                arguments("a VG with two LVs and none named", twoLvs, BY_VG, Reason.AMBIGUOUS),
                arguments("a VG with two LVs, one named", twoLvs, new Selector(null, "myvg", "mylv", null),
                        "myvg/mylv /dev/myvg/mylv → secure @/mnt/data xfs; 4 stripes; 4 PVs; LUKS2 [0, 1]; noauto closed unmounted"),
                arguments("no such VG", closed(), new Selector(null, "novg", null, null), Reason.MISSING_DEVICE),
                arguments("nothing said and nothing selected", closed(), new Selector(null, null, null, null), Reason.INVALID_SPEC),
                arguments("a hostile mountpoint in fstab is refused before anything is recorded", hostileMnt, BY_VG,
                        Reason.INVALID_MOUNTPOINT),
                arguments("hostile fstab options are refused", hostileOpts, BY_VG, Reason.INVALID_MOUNT_OPTIONS),
                arguments("a hostile VG name from the host", withLv(mounted, l -> new LogicalVolume(l.name(), "my\u001b]0;x\u0007vg",
                        l.uuid(), l.sizeBytes(), l.path(), l.dmPath(), true, l.segments())), BY_MNT, Reason.INVALID_NAME),
                arguments("a typed VG name with shell characters", closed(), new Selector(null, "vg;reboot", null, null),
                        Reason.INVALID_NAME),
                arguments("the mountpoint is on another VG than the one named", mounted,
                        new Selector("/mnt/data", "othervg", null, null), Reason.AMBIGUOUS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void findsTheVolumeOrRefuses(String what, HostState h, Selector sel, Object expected) {
        AdoptPlanner.Result r = AdoptPlanner.find(h, sel);
        if (expected instanceof Reason reason) {
            assertThat(r.refused()).as(what).isTrue();
            assertThat(r.refusals()).as(what).extracting(Refusal::reason).contains(reason);
            r.refusals().forEach(x -> assertThat(x.line()).doesNotContain("\u001b").doesNotContain("\u0007"));
        } else {
            assertThat(r.refusals()).as(what).isEmpty();
            AdoptPlanner.Found f = r.found();
            assertThat(f.vg() + "/" + f.lv() + " " + f.lvPath() + " → " + f.mapping() + " @" + f.mountpoint() + " "
                    + f.fstype() + "; " + f.stripes() + " stripes; " + f.pvs().size() + " PVs; LUKS" + f.luks().version()
                    + " " + f.luks().activeKeySlots() + "; " + (f.noauto() ? "noauto" : "auto") + " "
                    + (f.open() ? "open" : "closed") + " " + (f.mounted() ? "mounted" : "unmounted")).as(what).isEqualTo(expected);
            assertThat(f.crypttab()).isFalse();
        }
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Adoption of a volume built by hand (pure): from what the host shows, which LV, LUKS header, mapping, file system,
 * mountpoint and fstab line make up the volume the user pointed at, or why cryptvol cannot take it over. Everything
 * read from the host is hostile: names, the mountpoint and the fstab options go through {@link Inputs} before they
 * are returned, so nothing unchecked reaches the session context or the inventory.
 */
public final class AdoptPlanner {
    public static final List<String> FILESYSTEMS = List.of("xfs", "ext4");

    private AdoptPlanner() {
    }

    /** What the user pointed at: a mountpoint, a VG (and LV), a mapping; null parts are unknown. */
    public record Selector(String mountpoint, String vg, String lv, String mapping) {
        public boolean isEmpty() {
            return mountpoint == null && vg == null && lv == null && mapping == null;
        }
    }

    /**
     * A volume cryptvol can adopt.
     *
     * @param pvs        the VG's PVs, in LVM's order
     * @param fstab      the fstab line of the mapping or mountpoint, or null
     * @param noauto     whether that line has noauto (the boot does not wait for a key)
     * @param crypttab   whether a crypttab line names the mapping
     * @param open       whether the mapping is open now
     * @param mounted    whether it is mounted at the mountpoint now
     */
    public record Found(String vg, String lv, String lvPath, int stripes, long stripeSizeBytes, String segtype,
                        List<String> pvs, LuksHeader luks, String fstype, String mapping, String mountpoint,
                        FstabEntry fstab, boolean noauto, boolean crypttab, boolean open, boolean mounted) {
        public Found {
            pvs = List.copyOf(pvs);
        }

        /** "striped, 4 stripes of 4 KiB" or "linear". */
        public String layout() {
            return stripes > 1 ? "striped, " + stripes + " stripes of " + (stripeSizeBytes / 1024) + " KiB" : "linear";
        }
    }

    /** Either what was found or why not. */
    public record Result(Found found, List<Refusal> refusals) {
        public boolean refused() {
            return found == null;
        }
    }

    public static Result find(HostState h, Selector sel) {
        List<Refusal> r = new ArrayList<>();
        // values the user typed are checked like any other name
        if (sel.vg() != null) {
            Inputs.vgName(sel.vg()).ifPresent(r::add);
        }
        if (sel.lv() != null) {
            Inputs.lvName(sel.lv()).ifPresent(r::add);
        }
        if (sel.mapping() != null) {
            Inputs.mappingName(sel.mapping()).ifPresent(r::add);
        }
        String mnt = null;
        if (sel.mountpoint() != null) {
            Inputs.Checked m = Inputs.mountpoint(sel.mountpoint(), true);
            r.addAll(m.refusals());
            mnt = m.value();
        }
        if (!r.isEmpty()) {
            return no(r);
        }
        if (sel.isEmpty()) {
            return no(Refusal.of(Reason.INVALID_SPEC, "adopt", "say which volume: --mountpoint /mnt/…, --vg NAME, or "
                    + "select one first ('use mountpoint', 'use vg')"));
        }

        // 1. the mapping: named, open at the mountpoint, or the fstab line's /dev/mapper source
        String mapping = sel.mapping();
        Optional<FstabEntry> fstab = Optional.empty();
        if (mnt != null) {
            String m = mnt;
            Optional<BlockDevice> mounted = h.allDevices().stream().filter(d -> d.mountpoints().contains(m)).findFirst();
            if (mounted.isPresent()) {
                BlockDevice d = mounted.get();
                if (d.type() != DeviceType.CRYPT) {
                    return no(Refusal.of(Reason.NOT_ADOPTABLE, mnt, "is mounted from " + Inputs.shown(d.path())
                            + ", which is not a LUKS mapping: cryptvol adopts encrypted volumes only"));
                }
                mapping = d.name();
            }
            fstab = h.fstabFor(mnt);
            if (mapping == null && fstab.isPresent()) {
                mapping = mapperName(fstab.get().source()).orElse(null);
                if (mapping == null) {
                    return no(Refusal.of(Reason.NOT_ADOPTABLE, mnt, "its fstab line mounts " + Inputs.shown(fstab.get().source())
                            + ", not a /dev/mapper device: cryptvol adopts encrypted volumes only"));
                }
            }
            if (mapping == null && sel.vg() == null) {
                return no(Refusal.of(Reason.MISSING_DEVICE, mnt, "nothing is mounted there and no fstab line names it"));
            }
        }

        // 2. the LV: under the open mapping, else the VG's only LV (or the named one)
        LogicalVolume lv = null;
        if (mapping != null) {
            Optional<String> backing = h.mappingBackingDevice(mapping);
            if (backing.isPresent()) {
                String b = backing.get();
                lv = h.lvs().stream().filter(l -> l.hasPath(b) || h.sameDevice(b, l.dmPath())).findFirst().orElse(null);
                if (lv == null) {
                    return no(Refusal.of(Reason.NOT_ADOPTABLE, "/dev/mapper/" + mapping, "sits on " + Inputs.shown(b)
                            + ", which is not an LVM LV: cryptvol adopts LUKS on LVM"));
                }
            }
        }
        if (lv == null) {
            String vg = sel.vg();
            if (vg == null) {
                // the one closed LUKS LV of the host, if there is exactly one
                List<LogicalVolume> closed = h.lvs().stream().filter(LogicalVolume::active)
                        .filter(l -> h.luksOn(l.path() != null ? l.path() : l.dmPath()).isPresent())
                        .filter(l -> h.cryptHolderOf(l.path() != null ? l.path() : l.dmPath()).isEmpty()).toList();
                if (closed.size() != 1) {
                    return no(Refusal.of(Reason.AMBIGUOUS, mapping == null ? "adopt" : "/dev/mapper/" + mapping,
                            "is not open, no crypttab line says which LV it belongs to, and the host has "
                                    + closed.size() + " closed LUKS LVs: name the VG (--vg NAME)"));
                }
                vg = closed.get(0).vgName();
            }
            if (h.vg(vg).isEmpty()) {
                return no(Refusal.of(Reason.MISSING_DEVICE, "VG " + vg, "no such volume group on the host"));
            }
            List<LogicalVolume> in = h.lvsIn(vg).stream().filter(l -> sel.lv() == null || l.name().equals(sel.lv())).toList();
            if (in.isEmpty()) {
                return no(Refusal.of(Reason.LV_MISSING, "VG " + vg, sel.lv() == null ? "has no LV" : "has no LV " + sel.lv()));
            }
            if (in.size() > 1) {
                return no(Refusal.of(Reason.AMBIGUOUS, "VG " + vg, "has " + in.size() + " LVs ("
                        + String.join(", ", in.stream().map(l -> Inputs.shown(l.name())).toList()) + "): name one with --lv"));
            }
            lv = in.get(0);
        }
        if (sel.vg() != null && !sel.vg().equals(lv.vgName())) {
            return no(Refusal.of(Reason.AMBIGUOUS, "adopt", "the mountpoint is on VG " + Inputs.shown(lv.vgName())
                    + ", not " + sel.vg()));
        }
        // names from the host: checked before anything is recorded
        Inputs.vgName(lv.vgName()).ifPresent(r::add);
        Inputs.lvName(lv.name()).ifPresent(r::add);
        if (mapping != null) {
            Inputs.mappingName(mapping).ifPresent(r::add);
        }
        if (!r.isEmpty()) {
            return no(r);
        }
        String lvPath = lv.path() != null ? lv.path() : "/dev/" + lv.vgName() + "/" + lv.name();

        // 3. the PVs: EBS volumes, not md arrays or loop files
        List<PhysicalVolume> pvs = h.pvsIn(lv.vgName());
        for (PhysicalVolume pv : pvs) {
            Optional<BlockDevice> d = h.deviceByPath(pv.path());
            if (pv.path().startsWith("/dev/md")) {
                r.add(Refusal.of(Reason.NOT_ADOPTABLE, "PV " + Inputs.shown(pv.path()), "is an mdadm array: cryptvol "
                        + "manages LVM directly on EBS volumes, not on md RAID"));
            } else if (d.map(x -> x.type() == DeviceType.LOOP).orElse(false)) {
                r.add(Refusal.of(Reason.NOT_ADOPTABLE, "PV " + Inputs.shown(pv.path()), "is a loop device, not an EBS volume"));
            }
        }
        if (!r.isEmpty()) {
            return no(r);
        }

        // 4. LUKS on the LV
        if (!lv.active()) {
            return no(Refusal.of(Reason.NOT_ADOPTABLE, lvPath, "is not active, so its LUKS header cannot be read: "
                    + "activate it (vgchange -ay " + lv.vgName() + ") and adopt again; adopt changes nothing on the host"));
        }
        Optional<LuksHeader> luks = h.luksOn(lvPath);
        if (luks.isEmpty()) {
            String what = h.signatureOn(lvPath).map(s -> "holds " + Inputs.shown(s.describe())).orElse("has no LUKS header");
            return no(Refusal.of(Reason.NOT_ADOPTABLE, lvPath, what + ": cryptvol adopts encrypted (LUKS) volumes only"));
        }

        // 5. the mapping, the file system, the mountpoint and the fstab line
        Optional<BlockDevice> holder = h.cryptHolderOf(lvPath);
        boolean open = holder.isPresent();
        if (open) {
            if (mapping != null && !mapping.equals(holder.get().name())) {
                return no(Refusal.of(Reason.MAPPING_ELSEWHERE, lvPath, "is open as /dev/mapper/" + Inputs.shown(holder.get().name())
                        + ", not " + mapping));
            }
            mapping = holder.get().name();
            Inputs.mappingName(mapping).ifPresent(r::add);
        }
        if (mapping == null) {
            // closed, no mapping given: the one /dev/mapper line of fstab that no crypttab line and no open mapping owns
            List<FstabEntry> orphans = h.fstab().entries().stream()
                    .filter(e -> mapperName(e.source()).isPresent())
                    .filter(e -> h.mapping(mapperName(e.source()).get()).isEmpty())
                    .filter(e -> h.crypttabFor(mapperName(e.source()).get()).isEmpty()).toList();
            if (orphans.size() == 1) {
                mapping = mapperName(orphans.get(0).source()).get();
            } else {
                return no(Refusal.of(Reason.AMBIGUOUS, lvPath, "is closed and " + (orphans.isEmpty()
                        ? "no fstab line names its mapping" : orphans.size() + " fstab lines could be its mapping")
                        + ": open it, or give --mapping NAME"));
            }
            Inputs.mappingName(mapping).ifPresent(r::add);
        }
        String map = mapping;
        if (fstab.isEmpty()) {
            fstab = h.fstab().entries().stream().filter(e -> mapperName(e.source()).filter(map::equals).isPresent()).findFirst();
        }
        BlockDevice mapDev = holder.orElse(null);
        String fstype = mapDev != null && mapDev.fstype() != null ? mapDev.fstype() : fstab.map(FstabEntry::fstype).orElse(null);
        if (fstype == null) {
            return no(Refusal.of(Reason.NOT_ADOPTABLE, "/dev/mapper/" + map, "the file system cannot be told (closed, and no "
                    + "fstab line): open it and adopt again"));
        }
        if (!FILESYSTEMS.contains(fstype)) {
            return no(Refusal.of(Reason.NOT_ADOPTABLE, "/dev/mapper/" + map, "holds " + Inputs.shown(fstype)
                    + "; cryptvol manages XFS and ext4"));
        }
        boolean mounted = mapDev != null && !mapDev.mountpoints().isEmpty();
        String mountpoint = mounted ? mapDev.mountpoints().get(0) : fstab.map(FstabEntry::mountpoint).orElse(mnt);
        if (mountpoint != null) {
            Inputs.Checked m = Inputs.mountpoint(mountpoint, true);
            r.addAll(m.refusals());
            mountpoint = m.value();
        }
        boolean noauto = false;
        if (fstab.isPresent()) {
            Inputs.Checked o = Inputs.mountOptions(String.join(",", fstab.get().options()), false);
            r.addAll(o.refusals());
            noauto = fstab.get().options().contains("noauto");
            if (!mapperName(fstab.get().source()).filter(map::equals).isPresent()) {
                r.add(Refusal.of(Reason.FSTAB_CONFLICT, "fstab", "the line for " + Inputs.shown(fstab.get().mountpoint())
                        + " mounts " + Inputs.shown(fstab.get().source()) + ", not /dev/mapper/" + map));
            }
        }
        if (!r.isEmpty()) {
            return no(r);
        }
        return new Result(new Found(lv.vgName(), lv.name(), lvPath, Math.max(1, lv.stripes()), lv.stripeSizeBytes(),
                lv.segtype(), pvs.stream().map(PhysicalVolume::path).toList(), luks.get(), fstype, map, mountpoint,
                fstab.orElse(null), noauto, h.crypttabFor(map).isPresent(), open, mounted), List.of());
    }

    /** "/dev/mapper/NAME" → NAME. */
    static Optional<String> mapperName(String source) {
        return source != null && source.startsWith("/dev/mapper/") && source.length() > 12
                ? Optional.of(source.substring(12)) : Optional.empty();
    }

    private static Result no(Refusal r) {
        return new Result(null, List.of(r));
    }

    private static Result no(List<Refusal> r) {
        return new Result(null, List.copyOf(r));
    }
}

package io.cryptvol.day2;

import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.CrypttabEntry;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.PvSegment;
import io.cryptvol.domain.parse.RawLuksHeaderParser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds every encrypted volume on the target that is not open: the /dev/mapper lines of fstab whose mapping is
 * closed, the crypttab lines, and the LUKS LVs of inactive or exported VGs (LVM metadata lists them; their
 * headers were read from the PVs). Pairs them: crypttab names the LV of a mapping; else the session's
 * selection; else one fstab line left and one LUKS LV left belong together. Pure.
 */
public final class LockedFinder {
    private LockedFinder() {
    }

    /**
     * @param h        the observed host (HostObserver: devices, LVM, mounts, fstab, crypttab, headers of active LVs)
     * @param segments {@code pvs --segments} rows (empty when not read: every VG active)
     * @param raw      headers read from the PVs of inactive LVs, by "VG/LV" (absent: not read)
     * @param sel      the session's selection
     */
    public static List<LockedVolume> find(HostState h, List<PvSegment> segments,
                                          Map<String, RawLuksHeaderParser.Result> raw, VolumeLocator.Selection sel) {
        // every LV the host knows of, active or not, with whether it is LUKS (null: not known)
        Map<String, Lv> lvs = new LinkedHashMap<>();
        for (LogicalVolume l : h.lvs()) {
            lvs.put(l.vgName() + "/" + l.name(), new Lv(l.vgName(), l.name(), l.active()));
        }
        for (PvSegment s : segments) {
            if (s.lvName() != null && !s.lvName().isBlank()) {
                lvs.putIfAbsent(s.vgName() + "/" + s.lvName(), new Lv(s.vgName(), s.lvName(), false));
            }
        }
        Map<String, LuksHeader> headers = new LinkedHashMap<>();
        Set<String> notLuks = new LinkedHashSet<>();
        Set<String> open = new LinkedHashSet<>();
        for (Map.Entry<String, Lv> e : lvs.entrySet()) {
            Lv l = e.getValue();
            String path = "/dev/" + l.vg + "/" + l.lv;
            if (l.active) {
                if (h.cryptHolderOf(path).isPresent()) {
                    open.add(e.getKey());
                }
                Optional<LuksHeader> hd = h.luksOn(path);
                if (hd.isPresent()) {
                    headers.put(e.getKey(), hd.get());
                } else if (h.signatureOn(path).isPresent() || h.deviceByPath(path).map(BlockDevice::hasFilesystemSignature).orElse(false)) {
                    notLuks.add(e.getKey());
                }
            } else {
                RawLuksHeaderParser.Result r = raw.get(e.getKey());
                if (r != null && !r.luks()) {
                    notLuks.add(e.getKey());
                } else if (r != null) {
                    headers.put(e.getKey(), r.header());
                }
            }
        }
        // mapping lines whose mapping is closed
        Map<String, FstabEntry> fstab = new LinkedHashMap<>();
        for (FstabEntry f : h.fstab().entries()) {
            VolumeLocator.mapperName(f.source()).filter(m -> h.mapping(m).isEmpty()).ifPresent(m -> fstab.putIfAbsent(m, f));
        }
        Map<String, String> lvOfMapping = new LinkedHashMap<>();
        Map<String, Set<String>> foundBy = new LinkedHashMap<>();
        for (CrypttabEntry c : h.crypttab().entries()) {
            if (h.mapping(c.name()).isPresent()) {
                continue;
            }
            String lv = lvForDevice(c.device(), lvs, headers, h);
            if (lv != null && !open.contains(lv)) {
                lvOfMapping.put(c.name(), lv);
            }
            foundBy.computeIfAbsent(c.name(), k -> new LinkedHashSet<>()).add("crypttab");
        }
        for (String m : fstab.keySet()) {
            foundBy.computeIfAbsent(m, k -> new LinkedHashSet<>()).add("fstab");
            if (!lvOfMapping.containsKey(m) && m.equals(sel.mapping()) && sel.vg() != null && sel.lv() != null
                    && lvs.containsKey(sel.vg() + "/" + sel.lv()) && !open.contains(sel.vg() + "/" + sel.lv())) {
                lvOfMapping.put(m, sel.vg() + "/" + sel.lv());
                foundBy.get(m).add("selection");
            }
        }
        List<String> luksLeft = new ArrayList<>();
        for (String k : lvs.keySet()) {
            if (headers.containsKey(k) && !open.contains(k) && !lvOfMapping.containsValue(k)) {
                luksLeft.add(k);
            }
        }
        List<String> linesLeft = fstab.keySet().stream().filter(m -> !lvOfMapping.containsKey(m)).toList();
        if (linesLeft.size() == 1 && luksLeft.isEmpty()) {
            // no header could be read (a stripe's PV is missing): the one inactive LV of unknown content
            List<String> unknown = lvs.entrySet().stream().filter(e -> !e.getValue().active && !headers.containsKey(e.getKey())
                    && !notLuks.contains(e.getKey()) && !lvOfMapping.containsValue(e.getKey())).map(Map.Entry::getKey).toList();
            if (unknown.size() == 1) {
                lvOfMapping.put(linesLeft.get(0), unknown.get(0));
                foundBy.get(linesLeft.get(0)).add("lvm");
            }
        } else if (linesLeft.size() == 1 && luksLeft.size() == 1) {
            lvOfMapping.put(linesLeft.get(0), luksLeft.get(0));
            foundBy.get(linesLeft.get(0)).add("lvm");
            luksLeft.clear();
        }
        List<LockedVolume> out = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : foundBy.entrySet()) {
            String m = e.getKey();
            String key = lvOfMapping.get(m);
            FstabEntry f = fstab.get(m);
            out.add(volume(key == null ? null : lvs.get(key), m, f, e.getValue(), headers.get(key), h, segments));
        }
        for (String k : luksLeft) {
            out.add(volume(lvs.get(k), null, null, Set.of("lvm"), headers.get(k), h, segments));
        }
        return out;
    }

    private record Lv(String vg, String lv, boolean active) {
    }

    private static LockedVolume volume(Lv l, String mapping, FstabEntry f, Set<String> foundBy, LuksHeader header,
                                       HostState h, List<PvSegment> segments) {
        String opts = f == null ? null : String.join(",", f.options().stream().filter(o -> !o.equals("noauto")).toList());
        if (l == null) {
            return new LockedVolume(null, null, mapping, f == null ? null : f.mountpoint(), f == null ? null : f.fstype(),
                    opts, foundBy, false, false, header, List.of());
        }
        boolean exported = segments.stream().anyMatch(s -> s.vgName().equals(l.vg) && s.exported());
        return new LockedVolume(l.vg, l.lv, mapping, f == null ? null : f.mountpoint(), f == null ? null : f.fstype(),
                opts, foundBy, l.active, exported, header, members(l.vg, h, segments));
    }

    /** The VG's PVs: from the segment rows when read (they show missing PVs), else from the observed PVs. */
    static List<LockedVolume.Member> members(String vg, HostState h, List<PvSegment> segments) {
        Map<String, LockedVolume.Member> out = new LinkedHashMap<>();
        for (PvSegment s : segments) {
            if (!s.vgName().equals(vg)) {
                continue;
            }
            String key = s.pvUuid() != null ? s.pvUuid() : s.pvName();
            String dev = s.missing() ? null : s.pvName();
            out.putIfAbsent(key, new LockedVolume.Member(dev, s.pvUuid(), dev == null ? null : volumeId(h, dev), !s.missing()));
        }
        if (out.isEmpty()) {
            for (PhysicalVolume p : h.pvsIn(vg)) {
                out.put(p.uuid() == null ? p.path() : p.uuid(), new LockedVolume.Member(p.path(), p.uuid(),
                        volumeId(h, p.path()), true));
            }
        }
        return List.copyOf(out.values());
    }

    /** "vol0abc…" (the serial a Nitro instance shows) → "vol-0abc…"; null for anything else. */
    static String volumeId(HostState h, String device) {
        String serial = h.deviceByPath(device).map(BlockDevice::serial).orElse(null);
        if (serial == null) {
            return null;
        }
        String s = serial.strip().toLowerCase(Locale.ROOT);
        if (s.matches("vol-?[0-9a-f]{8,17}")) {
            return s.startsWith("vol-") ? s : "vol-" + s.substring(3);
        }
        return null;
    }

    /** The "VG/LV" a crypttab device names: a path of the LV, or UUID=… of a header read. */
    private static String lvForDevice(String device, Map<String, Lv> lvs, Map<String, LuksHeader> headers, HostState h) {
        String d = device.strip();
        String uuid = d.startsWith("UUID=") ? d.substring(5) : d.startsWith("/dev/disk/by-uuid/")
                ? d.substring("/dev/disk/by-uuid/".length()) : null;
        if (uuid != null) {
            for (Map.Entry<String, LuksHeader> e : headers.entrySet()) {
                if (e.getValue() != null && uuid.equalsIgnoreCase(e.getValue().uuid())) {
                    return e.getKey();
                }
            }
            return null;
        }
        for (Map.Entry<String, Lv> e : lvs.entrySet()) {
            Lv l = e.getValue();
            String path = "/dev/" + l.vg + "/" + l.lv;
            String dm = "/dev/mapper/" + l.vg.replace("-", "--") + "-" + l.lv.replace("-", "--");
            if (d.equals(path) || d.equals(dm) || h.sameDevice(d, path)) {
                return e.getKey();
            }
        }
        return null;
    }
}

package io.cryptvol.day2;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.model.CrypttabEntry;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.Mount;

import java.util.List;
import java.util.Optional;

/**
 * Finds what a day-2 command works on, from what the host shows and what the session selected: the
 * mountpoint (option, context, or the only /dev/mapper line in fstab), the mapping (fstab source, the
 * current mount, or the context), the LV (crypttab line of the mapping, the open mapping's backing
 * device, or the context's VG/LV). Pure: no host access.
 */
public final class VolumeLocator {

    /** One encrypted volume: VG/LV → LUKS → /dev/mapper/MAPPING → mountpoint. */
    public record Located(String vg, String lv, String mapping, String mountpoint, String fsType,
                          String mountOptions) {
        public String lvPath() {
            return "/dev/" + vg + "/" + lv;
        }

        public String mapperPath() {
            return "/dev/mapper/" + mapping;
        }
    }

    /** The session's selection (each may be null). */
    public record Selection(String vg, String lv, String mapping, String mountpoint) {
    }

    private VolumeLocator() {
    }

    public static Located locate(String mountpointOption, Selection sel, HostState h) {
        String mp = first(mountpointOption, sel.mountpoint());
        if (mp == null) {
            List<FstabEntry> crypt = h.fstab().entries().stream()
                    .filter(e -> e.source().startsWith("/dev/mapper/")).toList();
            if (crypt.size() == 1) {
                mp = crypt.get(0).mountpoint();
            } else {
                throw new CryptvolException("which volume? pass --mountpoint M or select one with 'use mountpoint M'"
                        + (crypt.isEmpty() ? "" : " (fstab has " + String.join(", ",
                        crypt.stream().map(FstabEntry::mountpoint).toList()) + ")"), ExitCode.USAGE, null);
            }
        }
        Optional<FstabEntry> fstab = h.fstabFor(mp);
        Optional<Mount> mounted = h.mountAt(mp);
        String mapping = fstab.map(FstabEntry::source).flatMap(VolumeLocator::mapperName)
                .or(() -> mounted.map(Mount::source).flatMap(VolumeLocator::mapperName))
                .orElse(sel.mapping());
        if (mapping == null) {
            throw new CryptvolException("no encrypted mapping known for " + mp + ": no /dev/mapper line for it in "
                    + "/etc/fstab; select one with 'use mapping NAME'", ExitCode.USAGE, null);
        }
        String device = h.crypttabFor(mapping).map(CrypttabEntry::device)
                .or(() -> h.mappingBackingDevice(mapping)).orElse(null);
        String vg = null;
        String lv = null;
        if (device != null) {
            String d = device;
            Optional<LogicalVolume> l = h.lvs().stream().filter(x -> x.hasPath(d) || h.sameDevice(x.dmPath(), d))
                    .findFirst();
            if (l.isPresent()) {
                vg = l.get().vgName();
                lv = l.get().name();
            } else {
                String[] parts = device.split("/");
                if (parts.length == 4 && parts[1].equals("dev") && !parts[2].equals("mapper")) {
                    vg = parts[2];
                    lv = parts[3];
                }
            }
        }
        vg = first(vg, sel.vg());
        lv = first(lv, sel.lv());
        if (vg == null || lv == null) {
            throw new CryptvolException("cannot tell which LV holds " + mapping + ": no crypttab line for it; select "
                    + "it with 'use vg NAME' and 'use lv NAME'", ExitCode.USAGE, null);
        }
        String fs = fstab.map(FstabEntry::fstype).or(() -> mounted.map(Mount::fstype)).orElse("xfs");
        String opts = fstab.map(e -> String.join(",", e.options().stream().filter(o -> !o.equals("noauto")).toList()))
                .filter(o -> !o.isBlank()).orElse("rw,noatime,nouuid");
        return new Located(vg, lv, mapping, mp, fs, opts);
    }

    static Optional<String> mapperName(String source) {
        return source != null && source.startsWith("/dev/mapper/")
                ? Optional.of(source.substring("/dev/mapper/".length())) : Optional.empty();
    }

    private static String first(String a, String b) {
        return a != null && !a.isBlank() ? a : b;
    }
}

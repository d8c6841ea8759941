package io.cryptvol.domain.model;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The names Tab completion offers for what was seen on a host, by inventory kind, and the rules behind them:
 * which devices are noise and which are free. One copy: {@code devices} and every stage command refresh the
 * inventory through it, so what Tab offers does not depend on which of them ran last.
 */
public final class InventoryNames {
    /** Name prefixes of devices nobody puts a volume on: loop, zram and RAM disks, optical drives. */
    static final Set<String> NOISE = Set.of("loop", "zram", "ram", "sr", "rom");

    private InventoryNames() {
    }

    /** A loop, zram or RAM disk, or an optical drive: left out of listings and completion. */
    public static boolean noise(BlockDevice d) {
        return d.name() != null && NOISE.stream().anyMatch(n -> d.name().startsWith(n));
    }

    /** A disk or partition with nothing on it: no signature (blkid, else lsblk), no PV, no holders, not mounted. */
    public static boolean free(HostState h, BlockDevice d) {
        return (d.type() == DeviceType.DISK || d.type() == DeviceType.PART) && d.children().isEmpty() && !d.isMounted()
                && h.signatureOn(d.path()).isEmpty() && h.pvOn(d.path()).isEmpty();
    }

    /** Every kind a full observation knows: devices (free first), VGs, LVs, LV paths, mappings, mountpoints. */
    public static Map<String, List<String>> of(HostState h) {
        Map<String, List<String>> m = devices(h);
        m.put("vg", h.vgs().stream().map(VolumeGroup::name).sorted().toList());
        m.put("lv", h.lvs().stream().map(LogicalVolume::name).distinct().sorted().toList());
        m.put("lvpath", h.lvs().stream().map(LogicalVolume::path).sorted().toList());
        m.put("mountpoint", Stream.concat(
                h.mounts().stream().map(Mount::target).filter(t -> t.startsWith("/mnt/") || t.startsWith("/data")),
                h.fstab().entries().stream().map(FstabEntry::mountpoint).filter(t -> t.startsWith("/") && !t.equals("/")))
                .distinct().sorted().toList());
        return m;
    }

    /** The kinds the block devices alone tell (lsblk): devices (free first) and mappings. */
    public static Map<String, List<String>> devices(HostState h) {
        List<BlockDevice> all = h.allDevices().stream().filter(d -> !noise(d)).toList();
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("device", all.stream().filter(d -> d.type() == DeviceType.DISK || d.type() == DeviceType.PART)
                .sorted(Comparator.comparing((BlockDevice d) -> !free(h, d)).thenComparing(BlockDevice::path))
                .map(BlockDevice::path).distinct().toList());
        m.put("mapping", all.stream().filter(d -> d.type() == DeviceType.CRYPT).map(BlockDevice::name)
                .distinct().sorted().toList());
        return m;
    }
}

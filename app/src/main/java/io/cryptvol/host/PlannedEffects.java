package io.cryptvol.host;

import io.cryptvol.domain.cmd.EtcFiles;
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
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.parse.LvmReportParser;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.PlanStep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * What the host would look like after the steps a dry run planned but skipped. {@code replay --dry-run}
 * plans a script line by line; a line that builds on an earlier one (an LV on the VG the line before
 * would create) is planned against the observed host with these effects laid over it, so the combined
 * plan covers the whole script instead of stopping at "no such VG".
 *
 * <p>The effects are read from each step's kind and its command's arguments (the argv the step would
 * run). Sizes follow LVM's and LUKS2's defaults (4 MiB extents, 1 MiB PV metadata, 16 MiB LUKS2 header);
 * objects that only exist here have the UUID {@value #PLANNED}. Steps without a modelled effect
 * (loading modules, snapshots, grow steps) leave the state as it is.
 */
public final class PlannedEffects {
    /** UUID of an object that exists only in the plan. */
    public static final String PLANNED = "(planned)";
    static final long MIB = 1L << 20;
    static final long EXTENT = 4 * MIB;

    private PlannedEffects() {
    }

    public static HostState apply(HostState observed, List<PlanStep> steps) {
        HostState s = observed;
        for (PlanStep step : steps) {
            s = apply(s, step);
        }
        return s;
    }

    static HostState apply(HostState s, PlanStep step) {
        List<String> a = step.command().argv();
        return switch (step.kind()) {
            case WIPE_DEVICE, DROP_HEADER -> wiped(s, devicesIn(s, step));
            case CREATE_PV -> pv(s, a.get(a.size() - 1));
            case CREATE_VG -> vg(s, a);
            case CREATE_LV -> lv(s, a);
            case LUKS_FORMAT -> luks(s, a.get(a.size() - 1), step.keys());
            case LUKS_ADD_KEY -> keys(s, a.get(a.size() - 2), step.keys());
            case OPEN_MAPPING -> open(s, a.get(a.size() - 2), a.get(a.size() - 1));
            case MAKE_FS -> fs(s, a.get(a.size() - 1), a.get(0).substring(a.get(0).indexOf('.') + 1));
            case ADD_FSTAB, ADD_CRYPTTAB -> etc(s, a);
            case MOUNT -> mount(s, a);
            case UNMOUNT -> s.withMounts(s.mounts().stream().filter(m -> !m.target().equals(a.get(a.size() - 1))).toList())
                    .withDevices(edit(s.devices(), d -> d.mountpoints().contains(a.get(a.size() - 1))
                            ? with(d, d.fstype(), List.of(), d.children()) : d));
            case CLOSE_MAPPING -> s.withDevices(remove(s.devices(), "/dev/mapper/" + a.get(a.size() - 1)));
            case DEACTIVATE_VG -> deactivate(s, a.get(a.size() - 1));
            default -> s;
        };
    }

    // ---- LVM -----------------------------------------------------------------------------------------

    private static HostState pv(HostState s, String device) {
        long size = s.deviceByPath(device).map(BlockDevice::sizeBytes).orElse(0L);
        long usable = Math.max(0, (size - MIB) / EXTENT * EXTENT);
        List<PhysicalVolume> pvs = new ArrayList<>(s.pvs());
        pvs.removeIf(p -> p.path().equals(device));
        pvs.add(new PhysicalVolume(device, PLANNED, "", usable, usable));
        return s.withLvm(pvs, s.vgs(), s.lvs()).withSignature(Signature.of(device, "LVM2_member"))
                .withDevices(edit(s.devices(), d -> d.path().equals(device) ? with(d, "LVM2_member", d.mountpoints(), d.children()) : d));
    }

    /** vgcreate [--addtag T]... VG PV... */
    private static HostState vg(HostState s, List<String> a) {
        List<String> tags = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < a.size(); i++) {
            if (a.get(i).equals("--addtag")) {
                tags.add(a.get(++i));
            } else {
                rest.add(a.get(i));
            }
        }
        String name = rest.get(0);
        List<String> members = rest.subList(1, rest.size());
        long size = 0;
        List<PhysicalVolume> pvs = new ArrayList<>();
        for (PhysicalVolume p : s.pvs()) {
            if (members.stream().anyMatch(m -> s.sameDevice(m, p.path()))) {
                size += p.sizeBytes();
                pvs.add(new PhysicalVolume(p.path(), p.uuid(), name, p.sizeBytes(), p.freeBytes()));
            } else {
                pvs.add(p);
            }
        }
        List<VolumeGroup> vgs = new ArrayList<>(s.vgs());
        vgs.add(new VolumeGroup(name, PLANNED, size, size, EXTENT, members.size(), 0, tags));
        return s.withLvm(pvs, vgs, s.lvs());
    }

    /** lvcreate [-i N -I S] -l EXTENTS -n LV VG */
    private static HostState lv(HostState s, List<String> a) {
        int stripes = 1;
        long stripeSize = 0;
        String extents = "100%FREE";
        String name = null;
        String vgName = a.get(a.size() - 1);
        for (int i = 1; i < a.size() - 1; i++) {
            switch (a.get(i)) {
                case "-i" -> stripes = Integer.parseInt(a.get(++i));
                case "-I" -> stripeSize = parseSize(a.get(++i));
                case "-l" -> extents = a.get(++i);
                case "-n" -> name = a.get(++i);
                default -> { }
            }
        }
        VolumeGroup vg = s.vg(vgName).orElse(null);
        if (vg == null || name == null) {
            return s;
        }
        long size = extents.endsWith("%VG") ? vg.sizeBytes() * percent(extents) / 100
                : extents.endsWith("%FREE") ? vg.freeBytes() * percent(extents) / 100
                : Long.parseLong(extents.replace("+", "")) * vg.extentSizeBytes();
        size = Math.min(size / vg.extentSizeBytes() * vg.extentSizeBytes(), vg.freeBytes());
        List<String> under = s.pvsIn(vgName).stream().map(PhysicalVolume::path).toList();
        String dm = "/dev/mapper/" + LvmReportParser.dmName(vgName) + "-" + LvmReportParser.dmName(name);
        LogicalVolume lv = new LogicalVolume(name, vgName, PLANNED, size, "/dev/" + vgName + "/" + name, dm, true,
                List.of(new LvSegment(stripes > 1 ? "striped" : "linear", stripes, stripeSize, size, under)));
        List<LogicalVolume> lvs = new ArrayList<>(s.lvs());
        lvs.add(lv);
        List<VolumeGroup> vgs = s.vgs().stream().map(v -> v.name().equals(vgName)
                ? new VolumeGroup(v.name(), v.uuid(), v.sizeBytes(), v.freeBytes() - lv.sizeBytes(), v.extentSizeBytes(),
                v.pvCount(), v.lvCount() + 1, v.tags()) : v).toList();
        BlockDevice node = new BlockDevice(dm.substring("/dev/mapper/".length()), dm, size, null, null, DeviceType.LVM,
                null, null, null, List.of(), null, List.of());
        HostState out = s.withLvm(s.pvs(), vgs, lvs);
        return out.withDevices(edit(out.devices(), d -> under.stream().anyMatch(p -> p.equals(d.path()))
                ? with(d, d.fstype(), d.mountpoints(), append(d.children(), node)) : d));
    }

    private static HostState deactivate(HostState s, String vgName) {
        List<LogicalVolume> lvs = s.lvs().stream().map(l -> l.vgName().equals(vgName)
                ? new LogicalVolume(l.name(), l.vgName(), l.uuid(), l.sizeBytes(), l.path(), l.dmPath(), false, l.segments()) : l).toList();
        List<BlockDevice> devices = s.devices();
        for (LogicalVolume l : s.lvsIn(vgName)) {
            devices = remove(devices, l.dmPath());
        }
        return s.withLvm(s.pvs(), s.vgs(), lvs).withDevices(devices);
    }

    // ---- LUKS, filesystems, mounts -------------------------------------------------------------------

    private static HostState luks(HostState s, String device, List<KeyRef> keys) {
        HostState out = s.withSignature(Signature.of(device, "crypto_LUKS"))
                .withLuks(new LuksHeader(device, 2, PLANNED, null, 0, null, null, List.of(0), 16 * MIB))
                .withDevices(edit(s.devices(), d -> s.sameDevice(d.path(), device) ? with(d, "crypto_LUKS", d.mountpoints(), d.children()) : d));
        return keys(out, device, keys);
    }

    private static HostState keys(HostState s, String device, List<KeyRef> keys) {
        for (KeyRef k : keys) {
            if (!k.ephemeral()) {
                s = s.withKeyCheck(device, k.name(), true);
            }
        }
        return s;
    }

    private static HostState open(HostState s, String device, String name) {
        long size = s.deviceByPath(device).map(BlockDevice::sizeBytes).orElse(0L)
                - s.luksOn(device).map(LuksHeader::dataOffsetBytes).orElse(16 * MIB);
        String path = "/dev/mapper/" + name;
        BlockDevice node = new BlockDevice(name, path, Math.max(0, size), null, null, DeviceType.CRYPT, null, null, null,
                List.of(), null, List.of());
        return s.withDevices(edit(s.devices(), d -> s.sameDevice(d.path(), device)
                ? with(d, d.fstype(), d.mountpoints(), append(d.children(), node)) : d));
    }

    private static HostState fs(HostState s, String device, String type) {
        return s.withSignature(Signature.of(device, type))
                .withDevices(edit(s.devices(), d -> s.sameDevice(d.path(), device) ? with(d, type, d.mountpoints(), d.children()) : d));
    }

    /** sh -c APPEND_ONCE sh LINE FILE */
    private static HostState etc(HostState s, List<String> a) {
        String line = a.get(a.size() - 2);
        String file = a.get(a.size() - 1);
        if (file.equals(EtcFiles.FSTAB)) {
            return s.withFstab(FstabFile.parse(s.fstab().render() + "\n" + line + "\n"));
        }
        if (file.equals(EtcFiles.CRYPTTAB)) {
            return s.withCrypttab(CrypttabFile.parse(s.crypttab().render() + "\n" + line + "\n"));
        }
        return s;
    }

    /** mount -t TYPE -o OPTIONS DEVICE MOUNTPOINT */
    private static HostState mount(HostState s, List<String> a) {
        String device = a.get(a.size() - 2);
        String target = a.get(a.size() - 1);
        int t = a.indexOf("-t");
        int o = a.indexOf("-o");
        List<Mount> mounts = new ArrayList<>(s.mounts());
        mounts.add(new Mount(device, target, t < 0 ? null : a.get(t + 1), o < 0 ? List.of() : List.of(a.get(o + 1).split(","))));
        return s.withMounts(mounts).withDevices(edit(s.devices(), d -> s.sameDevice(d.path(), device)
                ? with(d, d.fstype(), append(d.mountpoints(), target), d.children()) : d));
    }

    private static HostState wiped(HostState s, List<String> devices) {
        HostState out = s;
        for (String dev : devices) {
            out = out.withSignature(new Signature(dev, null, null, null, null, null, null));
        }
        return out.withDevices(edit(out.devices(), d -> devices.contains(d.path()) ? with(d, null, d.mountpoints(), d.children()) : d));
    }

    /** The observed devices a step's commands name (the disks a wipe step works on). */
    private static List<String> devicesIn(HostState s, PlanStep step) {
        List<String> out = new ArrayList<>();
        step.commands().forEach(c -> c.command().argv().stream()
                .filter(x -> x.startsWith("/dev/") && !x.startsWith("/dev/mapper/") && s.deviceByPath(x).isPresent())
                .filter(x -> !out.contains(x)).forEach(out::add));
        return out;
    }

    // ---- the lsblk tree ------------------------------------------------------------------------------

    private static List<BlockDevice> edit(List<BlockDevice> devices, UnaryOperator<BlockDevice> f) {
        return devices.stream().map(d -> {
            BlockDevice e = f.apply(d);
            return with(e, e.fstype(), e.mountpoints(), edit(e.children(), f));
        }).toList();
    }

    private static List<BlockDevice> remove(List<BlockDevice> devices, String path) {
        return devices.stream().filter(d -> !d.path().equals(path))
                .map(d -> with(d, d.fstype(), d.mountpoints(), remove(d.children(), path))).toList();
    }

    private static BlockDevice with(BlockDevice d, String fstype, List<String> mountpoints, List<BlockDevice> children) {
        return new BlockDevice(d.name(), d.path(), d.sizeBytes(), d.serial(), d.model(), d.type(), fstype, d.uuid(),
                d.label(), mountpoints, d.parentName(), children);
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> out = new ArrayList<>(list);
        out.add(item);
        return out;
    }

    private static long percent(String extents) {
        return Long.parseLong(extents.substring(0, extents.indexOf('%')).replace("+", ""));
    }

    private static final Map<Character, Long> UNITS = Map.of('k', 1L << 10, 'm', 1L << 20, 'g', 1L << 30);

    /** lvcreate -I values: "4k", "64K", "1m", or a number of KiB. */
    static long parseSize(String v) {
        char u = Character.toLowerCase(v.charAt(v.length() - 1));
        if (UNITS.containsKey(u)) {
            return Long.parseLong(v.substring(0, v.length() - 1)) * UNITS.get(u);
        }
        return Long.parseLong(v) * 1024;
    }
}

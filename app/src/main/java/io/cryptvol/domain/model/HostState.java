package io.cryptvol.domain.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything observed on one host at one moment, immutable. Built by the caller from the parsers'
 * results ({@code with...}); read by the planners through the query methods.
 *
 * <p>Paths: an LV has two names, "/dev/VG/LV" (lvs lv_path) and "/dev/mapper/VG-LV" (lsblk PATH);
 * every query accepts either.
 *
 * @param devices    lsblk roots (each with its children)
 * @param signatures blkid -p results by device path; a Signature with null type and ptType means
 *                   "probed, nothing found" (blkid exit 2)
 * @param luks       luksDump results by device path
 * @param keyChecks  results of open --test-passphrase, filled by the caller
 * @param processUse fuser -vm results by mountpoint
 * @param paths      what each mountpoint in the observation's scope is on the host (a directory, a file...)
 * @param keyDirFs   the file system the host's key-file directory is on ({@code stat -f -c %T} of
 *                   {@code /run/cryptvol}, or of /run before that exists); null when not observed
 * @param unbackedHeaders LUKS UUIDs (lower case) whose live header has no matching backup in the key store (none
 *                   recorded, or the newest differs in UUID or keyslot digests), filled by the caller; a UUID not
 *                   here was either backed up or not compared
 */
public record HostState(List<BlockDevice> devices, Map<String, Signature> signatures, List<PhysicalVolume> pvs,
                        List<VolumeGroup> vgs, List<LogicalVolume> lvs, Map<String, LuksHeader> luks,
                        List<Mount> mounts, FstabFile fstab, CrypttabFile crypttab, List<KeyCheck> keyChecks,
                        Map<String, List<ProcessUse>> processUse, Map<String, PathInfo> paths, String keyDirFs,
                        Set<String> unbackedHeaders) {

    public HostState {
        devices = List.copyOf(devices);
        signatures = Map.copyOf(signatures);
        pvs = List.copyOf(pvs);
        vgs = List.copyOf(vgs);
        lvs = List.copyOf(lvs);
        luks = Map.copyOf(luks);
        mounts = List.copyOf(mounts);
        fstab = fstab == null ? FstabFile.empty() : fstab;
        crypttab = crypttab == null ? CrypttabFile.empty() : crypttab;
        keyChecks = List.copyOf(keyChecks);
        processUse = Map.copyOf(processUse);
        paths = paths == null ? Map.of() : Map.copyOf(paths);
        unbackedHeaders = unbackedHeaders == null ? Set.of() : Set.copyOf(unbackedHeaders);
    }

    public static HostState empty() {
        return new HostState(List.of(), Map.of(), List.of(), List.of(), List.of(), Map.of(), List.of(), null, null,
                List.of(), Map.of(), Map.of(), null, Set.of());
    }

    // ---- withers -------------------------------------------------------------------------------------

    public HostState withDevices(List<BlockDevice> d) {
        return new HostState(d, signatures, pvs, vgs, lvs, luks, mounts, fstab, crypttab, keyChecks, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withSignature(Signature s) {
        Map<String, Signature> m = new HashMap<>(signatures);
        m.put(s.device(), s);
        return new HostState(devices, m, pvs, vgs, lvs, luks, mounts, fstab, crypttab, keyChecks, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withLvm(List<PhysicalVolume> p, List<VolumeGroup> v, List<LogicalVolume> l) {
        return new HostState(devices, signatures, p, v, l, luks, mounts, fstab, crypttab, keyChecks, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withLuks(LuksHeader h) {
        Map<String, LuksHeader> m = new HashMap<>(luks);
        m.put(h.device(), h);
        return new HostState(devices, signatures, pvs, vgs, lvs, m, mounts, fstab, crypttab, keyChecks, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withMounts(List<Mount> m) {
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, m, fstab, crypttab, keyChecks, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withFstab(FstabFile f) {
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, mounts, f, crypttab, keyChecks, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withCrypttab(CrypttabFile c) {
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, mounts, fstab, c, keyChecks, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withKeyCheck(String device, String keyName, boolean opens) {
        List<KeyCheck> k = new ArrayList<>(keyChecks);
        k.removeIf(c -> sameDevice(c.device(), device) && c.keyName().equals(keyName));
        k.add(new KeyCheck(device, keyName, opens));
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, mounts, fstab, crypttab, k, processUse, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withProcessUse(String mountpoint, List<ProcessUse> users) {
        Map<String, List<ProcessUse>> m = new HashMap<>(processUse);
        m.put(mountpoint, List.copyOf(users));
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, mounts, fstab, crypttab, keyChecks, m, paths, keyDirFs, unbackedHeaders);
    }

    public HostState withPath(String path, PathInfo info) {
        Map<String, PathInfo> m = new HashMap<>(paths);
        m.put(path, info);
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, mounts, fstab, crypttab, keyChecks, processUse, m, keyDirFs, unbackedHeaders);
    }

    public HostState withKeyDirFs(String fsType) {
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, mounts, fstab, crypttab, keyChecks, processUse, paths,
                fsType, unbackedHeaders);
    }

    /** The live header of this LUKS UUID has no matching backup in the key store ({@link #unbackedHeaders}). */
    public HostState withUnbackedHeader(String luksUuid) {
        Set<String> u = new java.util.HashSet<>(unbackedHeaders);
        u.add(luksUuid.toLowerCase(java.util.Locale.ROOT));
        return new HostState(devices, signatures, pvs, vgs, lvs, luks, mounts, fstab, crypttab, keyChecks, processUse, paths,
                keyDirFs, u);
    }

    /**
     * Whether a key file written to the host's key-file directory stays in memory (tmpfs), as
     * {@link io.cryptvol.domain.cmd.KeyFiles#onTmpfs} rules; empty when the observation did not look.
     */
    public Optional<Boolean> keyDirOnTmpfs() {
        return keyDirFs == null ? Optional.empty() : Optional.of(io.cryptvol.domain.cmd.KeyFiles.onTmpfs(keyDirFs));
    }

    /** What the path is on the host; empty when it was not in the observation's scope. */
    public Optional<PathInfo> pathAt(String path) {
        return Optional.ofNullable(paths.get(path));
    }

    // ---- block devices -------------------------------------------------------------------------------

    /** Every device once, in tree order (an LV under four disks is listed once). */
    public List<BlockDevice> allDevices() {
        Map<String, BlockDevice> byPath = new LinkedHashMap<>();
        devices.stream().flatMap(BlockDevice::selfAndDescendants).forEach(d -> byPath.putIfAbsent(d.path(), d));
        return List.copyOf(byPath.values());
    }

    public Optional<BlockDevice> deviceByPath(String path) {
        Set<String> aliases = aliases(path);
        return allDevices().stream().filter(d -> aliases.contains(d.path())).findFirst();
    }

    /** Devices stacked directly on {@code path}: partitions, LVs, crypt mappings. */
    public List<BlockDevice> holders(String path) {
        Set<String> aliases = aliases(path);
        Map<String, BlockDevice> out = new LinkedHashMap<>();
        devices.stream().flatMap(BlockDevice::selfAndDescendants).filter(d -> aliases.contains(d.path()))
                .flatMap(d -> d.children().stream()).forEach(c -> out.putIfAbsent(c.path(), c));
        return List.copyOf(out.values());
    }

    /** Paths of the devices {@code path} is stacked on (the PVs under an LV, the LV under a mapping). */
    public List<String> parents(String path) {
        Set<String> aliases = aliases(path);
        Set<String> out = new LinkedHashSet<>();
        devices.stream().flatMap(BlockDevice::selfAndDescendants)
                .filter(d -> d.children().stream().anyMatch(c -> aliases.contains(c.path())))
                .forEach(d -> out.add(d.path()));
        return List.copyOf(out);
    }

    /** Mounted directly (lsblk mountpoints or a mount whose source is this device). */
    public boolean isMounted(String path) {
        Set<String> aliases = aliases(path);
        return deviceByPath(path).map(BlockDevice::isMounted).orElse(false)
                || mounts.stream().anyMatch(m -> aliases.contains(m.source()));
    }

    /** Where this device or anything stacked on it is mounted. */
    public List<String> mountpointsUnder(String path) {
        Set<String> out = new LinkedHashSet<>();
        deviceByPath(path).ifPresent(d -> d.selfAndDescendants().forEach(x -> out.addAll(x.mountpoints())));
        return List.copyOf(out);
    }

    public Optional<Mount> mountAt(String target) {
        return mounts.stream().filter(m -> m.target().equals(target)).findFirst();
    }

    public List<Mount> mountsOf(String path) {
        Set<String> aliases = aliases(path);
        return mounts.stream().filter(m -> aliases.contains(m.source())).toList();
    }

    /**
     * What is on the device: the blkid probe when one was recorded, else lsblk's FSTYPE. Empty when
     * nothing is there.
     */
    public Optional<Signature> signatureOn(String path) {
        for (String a : aliases(path)) {
            Signature s = signatures.get(a);
            if (s != null) {
                return s.type() == null && s.ptType() == null ? Optional.empty() : Optional.of(s);
            }
        }
        return deviceByPath(path).filter(BlockDevice::hasFilesystemSignature)
                .map(d -> Signature.of(path, d.fstype()));
    }

    // ---- LVM -----------------------------------------------------------------------------------------

    public Optional<PhysicalVolume> pvOn(String path) {
        Set<String> aliases = aliases(path);
        return pvs.stream().filter(p -> aliases.contains(p.path())).findFirst();
    }

    /** The paths of the VG's PVs. */
    public List<String> pvPathsIn(String vgName) {
        return pvsIn(vgName).stream().map(PhysicalVolume::path).toList();
    }

    public List<PhysicalVolume> pvsIn(String vgName) {
        return pvs.stream().filter(p -> p.vgName().equals(vgName)).toList();
    }

    public Optional<VolumeGroup> vg(String name) {
        return vgs.stream().filter(v -> v.name().equals(name)).findFirst();
    }

    public Optional<LogicalVolume> lv(String vgName, String lvName) {
        return lvs.stream().filter(l -> l.vgName().equals(vgName) && l.name().equals(lvName)).findFirst();
    }

    public List<LogicalVolume> lvsIn(String vgName) {
        return lvs.stream().filter(l -> l.vgName().equals(vgName)).toList();
    }

    // ---- LUKS and mappings ---------------------------------------------------------------------------

    public Optional<LuksHeader> luksOn(String path) {
        return aliases(path).stream().map(luks::get).filter(h -> h != null).findFirst();
    }

    /**
     * The device's live LUKS header is known to have no matching backup in the key store (an interrupted run changed it
     * and stopped before its backup step): a plan that finds its header work done takes the backup then.
     */
    public boolean headerUnbacked(String path) {
        return luksOn(path).map(l -> l.uuid() != null && unbackedHeaders.contains(l.uuid().toLowerCase(java.util.Locale.ROOT)))
                .orElse(false);
    }

    /** The open dm-crypt mapping called {@code name} (/dev/mapper/NAME), if any. */
    public Optional<BlockDevice> mapping(String name) {
        return allDevices().stream().filter(d -> d.type() == DeviceType.CRYPT && d.name().equals(name)).findFirst();
    }

    /** The device an open mapping sits on, if the mapping is open. */
    public Optional<String> mappingBackingDevice(String name) {
        return mapping(name).flatMap(m -> parents(m.path()).stream().findFirst());
    }

    /** The crypt mapping open on {@code path}, if any. */
    public Optional<BlockDevice> cryptHolderOf(String path) {
        return holders(path).stream().filter(d -> d.type() == DeviceType.CRYPT).findFirst();
    }

    /** Whether the named key opens the LUKS header on {@code device}: empty when not tested. */
    public Optional<Boolean> keyOpens(String device, String keyName) {
        return keyChecks.stream().filter(k -> sameDevice(k.device(), device) && k.keyName().equals(keyName))
                .map(KeyCheck::opens).findFirst();
    }

    // ---- files ---------------------------------------------------------------------------------------

    public Optional<FstabEntry> fstabFor(String mountpoint) {
        return fstab.forMountpoint(mountpoint);
    }

    public Optional<CrypttabEntry> crypttabFor(String name) {
        return crypttab.forName(name);
    }

    public List<ProcessUse> processesUsing(String mountpoint) {
        return processUse.getOrDefault(mountpoint, List.of());
    }

    // ---- paths ---------------------------------------------------------------------------------------

    /** The path and its LV alias ("/dev/VG/LV" and "/dev/mapper/VG-LV"). */
    public Set<String> aliases(String path) {
        Set<String> out = new LinkedHashSet<>();
        out.add(path);
        for (LogicalVolume l : lvs) {
            if (l.hasPath(path)) {
                if (l.path() != null) {
                    out.add(l.path());
                }
                if (l.dmPath() != null) {
                    out.add(l.dmPath());
                }
            }
        }
        return out;
    }

    public boolean sameDevice(String a, String b) {
        return aliases(a).contains(b);
    }
}

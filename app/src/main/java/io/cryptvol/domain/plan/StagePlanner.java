package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.EtcFiles;
import io.cryptvol.domain.cmd.Filesystems;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.Modprobe;
import io.cryptvol.domain.cmd.Mounts;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.CrypttabEntry;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The single stages of the seed's setup, one pure planner method each: (arguments, observed host) →
 * the steps still needed, or refusals. Each is idempotent: what is already in place is skipped, what
 * is in the way is refused, nothing is ever re-created or re-formatted.
 */
public final class StagePlanner {
    private final Supplier<String> tokens;

    public StagePlanner() {
        this(ProvisionPlanner.randomTokens());
    }

    public StagePlanner(Supplier<String> tokens) {
        this.tokens = tokens;
    }

    // ---- LVM -----------------------------------------------------------------------------------------

    public PlanResult pvCreate(List<String> devices, HostState h) {
        List<Refusal> r = new ArrayList<>();
        List<PlanStep> steps = new ArrayList<>();
        if (devices.isEmpty()) {
            r.add(Refusal.of(Reason.INVALID_SPEC, "pv create", "give at least one device"));
        }
        for (String d : devices) {
            Optional<Refusal> badPath = Inputs.devicePath(d);
            if (badPath.isPresent()) {
                r.add(badPath.get());
                continue;
            }
            Optional<PhysicalVolume> pv = h.pvOn(d);
            if (pv.isPresent()) {
                if (!DeviceChecks.present(h, d).isEmpty()) {
                    r.addAll(DeviceChecks.present(h, d));
                }
                continue; // already a PV: nothing to do
            }
            List<Refusal> x = DeviceChecks.emptyAndUnused(h, d);
            r.addAll(x);
            if (x.isEmpty()) {
                steps.add(PlanStep.of(StepKind.CREATE_PV, Lvm.pvcreate(d)));
            }
        }
        return result(r, "PVs on " + String.join(", ", devices), steps);
    }

    public PlanResult vgCreate(String name, List<String> devices, HostState h) {
        Optional<Refusal> badName = Inputs.vgName(name);
        if (badName.isPresent()) {
            return PlanResult.refused(List.of(badName.get()));
        }
        List<Refusal> r = new ArrayList<>();
        List<PlanStep> steps = new ArrayList<>();
        if (devices.isEmpty()) {
            r.add(Refusal.of(Reason.INVALID_SPEC, "vg create", "give at least one device"));
        }
        Optional<VolumeGroup> vg = h.vg(name);
        if (vg.isPresent()) {
            List<String> has = h.pvsIn(name).stream().map(PhysicalVolume::path).toList();
            boolean same = has.size() == devices.size()
                    && devices.stream().allMatch(d -> has.stream().anyMatch(p -> h.sameDevice(p, d)));
            if (!same) {
                r.add(Refusal.of(Reason.VG_HAS_OTHER_PVS, "VG " + name, "exists on " + String.join(", ", has)
                        + ", not on " + String.join(", ", devices)));
            }
            return result(r, "VG " + name, steps);
        }
        for (String d : devices) {
            List<Refusal> present = DeviceChecks.present(h, d);
            if (!present.isEmpty()) {
                r.addAll(present);
                continue;
            }
            Optional<PhysicalVolume> pv = h.pvOn(d);
            if (pv.isPresent() && pv.get().inVg()) {
                r.add(Refusal.of(Reason.PV_OF_OTHER_VG, d, "is a PV of VG " + pv.get().vgName()));
            } else if (pv.isEmpty()) {
                List<Refusal> x = DeviceChecks.emptyAndUnused(h, d);
                r.addAll(x);
                if (x.isEmpty()) {
                    steps.add(PlanStep.of(StepKind.CREATE_PV, Lvm.pvcreate(d)));
                }
            }
        }
        steps.add(PlanStep.of(StepKind.CREATE_VG, Lvm.vgcreate(name, devices, List.of())));
        return result(r, "VG " + name + " on " + String.join(", ", devices), steps);
    }

    /**
     * @param stripes 0 = one stripe per PV of the VG
     */
    public PlanResult lvCreate(String vgName, String lvName, int stripes, long stripeSizeBytes, String extents,
                               HostState h) {
        return lvCreate(vgName, lvName, stripes > 0 ? Integer.valueOf(stripes) : null, stripeSizeBytes, extents, h);
    }

    /**
     * @param stripes null = one stripe per PV of the VG; a count given is checked as given (0 is refused)
     */
    public PlanResult lvCreate(String vgName, String lvName, Integer stripes, long stripeSizeBytes, String extents,
                               HostState h) {
        List<Refusal> r = new ArrayList<>();
        Inputs.vgName(vgName).ifPresent(r::add);
        Inputs.lvName(lvName).ifPresent(r::add);
        if (stripes != null && stripes < 1) {
            r.addAll(Inputs.stripes(stripes, 0, stripeSizeBytes));
        }
        if (!r.isEmpty()) {
            return PlanResult.refused(r);
        }
        Optional<VolumeGroup> vg = h.vg(vgName);
        if (vg.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.INVALID_SPEC, "VG " + vgName,
                    "does not exist; create it first (vg create " + vgName + " DEVICE...)")));
        }
        List<PhysicalVolume> pvs = h.pvsIn(vgName);
        int n = stripes != null ? stripes : Math.max(1, pvs.size());
        if (n > pvs.size()) {
            r.add(Refusal.of(Reason.STRIPES_MISMATCH, "VG " + vgName, "has " + pvs.size() + " PV(s); cannot stripe "
                    + "over " + n));
        } else if (h.lv(vgName, lvName).isEmpty()) {
            r.addAll(Inputs.stripes(n, pvs.size(), stripeSizeBytes));
        }
        if (n > 1) {
            r.addAll(DeviceChecks.equalSizes(h, "VG " + vgName, pvs.stream().map(PhysicalVolume::path).toList()));
        }
        if (extents == null || !extents.matches("\\d+(%(VG|FREE|PVS))?")) {
            r.add(Refusal.of(Reason.INVALID_SPEC, "extents", "must be a count or N%VG / N%FREE / N%PVS, not '"
                    + extents + "'"));
        }
        Optional<LogicalVolume> lv = h.lv(vgName, lvName);
        List<PlanStep> steps = new ArrayList<>();
        if (lv.isPresent()) {
            LogicalVolume l = lv.get();
            if (l.stripes() != n || (n > 1 && l.stripeSizeBytes() != stripeSizeBytes)) {
                r.add(Refusal.of(Reason.LV_LAYOUT_DIFFERS, l.path(), "exists with " + l.stripes() + " stripe(s) of "
                        + l.stripeSizeBytes() + " bytes, not " + n + " of " + stripeSizeBytes));
            } else if (!l.active()) {
                steps.add(PlanStep.of(StepKind.ACTIVATE_VG, Lvm.activate(vgName)));
            }
        } else {
            Lvm.Layout layout = n > 1 ? Lvm.Layout.striped(n, stripeSizeBytes) : Lvm.Layout.linear();
            if (r.isEmpty()) {
                steps.add(PlanStep.of(StepKind.CREATE_LV, Lvm.lvcreate(vgName, lvName, layout, extents)));
            }
        }
        return result(r, "LV " + vgName + "/" + lvName, steps);
    }

    // ---- LUKS ----------------------------------------------------------------------------------------

    /** Refuses a device with a LUKS header or any other signature, a holder or a mount. */
    public PlanResult luksFormat(String device, String keyName, LuksOptions options, HostState h) {
        List<Refusal> bad = Inputs.luks(options);
        if (!bad.isEmpty()) {
            return PlanResult.refused(bad);
        }
        List<Refusal> r = new ArrayList<>(blockDevice(h, device));
        if (r.isEmpty()) {
            Optional<Signature> sig = h.signatureOn(device);
            if (sig.isPresent() && sig.get().isLuks()) {
                r.add(Refusal.of(Reason.HAS_SIGNATURE, device, "already has a LUKS header"
                        + h.luksOn(device).map(x -> " (UUID " + x.uuid() + ")").orElse("")
                        + "; refusing to re-format it"));
            } else if (sig.isPresent() || h.pvOn(device).isPresent()) {
                r.add(Refusal.of(Reason.HAS_SIGNATURE, device, "has a " + sig.map(Signature::describe)
                        .orElse("LVM2_member") + " signature; refusing to format a device that is not empty"));
            }
            List<String> mps = h.mountpointsUnder(device);
            if (!mps.isEmpty()) {
                r.add(Refusal.of(Reason.MOUNTED, device, "is mounted at " + String.join(", ", mps)));
            } else if (!h.holders(device).isEmpty()) {
                r.add(Refusal.of(Reason.HAS_HOLDERS, device, "is in use by " + h.holders(device).stream()
                        .map(BlockDevice::path).collect(Collectors.joining(", "))));
            }
        }
        List<PlanStep> steps = List.of(
                PlanStep.of(StepKind.LOAD_MODULES, Modprobe.load(Modprobe.DM_CRYPT)),
                PlanStep.withKey(StepKind.LUKS_FORMAT, Cryptsetup.luksFormat(device, options), KeyRef.named(keyName)),
                HeaderPlanner.backupStep(device, tokens));
        r.addAll(keyDir(h, steps));
        return result(r, "LUKS on " + device, steps);
    }

    /** Adds {@code newKey} with {@code key}; nothing to do when newKey opens it already. */
    public PlanResult luksAddKey(String device, String key, String newKey, LuksOptions kdfFrom, HostState h) {
        List<Refusal> r = new ArrayList<>(luksWithKey(h, device, key));
        h.luksOn(device).ifPresent(hd -> r.addAll(Inputs.kdf(hd.version() == 1 && kdfFrom.kdf().isArgon2()
                ? io.cryptvol.domain.cmd.Kdf.pbkdf2() : kdfFrom.kdf(), hd.version() == 1
                ? io.cryptvol.domain.cmd.LuksType.LUKS1 : io.cryptvol.domain.cmd.LuksType.LUKS2)));
        if (key.equals(newKey)) {
            r.add(Refusal.of(Reason.INVALID_SPEC, "luks add-key", "the new key must differ from the existing one"));
        }
        List<PlanStep> steps = new ArrayList<>();
        if (r.isEmpty() && !h.keyOpens(device, newKey).orElse(false)) {
            LuksHeader hd = h.luksOn(device).orElseThrow();
            var kdf = hd.version() == 1 && kdfFrom.kdf().isArgon2() ? io.cryptvol.domain.cmd.Kdf.pbkdf2() : kdfFrom.kdf();
            steps.add(addKey(device, newKey, key, kdf, tokens));
            steps.add(HeaderPlanner.backupStep(device, tokens));
        } else if (r.isEmpty() && h.headerUnbacked(device)) {
            steps.add(HeaderPlanner.backupStep(device, tokens)); // the key went in, an interrupted run took no backup
        }
        r.addAll(keyDir(h, steps));
        return result(r, "Key '" + newKey + "' on " + device, steps);
    }

    public PlanResult luksOpen(String device, String mapping, String key, HostState h) {
        Optional<Refusal> badName = Inputs.mappingName(mapping);
        if (badName.isPresent()) {
            return PlanResult.refused(List.of(badName.get()));
        }
        Optional<BlockDevice> m = h.mapping(mapping);
        if (m.isPresent()) {
            Optional<String> backing = h.mappingBackingDevice(mapping);
            if (backing.isPresent() && h.sameDevice(backing.get(), device)) {
                return PlanResult.ok(new Plan("/dev/mapper/" + mapping + " open on " + device, List.of()));
            }
            return PlanResult.refused(List.of(Refusal.of(Reason.MAPPING_ELSEWHERE, "/dev/mapper/" + mapping,
                    "is already open on " + backing.orElse("another device"))));
        }
        List<Refusal> r = new ArrayList<>(luksWithKey(h, device, key));
        if (r.isEmpty()) {
            h.cryptHolderOf(device).ifPresent(o -> r.add(Refusal.of(Reason.MAPPING_ELSEWHERE, device,
                    "is already open as " + o.path())));
        }
        List<PlanStep> steps = List.of(
                PlanStep.of(StepKind.LOAD_MODULES, Modprobe.load(Modprobe.DM_CRYPT)),
                PlanStep.withKey(StepKind.OPEN_MAPPING, Cryptsetup.open(device, mapping), KeyRef.named(key)));
        return result(r, "Open " + device + " as /dev/mapper/" + mapping, steps);
    }

    public PlanResult luksClose(String mapping, HostState h) {
        Optional<Refusal> badName = Inputs.mappingName(mapping);
        if (badName.isPresent()) {
            return PlanResult.refused(List.of(badName.get()));
        }
        String mapper = "/dev/mapper/" + mapping;
        if (h.mapping(mapping).isEmpty()) {
            return PlanResult.ok(new Plan(mapper + " closed", List.of()));
        }
        List<String> mps = h.mountpointsUnder(mapper);
        if (!mps.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.MOUNTED, mapper, "is mounted at "
                    + String.join(", ", mps) + "; unmount it first")));
        }
        return PlanResult.ok(new Plan("Close " + mapper, List.of(PlanStep.of(StepKind.CLOSE_MAPPING,
                Cryptsetup.close(mapping)))));
    }

    // ---- filesystem, fstab, mount --------------------------------------------------------------------

    public PlanResult fsMake(String mapping, FsType type, String label, HostState h) {
        Optional<Refusal> badName = Inputs.mappingName(mapping);
        if (badName.isPresent()) {
            return PlanResult.refused(List.of(badName.get()));
        }
        String mapper = "/dev/mapper/" + mapping;
        if (h.mapping(mapping).isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.MISSING_DEVICE, mapper, "is not open; open it first "
                    + "(luks open DEVICE " + mapping + " --key NAME)")));
        }
        Optional<Signature> sig = h.signatureOn(mapper);
        if (sig.isPresent()) {
            if (type.fsName().equals(sig.get().type())) {
                return PlanResult.ok(new Plan(type.fsName() + " on " + mapper, List.of()));
            }
            return PlanResult.refused(List.of(Refusal.of(Reason.FILESYSTEM_DIFFERS, mapper, "holds "
                    + sig.get().describe() + "; refusing to re-format")));
        }
        return PlanResult.ok(new Plan("Filesystem on " + mapper, List.of(PlanStep.of(StepKind.MAKE_FS,
                Filesystems.mkfs(type, mapper, label)))));
    }

    /**
     * The seed's fstab line (and optionally a crypttab {@code noauto} line for the LV).
     *
     * @param lvPath backing device for the crypttab line; null when no crypttab line is wanted
     */
    public PlanResult fstabAdd(String mapping, String mountpoint, FsType type, String options, String lvPath,
                               HostState h) {
        return fstabAdd(mapping, mountpoint, type, options, lvPath, false, false, h);
    }

    /**
     * @param auto  let the boot mount the line (noauto dropped; nofail and a device timeout added)
     * @param force a system directory, or a directory with files in it, as the mountpoint
     */
    public PlanResult fstabAdd(String mapping, String mountpoint, FsType type, String options, String lvPath,
                               boolean auto, boolean force, HostState h) {
        List<Refusal> r = new ArrayList<>();
        List<PlanStep> steps = new ArrayList<>();
        Inputs.mappingName(mapping).ifPresent(r::add);
        Inputs.Checked mp = Inputs.mountpoint(mountpoint, force);
        Inputs.Checked opts = Inputs.mountOptions(options, auto);
        r.addAll(mp.refusals());
        r.addAll(opts.refusals());
        if (!r.isEmpty()) {
            return PlanResult.refused(r);
        }
        mountpoint = mp.value();
        options = opts.value();
        r.addAll(Inputs.mountpointOnHost(h, mountpoint, force));
        String mapper = "/dev/mapper/" + mapping;
        if (lvPath != null) {
            Optional<CrypttabEntry> c = h.crypttabFor(mapping);
            if (c.isPresent() && !h.sameDevice(c.get().device(), lvPath)) {
                r.add(Refusal.of(Reason.CRYPTTAB_CONFLICT, "/etc/crypttab", "already maps " + mapping + " to "
                        + c.get().device()));
            } else if (c.isEmpty()) {
                CrypttabEntry entry = new CrypttabEntry(mapping, lvPath, "none", List.of("luks", "noauto"));
                steps.add(PlanStep.of(StepKind.ADD_CRYPTTAB, EtcFiles.appendLine(EtcFiles.CRYPTTAB, entry.line())));
            }
        }
        Optional<FstabEntry> e = h.fstabFor(mountpoint);
        if (e.isPresent() && !h.sameDevice(e.get().source(), mapper)) {
            r.add(Refusal.of(Reason.FSTAB_CONFLICT, "/etc/fstab", "already mounts " + e.get().source() + " on "
                    + mountpoint));
        } else if (e.isEmpty()) {
            FstabEntry entry = FstabEntry.of(mapper, mountpoint, type.fsName(), options);
            steps.add(PlanStep.of(StepKind.ADD_FSTAB, EtcFiles.appendLine(EtcFiles.FSTAB, entry.line())));
        }
        return result(r, "fstab line for " + mountpoint, steps);
    }

    /** Mounts the mapping (options from fstab when it has the line, else {@code options} without noauto). */
    public PlanResult mount(String mapping, String mountpoint, FsType type, String options, HostState h) {
        return mount(mapping, mountpoint, type, options, false, h);
    }

    /** @param force a system directory, or a directory with files in it, as the mountpoint */
    public PlanResult mount(String mapping, String mountpoint, FsType type, String options, boolean force, HostState h) {
        List<Refusal> bad = new ArrayList<>();
        Inputs.mappingName(mapping).ifPresent(bad::add);
        Inputs.Checked mp = Inputs.mountpoint(mountpoint, force);
        bad.addAll(mp.refusals());
        if (!bad.isEmpty()) {
            return PlanResult.refused(bad);
        }
        mountpoint = mp.value();
        String mapper = "/dev/mapper/" + mapping;
        Optional<Mount> at = h.mountAt(mountpoint);
        if (at.isPresent()) {
            if (h.sameDevice(at.get().source(), mapper)) {
                return PlanResult.ok(new Plan(mapper + " mounted on " + mountpoint, List.of()));
            }
            return PlanResult.refused(List.of(Refusal.of(Reason.MOUNTPOINT_BUSY, mountpoint, "already has "
                    + at.get().source() + " mounted on it")));
        }
        List<Refusal> there = Inputs.mountpointOnHost(h, mountpoint, force);
        if (!there.isEmpty()) {
            return PlanResult.refused(there);
        }
        if (h.mapping(mapping).isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.MISSING_DEVICE, mapper, "is not open; open it first")));
        }
        if (h.signatureOn(mapper).isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.MISSING_DEVICE, mapper, "holds no filesystem; "
                    + "make one first (fs make " + mapping + ")")));
        }
        String opts = Arrays.stream(options.split(",")).filter(o -> !o.equals("noauto") && !o.isBlank())
                .collect(Collectors.joining(","));
        var mount = Mounts.mount(mapper, mountpoint, type, opts);
        return PlanResult.ok(new Plan("Mount " + mapper + " on " + mountpoint, List.of(new PlanStep(StepKind.MOUNT,
                mount.description(), List.of(StepCommand.of(Mounts.mkdir(mountpoint)), StepCommand.of(mount)),
                List.of(), false))));
    }

    public PlanResult umount(String mountpoint, HostState h) {
        Inputs.Checked mp = Inputs.mountpoint(mountpoint, true);
        if (!mp.ok()) {
            return PlanResult.refused(mp.refusals());
        }
        mountpoint = mp.value();
        if (h.mountAt(mountpoint).isEmpty()) {
            return PlanResult.ok(new Plan(mountpoint + " unmounted", List.of()));
        }
        List<io.cryptvol.domain.model.ProcessUse> users = h.processesUsing(mountpoint);
        if (!users.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.IN_USE, mountpoint, "refusing to unmount: in use by "
                    + users.stream().map(io.cryptvol.domain.model.ProcessUse::describe)
                    .collect(Collectors.joining(", ")) + " (stop them first)")));
        }
        return PlanResult.ok(new Plan("Unmount " + mountpoint, List.of(PlanStep.of(StepKind.UNMOUNT,
                Mounts.umount(mountpoint)))));
    }

    // ---- shared --------------------------------------------------------------------------------------

    /**
     * Refuses a plan with a key-file step ({@link StepKind#LUKS_ADD_KEY}) when the observation saw the host's
     * key-file directory off tmpfs: before step 1, not at the key step (whose own check stays, for a host that
     * changed since). Nothing is refused when the observation did not look.
     */
    static List<Refusal> keyDir(HostState h, List<PlanStep> steps) {
        if (steps.stream().noneMatch(s -> s.kind() == StepKind.LUKS_ADD_KEY || s.kind() == StepKind.HEADER_BACKUP
                || s.kind() == StepKind.HEADER_RESTORE) || h.keyDirOnTmpfs().orElse(true)) {
            return List.of();
        }
        return List.of(Refusal.of(Reason.KEY_DIR_NOT_TMPFS, KeyFiles.DIR, "is on " + h.keyDirFs()
                + ", not tmpfs: refusing to write a key file there (mount a tmpfs on /run first)"));
    }

    /** luksAddKey with the new key in a tmpfs file (checked to be tmpfs), shredded ALWAYS. */
    static PlanStep addKey(String device, String newKey, String existingKey, io.cryptvol.domain.cmd.Kdf kdf,
                           Supplier<String> tokens) {
        String file = KeyFiles.path(tokens.get());
        List<StepCommand> cmds = List.of(
                StepCommand.of(KeyFiles.makeDir()),
                StepCommand.of(KeyFiles.tmpfsCheck()),
                StepCommand.withKey(KeyFiles.write(file), KeyRef.named(newKey)),
                StepCommand.withKey(Cryptsetup.luksAddKey(device, file, kdf), KeyRef.named(existingKey)));
        return new PlanStep(StepKind.LUKS_ADD_KEY, "Add key '" + newKey + "' to " + device, cmds,
                List.of(StepCommand.of(KeyFiles.shred(file))), false);
    }

    /** A block device there (disk, partition, loop, LV), not a crypt mapping. */
    private static List<Refusal> blockDevice(HostState h, String device) {
        Optional<Refusal> bad = Inputs.devicePath(device);
        if (bad.isPresent()) {
            return List.of(bad.get());
        }
        Optional<BlockDevice> d = h.deviceByPath(device);
        if (d.isEmpty()) {
            return List.of(Refusal.of(Reason.MISSING_DEVICE, device, "no such block device on the host"));
        }
        if (d.get().type() == DeviceType.CRYPT || d.get().type() == DeviceType.OTHER) {
            return List.of(Refusal.of(Reason.NOT_A_DISK, device, "is a " + d.get().type().name().toLowerCase()
                    + " device; give a disk, partition or LV"));
        }
        return List.of();
    }

    /** A LUKS header on the device that {@code key} opens. */
    private static List<Refusal> luksWithKey(HostState h, String device, String key) {
        List<Refusal> r = new ArrayList<>(blockDevice(h, device));
        if (!r.isEmpty()) {
            return r;
        }
        if (h.luksOn(device).isEmpty()) {
            return List.of(Refusal.of(Reason.MISSING_DEVICE, device, "has no LUKS header; format it first "
                    + "(luks format " + device + " --key NAME)"));
        }
        Optional<Boolean> opens = h.keyOpens(device, key);
        if (opens.isEmpty()) {
            return List.of(Refusal.of(Reason.LUKS_KEY_NOT_CHECKED, device, "key '" + key + "' was not tested"));
        }
        if (!opens.get()) {
            return List.of(Refusal.of(Reason.LUKS_KEY_DOES_NOT_OPEN, device, "key '" + key
                    + "' does not open its LUKS header (wrong key?)"));
        }
        return List.of();
    }

    private static PlanResult result(List<Refusal> refusals, String title, List<PlanStep> steps) {
        return refusals.isEmpty() ? PlanResult.ok(new Plan(title, steps)) : PlanResult.refused(refusals);
    }
}

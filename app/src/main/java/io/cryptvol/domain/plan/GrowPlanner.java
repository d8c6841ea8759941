package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.Filesystems;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Grows a mounted volume onto new devices: pvcreate → vgextend → lvextend keeping the stripe count
 * and size (-i N -I S -l +100%FREE) → cryptsetup resize (LUKS2: with the key) → grow the
 * filesystem. Refuses a number of new devices that is not a multiple of the stripes (unless
 * {@code linear}). Skips PVs and VG membership already done; the filesystem grow is always planned
 * (a no-op when already grown), so a resumed run finishes the job.
 */
public final class GrowPlanner {

    /**
     * @param keyName       key for cryptsetup resize when it needs one (null: none given)
     * @param linear        add the new space as a linear segment instead of keeping the stripes
     * @param keyInKeyring  whether the mapping's volume key sits in the kernel keyring (dmsetup table shows a
     *                      ":logon:" key); null when not known. cryptsetup resize reads a key held in the device-mapper
     *                      table itself, but cannot read a keyring (logon) key: then it asks for a passphrase. LUKS1
     *                      never uses the keyring.
     */
    public record GrowSpec(String vgName, String lvName, List<String> newDevices, String mappingName,
                           String mountpoint, FsType fsType, String keyName, boolean linear, Boolean keyInKeyring) {
        public GrowSpec {
            newDevices = List.copyOf(newDevices);
        }

        public GrowSpec(String vgName, String lvName, List<String> newDevices, String mappingName, String mountpoint,
                        FsType fsType, String keyName, boolean linear) {
            this(vgName, lvName, newDevices, mappingName, mountpoint, fsType, keyName, linear, null);
        }
    }

    /** Whether cryptsetup resize needs a key here: LUKS2 (or unknown) whose volume key is (or may be) in the keyring. */
    public static boolean resizeNeedsKey(Optional<LuksHeader> header, Boolean keyInKeyring) {
        return header.map(x -> x.version() != 1).orElse(true) && !Boolean.FALSE.equals(keyInKeyring);
    }

    public PlanResult plan(GrowSpec s, HostState h) {
        List<Refusal> refusals = new ArrayList<>();
        Optional<VolumeGroup> vg = h.vg(s.vgName());
        Optional<LogicalVolume> lvo = h.lv(s.vgName(), s.lvName());
        if (vg.isEmpty() || lvo.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.LV_MISSING, s.vgName() + "/" + s.lvName(),
                    "no such LV on the host")));
        }
        LogicalVolume lv = lvo.get();
        String mapper = "/dev/mapper/" + s.mappingName();
        Optional<String> backing = h.mappingBackingDevice(s.mappingName());
        if (backing.isEmpty() || !h.sameDevice(backing.get(), lv.path())) {
            refusals.add(Refusal.of(Reason.MAPPING_ELSEWHERE, mapper, backing.map(b -> "is open on " + b + ", not "
                    + lv.path()).orElse("is not open; unlock the volume first")));
        }
        if (h.mountAt(s.mountpoint()).filter(m -> h.sameDevice(m.source(), mapper)).isEmpty()) {
            refusals.add(Refusal.of(Reason.NOT_MOUNTED, s.mountpoint(), mapper + " is not mounted there; mount it first"));
        }
        int stripes = Math.max(1, lv.stripes());
        addCount(lv.path(), stripes, s.newDevices().size(), s.linear(), "devices").ifPresent(refusals::add);
        List<PlanStep> steps = new ArrayList<>();
        List<String> toExtend = new ArrayList<>();
        for (String d : s.newDevices()) {
            List<Refusal> present = DeviceChecks.present(h, d);
            if (!present.isEmpty()) {
                refusals.addAll(present);
                continue;
            }
            Optional<PhysicalVolume> pv = h.pvOn(d);
            if (pv.isPresent() && pv.get().vgName().equals(s.vgName())) {
                continue; // already in the VG
            }
            if (pv.isPresent() && pv.get().inVg()) {
                refusals.add(Refusal.of(Reason.PV_OF_OTHER_VG, d, "is a PV of VG " + pv.get().vgName()));
                continue;
            }
            if (pv.isEmpty()) {
                List<Refusal> r = DeviceChecks.emptyAndUnused(h, d);
                refusals.addAll(r);
                if (r.isEmpty()) {
                    steps.add(PlanStep.of(StepKind.CREATE_PV, Lvm.pvcreate(d)));
                }
            }
            toExtend.add(d);
        }
        if (!s.linear() && stripes > 1) {
            refusals.addAll(DeviceChecks.equalSizes(h, lv.path(), s.newDevices()));
        }
        if (!toExtend.isEmpty()) {
            steps.add(PlanStep.of(StepKind.EXTEND_VG, Lvm.vgextend(s.vgName(), toExtend)));
        }
        long minFree = vg.get().extentSizeBytes() * (s.linear() ? 1 : stripes);
        boolean extendLv = !toExtend.isEmpty() || vg.get().freeBytes() >= Math.max(1, minFree);
        if (extendLv) {
            Lvm.Layout layout = s.linear() || stripes == 1 ? Lvm.Layout.linear()
                    : Lvm.Layout.striped(stripes, lv.stripeSizeBytes());
            steps.add(PlanStep.of(StepKind.EXTEND_LV, Lvm.lvextend(s.vgName(), s.lvName(), layout, "+100%FREE")));
        }
        Optional<LuksHeader> header = h.luksOn(lv.path());
        boolean withKey = resizeNeedsKey(header, s.keyInKeyring());
        if (extendLv || mappingSmallerThanLv(h, s.mappingName(), lv, header)) {
            if (withKey && s.keyName() == null) {
                refusals.add(Refusal.of(Reason.LUKS_KEY_NOT_CHECKED, mapper, "cryptsetup resize of this LUKS2 device asks "
                        + "for a key (its volume key is in the kernel keyring): pass --key NAME, --key-file PATH, "
                        + "--key-backup DIR or --passphrase"));
            } else {
                var resize = Cryptsetup.resize(s.mappingName(), withKey);
                steps.add(withKey ? PlanStep.withKey(StepKind.RESIZE_MAPPING, resize, KeyRef.named(s.keyName()))
                        : PlanStep.of(StepKind.RESIZE_MAPPING, resize));
            }
        }
        steps.add(PlanStep.of(StepKind.GROW_FS, Filesystems.grow(s.fsType(), mapper, s.mountpoint())));
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        return PlanResult.ok(new Plan("Grow " + s.mountpoint() + " (" + lv.path() + ")", steps));
    }

    /**
     * Refuses adding {@code count} new PVs (or, with {@code noun} "volumes", new EBS volumes) to an LV of
     * {@code stripes} stripes when they are not a multiple of the stripes, unless {@code linear}.
     */
    public static Optional<Refusal> addCount(String lvPath, int stripes, int count, boolean linear, String noun) {
        int n = Math.max(1, stripes);
        if (linear || count % n == 0) {
            return Optional.empty();
        }
        return Optional.of(Refusal.of(Reason.STRIPES_MISMATCH, lvPath, "has " + n + " stripes; add a multiple of "
                + n + " " + noun + " (got " + count + ") or grow it linearly"
                + (noun.equals("volumes") ? " (--linear)" : "")));
    }

    /** True when the open mapping is smaller than the LV minus the LUKS data offset, or when unknown. */
    private static boolean mappingSmallerThanLv(HostState h, String mapping, LogicalVolume lv,
                                                Optional<LuksHeader> header) {
        Optional<BlockDevice> m = h.mapping(mapping);
        if (m.isEmpty() || header.isEmpty()) {
            return header.isEmpty() && m.isPresent();
        }
        return m.get().sizeBytes() < lv.sizeBytes() - header.get().dataOffsetBytes();
    }
}

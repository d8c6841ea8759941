package io.cryptvol.day2;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.Mounts;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PathInfo;
import io.cryptvol.domain.plan.Inputs;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.domain.plan.Refusal.Reason;
import io.cryptvol.domain.plan.StepCommand;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.domain.cmd.HostCommand;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Post-reboot unlock: [vgimport] → vgchange -ay → cryptsetup open (key on stdin) → [mkdir] + mount. Skips
 * what is already up. One plan, no second look after the activation (it costs seconds on a slow host): a
 * wrong key or a missing header fails the open itself, which changes nothing, and the caller then
 * deactivates the VG it activated. Pure.
 */
public final class UnlockPlanner {

    public PlanResult plan(VolumeLocator.Located v, KeyRef key, boolean vgExported, HostState h) {
        return plan(v, key, vgExported, List.of(), h);
    }

    /**
     * @param missing the VG's members the host cannot see (see {@link Lvm#missingPvQuery} and
     *                {@link io.cryptvol.domain.parse.LvmReportParser#missingPvs}),
     *                each as the words to name it with: "vol-0abc… (PV uuid …)" when EC2 tells which volume,
     *                else "PV uuid …". A VG with a missing member is refused before anything changes: a striped
     *                LV cannot be activated without it.
     */
    public PlanResult plan(VolumeLocator.Located v, KeyRef key, boolean vgExported, List<String> missing, HostState h) {
        List<Refusal> refusals = new ArrayList<>();
        Inputs.mappingName(v.mapping()).ifPresent(refusals::add);
        Inputs.Checked mp = Inputs.mountpoint(v.mountpoint(), true);
        refusals.addAll(mp.refusals());
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        List<PlanStep> steps = new ArrayList<>();
        Optional<LogicalVolume> lv = h.lv(v.vg(), v.lv());
        String title = "Unlock " + v.mountpoint() + " (" + v.lvPath() + " → " + v.mapperPath() + ")";
        if (h.vg(v.vg()).isEmpty() || lv.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.LV_MISSING, v.lvPath(), "is not on the host: are the "
                    + "VG's volumes attached? (volumes list)")));
        }
        if (!missing.isEmpty()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.MEMBER_MISSING, "VG " + v.vg(), "is missing "
                    + missing.size() + (missing.size() == 1 ? " member: " : " members: ") + String.join(", ", missing)
                    + "; attach " + (missing.size() == 1 ? "it" : "them") + " to this instance and unlock again")));
        }
        boolean active = lv.get().active();
        if (vgExported) {
            steps.add(PlanStep.of(StepKind.ACTIVATE_VG, Lvm.vgimport(v.vg())));
        }
        if (!active) {
            steps.add(PlanStep.of(StepKind.ACTIVATE_VG, Lvm.activate(v.vg())));
        }
        Optional<String> backing = h.mappingBackingDevice(v.mapping());
        if (backing.isPresent()) {
            if (!h.sameDevice(backing.get(), v.lvPath())) {
                refusals.add(Refusal.of(Reason.MAPPING_ELSEWHERE, v.mapperPath(), "is open on " + backing.get()
                        + ", not " + v.lvPath()));
            }
        } else {
            if (active && h.luksOn(v.lvPath()).isEmpty()) {
                refusals.add(Refusal.of(Reason.FOREIGN_SIGNATURE, v.lvPath(), "holds no LUKS header"));
            } else if (h.keyOpens(v.lvPath(), key.name()).filter(opens -> !opens).isPresent()) {
                refusals.add(Refusal.of(Reason.LUKS_KEY_DOES_NOT_OPEN, v.lvPath(), key.describe()
                        + " does not open its LUKS header (tested with cryptsetup open --test-passphrase)"));
            }
            steps.add(PlanStep.withKey(StepKind.OPEN_MAPPING, Cryptsetup.open(v.lvPath(), v.mapping()), key));
        }
        Optional<Mount> at = h.mountAt(v.mountpoint());
        if (at.isPresent()) {
            if (!h.sameDevice(at.get().source(), v.mapperPath())) {
                refusals.add(Refusal.of(Reason.MOUNTPOINT_BUSY, v.mountpoint(), "already has " + at.get().source()
                        + " mounted on it"));
            }
        } else {
            HostCommand mount = Mounts.mount(v.mapperPath(), v.mountpoint(), fsType(v.fsType()), v.mountOptions());
            // mkdir -p only where the observation did not see a directory (a process less on the common path)
            boolean dir = h.pathAt(v.mountpoint()).map(p -> p.kind() == PathInfo.Kind.DIRECTORY
                    || p.kind() == PathInfo.Kind.EMPTY_DIRECTORY || p.kind() == PathInfo.Kind.NON_EMPTY_DIRECTORY).orElse(false);
            steps.add(new PlanStep(StepKind.MOUNT, mount.description(), dir ? List.of(StepCommand.of(mount))
                    : List.of(StepCommand.of(Mounts.mkdir(v.mountpoint())), StepCommand.of(mount)), List.of(), false));
        }
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        return PlanResult.ok(new Plan(steps.isEmpty() ? v.mountpoint() + " is unlocked and mounted" : title, steps));
    }

    static FsType fsType(String name) {
        try {
            return FsType.byName(name);
        } catch (RuntimeException e) {
            return FsType.XFS;
        }
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Ephemeral;
import io.cryptvol.domain.cmd.Ephemeral.Config;
import io.cryptvol.domain.cmd.Ephemeral.Use;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.EphemeralFacts;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.ProcessUse;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Plans {@code ephemeral setup} and {@code ephemeral remove} (issue 19) from the observed host: which disks are
 * instance store (by NVMe model; EBS volumes never are), whether any is in use, what is at the mountpoint, and
 * what an earlier setup left (its unit). The boot-time work itself is {@link Ephemeral}'s script and unit.
 */
public final class EphemeralPlanner {

    /**
     * @param use        swap, tmp (/tmp) or a mountpoint
     * @param mountpoint for {@link Use#MOUNTPOINT}: the path as typed; otherwise null
     * @param disks      how many instance-store disks the admin expects (null: all there are)
     * @param force      also a disk holding a signature, a non-empty directory or a system directory
     */
    public record SetupSpec(Use use, String mountpoint, Integer disks, boolean force) {
    }

    private EphemeralPlanner() {
    }

    /** The instance-store disks: whole NVMe disks whose model is EC2's instance-storage model, by path. */
    public static List<BlockDevice> instanceStore(HostState h) {
        return h.devices().stream()
                .filter(d -> d.type() == DeviceType.DISK && d.model() != null && d.model().strip().equals(Ephemeral.MODEL))
                .sorted(java.util.Comparator.comparing(BlockDevice::path)).toList();
    }

    /** Disks other than instance store (EBS and the rest), for the message that says none was used. */
    private static long otherDisks(HostState h) {
        return h.devices().stream().filter(d -> d.type() == DeviceType.DISK).count() - instanceStore(h).size();
    }

    public static PlanResult setup(SetupSpec spec, HostState h, EphemeralFacts f) {
        List<Refusal> refusals = new ArrayList<>();
        String mp = switch (spec.use()) {
            case SWAP -> null;
            case TMP -> "/tmp";
            case MOUNTPOINT -> {
                Inputs.Checked c = Inputs.mountpoint(spec.mountpoint(), spec.force());
                if (!c.ok()) {
                    refusals.add(c.refusal());
                    yield null;
                }
                if (c.value().equals("/tmp")) {
                    refusals.add(Refusal.of(Reason.INVALID_SPEC, "mountpoint '/tmp'", "use --as tmp"));
                }
                yield c.value();
            }
        };
        if (spec.disks() != null && (spec.disks() < 1 || spec.disks() > Ephemeral.MAX_DISKS)) {
            refusals.add(Refusal.of(Reason.INVALID_SPEC, "--disks " + spec.disks(), "must be 1 to " + Ephemeral.MAX_DISKS));
        }
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        if (!f.systemd()) {
            return PlanResult.refused(List.of(Refusal.of(Reason.NO_SYSTEMD, "target", "systemd is not PID 1: the scratch "
                    + "is rebuilt at every boot by a systemd unit")));
        }
        List<BlockDevice> store = instanceStore(h);
        if (store.isEmpty()) {
            long other = otherDisks(h);
            return PlanResult.refused(List.of(Refusal.of(Reason.NO_INSTANCE_STORE, "target", "has no instance-store disk "
                    + "(NVMe model '" + Ephemeral.MODEL + "')" + (other > 0 ? "; its " + other + " other disk"
                    + (other == 1 ? " is" : "s are") + " EBS or local storage, never used for scratch" : ""))));
        }
        if (store.size() > Ephemeral.MAX_DISKS) {
            refusals.add(Refusal.of(Reason.STRIPES_MISMATCH, "target", "has " + store.size() + " instance-store disks; "
                    + "the scratch stripes 1 to " + Ephemeral.MAX_DISKS));
        }
        if (spec.disks() != null && spec.disks() != store.size()) {
            refusals.add(Refusal.of(Reason.STRIPES_MISMATCH, "--disks " + spec.disks(), "the instance has " + store.size()
                    + " instance-store disk" + (store.size() == 1 ? "" : "s") + " ("
                    + store.stream().map(BlockDevice::path).collect(Collectors.joining(", ")) + ")"));
        }
        Config want = new Config(spec.use(), store.size(), mp);
        Config have = f.config();
        if (f.unitPresent() && have == null) {
            refusals.add(Refusal.of(Reason.ALREADY_SET_UP, Ephemeral.UNIT_FILE, "exists and was not written by cryptvol"));
        } else if (have != null && !have.equals(want)) {
            refusals.add(Refusal.of(Reason.ALREADY_SET_UP, "ephemeral scratch", "is set up as " + have.describe()
                    + "; run 'ephemeral remove' first"));
        }
        boolean ours = want.equals(have);
        for (BlockDevice d : store) {
            refusals.addAll(inUse(d, h, f, spec.force()));
        }
        if (spec.use() == Use.MOUNTPOINT && mp != null) {
            var mount = h.mountAt(mp);
            if (mount.isPresent() && !h.sameDevice(mount.get().source(), Ephemeral.MAPPER_PATH)
                    && !ours) {
                refusals.add(Refusal.of(Reason.MOUNTPOINT_BUSY, "mountpoint " + Inputs.shown(mp), "has "
                        + Inputs.shown(mount.get().source()) + " mounted"));
            } else if (mount.isEmpty()) {
                refusals.addAll(Inputs.mountpointOnHost(h, mp, spec.force()));
            }
        }
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        String title = "Ephemeral scratch: " + want.describe() + " (" + store.stream().map(BlockDevice::path)
                .collect(Collectors.joining(", ")) + "), LVM striped, plain dm-crypt " + Ephemeral.CIPHER + " with a new "
                + "random key at every boot";
        if (ours && f.isActive() && f.isEnabled()) {
            return PlanResult.ok(new Plan(title + ": set up already", List.of()));
        }
        List<PlanStep> steps = new ArrayList<>();
        steps.add(PlanStep.of(StepKind.WRITE_BOOT_FILE, Ephemeral.installScript()));
        boolean running = ours && f.isActive();
        if (!running) {
            // the disk count and "none in use" again, on the host, just before the first change that matters
            steps.add(PlanStep.of(StepKind.CHECK_DISKS, Ephemeral.check(want)));
        }
        steps.add(PlanStep.of(StepKind.WRITE_BOOT_FILE, Ephemeral.installUnit(want)));
        steps.add(PlanStep.of(StepKind.WRITE_BOOT_FILE, Ephemeral.daemonReload()));
        steps.add(PlanStep.of(StepKind.ENABLE_UNIT, Ephemeral.enable()));
        if (spec.use() == Use.TMP) {
            // mounting over a /tmp in use would hide the files (sockets, private tmp dirs) of running programs
            title += "; /tmp is mounted from the next boot on, before the services start";
        } else if (!running) {
            if (mp != null && h.pathAt(mp).map(p -> p.kind() == io.cryptvol.domain.model.PathInfo.Kind.MISSING).orElse(false)) {
                steps.add(PlanStep.of(StepKind.WRITE_BOOT_FILE, Ephemeral.mkdir(mp)));
            }
            steps.add(PlanStep.of(StepKind.START_UNIT, Ephemeral.startNow()));
        }
        return PlanResult.ok(new Plan(title, steps));
    }

    /** Why an instance-store disk may not be used: mounted, swap, held, or holding a signature not the scratch's. */
    static List<Refusal> inUse(BlockDevice d, HostState h, EphemeralFacts f, boolean force) {
        List<Refusal> out = new ArrayList<>();
        String subject = d.path();
        List<String> mps = h.mountpointsUnder(d.path()).stream()
                .filter(m -> !d.selfAndDescendants().anyMatch(x -> x.name().equals(Ephemeral.MAPPING) && x.mountpoints().contains(m)))
                .toList();
        if (!mps.isEmpty()) {
            out.add(Refusal.of(Reason.MOUNTED, subject, "is in use: mounted at " + String.join(", ", mps)));
        }
        List<String> swaps = f.swapDevices();
        if (swaps.contains(d.path()) || d.children().stream().filter(c -> c.type() == DeviceType.PART)
                .anyMatch(c -> swaps.contains(c.path()))) {
            out.add(Refusal.of(Reason.IN_USE, subject, "is in use as swap"));
        }
        Optional<io.cryptvol.domain.model.PhysicalVolume> pv = h.pvOn(d.path());
        boolean scratchPv = pv.map(p -> p.vgName().equals(Ephemeral.VG)).orElse(false)
                || (pv.isEmpty() && "LVM2_member".equals(d.fstype()) && d.children().stream()
                .allMatch(c -> c.name().startsWith(Ephemeral.VG + "-")));
        if (!scratchPv) {
            List<String> holders = d.children().stream().map(BlockDevice::name).toList();
            if (!holders.isEmpty() && mps.isEmpty()) {
                out.add(Refusal.of(Reason.HAS_HOLDERS, subject, "is in use: held by " + String.join(", ", holders)));
            } else if (holders.isEmpty() && pv.map(p -> p.inVg()).orElse(false)) {
                out.add(Refusal.of(Reason.PV_OF_OTHER_VG, subject, "is in use: a PV of VG " + Inputs.shown(pv.get().vgName())));
            } else if (holders.isEmpty() && d.hasFilesystemSignature() && !force) {
                out.add(Refusal.of(Reason.HAS_SIGNATURE, subject, "holds " + Inputs.shown(d.fstype())
                        + "; it would be wiped at every boot: wipe it yourself, or pass --force"));
            }
        }
        return out;
    }

    /**
     * Undo: stop and disable the unit (unmount or swapoff, close, deactivate), drop the VG and LVM labels from the
     * disks, remove the unit and the script. Refused while processes use the mountpoint.
     */
    public static PlanResult remove(HostState h, EphemeralFacts f) {
        Config have = f.config();
        if (!f.unitPresent()) {
            return PlanResult.ok(new Plan("Ephemeral scratch: not set up", List.of()));
        }
        if (have == null) {
            return PlanResult.refused(List.of(Refusal.of(Reason.ALREADY_SET_UP, Ephemeral.UNIT_FILE,
                    "was not written by cryptvol; not removing it")));
        }
        if (have.mountpoint() != null) {
            List<ProcessUse> users = h.processesUsing(have.mountpoint());
            if (h.mountAt(have.mountpoint()).isPresent() && !users.isEmpty()) {
                return PlanResult.refused(List.of(Refusal.of(Reason.IN_USE, have.mountpoint(), "refusing to unmount: in "
                        + "use by " + users.stream().map(ProcessUse::describe).collect(Collectors.joining(", "))
                        + " (stop them first)")));
            }
        }
        List<PlanStep> steps = new ArrayList<>();
        steps.add(PlanStep.of(StepKind.STOP_UNIT, Ephemeral.disableNow()));
        if (f.script()) {
            steps.add(PlanStep.of(StepKind.WIPE_SCRATCH, Ephemeral.wipe(have)));
        }
        steps.add(PlanStep.of(StepKind.WRITE_BOOT_FILE, Ephemeral.removeFiles()));
        steps.add(PlanStep.of(StepKind.WRITE_BOOT_FILE, Ephemeral.daemonReload()));
        return PlanResult.ok(new Plan("Remove the ephemeral scratch (" + have.describe() + "); its data is gone with "
                + "its key", steps));
    }
}

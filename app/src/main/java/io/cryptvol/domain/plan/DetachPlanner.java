package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.Mounts;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.ProcessUse;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Takes a volume offline so its EBS volumes can be detached: umount → cryptsetup close →
 * vgchange -an. Skips what is already down. Refuses while processes use the mount (the caller
 * records {@code fuser -vm} in {@link HostState#processesUsing}) and while anything else in the VG
 * is open or mounted.
 */
public final class DetachPlanner {

    /** @param exportVg then vgexport the VG, so that its EBS volumes can be detached and attached elsewhere */
    public record DetachSpec(String mountpoint, String mappingName, String vgName, boolean exportVg) {
        public DetachSpec(String mountpoint, String mappingName, String vgName) {
            this(mountpoint, mappingName, vgName, false);
        }
    }

    public PlanResult plan(DetachSpec s, HostState h) {
        List<Refusal> refusals = new ArrayList<>();
        List<PlanStep> steps = new ArrayList<>();
        String mapper = "/dev/mapper/" + s.mappingName();
        if (h.mountAt(s.mountpoint()).isPresent()) {
            String src = h.mountAt(s.mountpoint()).get().source();
            if (!h.sameDevice(src, mapper)) {
                refusals.add(Refusal.of(Reason.MOUNTPOINT_BUSY, s.mountpoint(), "has " + src + " mounted, not " + mapper));
            }
            List<ProcessUse> users = h.processesUsing(s.mountpoint());
            if (!users.isEmpty()) {
                refusals.add(Refusal.of(Reason.IN_USE, s.mountpoint(), "refusing to unmount: in use by "
                        + users.stream().map(ProcessUse::describe).collect(Collectors.joining(", "))
                        + " (stop them first)"));
            }
            steps.add(PlanStep.of(StepKind.UNMOUNT, Mounts.umount(s.mountpoint())));
        }
        List<String> otherMounts = h.mountsOf(mapper).stream().map(m -> m.target())
                .filter(t -> !t.equals(s.mountpoint())).toList();
        if (!otherMounts.isEmpty()) {
            refusals.add(Refusal.of(Reason.MOUNTED, mapper, "is also mounted at " + String.join(", ", otherMounts)));
        }
        if (h.mapping(s.mappingName()).isPresent()) {
            steps.add(PlanStep.of(StepKind.CLOSE_MAPPING, Cryptsetup.close(s.mappingName())));
        }
        List<LogicalVolume> active = h.lvsIn(s.vgName()).stream().filter(LogicalVolume::active).toList();
        for (LogicalVolume lv : active) {
            List<String> others = h.holders(lv.dmPath()).stream().map(BlockDevice::name)
                    .filter(n -> !n.equals(s.mappingName())).toList();
            if (!others.isEmpty()) {
                refusals.add(Refusal.of(Reason.IN_USE, lv.path(), "is held open by " + String.join(", ", others)));
            }
            if (h.isMounted(lv.path())) {
                refusals.add(Refusal.of(Reason.MOUNTED, lv.path(), "is mounted directly"));
            }
        }
        if (!active.isEmpty()) {
            steps.add(PlanStep.of(StepKind.DEACTIVATE_VG, Lvm.deactivate(s.vgName())));
        }
        if (s.exportVg()) {
            steps.add(PlanStep.of(StepKind.DEACTIVATE_VG, Lvm.vgexport(s.vgName())));
        }
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        return PlanResult.ok(new Plan("Detach " + s.mountpoint() + " (" + mapper + ", VG " + s.vgName() + ")", steps));
    }
}

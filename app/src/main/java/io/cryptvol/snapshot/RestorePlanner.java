package io.cryptvol.snapshot;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.Mounts;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.domain.cmd.HostCommand;

import java.util.ArrayList;
import java.util.List;

/**
 * The host side of a restore, as a pure function of where the restored volumes appeared. When the
 * original VG is still there (the clones carry the same PV and VG UUIDs) the clones are imported
 * under a new VG name ({@code vgimportclone}, which also gives them new UUIDs); the LUKS header gets a
 * new UUID (no key needed) and XFS is mounted with {@code nouuid}, so original and copy can be open
 * and mounted at once. The key goes on stdin of {@code cryptsetup open} only.
 */
public final class RestorePlanner {
    private RestorePlanner() {
    }

    public record Spec(String originalVg, String lv, String newVg, boolean importClone, List<String> devices,
                       String newLuksUuid, String mapping, String mountpoint, String keyName) {
        public Spec {
            devices = List.copyOf(devices);
        }
    }

    public static Plan plan(Spec s) {
        List<PlanStep> steps = new ArrayList<>();
        String vg = s.importClone() ? s.newVg() : s.originalVg();
        if (s.importClone()) {
            steps.add(PlanStep.of(StepKind.IMPORT_CLONE, Lvm.vgimportclone(s.newVg(), s.devices())));
        } else {
            List<String> argv = new ArrayList<>(List.of("pvscan", "--cache"));
            argv.addAll(s.devices());
            steps.add(PlanStep.of(StepKind.ACTIVATE_VG, HostCommand.of("Scan the restored PVs", argv)));
        }
        steps.add(PlanStep.of(StepKind.ACTIVATE_VG, Lvm.activate(vg)));
        String lvPath = "/dev/" + vg + "/" + s.lv();
        steps.add(PlanStep.of(StepKind.NEW_LUKS_UUID, Cryptsetup.luksUuid(lvPath, s.newLuksUuid())));
        steps.add(io.cryptvol.domain.plan.HeaderPlanner.backupStep(lvPath)); // a new UUID: a header backup of its own
        steps.add(PlanStep.withKey(StepKind.OPEN_MAPPING, Cryptsetup.open(lvPath, s.mapping()), KeyRef.named(s.keyName())));
        steps.add(PlanStep.of(StepKind.MOUNT, Mounts.mkdir(s.mountpoint())));
        steps.add(PlanStep.of(StepKind.MOUNT, Mounts.mount("/dev/mapper/" + s.mapping(), s.mountpoint(), FsType.XFS,
                "rw,noatime,nouuid")));
        return new Plan("Restore " + s.originalVg() + "/" + s.lv() + " as " + vg + "/" + s.lv() + " → "
                + s.mapping() + " @" + s.mountpoint(), steps);
    }
}

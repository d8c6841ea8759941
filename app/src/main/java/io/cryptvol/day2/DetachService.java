package io.cryptvol.day2;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.DetachPlanner;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Detach: umount → close → vgchange -an [→ vgexport], planned by {@link DetachPlanner}; then, when asked, the
 * VG's EBS volumes are matched to its PVs and detached through {@link VolumeService}.
 */
public final class DetachService {
    private final SessionContext ctx;
    private final PlanRunner.KeySource keys;
    private final Consumer<HostState> remember;
    private final Supplier<VolumeService> volumes;

    /**
     * @param remember refreshes the completion inventory from a host state (a refused plan does not)
     * @param volumes  the EBS service, or null when EBS access is not configured
     */
    public DetachService(SessionContext ctx, PlanRunner.KeySource keys, Consumer<HostState> remember,
                         Supplier<VolumeService> volumes) {
        this.ctx = ctx;
        this.keys = keys;
        this.remember = remember;
        this.volumes = volumes;
    }

    /** One detach: its planner for the plan engine, and what it found once planned. */
    public final class Detach {
        private final String mountpoint;
        private final boolean exportVg;
        private VolumeLocator.Located volume;
        private final List<String> pvs = new ArrayList<>();

        private Detach(String mountpoint, boolean exportVg) {
            this.mountpoint = mountpoint;
            this.exportVg = exportVg;
        }

        public Function<HostExecutor, PlanResult> planner() {
            return ex -> {
                VolumeObservation o = VolumeObservation.observe(ex, keys, ctx, mountpoint, List.of());
                volume = o.volume();
                pvs.clear();
                pvs.addAll(o.state().pvsIn(volume.vg()).stream().map(p -> p.path()).toList());
                PlanResult r = new DetachPlanner().plan(new DetachPlanner.DetachSpec(volume.mountpoint(),
                        volume.mapping(), volume.vg(), exportVg), o.state());
                if (!r.isRefused()) {
                    remember.accept(o.state());
                }
                return r;
            };
        }

        public VolumeLocator.Located volume() {
            return volume;
        }

        public List<String> pvs() {
            return List.copyOf(pvs);
        }
    }

    public Detach prepare(String mountpoint, boolean exportVg) {
        return new Detach(mountpoint, exportVg);
    }

    /**
     * Detaches the EBS volumes behind the detached VG's PVs; refuses (changing nothing in EC2) when not every PV
     * has its EBS volume or a volume may not be detached.
     *
     * @return the ids detached
     */
    public List<String> detachVolumes(Detach d, VolumeService.Progress progress, Consumer<String> warn) {
        VolumeService vs = volumes.get();
        String vg = d.volume().vg();
        List<String> pvs = d.pvs();
        if (vs == null) {
            throw new CryptvolException("EBS access is not configured: detach the volumes of " + vg + " ("
                    + String.join(", ", pvs) + ") yourself", ExitCode.FAILED, null);
        }
        List<String> warnings = new ArrayList<>();
        List<String> ids = vs.list(false, warnings).stream()
                .filter(l -> l.hostDevice() != null && pvs.contains(l.hostDevice())).map(l -> l.volume().id()).toList();
        warnings.forEach(warn);
        if (ids.size() != pvs.size()) {
            throw new CryptvolException("found EBS volumes for " + ids.size() + " of the " + pvs.size() + " PVs of "
                    + vg + " (" + String.join(", ", pvs) + "); detach the rest with 'volumes detach'", ExitCode.FAILED, null);
        }
        List<VolumeService.DetachCheck> checks = vs.checkDetach(ids);
        List<String> refusals = checks.stream().map(VolumeService.DetachCheck::refusal).filter(r -> r != null).toList();
        if (!refusals.isEmpty()) {
            throw new CryptvolException("not detaching: " + String.join("; ", refusals), ExitCode.FAILED, null);
        }
        vs.detach(checks, false, progress);
        return ids;
    }
}

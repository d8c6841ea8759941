package io.cryptvol.day2;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.MountCheck;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.parse.LvmReportParser;
import io.cryptvol.domain.parse.MountCheckParser;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Post-reboot unlock of one volume with one key: observe, probe whether its VG is exported and complete,
 * test the key when the LV is active, plan ({@link UnlockPlanner}); after a failed open, put the VG back as it
 * was (deactivated, exported again); after the plan ran, verify the mount ({@link MountCheck}).
 */
public final class UnlockService {
    private final SessionContext ctx;
    private final PlanRunner.KeySource keys;
    private final Consumer<HostState> remember;
    private final Supplier<VolumeService> volumes;
    private final HostAccess hosts;

    public UnlockService(SessionContext ctx, PlanRunner.KeySource keys, Consumer<HostState> remember,
                         Supplier<VolumeService> volumes, HostAccess hosts) {
        this.ctx = ctx;
        this.keys = keys;
        this.remember = remember;
        this.volumes = volumes;
        this.hosts = hosts;
    }

    /** The key does not open the LUKS header; nothing was left changed. */
    public static final class WrongKey extends CryptvolException {
        public WrongKey(String message) {
            super(message, ExitCode.FAILED, null);
        }
    }

    public Attempt attempt(KeyChoice choice, String mountpoint) {
        return new Attempt(choice, mountpoint);
    }

    /** One unlock with one key source; its planner runs in the plan engine. */
    public final class Attempt {
        private final KeyChoice choice;
        private final String mountpoint;
        private final long t0 = System.nanoTime();
        private VolumeLocator.Located volume;
        private boolean activatedHere;
        private boolean importedHere;
        private boolean keyTested;

        private Attempt(KeyChoice choice, String mountpoint) {
            this.choice = choice;
            this.mountpoint = mountpoint;
        }

        public Function<HostExecutor, PlanResult> planner() {
            PlanRunner.KeySource both = ref -> {
                byte[] b = choice.source().bytes(ref);
                return b != null ? b : keys.bytes(ref);
            };
            return ex -> {
                VolumeObservation o = VolumeObservation.observe(ex, keys, ctx, mountpoint, List.of());
                HostState h = o.state();
                VolumeLocator.Located v = o.volume();
                volume = v;
                boolean inactive = h.lv(v.vg(), v.lv()).map(l -> !l.active()).orElse(false);
                boolean exported = inactive && ex.run(Lvm.exportedQuery(v.vg())).out().contains("exported");
                List<String> missing = inactive ? missingMembers(ex, v.vg()) : List.of();
                activatedHere |= inactive && missing.isEmpty();
                importedHere |= exported && missing.isEmpty();
                // the key is tried before anything changes (a query: in a dry run too)
                UnlockKeyCheck.Result k = UnlockKeyCheck.check(ex, h, v, choice.label(), both);
                keyTested = k.tested();
                PlanResult r = new UnlockPlanner().plan(v, choice.ref(), exported, missing, k.state());
                if (!r.isRefused()) {
                    remember.accept(h);
                }
                if (r.isRefused() && r.refusals().stream().anyMatch(x -> x.reason() == Refusal.Reason.LUKS_KEY_DOES_NOT_OPEN)) {
                    throw new WrongKey(describe(choice) + " does not open " + v.lvPath() + " (no key slot matched)");
                }
                return r;
            };
        }

        /**
         * After a failed step: a failed open changes nothing, so the VG is put back as it was and a
         * {@link WrongKey} returned; anything else is returned as it was.
         */
        public RuntimeException failed(PlanRunner.StepFailedException e) {
            if (e.step().kind() == StepKind.OPEN_MAPPING && e.detail().contains("No key available")) {
                undo();
                return new WrongKey(describe(choice) + " does not open " + volume.lvPath() + " (no key slot matched)");
            }
            return e;
        }

        /** Deactivates (and exports again) a VG this attempt activated (imported). */
        public void undo() {
            if (volume == null) {
                return;
            }
            if (activatedHere) {
                hosts.executor().run(Lvm.deactivate(volume.vg()));
            }
            if (importedHere) {
                hosts.executor().run(Lvm.vgexport(volume.vg()));
            }
        }

        /** Mounted from the mapping and writable, else fails; the session now selects the volume. */
        public MountCheckParser.Result verify() {
            VolumeLocator.Located v = volume;
            ctx.set(SessionContext.Part.MAPPING, v.mapping());
            ctx.set(SessionContext.Part.MOUNTPOINT, v.mountpoint());
            ExecResult r = hosts.executor().run(MountCheck.verify(v.mountpoint(), v.mapperPath()));
            MountCheckParser.Result m = MountCheckParser.parse(r.out());
            if (m.source() == null || !m.source().equals(v.mapperPath()) || m.sizeBytes() < 0) {
                throw new CryptvolException(v.mountpoint() + " does not show " + v.mapperPath() + " mounted", ExitCode.FAILED, null);
            }
            if (!m.writable()) {
                throw new CryptvolException(v.mountpoint() + " is mounted but not writable", ExitCode.FAILED, null);
            }
            return m;
        }

        public VolumeLocator.Located volume() {
            return volume;
        }

        public boolean keyTested() {
            return keyTested;
        }

        public boolean activatedHere() {
            return activatedHere;
        }

        public String keyDescription() {
            return describe(choice);
        }

        public double seconds() {
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /**
     * The VG's members the host cannot see, named by PV UUID and, when EC2 can be asked, by the volume ids tagged
     * for the VG that are not attached here.
     */
    List<String> missingMembers(HostExecutor ex, String vg) {
        List<String> uuids = LvmReportParser.missingPvs(ex.run(Lvm.missingPvQuery()).out(), vg);
        if (uuids.isEmpty()) {
            return List.of();
        }
        List<String> ids = List.of();
        try {
            VolumeService vs = volumes.get();
            ids = vs == null ? List.of() : vs.vgMembersNotAttached(vg);
        } catch (RuntimeException e) {
            // no EC2 view (no credentials, no instance selected): name the PVs only
        }
        List<String> out = new ArrayList<>();
        for (String u : uuids) {
            out.add("PV uuid " + u);
        }
        if (!ids.isEmpty()) {
            out.set(0, String.join(", ", ids) + " (EBS, tagged cryptvol:vg=" + vg + ", not attached here; " + out.get(0));
            out.set(out.size() - 1, out.get(out.size() - 1) + ")");
        }
        return out;
    }

    public static String describe(KeyChoice c) {
        String l = c.label();
        return l.startsWith("file ") || l.startsWith("backup ") || l.startsWith("typed ") ? "the " + l : "key '" + l + "'";
    }
}

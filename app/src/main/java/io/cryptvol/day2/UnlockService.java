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
    private final UnlockGuide guide;
    private final io.cryptvol.session.Inventory inventory;

    public UnlockService(SessionContext ctx, PlanRunner.KeySource keys, Consumer<HostState> remember,
                         Supplier<VolumeService> volumes, HostAccess hosts, UnlockGuide guide) {
        this(ctx, keys, remember, volumes, hosts, guide, new io.cryptvol.session.Inventory());
    }

    /** @param inventory where each EBS volume was last seen attached (the attachment history), to name a missing member */
    public UnlockService(SessionContext ctx, PlanRunner.KeySource keys, Consumer<HostState> remember,
                         Supplier<VolumeService> volumes, HostAccess hosts, UnlockGuide guide,
                         io.cryptvol.session.Inventory inventory) {
        this.inventory = inventory;
        this.guide = guide;
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
        return new Attempt(choice, mountpoint, null, null);
    }

    /**
     * An unlock of a volume the guide found ({@link LockedVolumes}): its first plan uses the state it was found
     * in (no second observation); the key is not tested apart (the open tests it, once), except in a dry run.
     */
    public Attempt guided(KeyChoice choice, LockedVolume volume, HostState found) {
        return new Attempt(choice, volume.mountpoint(), volume, found);
    }

    /** What is locked on the target now (read-only). */
    public LockedVolumes.Found findLocked(HostExecutor ex) {
        return LockedVolumes.find(ex, keys, VolumeObservation.selection(ctx));
    }

    public UnlockGuide guide() {
        return guide;
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

        private final LockedVolume fixed;
        private HostState found;
        private String luksUuid;

        private Attempt(KeyChoice choice, String mountpoint, LockedVolume fixed, HostState found) {
            this.luksUuid = fixed == null ? null : fixed.uuid();
            this.choice = choice;
            this.mountpoint = mountpoint;
            this.fixed = fixed;
            this.found = found;
        }

        public Function<HostExecutor, PlanResult> planner() {
            PlanRunner.KeySource both = ref -> {
                byte[] b = choice.source().bytes(ref);
                return b != null ? b : keys.bytes(ref);
            };
            return ex -> {
                HostState h;
                VolumeLocator.Located v;
                boolean exported;
                List<String> missing;
                if (fixed != null) {
                    v = fixed.located();
                    boolean first = found != null;
                    io.cryptvol.host.HostObserver.Scope scope = new io.cryptvol.host.HostObserver.Scope(
                            List.of(), List.of(), List.of(v.mountpoint()));
                    h = first ? found : new io.cryptvol.host.HostObserver(ex).observe(scope, keys);
                    if (VolumeObservation.justActivated(h, v)) {
                        h = new io.cryptvol.host.HostObserver(ex).observe(scope, keys); // see justActivated
                    }
                    found = null;
                    boolean inactive = h.lv(v.vg(), v.lv()).map(l -> !l.active()).orElse(true);
                    exported = first ? fixed.vgExported()
                            : inactive && ex.run(Lvm.exportedQuery(v.vg())).out().contains("exported");
                    missing = fixed.missing().isEmpty() ? List.of() : missingMembers(ex, v.vg());
                    if (h.lv(v.vg(), v.lv()).isEmpty()) {
                        // an exported VG's LVs may be listed from its metadata only; the planner needs the LV
                        h = withLv(h, v);
                    }
                    activatedHere |= inactive && missing.isEmpty();
                    importedHere |= exported && missing.isEmpty();
                } else {
                    VolumeObservation o = VolumeObservation.observe(ex, keys, ctx, mountpoint, List.of());
                    h = o.state();
                    v = o.volume();
                    boolean known = h.lv(v.vg(), v.lv()).isPresent();
                    // an LV the report leaves out may be in an exported VG
                    exported = h.lv(v.vg(), v.lv()).map(l -> !l.active()).orElse(true)
                            && ex.run(Lvm.exportedQuery(v.vg())).out().contains("exported");
                    if (!known && exported) {
                        h = withLv(h, v);
                    }
                    boolean inactive = h.lv(v.vg(), v.lv()).map(l -> !l.active()).orElse(false);
                    missing = inactive ? missingMembers(ex, v.vg()) : List.of();
                    activatedHere |= inactive && missing.isEmpty();
                    importedHere |= exported && missing.isEmpty();
                }
                volume = v;
                h.luksOn(v.lvPath()).map(x -> x.uuid()).ifPresent(u -> luksUuid = u);
                if (fixed == null || dryRun(ex)) {
                    // the key is tried before anything changes (a query: in a dry run too)
                    UnlockKeyCheck.Result k = UnlockKeyCheck.check(ex, h, v, choice.label(), both);
                    keyTested = k.tested();
                    h = k.state();
                }
                PlanResult r = new UnlockPlanner().plan(v, choice.ref(), exported, missing, h);
                if (!r.isRefused()) {
                    remember.accept(h);
                }
                if (r.isRefused() && r.refusals().stream().anyMatch(x -> x.reason() == Refusal.Reason.LUKS_KEY_DOES_NOT_OPEN)) {
                    throw wrongKey();
                }
                return r;
            };
        }

        private WrongKey wrongKey() {
            String uuid = luksUuid;
            byte[] b = choice.fromStore() ? null : choice.source().bytes(choice.ref());
            try {
                String other = uuid == null && !choice.fromStore() && b == null ? null
                        : guide.opensInstead(choice, b, uuid).orElse(null);
                return new WrongKey(describe(choice) + " does not open " + volume.lvPath() + " (no key slot matched)"
                        + (other == null ? "" : "; " + other));
            } finally {
                if (b != null) {
                    java.util.Arrays.fill(b, (byte) 0);
                }
            }
        }

        /**
         * After the unlock: remember the key for this LUKS UUID (when its header was read) if nothing was recorded
         * for it, so that the next guided unlock proposes it.
         */
        public void learn() {
            if (volume == null) {
                return;
            }
            if (luksUuid == null) {
                // the LV was inactive when planned: its header is readable now that it is open
                String u = hosts.executor().run(io.cryptvol.domain.cmd.HostCommand.query("LUKS UUID of " + volume.lvPath(),
                        "cryptsetup", "luksUUID", volume.lvPath())).out().strip();
                luksUuid = u.matches("[0-9a-fA-F-]{36}") ? u : null;
            }
            if (luksUuid == null) {
                return;
            }
            byte[] b = choice.fromStore() ? null : choice.source().bytes(choice.ref());
            try {
                guide.learned(choice, b, luksUuid, volume.vg() + "/" + volume.lv());
            } finally {
                if (b != null) {
                    java.util.Arrays.fill(b, (byte) 0);
                }
            }
        }

        /**
         * After a failed step: a failed open changes nothing, so the VG is put back as it was and a
         * {@link WrongKey} returned; anything else is returned as it was.
         */
        public RuntimeException failed(PlanRunner.StepFailedException e) {
            if (e.step().kind() == StepKind.OPEN_MAPPING && e.detail().contains("No key available")) {
                undo();
                return wrongKey();
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

    /** True when the executor is the session's dry run (nothing changes: the key is tested apart then). */
    private static boolean dryRun(HostExecutor ex) {
        return !ex.changesHost(); // the one dry-run decorator says so
    }

    /** The LVs observed plus the one of an exported VG, known from its metadata (inactive). */
    private static HostState withLv(HostState h, VolumeLocator.Located v) {
        List<io.cryptvol.domain.model.LogicalVolume> all = new ArrayList<>(h.lvs());
        all.add(new io.cryptvol.domain.model.LogicalVolume(v.lv(), v.vg(), null, 0, v.lvPath(),
                "/dev/mapper/" + v.vg().replace("-", "--") + "-" + v.lv().replace("-", "--"), false, List.of()));
        List<io.cryptvol.domain.model.VolumeGroup> vgs = new ArrayList<>(h.vgs());
        if (h.vg(v.vg()).isEmpty()) {
            vgs.add(new io.cryptvol.domain.model.VolumeGroup(v.vg(), null, 0, 0, 0, 0, 1, List.of()));
        }
        return h.withLvm(h.pvs(), vgs, all);
    }

    /**
     * The VG's members the host cannot see: each by the EBS volume last seen holding its PV, with that last known
     * attachment (the inventory's attachment history), and its PV UUID; the rest by PV UUID and, when EC2 can be
     * asked, by the volume ids tagged for the VG that are not attached here.
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
        return describeMissing(uuids, ids, vg, inventory::volumeOfPv);
    }

    /**
     * The words for each missing PV (pure): "vol-… (last seen attached to i-… as /dev/sdg at 2026-11-30T10:00Z; PV
     * uuid …)" when the history knows the volume that held it (with EC2's "EBS, tagged cryptvol:vg=…, not attached
     * here" first when EC2 names it too); the others "PV uuid …", led by the EC2 volume ids
     * tagged for the VG that are not attached here and not named already.
     */
    static List<String> describeMissing(List<String> uuids, List<String> ec2NotAttached, String vg,
                                        java.util.function.Function<String, java.util.Optional<io.cryptvol.session.Attachment>> lastSeen) {
        List<String> named = new ArrayList<>();
        List<String> unnamed = new ArrayList<>();
        List<String> knownIds = new ArrayList<>();
        for (String u : uuids) {
            java.util.Optional<io.cryptvol.session.Attachment> a = lastSeen.apply(u);
            if (a.isPresent()) {
                String ec2 = ec2NotAttached.contains(a.get().volumeId())
                        ? "EBS, tagged cryptvol:vg=" + vg + ", not attached here; " : ""; // what EC2 says now, too
                named.add(a.get().volumeId() + " (" + ec2 + a.get().describe() + "; PV uuid " + u + ")");
                knownIds.add(a.get().volumeId());
            } else {
                unnamed.add("PV uuid " + u);
            }
        }
        List<String> ids = ec2NotAttached.stream().filter(i -> !knownIds.contains(i)).toList();
        if (!ids.isEmpty() && !unnamed.isEmpty()) {
            unnamed.set(0, String.join(", ", ids) + " (EBS, tagged cryptvol:vg=" + vg + ", not attached here; " + unnamed.get(0));
            unnamed.set(unnamed.size() - 1, unnamed.get(unnamed.size() - 1) + ")");
        }
        List<String> out = new ArrayList<>(named);
        out.addAll(unnamed);
        return out;
    }

    /**
     * For a volume whose VG misses members: the planner's refusal (it names each missing volume), before any key
     * is asked for; empty when every member is here.
     */
    public java.util.Optional<PlanResult> refuseIncomplete(LockedVolume v, HostState found) {
        if (v.missing().isEmpty() || v.vg() == null) {
            return java.util.Optional.empty();
        }
        VolumeLocator.Located l = v.located();
        HostState h = found.lv(l.vg(), l.lv()).isPresent() ? found : withLv(found, l);
        PlanResult r = new UnlockPlanner().plan(l, io.cryptvol.domain.plan.KeyRef.named("-"), false,
                missingMembers(hosts.executor(), l.vg()), h);
        return r.isRefused() ? java.util.Optional.of(r) : java.util.Optional.empty();
    }

    /**
     * Where EC2 says the VG's volumes that are not attached here are now ("vol-… (attached to i-… as /dev/sdg)",
     * "vol-… (available)"); empty without EBS access.
     */
    public List<String> membersElsewhere(String vg) {
        try {
            VolumeService vs = volumes.get();
            return vs == null ? List.of() : vs.vgMembersElsewhere(vg);
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    public static String describe(KeyChoice c) {
        String l = c.label();
        return l.startsWith("file ") || l.startsWith("backup ") || l.startsWith("typed ") ? "the " + l : "key '" + l + "'";
    }
}

package io.cryptvol.snapshot;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsBatchException;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.Ec2Errors;
import io.cryptvol.aws.InstanceInfo;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.domain.VolumeDeviceMatcher;
import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.Filesystems;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.parse.LuksDumpParser;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Consistent snapshot sets of an encrypted striped volume, and their restore.
 *
 * <p>{@link #snapshot}: pre hook → watchdog → sync → {@code xfs_freeze -f} → one CreateSnapshots call
 * (the instance, boot volume and every data volume outside the VG excluded; else one CreateSnapshot
 * per volume, all at once) → {@code xfs_freeze -u} → stop the watchdog → post hook. The thaw is in a
 * finally block and, should cryptvol or its connection die, the watchdog on the target thaws anyway.
 * CreateSnapshots returns once the snapshots are pending: their content is fixed, so the filesystem is
 * frozen for the length of that one call, not for the copy.
 */
public class SnapshotService {
    private final AwsAccess aws;
    private final SessionContext ctx;
    private final HostAccess hosts;
    private final VolumeService volumes;

    public SnapshotService(AwsAccess aws, SessionContext ctx, HostAccess hosts, VolumeService volumes) {
        this.aws = aws;
        this.ctx = ctx;
        this.hosts = hosts;
        this.volumes = volumes;
    }

    private EbsGateway ebs() {
        return aws.ebs();
    }

    // ================================================================== what a snapshot covers

    /**
     * Finds what is mounted at the mountpoint (the option, else the context's): a LUKS mapping on an
     * LV; the LV's VG and every PV of it as an attached EBS volume of the current instance.
     */
    public SnapshotTarget discover(String mountpointOption) {
        String mnt = mountpointOption != null && !mountpointOption.isBlank() ? mountpointOption : ctx.mountpoint();
        if (mnt == null) {
            throw new CryptvolException("no mountpoint: 'use mountpoint /mnt/…' or --mountpoint", ExitCode.USAGE, null);
        }
        String instance = volumes.instanceId();
        HostExecutor ex = hosts.executor();
        HostState st = new HostObserver(ex).devicesAndLvm();
        BlockDevice fs = st.allDevices().stream().filter(d -> d.mountpoints().contains(mnt)).findFirst()
                .orElseThrow(() -> new CryptvolException("nothing is mounted at " + mnt + " on " + ex.target(), ExitCode.FAILED, null));
        if (fs.type() != DeviceType.CRYPT) {
            throw new CryptvolException(mnt + " is on " + fs.path() + ", not on a LUKS mapping", ExitCode.FAILED, null);
        }
        if (fs.fstype() != null && !"xfs".equals(fs.fstype())) {
            throw new CryptvolException(mnt + " is " + fs.fstype() + "; snapshot sets are for XFS", ExitCode.FAILED, null);
        }
        String lvDev = st.parents(fs.path()).stream().findFirst()
                .orElseThrow(() -> new CryptvolException("cannot see the device under " + fs.path(), ExitCode.FAILED, null));
        LogicalVolume lv = st.lvs().stream().filter(l -> l.hasPath(lvDev) || st.sameDevice(lvDev, l.dmPath()))
                .findFirst().orElseThrow(() -> new CryptvolException(fs.name() + " is on " + lvDev + ", which is not an LVM LV", ExitCode.FAILED, null));
        if (ctx.vg() != null && !ctx.vg().equals(lv.vgName())) {
            throw new CryptvolException(mnt + " is on VG " + lv.vgName() + " but the context's VG is " + ctx.vg(), ExitCode.FAILED, null);
        }
        if (ctx.mapping() != null && !ctx.mapping().equals(fs.name())) {
            throw new CryptvolException(mnt + " is on mapping " + fs.name() + " but the context's mapping is " + ctx.mapping(), ExitCode.FAILED, null);
        }
        List<PhysicalVolume> pvs = st.pvsIn(lv.vgName());
        String lvPath = lv.path() != null ? lv.path() : lvDev;
        ExecResult dump = ex.run(Cryptsetup.luksDump(lvPath).asQuery());
        String luksUuid = dump.ok() ? LuksDumpParser.parse(lvPath, dump.out()).uuid() : null;

        InstanceInfo info = ebs().describeInstance(instance);
        List<EbsVolume> attached = ebs().volumesAttachedTo(instance);
        List<VolumeDeviceMatcher.HostDisk> disks = st.devices().stream()
                .filter(d -> d.type() == DeviceType.DISK && d.path() != null)
                .map(d -> new VolumeDeviceMatcher.HostDisk(d.path(), d.serial())).toList();
        Map<String, String> volumeOfDisk = new LinkedHashMap<>();
        for (EbsVolume v : attached) {
            VolumeDeviceMatcher.match(v.id(), v.attachment().map(EbsVolume.Attachment::device).orElse(null), disks)
                    .ifPresent(m -> volumeOfDisk.put(m.devicePath(), v.id()));
        }
        List<SnapshotTarget.Member> members = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (PhysicalVolume pv : pvs) {
            Optional<BlockDevice> disk = st.devices().stream()
                    .filter(d -> d.selfAndDescendants().anyMatch(x -> pv.path().equals(x.path()))).findFirst();
            String vol = disk.map(d -> volumeOfDisk.get(d.path())).orElse(null);
            if (vol == null) {
                problems.add("PV " + pv.path() + " is not an EBS volume attached to " + instance);
            } else if (members.stream().noneMatch(m -> m.volumeId().equals(vol))) {
                members.add(new SnapshotTarget.Member(vol, pv.path()));
            }
        }
        if (!problems.isEmpty()) {
            throw new CryptvolException("cannot snapshot VG " + lv.vgName() + ": " + String.join("; ", problems), ExitCode.FAILED, null);
        }
        if (members.isEmpty()) {
            throw new CryptvolException("VG " + lv.vgName() + " has no PVs", ExitCode.FAILED, null);
        }
        String rootVolume = info.disks().stream().filter(d -> d.device().equals(info.rootDeviceName()))
                .map(InstanceInfo.Disk::volumeId).findFirst().orElse(null);
        List<String> ids = members.stream().map(SnapshotTarget.Member::volumeId).toList();
        List<String> excluded = attached.stream().map(EbsVolume::id)
                .filter(id -> !ids.contains(id) && !id.equals(rootVolume)).toList();
        return new SnapshotTarget(instance, lv.vgName(), lv.name(), lvPath, fs.name(), mnt, luksUuid, members,
                excluded, ids.contains(rootVolume));
    }

    // ================================================================== snapshot

    /** What the user asked for besides the target. */
    public record SnapshotOptions(String pre, String post, Duration watchdog, boolean await) {
        public SnapshotOptions {
            if (watchdog == null || watchdog.isNegative() || watchdog.isZero()) {
                throw new CryptvolException("--watchdog must be a positive number of seconds", ExitCode.USAGE, null);
            }
        }
    }

    /** Told what happens, as it happens (the shell prints lines; tests use the moments). */
    public interface Listener extends EbsProgress {
        default void step(String line) {
        }

        /** Right after {@code xfs_freeze -f} returned. */
        default void frozen() {
        }

        @Override
        default void on(Event e) {
        }

        Listener NONE = new Listener() {
        };
    }

    /**
     * @param freezeWindow    how long the filesystem was frozen: from {@code xfs_freeze -f} returning to
     *                        {@code xfs_freeze -u} returning, on the host's clock when the freeze was held open
     *                        ({@code hostClock}); else from cryptvol sending the freeze to seeing the thaw return
     * @param hostClock       whether {@code freezeWindow} was measured on the host
     * @param snapshotCall    how long the create call(s) took, inside the window
     * @param createSnapshots true when one CreateSnapshots call took the set
     * @param watchdogFired   true when the watchdog had thawed the filesystem before cryptvol did
     */
    public record Result(String setId, List<EbsSnapshot> snapshots, Duration freezeWindow, Duration snapshotCall,
                         boolean createSnapshots, boolean watchdogFired, List<String> warnings, boolean hostClock) {
    }

    /** The steps {@link #snapshot} takes, for showing before it runs. */
    public Plan plan(SnapshotTarget t, SnapshotOptions o) {
        List<io.cryptvol.domain.plan.PlanStep> steps = new ArrayList<>();
        if (o.pre() != null) {
            steps.add(step(hook("Pre hook", o.pre())));
        }
        steps.add(step(Watchdog.start(t.mountpoint(), o.watchdog())));
        steps.add(step(sync()));
        steps.add(step(Filesystems.freezeHold(t.mountpoint())));
        String call = t.bootVolumeInSet()
                ? "CreateSnapshot × " + t.members().size() + " (" + String.join(", ", t.volumeIds()) + ")"
                : "CreateSnapshots " + t.instanceId() + " ExcludeBootVolume"
                + (t.excludedVolumes().isEmpty() ? "" : " ExcludeDataVolumeIds " + String.join(",", t.excludedVolumes()))
                + " → " + String.join(", ", t.volumeIds());
        steps.add(step(HostCommand.of("EC2: snapshot " + t.members().size() + " volumes of VG " + t.vg() + " at once ("
                + call + ")", "ec2", call)));
        steps.add(step(HostCommand.of("Thaw: the held freeze gets its line and runs xfs_freeze -u " + t.mountpoint(),
                "echo", "thaw")));
        steps.add(step(HostCommand.of("Stop the watchdog", "kill", "-TERM", "--", "-PID")));
        if (o.post() != null) {
            steps.add(step(hook("Post hook", o.post())));
        }
        return new Plan("Snapshot " + t.vg() + "/" + t.lv() + " → " + t.mapping() + " @" + t.mountpoint()
                + " (" + t.members().size() + " volumes)", steps);
    }

    private static io.cryptvol.domain.plan.PlanStep step(HostCommand c) {
        return io.cryptvol.domain.plan.PlanStep.of(io.cryptvol.domain.plan.StepKind.SNAPSHOT, c);
    }

    static HostCommand hook(String what, String cmd) {
        return HostCommand.of(what + ": " + cmd, "sh", "-c", cmd).withTimeout(Duration.ofMinutes(10));
    }

    static HostCommand sync() {
        return HostCommand.of("Flush dirty data (sync)", "sync").withTimeout(Duration.ofMinutes(10));
    }

    /**
     * Takes the set. On any failure the filesystem is thawed (or, when the connection is gone, left to
     * the watchdog) and the post hook runs when the pre hook did; the exception says which.
     */
    public Result snapshot(SnapshotTarget t, SnapshotOptions o, Listener l) {
        HostExecutor ex = hosts.executor();
        String setId = UUID.randomUUID().toString();
        Map<String, String> setTags = SnapshotTags.forSet(setId, t);
        String description = "cryptvol set " + setId + " of " + t.vg() + "/" + t.lv() + " @" + t.mountpoint();
        List<String> warnings = new ArrayList<>();
        boolean preRan = false;
        Long watchdogPid = null;
        long watchdogStarted = 0;
        boolean frozen = false;
        long tFreeze = 0;
        long tThawed = 0;
        long[] hostFrozen = {0};
        long hostThawed = 0;
        io.cryptvol.exec.Conversation hold = null;
        Duration call = Duration.ZERO;
        boolean viaCreateSnapshots = !t.bootVolumeInSet();
        List<EbsSnapshot> snaps = List.of();
        RuntimeException failure = null;
        String thawProblem = null;
        boolean watchdogFired = false;
        try {
            if (o.pre() != null) {
                l.step("pre hook: " + o.pre());
                required(ex, hook("Pre hook", o.pre()));
                preRan = true;
            }
            ExecResult wd = required(ex, Watchdog.start(t.mountpoint(), o.watchdog()));
            watchdogPid = Watchdog.pid(wd.out());
            watchdogStarted = System.nanoTime();
            l.step("watchdog pid " + watchdogPid + " thaws " + t.mountpoint() + " after " + o.watchdog().toSeconds() + " s at the latest");
            required(ex, sync());
            tFreeze = System.nanoTime();
            frozen = true; // from here on, always thaw (a freeze that failed half-way is thawed harmlessly)
            hold = freeze(ex, t.mountpoint(), hostFrozen);
            l.step("frozen " + t.mountpoint());
            l.frozen();
            long c0 = System.nanoTime();
            try {
                if (viaCreateSnapshots) {
                    try {
                        snaps = ebs().snapshotInstance(t.instanceId(), true, t.excludedVolumes(), description, setTags, false);
                    } catch (CryptvolException e) {
                        if (!"UnauthorizedOperation".equals(Ec2Errors.code(e))) {
                            throw e;
                        }
                        viaCreateSnapshots = false;
                        l.step("CreateSnapshots not allowed; one CreateSnapshot per volume instead");
                        snaps = ebs().snapshotVolumes(t.volumeIds(), description, setTags, l);
                    }
                } else {
                    snaps = ebs().snapshotVolumes(t.volumeIds(), description, setTags, l);
                }
            } finally {
                call = Duration.ofNanos(System.nanoTime() - c0);
            }
            List<String> got = snaps.stream().map(EbsSnapshot::volumeId).sorted().toList();
            if (!got.equals(t.volumeIds().stream().sorted().toList())) {
                throw new CryptvolException("EC2 snapshotted " + got + " instead of the VG's volumes " + t.volumeIds(), ExitCode.FAILED, null);
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            if (frozen) {
                try {
                    ExecResult r;
                    if (hold != null) {
                        // the freeze holder is waiting on its stdin: one line and it thaws
                        hold.send("thaw");
                        String line = hold.readLine(Duration.ofSeconds(60));
                        r = hold.finish(Duration.ofSeconds(60));
                        tThawed = System.nanoTime();
                        hostThawed = line != null && line.startsWith("thawed ") ? nanos(line) : 0;
                    } else {
                        r = ex.run(Filesystems.thaw(t.mountpoint()));
                        tThawed = System.nanoTime();
                    }
                    if (!r.ok() && !r.err().contains("Invalid argument")) {
                        thawProblem = "xfs_freeze -u exited " + r.exitCode() + ": " + r.err().strip();
                    }
                } catch (RuntimeException e) {
                    thawProblem = "could not thaw (" + e.getMessage() + ")";
                    if (hold != null) {
                        hold.close(); // ends its stdin: the holder thaws on its own if it still runs
                    }
                }
                if (thawProblem == null) {
                    l.step("thawed " + t.mountpoint() + " after " + seconds(Duration.ofNanos(tThawed - tFreeze)));
                }
            }
            if (watchdogPid != null && thawProblem == null) {
                try {
                    ExecResult r = ex.run(Watchdog.stop(watchdogPid));
                    if (r.exitCode() == Watchdog.GONE) {
                        watchdogFired = frozen;
                    } else if (!r.ok()) {
                        warnings.add("could not stop the watchdog (pid " + watchdogPid + "): " + r.err().strip()
                                + "; it will thaw " + t.mountpoint() + " (harmlessly) later");
                    }
                } catch (RuntimeException e) {
                    warnings.add("could not stop the watchdog (pid " + watchdogPid + "): " + e.getMessage());
                }
            }
            if (preRan && o.post() != null) {
                try {
                    l.step("post hook: " + o.post());
                    ExecResult r = ex.run(hook("Post hook", o.post()));
                    if (!r.ok()) {
                        warnings.add("the post hook exited " + r.exitCode() + ": " + r.err().strip());
                    }
                } catch (RuntimeException e) {
                    warnings.add("the post hook did not run: " + e.getMessage());
                }
            }
        }
        boolean hostClock = hostFrozen[0] > 0 && hostThawed >= hostFrozen[0];
        Duration window = hostClock ? Duration.ofNanos(hostThawed - hostFrozen[0])
                : frozen && tThawed > 0 ? Duration.ofNanos(tThawed - tFreeze) : Duration.ZERO;
        if (failure != null || thawProblem != null) {
            StringBuilder msg = new StringBuilder("snapshot failed: ");
            msg.append(failure != null ? failure.getMessage() : "the snapshots were started but the thaw was not");
            if (!frozen) {
                msg.append("; nothing was frozen");
            } else if (thawProblem == null) {
                msg.append("; ").append(t.mountpoint()).append(" was thawed after ").append(seconds(window));
            } else {
                long leftMs = Duration.ofNanos(watchdogStarted - System.nanoTime()).plus(o.watchdog()).toMillis();
                msg.append("; ").append(thawProblem).append(hold != null ? ": the host thaws by itself when the connection ends, and" : ":")
                        .append(" the watchdog (pid ").append(watchdogPid).append(") thaws ")
                        .append(t.mountpoint()).append(" at most ").append(o.watchdog().toSeconds()).append(" s after it started")
                        .append(leftMs > 0 ? " (in " + seconds(Duration.ofMillis(leftMs)) + ")" : " (it has by now)");
            }
            if (!snaps.isEmpty()) {
                msg.append("; snapshots ").append(String.join(", ", snaps.stream().map(EbsSnapshot::id).toList()))
                        .append(" of set ").append(setId).append(" exist ('snapshots delete ").append(setId).append("')");
            }
            if (!warnings.isEmpty()) {
                msg.append("; ").append(String.join("; ", warnings));
            }
            throw new CryptvolException(msg.toString(), ExitCode.FAILED, failure);
        }
        // per-member tags: outside the freeze
        List<EbsSnapshot> ordered = order(snaps, t);
        for (int i = 0; i < ordered.size(); i++) {
            try {
                Map<String, String> m = SnapshotTags.forMember(i, ordered.size(), ordered.get(i).volumeId(), setId, t.vg());
                if (watchdogFired) {
                    m.put(SnapshotTags.CONSISTENCY, "crash");
                }
                ebs().tag(List.of(ordered.get(i).id()), m);
            } catch (RuntimeException e) {
                warnings.add("could not tag " + ordered.get(i).id() + ": " + e.getMessage());
            }
        }
        if (watchdogFired) {
            warnings.add("the watchdog had thawed " + t.mountpoint() + " after " + o.watchdog().toSeconds()
                    + " s, before the snapshots were taken: the set is crash-consistent only (raise --watchdog)");
        }
        List<EbsSnapshot> result = ordered;
        if (o.await()) {
            result = ebs().awaitSnapshots(ebs().region(), ordered.stream().map(EbsSnapshot::id).toList(), l);
        }
        return new Result(setId, result, window, call, viaCreateSnapshots, watchdogFired, warnings, hostClock);
    }

    /**
     * Freezes with a held {@link io.cryptvol.exec.Conversation} ({@link Filesystems#freezeHold}) when the executor
     * can hold a command open, and returns it; else with a plain {@code xfs_freeze -f} (thawed by a second
     * command) and returns null. {@code hostFrozen[0]} gets the host's clock at the freeze, when it said.
     */
    private static io.cryptvol.exec.Conversation freeze(HostExecutor ex, String mountpoint, long[] hostFrozen) {
        io.cryptvol.exec.Conversation c;
        try {
            c = ex.converse(Filesystems.freezeHold(mountpoint));
        } catch (UnsupportedOperationException e) {
            required(ex, Filesystems.freeze(mountpoint));
            return null;
        }
        String line = c.readLine(Duration.ofMinutes(10));
        if (line == null || !line.startsWith("frozen ")) {
            ExecResult r = c.finish(Duration.ofSeconds(60));
            throw new CryptvolException("xfs_freeze -f " + mountpoint + " failed (exit " + r.exitCode() + ")"
                    + (r.err().isBlank() ? "" : ": " + r.err().strip().lines().findFirst().orElse("")), ExitCode.FAILED, null);
        }
        hostFrozen[0] = nanos(line);
        return c;
    }

    /** The host's uptime clock, in ns, in a holder's "frozen SECONDS" / "thawed SECONDS RC" line (10 ms steps); 0 when absent. */
    static long nanos(String line) {
        String[] w = line.split(" ");
        if (w.length < 2 || !w[1].matches("\\d+(\\.\\d{1,9})?")) {
            return 0;
        }
        return new java.math.BigDecimal(w[1]).movePointRight(9).longValueExact();
    }

    /** The snapshots in the order of the target's members. */
    private static List<EbsSnapshot> order(List<EbsSnapshot> snaps, SnapshotTarget t) {
        List<EbsSnapshot> out = new ArrayList<>();
        for (String v : t.volumeIds()) {
            snaps.stream().filter(s -> v.equals(s.volumeId())).findFirst().ifPresent(out::add);
        }
        snaps.stream().filter(s -> !out.contains(s)).forEach(out::add);
        return out;
    }

    private static ExecResult required(HostExecutor ex, HostCommand c) {
        ExecResult r = ex.run(c);
        if (!r.ok()) {
            String err = r.err().strip();
            throw new CryptvolException(c.description() + " failed (exit " + r.exitCode() + ")"
                    + (err.isEmpty() ? "" : ": " + err.lines().findFirst().orElse("")), ExitCode.FAILED, null);
        }
        return r;
    }

    // ================================================================== sets

    /** Every cryptvol snapshot set in the region (the default region when null), newest first. */
    public List<SnapshotSet> sets(String region) {
        List<EbsSnapshot> all = region == null || region.equals(ebs().region())
                ? ebs().findSnapshots(Map.of("tag-key", List.of(SnapshotTags.SET)))
                : List.of();
        return SnapshotSet.group(all);
    }

    public String region() {
        return ebs().region();
    }

    public SnapshotSet set(String idOrPrefix) {
        return SnapshotSet.find(sets(null), idOrPrefix);
    }

    public void delete(List<SnapshotSet> sets) {
        List<String> ids = sets.stream().flatMap(s -> s.snapshotIds().stream()).toList();
        if (!ids.isEmpty()) {
            ebs().deleteSnapshots(ids);
        }
    }

    /** Copies every snapshot of the set to another region, tags included; waits for the copies. */
    public List<EbsSnapshot> copy(SnapshotSet set, String destinationRegion, EbsProgress progress) {
        String src = ebs().region();
        if (src.equals(destinationRegion)) {
            throw new CryptvolException("the set is in " + src + " already", ExitCode.USAGE, null);
        }
        if (set.status() != SnapshotSet.Status.COMPLETED) {
            throw new CryptvolException("set " + set.id() + " is " + set.status().name().toLowerCase()
                    + (set.complete() ? "" : " (" + String.join(", ", set.problems()) + ")")
                    + ": only completed sets are copied", ExitCode.FAILED, null);
        }
        return ebs().copySnapshots(src, set.snapshotIds(), destinationRegion,
                "cryptvol set " + set.id() + " (copy from " + src + ")", null, progress);
    }

    // ================================================================== restore

    /** What the user asked a restore to be. */
    public record RestoreOptions(String mountpoint, String vg, String mapping, String keyName, String volumeType) {
    }

    /** A restore, worked out before anything is created. */
    public record RestorePlan(SnapshotSet set, InstanceInfo instance, String originalVg, String lv, String newVg,
                              boolean importClone, String mapping, String mountpoint, String newLuksUuid,
                              String keyName, String volumeType) {
    }

    public RestorePlan planRestore(SnapshotSet set, RestoreOptions o) {
        if (set.status() != SnapshotSet.Status.COMPLETED) {
            throw new CryptvolException("set " + set.id() + " is " + set.status().name().toLowerCase()
                    + (set.complete() ? " (" + set.progress() + "%): wait until it is completed" : ": " + String.join(", ", set.problems())),
                    ExitCode.FAILED, null);
        }
        String vg = set.tag(SnapshotTags.VG);
        String lv = set.tag(SnapshotTags.LV);
        if (vg == null || lv == null) {
            throw new CryptvolException("set " + set.id() + " has no VG/LV tags: not a cryptvol set", ExitCode.FAILED, null);
        }
        if (o.keyName() == null || o.keyName().isBlank()) {
            throw new CryptvolException("--key NAME is needed to open the restored LUKS device", ExitCode.USAGE, null);
        }
        InstanceInfo info = volumes.describeCurrentInstance();
        HostState st = new HostObserver(hosts.executor()).devicesAndLvm();
        boolean originalPresent = st.vg(vg).isPresent();
        String newVg = o.vg() != null && !o.vg().isBlank() ? o.vg() : originalPresent ? vg + "_restore" : vg;
        if (!newVg.equals(vg) || originalPresent) {
            if (st.vg(newVg).isPresent()) {
                throw new CryptvolException("VG " + newVg + " exists already: give another --vg", ExitCode.FAILED, null);
            }
        }
        boolean importClone = originalPresent || !newVg.equals(vg);
        String origMapping = set.tag(SnapshotTags.MAPPING);
        String mapping = o.mapping() != null && !o.mapping().isBlank() ? o.mapping()
                : (origMapping == null ? lv : origMapping) + "_restore";
        if (st.mapping(mapping).isPresent()) {
            throw new CryptvolException("mapping " + mapping + " is open already: give another --mapping", ExitCode.FAILED, null);
        }
        String mnt = o.mountpoint() != null && !o.mountpoint().isBlank() ? o.mountpoint() : "/mnt/restore";
        if (st.allDevices().stream().anyMatch(d -> d.mountpoints().contains(mnt))) {
            throw new CryptvolException("something is mounted at " + mnt + " already: give another --mountpoint", ExitCode.FAILED, null);
        }
        return new RestorePlan(set, info, vg, lv, newVg, importClone, mapping, mnt, UUID.randomUUID().toString(),
                o.keyName(), o.volumeType());
    }

    /** The host steps of a restore, with the devices the restored volumes became. */
    public Plan restoreHostPlan(RestorePlan p, List<String> devices) {
        return RestorePlanner.plan(new RestorePlanner.Spec(p.originalVg(), p.lv(), p.newVg(), p.importClone(),
                devices, p.newLuksUuid(), p.mapping(), p.mountpoint(), p.keyName()));
    }

    /**
     * Creates one volume per snapshot in the instance's zone (tagged with the set), attaches them and
     * waits until the host shows each; returns the host devices in set order.
     */
    public List<VolumeService.Placed> restoreVolumes(RestorePlan p, VolumeService.Progress progress) {
        String type = p.volumeType() == null ? "gp3" : p.volumeType();
        List<VolumeSpec> specs = new ArrayList<>();
        List<EbsSnapshot> snaps = p.set().snapshots();
        for (int i = 0; i < snaps.size(); i++) {
            Map<String, String> tags = new LinkedHashMap<>();
            tags.put("Name", "cryptvol-" + p.newVg() + "-restore-" + (i + 1) + "of" + snaps.size());
            tags.put(SnapshotTags.SET, p.set().id());
            tags.put(SnapshotTags.INDEX, String.valueOf(i + 1));
            tags.put(SnapshotTags.COUNT, String.valueOf(snaps.size()));
            tags.put(SnapshotTags.VG, p.newVg());
            specs.add(VolumeSpec.of(0, type).inZone(p.instance().availabilityZone()).withTags(tags)
                    .fromSnapshot(snaps.get(i).id()));
        }
        List<EbsVolume> made = ebs().createVolumes(specs, null, progress);
        return volumes.attach(made.stream().map(EbsVolume::id).toList(), progress);
    }

    /** Runs the host steps of a restore (the key, by name, goes on stdin of cryptsetup open only). */
    public void restoreOnHost(Plan hostPlan, io.cryptvol.exec.PlanRunner.KeySource keys,
                              io.cryptvol.exec.PlanRunner.Listener listener) {
        new io.cryptvol.exec.PlanRunner(hosts.executor(), keys, io.cryptvol.exec.PlanRunner.KeyFileTrail.NONE, listener)
                .run(hostPlan);
    }

    static String seconds(Duration d) {
        return String.format(java.util.Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
    }
}

package io.cryptvol.snapshot;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.InstanceInfo;
import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.parse.LuksDumpParser;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;

import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 *
 * <p>This class observes and calls; the parts are elsewhere: {@link SnapshotPlanner} decides (pure: what a set
 * covers, the steps shown, the restore's names), {@link SnapshotRun} is one snapshot's sequence and its state,
 * {@link FreezeHold} the freeze conversation and its clock, {@link SetSnapshots} the EC2 calls of a set.
 */
public class SnapshotService {
    private final AwsAccess aws;
    private final SessionContext ctx;
    private final HostAccess hosts;
    private final VolumeService volumes;
    private final io.cryptvol.keys.KeyStore keys;

    /** Without a key store: restore checks a key's bytes are readable, but not what the store recorded for it. */
    public SnapshotService(AwsAccess aws, SessionContext ctx, HostAccess hosts, VolumeService volumes) {
        this(aws, ctx, hosts, volumes, null);
    }

    public SnapshotService(AwsAccess aws, SessionContext ctx, HostAccess hosts, VolumeService volumes,
                           io.cryptvol.keys.KeyStore keys) {
        this.aws = aws;
        this.ctx = ctx;
        this.hosts = hosts;
        this.volumes = volumes;
        this.keys = keys;
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
        SnapshotPlanner.Located at = SnapshotPlanner.locate(st, mnt, ctx.vg(), ctx.mapping(), ex.target());
        ExecResult dump = ex.run(Cryptsetup.luksDump(at.lvPath()).asQuery());
        String luksUuid = dump.ok() ? LuksDumpParser.parse(at.lvPath(), dump.out()).uuid() : null;
        return SnapshotPlanner.target(st, at, mnt, luksUuid, instance, ebs().describeInstance(instance),
                ebs().volumesAttachedTo(instance));
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
        return SnapshotPlanner.plan(t, o);
    }

    /**
     * Takes the set. On any failure the filesystem is thawed (or, when the connection is gone, left to
     * the watchdog) and the post hook runs when the pre hook did; the exception says which.
     */
    public Result snapshot(SnapshotTarget t, SnapshotOptions o, Listener l) {
        return new SnapshotRun(hosts.executor(), new SetSnapshots(ebs()), t, o, l).run();
    }

    // ================================================================== sets

    /** Every cryptvol snapshot set in the region (the default region when null), newest taken first. */
    public List<SnapshotSet> sets(String region) {
        return SnapshotSet.group(ebs().findSnapshots(region, Map.of("tag-key", List.of(SnapshotTags.SET))));
    }

    public String region() {
        return ebs().region();
    }

    public SnapshotSet set(String idOrPrefix) {
        return set(idOrPrefix, null);
    }

    /** A set by id, unique prefix or {@code latest} (the newest-taken completed set, of the context's VG if any). */
    public SnapshotSet set(String idOrPrefix, String region) {
        return SnapshotSet.find(sets(region), idOrPrefix, ctx.vg());
    }

    public void delete(List<SnapshotSet> sets) {
        delete(sets, null);
    }

    public void delete(List<SnapshotSet> sets, String region) {
        List<String> ids = sets.stream().flatMap(s -> s.snapshotIds().stream()).toList();
        if (!ids.isEmpty()) {
            ebs().deleteSnapshots(region == null ? ebs().region() : region, ids);
        }
    }

    /**
     * What a copy did: the copies in the destination in member order (all completed), how many were there already
     * (completed or pending, from an earlier or interrupted run) and how many this run copied, and copies of a
     * member beyond the first (made twice by an older cryptvol; the set there reads more than N/N until they go).
     */
    public record CopyResult(List<EbsSnapshot> copies, int alreadyThere, int copied, List<String> extra) {
    }

    /**
     * Copies the snapshots of a completed set to another region that it lacks there, tags included (with
     * {@link SnapshotTags#SOURCE_SNAPSHOT}), and waits for every copy: idempotent and resumable (see {@link SetCopy}).
     * Everything is checked (the set, the destination region and what it holds) before the first CopySnapshot.
     */
    public CopyResult copy(SnapshotSet set, String destinationRegion, EbsProgress progress) {
        String src = ebs().region();
        if (src.equals(destinationRegion)) {
            throw new CryptvolException("the set is in " + src + " already", ExitCode.USAGE, null);
        }
        if (set.status() != SnapshotSet.Status.COMPLETED) {
            throw new CryptvolException("set " + set.id() + " is " + set.status().name().toLowerCase()
                    + (set.complete() ? "" : " (" + String.join(", ", set.problems()) + ")")
                    + ": only completed sets are copied", ExitCode.FAILED, null);
        }
        List<EbsSnapshot> there = ebs().findSnapshots(destinationRegion,
                Map.of("tag:" + SnapshotTags.SET, List.of(set.id())));
        SetCopy plan = SetCopy.plan(set, src, destinationRegion, there);
        Map<String, EbsSnapshot> byId = new java.util.HashMap<>();
        set.snapshots().forEach(m -> byId.put(m.id(), m));
        List<EbsSnapshot> started = ebs().startCopies(src, plan.toCopy().stream().map(EbsSnapshot::id).toList(),
                destinationRegion, "cryptvol set " + set.id() + " (copy from " + src + ")",
                id -> SnapshotTags.forCopy(byId.get(id), src), progress);
        List<String> all = new java.util.ArrayList<>();
        java.util.Iterator<EbsSnapshot> fresh = started.iterator();
        for (EbsSnapshot r : plan.reused()) {
            all.add(r != null ? r.id() : fresh.next().id());
        }
        List<EbsSnapshot> done = ebs().awaitSnapshots(destinationRegion, all, progress);
        return new CopyResult(done, plan.found().size(), started.size(), plan.extra());
    }

    // ================================================================== copy policy

    /**
     * A VG's copy policy as its EBS volumes carry it ({@link CopyPolicy}).
     *
     * @param volumeIds the volumes tagged {@code cryptvol:vg=VG}
     * @param read      the policy, or why it does not read; null: none set
     */
    public record VgPolicy(String vg, List<String> volumeIds, CopyPolicy.Read read) {
    }

    /** The copy policy of every VG the region's tags name (on volumes or snapshot sets), by VG name (sorted). */
    public List<VgPolicy> policies() {
        java.util.Set<String> vgs = new java.util.TreeSet<>();
        ebs().findVolumes(Map.of("tag-key", List.of(io.cryptvol.aws.VolumeTags.VG))).stream()
                .map(v -> v.tag(io.cryptvol.aws.VolumeTags.VG)).forEach(vgs::add);
        sets(null).stream().map(x -> x.tag(SnapshotTags.VG)).forEach(vgs::add);
        return vgs.stream().filter(vg -> vg != null && io.cryptvol.domain.plan.Inputs.vgName(vg).isEmpty()).map(this::policy)
                .toList();
    }

    /** {@code vg}, else the session's VG; a usage error when neither names one. */
    public String vgOrContext(String vg) {
        String v = vg != null && !vg.isBlank() ? vg : ctx.vg();
        if (v == null) {
            throw new CryptvolException("no VG: give --vg VG (or 'use vg VG')", ExitCode.USAGE, null);
        }
        return v;
    }

    /**
     * The copy policy of one VG, read from its EBS volumes: those tagged {@code cryptvol:vg=VG}; those whose PVs the
     * session's host shows in the VG; those its snapshot sets were taken from ({@code cryptvol:source-volume}); and the
     * other members of the {@code cryptvol:set} of any of them (a set made without a VG name has no VG tag). A usage
     * error for a bad name.
     */
    public VgPolicy policy(String vg) {
        io.cryptvol.domain.plan.Inputs.vgName(vg).ifPresent(r -> {
            throw new CryptvolException(r.line(), ExitCode.USAGE, null);
        });
        Map<String, io.cryptvol.aws.EbsVolume> members = new java.util.LinkedHashMap<>();
        ebs().volumesWithTag(io.cryptvol.aws.VolumeTags.VG, vg).forEach(v -> members.put(v.id(), v));
        java.util.Set<String> more = new java.util.TreeSet<>(hostMembers(vg));
        sets(null).stream().filter(x -> vg.equals(x.tag(SnapshotTags.VG))).flatMap(x -> x.snapshots().stream())
                .map(sn -> sn.tag(SnapshotTags.SOURCE_VOLUME)).filter(id -> id != null && id.matches("vol-[0-9a-f]{8,17}"))
                .forEach(more::add);
        more.removeAll(members.keySet());
        if (!more.isEmpty()) {
            ebs().findVolumes(Map.of("volume-id", List.copyOf(more))).forEach(v -> members.putIfAbsent(v.id(), v));
        }
        java.util.Set<String> sets = new java.util.TreeSet<>();
        members.values().stream().map(v -> v.tag(io.cryptvol.aws.VolumeTags.SET)).filter(x -> x != null && !x.isBlank())
                .forEach(sets::add);
        for (String set : sets) {
            ebs().volumesWithTag(io.cryptvol.aws.VolumeTags.SET, set).forEach(v -> members.putIfAbsent(v.id(), v));
        }
        return policyOf(vg, List.copyOf(members.values()));
    }

    /** The volumes of the current instance that the session's host shows as PVs of the VG (none when it cannot tell). */
    private java.util.Set<String> hostMembers(String vg) {
        try {
            HostState st = new HostObserver(hosts.executor()).devicesAndLvm();
            List<String> pvs = st.pvsIn(vg).stream().map(io.cryptvol.domain.model.PhysicalVolume::path).toList();
            if (pvs.isEmpty()) {
                return java.util.Set.of();
            }
            java.util.Set<String> out = new java.util.TreeSet<>();
            for (VolumeService.Listed l : volumes.list(false, new java.util.ArrayList<>())) {
                if (l.hostDevice() != null && pvs.stream().anyMatch(pv -> st.sameDevice(pv, l.hostDevice())
                        || st.parents(pv).stream().anyMatch(d -> st.sameDevice(d, l.hostDevice())))) {
                    out.add(l.volume().id());
                }
            }
            return out;
        } catch (RuntimeException e) {
            return java.util.Set.of(); // no host, no instance: the tags and the sets say
        }
    }

    private static VgPolicy policyOf(String vg, List<io.cryptvol.aws.EbsVolume> vols) {
        return new VgPolicy(vg, vols.stream().map(io.cryptvol.aws.EbsVolume::id).sorted().toList(),
                CopyPolicy.of(vols.stream().map(io.cryptvol.aws.EbsVolume::tags).toList()).orElse(null));
    }

    /** Tags every volume of the VG with the policy (replacing one there); refused when EC2 knows none of them. */
    public VgPolicy setPolicy(String vg, CopyPolicy p) {
        VgPolicy now = policy(vg);
        if (now.volumeIds().isEmpty()) {
            throw new CryptvolException("no EBS volume of VG " + vg + " is known in " + ebs().region() + ": none is tagged "
                    + io.cryptvol.aws.VolumeTags.VG + "=" + vg + ", the session's host shows none of its PVs, and no snapshot "
                    + "set of it names one; the policy lives on the VG's volumes (see 'volumes list')", ExitCode.FAILED, null);
        }
        if (p.regions().contains(ebs().region())) {
            throw new CryptvolException("--copy-to " + ebs().region() + " is the region the sets are in: copies go to "
                    + "another region", ExitCode.USAGE, null);
        }
        if (p.maxAge() == null) {
            ebs().untag(now.volumeIds(), List.of(CopyPolicy.MAX_AGE));
        }
        ebs().tag(now.volumeIds(), p.tags());
        return new VgPolicy(vg, now.volumeIds(), new CopyPolicy.Read(p, null));
    }

    /** Removes the policy's tags from every volume of the VG; false when there was none. */
    public boolean removePolicy(String vg) {
        VgPolicy now = policy(vg);
        if (now.read() == null) {
            return false;
        }
        ebs().untag(now.volumeIds(), List.of(CopyPolicy.COPY_TO, CopyPolicy.MAX_AGE));
        return true;
    }

    // ================================================================== restore

    /** What the user asked a restore to be. */
    public record RestoreOptions(String mountpoint, String vg, String mapping, String keyName, String volumeType) {
    }

    /** A restore, worked out before anything is created. */
    public record RestorePlan(SnapshotSet set, InstanceInfo instance, String originalVg, String lv, String newVg,
                              boolean importClone, String mapping, String mountpoint, String newLuksUuid,
                              String keyName, String volumeType, String newSetId) {
    }

    public RestorePlan planRestore(SnapshotSet set, RestoreOptions o) {
        return planRestore(set, o, null);
    }

    /**
     * Every input of a restore checked before the first EC2 or host change: the set (completed, cryptvol's), the
     * key (present, readable and, where the key store recorded keys for the set's LUKS UUID, one of them), the
     * instance's zone, and the VG, mapping and mountpoint names (free on the host). Refusals are one line.
     *
     * @param key the key the restore will open the copy with (null: not checked here)
     */
    public RestorePlan planRestore(SnapshotSet set, RestoreOptions o, io.cryptvol.day2.KeyChoice key) {
        SnapshotPlanner.checkRestorable(set, o); // before anything is looked at
        if (key != null) {
            checkKey(set, key);
        }
        InstanceInfo info = volumes.describeCurrentInstance();
        HostState st = new HostObserver(hosts.executor()).devicesAndLvm();
        return SnapshotPlanner.restore(set, o, st, info, UUID.randomUUID().toString(), UUID.randomUUID().toString());
    }

    /** The key's bytes can be read now (then zeroed), and the key store's records do not speak against it. */
    private void checkKey(SnapshotSet set, io.cryptvol.day2.KeyChoice key) {
        if (key.typed()) {
            return; // a passphrase typed for this command: nothing to read or look up
        }
        String storeName = null;
        byte[] bytes;
        if (key.fromStore()) {
            if (keys != null && !keys.exists(key.label())) {
                throw new CryptvolException("no key " + key.label() + " in the key store ('keys list'; or --key-file, "
                        + "--key-backup)", ExitCode.USAGE, null);
            }
            if (keys == null) {
                return;
            }
            bytes = keys.read(key.label());
            storeName = key.label();
        } else {
            bytes = key.source().bytes(key.ref());
        }
        try {
            if (bytes == null || bytes.length == 0) {
                throw new CryptvolException("key " + key.label() + " is empty", ExitCode.USAGE, null);
            }
            if (keys != null && storeName == null) { // a key file or backup: the store key with the same bytes, if any
                String sha = io.cryptvol.keys.KeyStore.sha256(bytes);
                storeName = keys.list().stream().filter(k -> sha.equalsIgnoreCase(k.sha256()))
                        .map(io.cryptvol.keys.KeyInfo::name).findFirst().orElse(null);
            }
        } finally {
            if (bytes != null) {
                java.util.Arrays.fill(bytes, (byte) 0);
            }
        }
        String uuid = set.tag(SnapshotTags.LUKS_UUID);
        if (keys == null || storeName == null || uuid == null) {
            return;
        }
        List<String> recorded = keys.keysFor(uuid).stream().map(io.cryptvol.keys.KeyInfo::name).toList();
        List<String> opens = keys.info(storeName).map(k -> k.enrollments().stream()
                .map(io.cryptvol.keys.Enrollment::luksUuid).distinct().toList()).orElse(List.of());
        String refusal = SnapshotPlanner.keyRefusal(key.label(), storeName, uuid, recorded, opens);
        if (refusal != null) {
            throw new CryptvolException(refusal, ExitCode.FAILED, null);
        }
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
        List<EbsVolume> made = ebs().createVolumes(SnapshotPlanner.restoreVolumes(p), null, progress);
        return volumes.attach(made.stream().map(EbsVolume::id).toList(), progress);
    }

}

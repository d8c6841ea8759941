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
        SnapshotPlanner.checkRestorable(set, o); // before anything is looked at
        InstanceInfo info = volumes.describeCurrentInstance();
        HostState st = new HostObserver(hosts.executor()).devicesAndLvm();
        return SnapshotPlanner.restore(set, o, st, info, UUID.randomUUID().toString());
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

package io.cryptvol.snapshot;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.InstanceInfo;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.domain.VolumeDeviceMatcher;
import io.cryptvol.domain.cmd.Filesystems;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepKind;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pure part of snapshot sets and their restore: what a set covers (the mounted LUKS mapping, its LV and VG,
 * each PV matched to an attached EBS volume), the steps shown before a snapshot, the order and check of what EC2
 * returned, and the names and volumes of a restore. No host, no EC2: the service observes and calls, this decides.
 * A value that rules the operation out is a {@link CryptvolException} with a message a person can act on.
 */
public final class SnapshotPlanner {
    private SnapshotPlanner() {
    }

    /** The filesystem at a mountpoint and the LV under its LUKS mapping, as the host shows them. */
    public record Located(BlockDevice fs, LogicalVolume lv, String lvPath) {
    }

    /**
     * The mapping mounted at {@code mnt} and the LV under it; refuses what is not XFS on LUKS on LVM, and what
     * disagrees with the context's VG or mapping (null when the context has none).
     */
    public static Located locate(HostState st, String mnt, String contextVg, String contextMapping, String where) {
        BlockDevice fs = st.allDevices().stream().filter(d -> d.mountpoints().contains(mnt)).findFirst()
                .orElseThrow(() -> new CryptvolException("nothing is mounted at " + mnt + " on " + where, ExitCode.FAILED, null));
        if (fs.type() != DeviceType.CRYPT) {
            throw new CryptvolException(mnt + " is on " + fs.path() + ", not on a LUKS mapping", ExitCode.FAILED, null);
        }
        if (fs.fstype() != null && !"xfs".equals(fs.fstype())) {
            throw new CryptvolException(mnt + " is " + fs.fstype() + "; snapshot sets are for XFS", ExitCode.FAILED, null);
        }
        String lvDev = st.parents(fs.path()).stream().findFirst()
                .orElseThrow(() -> new CryptvolException("cannot see the device under " + fs.path(), ExitCode.FAILED, null));
        LogicalVolume lv = st.lvs().stream().filter(l -> l.hasPath(lvDev) || st.sameDevice(lvDev, l.dmPath()))
                .findFirst().orElseThrow(() -> new CryptvolException(fs.name() + " is on " + lvDev + ", which is not an LVM LV",
                        ExitCode.FAILED, null));
        if (contextVg != null && !contextVg.equals(lv.vgName())) {
            throw new CryptvolException(mnt + " is on VG " + lv.vgName() + " but the context's VG is " + contextVg, ExitCode.FAILED, null);
        }
        if (contextMapping != null && !contextMapping.equals(fs.name())) {
            throw new CryptvolException(mnt + " is on mapping " + fs.name() + " but the context's mapping is " + contextMapping,
                    ExitCode.FAILED, null);
        }
        return new Located(fs, lv, lv.path() != null ? lv.path() : lvDev);
    }

    /**
     * What the set covers: every PV of the VG as an EBS volume attached to {@code instance} (matched by NVMe
     * serial or attachment point), the other data volumes to leave out, and whether the boot volume is a PV.
     */
    public static SnapshotTarget target(HostState st, Located at, String mnt, String luksUuid, String instance,
                                        InstanceInfo info, List<EbsVolume> attached) {
        LogicalVolume lv = at.lv();
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
        for (PhysicalVolume pv : st.pvsIn(lv.vgName())) {
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
        return new SnapshotTarget(instance, lv.vgName(), lv.name(), at.lvPath(), at.fs().name(), mnt, luksUuid, members,
                excluded, ids.contains(rootVolume));
    }

    /** The steps a snapshot takes, for showing before it runs. */
    public static Plan plan(SnapshotTarget t, SnapshotService.SnapshotOptions o) {
        List<PlanStep> steps = new ArrayList<>();
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

    private static PlanStep step(HostCommand c) {
        return PlanStep.of(StepKind.SNAPSHOT, c);
    }

    static HostCommand hook(String what, String cmd) {
        return HostCommand.of(what + ": " + cmd, "sh", "-c", cmd).withTimeout(Duration.ofMinutes(10));
    }

    static HostCommand sync() {
        return HostCommand.of("Flush dirty data (sync)", "sync").withTimeout(Duration.ofMinutes(10));
    }

    /** Refuses a set that is not exactly the VG's volumes. */
    static void requireCovered(SnapshotTarget t, List<EbsSnapshot> snaps) {
        List<String> got = snaps.stream().map(EbsSnapshot::volumeId).sorted().toList();
        if (!got.equals(t.volumeIds().stream().sorted().toList())) {
            throw new CryptvolException("EC2 snapshotted " + got + " instead of the VG's volumes " + t.volumeIds(), ExitCode.FAILED, null);
        }
    }

    /** The snapshots in the order of the target's members (any others after them). */
    static List<EbsSnapshot> order(List<EbsSnapshot> snaps, SnapshotTarget t) {
        List<EbsSnapshot> out = new ArrayList<>();
        for (String v : t.volumeIds()) {
            snaps.stream().filter(s -> v.equals(s.volumeId())).findFirst().ifPresent(out::add);
        }
        snaps.stream().filter(s -> !out.contains(s)).forEach(out::add);
        return out;
    }

    /**
     * A restore worked out on the host as observed: the VG name of the copy (vgimportclone when the original is
     * there or the name changes), the mapping and mountpoint, each refused when taken already ({@code NamesFree}),
     * and the instance's zone checked against the set's region.
     *
     * @param newSetId the {@link io.cryptvol.aws.VolumeTags#SET} of the restored volumes (a set of their own, so that
     *                 {@code volumes list} shows them under SET)
     */
    public static SnapshotService.RestorePlan restore(SnapshotSet set, SnapshotService.RestoreOptions o, HostState st,
                                                      InstanceInfo info, String newLuksUuid, String newSetId) {
        checkRestorable(set, o);
        checkZone(set, info);
        String vg = set.tag(SnapshotTags.VG);
        String lv = set.tag(SnapshotTags.LV);
        boolean originalPresent = st.vg(vg).isPresent();
        String newVg = o.vg() != null && !o.vg().isBlank() ? o.vg() : originalPresent ? vg + "_restore" : vg;
        boolean importClone = originalPresent || !newVg.equals(vg);
        String origMapping = set.tag(SnapshotTags.MAPPING);
        String mapping = o.mapping() != null && !o.mapping().isBlank() ? o.mapping()
                : (origMapping == null ? lv : origMapping) + "_restore";
        String mnt = o.mountpoint() != null && !o.mountpoint().isBlank() ? o.mountpoint() : "/mnt/restore";
        io.cryptvol.domain.plan.NamesFree.check(st, newVg, mapping, mnt).ifPresent(t -> {
            throw new CryptvolException(t.message() + ": give another " + t.option(), ExitCode.FAILED, null);
        });
        return new SnapshotService.RestorePlan(set, info, vg, lv, newVg, importClone, mapping, mnt, newLuksUuid,
                o.keyName(), o.volumeType(), newSetId);
    }

    /**
     * The restored volumes are made in the instance's zone, from snapshots of the set's region: refuses an instance
     * whose zone is unknown or lies outside that region (CreateVolume would fail there, or the volumes could not be
     * attached), before anything is created.
     */
    static void checkZone(SnapshotSet set, InstanceInfo info) {
        String az = info.availabilityZone();
        String region = set.snapshots().isEmpty() ? null : set.snapshots().get(0).region();
        if (az == null || az.isBlank()) {
            throw new CryptvolException("EC2 shows no availability zone for " + info.id()
                    + ": the restored volumes must be made in its zone", ExitCode.FAILED, null);
        }
        if (region != null && !(az.startsWith(region) && az.length() > region.length()
                && az.substring(region.length()).matches("[a-z]{1,3}|-[a-z0-9-]{1,32}"))) {
            throw new CryptvolException(info.id() + " is in " + az + ", outside " + region + " where set " + set.id()
                    + " is: copy the set to its region first ('snapshots copy " + set.id() + " --region "
                    + regionOf(az) + "')", ExitCode.FAILED, null);
        }
    }

    /** The region of an availability zone name (us-east-1a → us-east-1); the name itself when it does not look like one. */
    static String regionOf(String az) {
        return az.matches("[a-z]{2}(-[a-z]+)+-\\d+[a-z]+") ? az.replaceFirst("[a-z]+$", "") : az;
    }

    /**
     * Whether the key may open the set, from what the key store recorded (metadata only; null: nothing speaks
     * against it). {@code recordedForUuid} are the keys recorded as opening the set's LUKS UUID; {@code keyOpens}
     * the LUKS UUIDs recorded for the chosen key (null when the key is not a store key, and not one by content).
     */
    public static String keyRefusal(String label, String storeName, String luksUuid, List<String> recordedForUuid,
                                    List<String> keyOpens) {
        if (luksUuid == null || storeName == null) {
            return null;
        }
        if (!recordedForUuid.isEmpty() && !recordedForUuid.contains(storeName)) {
            return "key " + label + " is not recorded for the set's LUKS UUID " + luksUuid + "; recorded: "
                    + String.join(", ", recordedForUuid) + " (--key NAME)";
        }
        if (recordedForUuid.isEmpty() && keyOpens != null && !keyOpens.isEmpty()
                && keyOpens.stream().noneMatch(luksUuid::equalsIgnoreCase)) {
            return "key " + label + " is recorded for LUKS UUID " + String.join(", ", keyOpens) + ", not the set's "
                    + luksUuid + ": give the key that opens it";
        }
        return null;
    }

    /** Refuses, before anything is looked at, a set that is not completed or not cryptvol's, and a missing key name. */
    static void checkRestorable(SnapshotSet set, SnapshotService.RestoreOptions o) {
        if (set.status() != SnapshotSet.Status.COMPLETED) {
            throw new CryptvolException("set " + set.id() + " is " + set.status().name().toLowerCase()
                    + (set.complete() ? " (" + set.progress() + "%): wait until it is completed" : ": " + String.join(", ", set.problems())),
                    ExitCode.FAILED, null);
        }
        if (set.tag(SnapshotTags.VG) == null || set.tag(SnapshotTags.LV) == null) {
            throw new CryptvolException("set " + set.id() + " has no VG/LV tags: not a cryptvol set", ExitCode.FAILED, null);
        }
        if (o.keyName() == null || o.keyName().isBlank()) {
            throw new CryptvolException("--key NAME is needed to open the restored LUKS device", ExitCode.USAGE, null);
        }
    }

    /** One new volume per snapshot of the set, in the instance's zone, tagged with the set and the new VG. */
    public static List<VolumeSpec> restoreVolumes(SnapshotService.RestorePlan p) {
        String type = p.volumeType() == null ? "gp3" : p.volumeType();
        List<VolumeSpec> specs = new ArrayList<>();
        List<EbsSnapshot> snaps = p.set().snapshots();
        for (int i = 0; i < snaps.size(); i++) {
            // a set of their own (what cryptvol's volumes carry), and the snapshot set they came from
            Map<String, String> tags = new LinkedHashMap<>(io.cryptvol.aws.VolumeTags.forMember(p.newSetId(), i, snaps.size(),
                    p.newVg()));
            tags.put("Name", "cryptvol-" + p.newVg() + "-restore-" + (i + 1) + "of" + snaps.size());
            tags.put(SnapshotTags.SET, p.set().id());
            specs.add(VolumeSpec.of(0, type).inZone(p.instance().availabilityZone()).withTags(tags)
                    .fromSnapshot(snaps.get(i).id()));
        }
        return specs;
    }
}

package io.cryptvol.volumes;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsBatchException;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.InstanceIdentity;
import io.cryptvol.aws.InstanceInfo;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.aws.VolumeTags;
import io.cryptvol.domain.VolumeDeviceMatcher;
import io.cryptvol.domain.VolumeDeviceMatcher.HostDisk;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.parse.LvmReportParser;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * EBS volumes as the host sees them: creates and attaches volumes for the current instance and finds
 * the block device each one became on the target (by NVMe serial, /dev/disk/by-id, or the Xen name),
 * lists, attaches, detaches (never while the host uses the device) and deletes. The EC2 side goes
 * through {@link EbsGateway}; the host side through the session's executor with read-only queries.
 * Keeps the {@link Inventory} ("volume", "instance", "device") up to date for completion, and its attachment history
 * with what EC2 says is attached where ({@link #sightings}).
 */
public class VolumeService {

    private final AwsAccess aws;
    private final SessionContext ctx;
    private final HostAccess hosts;
    private final Inventory inventory;
    private final Duration deviceTimeout;
    private final Duration devicePoll;

    /** Progress of a batch: the EC2 events, and the host device found for each volume. */
    public interface Progress extends EbsProgress {
        default void hostDevice(int index, String volumeId, String device) {
        }

        Progress NONE = e -> { };
    }

    /** A volume of a batch and the host device it is. */
    public record Placed(int index, EbsVolume volume, String hostDevice) {
    }

    /** A listed volume, with its host device when it is attached to the current instance and was found. */
    public record Listed(EbsVolume volume, String hostDevice) {
    }

    /** What {@code volumes create} will do, worked out before anything is created. */
    public record CreatePlan(InstanceInfo instance, String setId, String vg, List<VolumeSpec> specs,
                             List<String> freeDeviceNames) {
        public int count() {
            return specs.size();
        }
    }

    /** What is known about one volume before it is detached. */
    public record DetachCheck(EbsVolume volume, String hostDevice, String refusal) {
    }

    public VolumeService(AwsAccess aws, SessionContext ctx, HostAccess hosts, Inventory inventory,
                         Duration deviceTimeout, Duration devicePoll) {
        this.aws = aws;
        this.ctx = ctx;
        this.hosts = hosts;
        this.inventory = inventory;
        this.deviceTimeout = deviceTimeout;
        this.devicePoll = devicePoll;
    }

    public Duration deviceTimeout() {
        return deviceTimeout;
    }

    private EbsGateway ebs() {
        return aws.ebs();
    }

    // ================================================================== instance

    /** Describes the instance and makes it the session's (only if it exists). */
    public InstanceInfo useInstance(String instanceId) {
        InstanceInfo info = ebs().describeInstance(instanceId);
        ctx.set(SessionContext.Part.INSTANCE, info.id());
        remember("instance", List.of(info.id()));
        remember("volume", info.disks().stream().map(InstanceInfo.Disk::volumeId).toList());
        java.time.Instant now = java.time.Instant.now();
        info.disks().stream().filter(d -> "attached".equals(d.status()))
                .forEach(d -> sighting(d.volumeId(), info.id(), d.device(), now).ifPresent(inventory::sawAttached));
        return info;
    }

    /**
     * EC2's word that a volume is attached, for the inventory's attachment history ("last seen attached to …", which
     * names a missing VG member even after a detach done outside cryptvol): the instance and the device name EC2 gives,
     * now. A value that is not an id or a device path is not kept (a device name EC2 gives without /dev: the instance
     * alone); only a volume whose attachment is "attached" counts.
     */
    public static List<io.cryptvol.session.Attachment> sightings(List<EbsVolume> vols, java.time.Instant now) {
        List<io.cryptvol.session.Attachment> out = new ArrayList<>();
        for (EbsVolume v : vols) {
            v.attachment().filter(a -> "attached".equals(a.state()))
                    .flatMap(a -> sighting(v.id(), a.instanceId(), a.device(), now)).ifPresent(out::add);
        }
        return out;
    }

    private static Optional<io.cryptvol.session.Attachment> sighting(String volumeId, String instanceId, String device,
                                                                     java.time.Instant now) {
        if (instanceId == null || !instanceId.startsWith("i-")) {
            return Optional.empty(); // EC2 names an instance; a target key is not its word
        }
        return io.cryptvol.session.Attachment.of(volumeId, instanceId, device, now, null)
                .or(() -> io.cryptvol.session.Attachment.of(volumeId, instanceId, null, now, null));
    }

    /**
     * The session's instance: the one chosen with {@code use instance}, else (working on this machine)
     * the one IMDSv2 names, which then becomes the session's.
     */
    public String instanceId() {
        return currentInstance().orElseThrow(() -> new CryptvolException(
                "no instance selected: run 'use instance i-…' (or run cryptvol on the instance itself)", ExitCode.USAGE, null));
    }

    private Optional<String> currentInstance() {
        if (ctx.instanceId() != null) {
            return Optional.of(ctx.instanceId());
        }
        if (!ctx.target().isLocal()) {
            return Optional.empty(); // IMDS would describe this machine, not the SSH target
        }
        Optional<InstanceIdentity> id = aws.instanceIdentity();
        id.ifPresent(i -> ctx.set(SessionContext.Part.INSTANCE, i.instanceId()));
        return id.map(InstanceIdentity::instanceId);
    }

    public InstanceInfo describeCurrentInstance() {
        return ebs().describeInstance(instanceId());
    }

    // ================================================================== create

    /** Works out where and what will be created; describes the instance (one call), creates nothing. */
    public CreatePlan planCreate(int count, VolumeSpec spec, String vg) {
        if (count < 1) {
            throw new CryptvolException("--count must be at least 1", ExitCode.USAGE, null);
        }
        if (spec.sizeGiB() < 1 && spec.snapshotId() == null) {
            throw new CryptvolException("--size must be at least 1 (GiB)", ExitCode.USAGE, null);
        }
        InstanceInfo info = describeCurrentInstance();
        if (info.state() != null && !List.of("running", "stopped", "pending").contains(info.state())) {
            throw new CryptvolException(info.id() + " is " + info.state() + ": volumes cannot be attached to it", ExitCode.FAILED, null);
        }
        List<String> inUse = new ArrayList<>(info.deviceNames());
        if (info.rootDeviceName() != null) {
            inUse.add(info.rootDeviceName());
        }
        List<String> free = io.cryptvol.aws.DeviceNames.free(inUse, io.cryptvol.aws.DeviceNames.CANDIDATES.size());
        if (free.size() < count) {
            throw new CryptvolException(info.id() + " has " + free.size() + " free device names between /dev/sdf and /dev/sdz; "
                    + count + " volumes need one each", ExitCode.FAILED, null);
        }
        String setId = UUID.randomUUID().toString();
        List<VolumeSpec> specs = IntStream.range(0, count)
                .mapToObj(i -> {
                    Map<String, String> tags = new LinkedHashMap<>(spec.tags());
                    tags.putAll(VolumeTags.forMember(setId, i, count, vg));
                    return spec.inZone(info.availabilityZone()).withTags(tags);
                })
                .toList();
        return new CreatePlan(info, setId, vg, specs, free.subList(0, count));
    }

    /**
     * Creates the planned volumes concurrently, attaches them, waits until the target shows each as a
     * block device and returns them in set order with their host devices.
     */
    public List<Placed> create(CreatePlan plan, Progress progress) {
        return create(plan, true, true, progress);
    }

    /**
     * {@link #create(CreatePlan, Progress)}, or less: {@code attach} false creates only (and waits until the volumes
     * are available, unless {@code wait} is false too); {@code wait} false returns after CreateVolume, or after
     * AttachVolume when attaching, without waiting for the attachments or the host devices (host devices null).
     * Set index i is attached at the plan's i-th device name, whatever order the volumes finish in.
     *
     * @throws EbsBatchException when anything failed or timed out, saying what exists now
     */
    public List<Placed> create(CreatePlan plan, boolean attach, boolean wait, Progress progress) {
        List<EbsVolume> vols;
        try {
            vols = ebs().createVolumes(plan.specs(), attach ? plan.instance().id() : null,
                    attach ? plan.freeDeviceNames() : null, wait, progress);
        } catch (EbsBatchException e) {
            remember("volume", e.createdIds());
            throw e;
        }
        remember("volume", vols.stream().map(EbsVolume::id).toList());
        if (!attach || !wait) {
            List<Placed> out = new ArrayList<>();
            for (int i = 0; i < vols.size(); i++) {
                out.add(new Placed(i, vols.get(i), null));
            }
            return out;
        }
        return placeOnHost(vols, true, progress);
    }

    /**
     * For {@code provision --new-volumes N --size GiB}: creates, attaches and finds N new volumes for
     * the current instance and returns their host device paths, in set order.
     */
    public List<String> createAndAttachDevices(int count, VolumeSpec spec, String vg) {
        return createAndAttachDevices(count, spec, vg, Progress.NONE);
    }

    public List<String> createAndAttachDevices(int count, VolumeSpec spec, String vg, Progress progress) {
        return create(planCreate(count, spec, vg), progress).stream().map(Placed::hostDevice).toList();
    }

    // ================================================================== attach

    public List<Placed> attach(List<String> volumeIds, Progress progress) {
        String instance = instanceId();
        List<EbsVolume> vols;
        try {
            vols = ebs().attachVolumes(instance, distinct(volumeIds), progress);
        } catch (EbsBatchException e) {
            throw e; // it says what is attached now; the shell gives the undo
        }
        return placeOnHost(vols, false, progress);
    }

    /** Volumes to attach: must exist, be available and be in the instance's zone. */
    public List<EbsVolume> checkAttach(List<String> volumeIds) {
        InstanceInfo info = describeCurrentInstance();
        List<EbsVolume> vols = describeInOrder(volumeIds);
        List<String> problems = new ArrayList<>();
        for (EbsVolume v : vols) {
            if (v.attachment().isPresent()) {
                EbsVolume.Attachment a = v.attachment().get();
                problems.add(v.id() + " is already attached to " + a.instanceId() + " as " + a.device());
            } else if (!"available".equals(v.state())) {
                problems.add(v.id() + " is " + v.state());
            } else if (!v.availabilityZone().equals(info.availabilityZone())) {
                problems.add(v.id() + " is in " + v.availabilityZone() + ", " + info.id() + " in " + info.availabilityZone());
            }
        }
        if (!problems.isEmpty()) {
            throw new CryptvolException("cannot attach: " + String.join("; ", problems), ExitCode.FAILED, null);
        }
        return vols;
    }

    // ================================================================== host devices

    /** Waits until the target shows every volume as a block device; remembers the devices for completion. */
    private List<Placed> placeOnHost(List<EbsVolume> vols, boolean created, Progress progress) {
        Map<String, String> found = awaitHostDevices(vols, created, progress);
        List<Placed> out = new ArrayList<>();
        for (int i = 0; i < vols.size(); i++) {
            out.add(new Placed(i, vols.get(i), found.get(vols.get(i).id())));
        }
        List<String> devices = new ArrayList<>(out.stream().map(Placed::hostDevice).toList());
        inventory.get("device").stream().filter(d -> !devices.contains(d)).forEach(devices::add);
        inventory.put("device", devices); // the new, empty devices first
        return out;
    }

    Map<String, String> awaitHostDevices(List<EbsVolume> vols, boolean created, Progress progress) {
        HostExecutor ex = hosts.executor();
        Map<String, String> found = new LinkedHashMap<>();
        long deadline = System.nanoTime() + deviceTimeout.toNanos();
        while (true) {
            List<HostDisk> disks = hostDisks(ex, found.size() < vols.size());
            for (int i = 0; i < vols.size(); i++) {
                EbsVolume v = vols.get(i);
                if (found.containsKey(v.id())) {
                    continue;
                }
                String attachedAs = v.attachment().map(EbsVolume.Attachment::device).orElse(null);
                Optional<VolumeDeviceMatcher.Match> m = VolumeDeviceMatcher.match(v.id(), attachedAs, disks);
                if (m.isPresent() && !found.containsValue(m.get().devicePath())) {
                    found.put(v.id(), m.get().devicePath());
                    progress.hostDevice(i, v.id(), m.get().devicePath());
                }
            }
            if (found.size() == vols.size()) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                List<String> missing = vols.stream().filter(v -> !found.containsKey(v.id()))
                        .map(v -> v.id() + v.attachment().map(a -> " (attached as " + a.device() + ")").orElse(""))
                        .toList();
                String msg = "no block device on " + ex.target() + " for " + String.join(", ", missing)
                        + " after " + seconds(deviceTimeout) + ": no disk with its NVMe serial, /dev/disk/by-id link or Xen name"
                        + (found.isEmpty() ? "" : " (found: " + found + ")")
                        + " — is " + ctx.instanceId() + " the machine cryptvol is connected to?";
                List<EbsBatchException.Member> members = new ArrayList<>();
                for (int i = 0; i < vols.size(); i++) {
                    EbsVolume v = vols.get(i);
                    members.add(new EbsBatchException.Member(i, v.id(), created, v.state(),
                            v.attachment().map(EbsVolume.Attachment::device).orElse(null),
                            v.attachment().map(EbsVolume.Attachment::state).orElse(null),
                            found.containsKey(v.id()) ? null : "no block device on " + ex.target()));
                }
                throw new EbsBatchException(msg, List.copyOf(found.keySet()),
                        vols.stream().map(EbsVolume::id).filter(id -> !found.containsKey(id)).toList(), null,
                        ctx.instanceId(), members);
            }
            sleep(devicePoll);
        }
    }

    /** The target's whole disks, with their serials (and /dev/disk/by-id links when asked). */
    private List<HostDisk> hostDisks(HostExecutor ex, boolean withLinks) {
        List<BlockDevice> top = new HostObserver(ex).devices();
        Map<String, List<String>> links = withLinks ? byIdLinks(ex) : Map.of();
        List<HostDisk> disks = new ArrayList<>();
        for (BlockDevice d : top) {
            if (d.type() == DeviceType.DISK && d.path() != null) {
                disks.add(new HostDisk(d.path(), d.serial(), links.getOrDefault(d.path(), List.of())));
            }
        }
        return disks;
    }

    private static Map<String, List<String>> byIdLinks(HostExecutor ex) {
        ExecResult r = ex.run(HostCommand.query("Resolve /dev/disk/by-id links of EBS volumes", "sh", "-c",
                "for l in /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_*; do [ -e \"$l\" ] && "
                        + "printf '%s %s\\n' \"$l\" \"$(readlink -f \"$l\")\"; done; true").asQuery());
        Map<String, List<String>> out = new HashMap<>();
        if (r.ok()) {
            r.out().lines().map(l -> l.split(" ", 2)).filter(p -> p.length == 2)
                    .forEach(p -> out.computeIfAbsent(p[1].trim(), k -> new ArrayList<>()).add(p[0]));
        }
        return out;
    }

    // ================================================================== list

    /**
     * The current instance's volumes and every cryptvol set's volumes ({@code all}: every volume in the
     * region), with host devices for those attached to the current instance when the target shows them.
     *
     * @param warnings receives a line when the host could not be observed
     */
    public List<Listed> list(boolean all, List<String> warnings) {
        Optional<String> instance = currentInstance();
        Map<String, EbsVolume> vols = new LinkedHashMap<>();
        if (all) {
            ebs().findVolumes(Map.of()).forEach(v -> vols.put(v.id(), v));
        } else {
            instance.ifPresent(i -> ebs().volumesAttachedTo(i).forEach(v -> vols.put(v.id(), v)));
            ebs().findVolumes(Map.of("tag-key", List.of(VolumeTags.SET))).forEach(v -> vols.putIfAbsent(v.id(), v));
        }
        Map<String, String> devices = new HashMap<>();
        List<EbsVolume> here = instance.map(i -> vols.values().stream().filter(v -> v.attachedTo(i)).toList())
                .orElse(List.of());
        if (!here.isEmpty()) {
            try {
                List<HostDisk> disks = hostDisks(hosts.executor(), true);
                for (EbsVolume v : here) {
                    VolumeDeviceMatcher.match(v.id(), v.attachment().get().device(), disks)
                            .ifPresent(m -> devices.put(v.id(), m.devicePath()));
                }
            } catch (RuntimeException e) {
                warnings.add("could not look at " + ctx.target().display() + " for host devices: "
                        + (e instanceof CryptvolException ? e.getMessage() : e.toString()));
            }
        }
        List<Listed> out = vols.values().stream()
                .sorted(Comparator.comparing((EbsVolume v) -> nz(v.tag(VolumeTags.SET)))
                        .thenComparing(v -> num(v.tag(VolumeTags.INDEX)))
                        .thenComparing(EbsVolume::id))
                .map(v -> new Listed(v, devices.get(v.id())))
                .toList();
        remember("volume", out.stream().map(l -> l.volume().id()).toList());
        remember("instance", out.stream().flatMap(l -> l.volume().attachment().stream())
                .map(EbsVolume.Attachment::instanceId).toList());
        sightings(List.copyOf(vols.values()), java.time.Instant.now()).forEach(inventory::sawAttached);
        return out;
    }

    /**
     * The ids of the volumes tagged as members of {@code vg} (cryptvol:vg) that are not attached to the current
     * instance, sorted: what to attach when the VG is missing a member.
     */
    public List<String> vgMembersNotAttached(String vg) {
        String instance = instanceId();
        return ebs().volumesWithTag(VolumeTags.VG, vg).stream().filter(v -> !v.attachedTo(instance))
                .map(EbsVolume::id).sorted().toList();
    }

    /**
     * The same volumes as {@link #vgMembersNotAttached}, each with where EC2 says it is now: "vol-… (attached to
     * i-… as /dev/sdg)" or "vol-… (available)".
     */
    public List<String> vgMembersElsewhere(String vg) {
        String instance = instanceId();
        return ebs().volumesWithTag(VolumeTags.VG, vg).stream().filter(v -> !v.attachedTo(instance))
                .sorted(Comparator.comparing(EbsVolume::id))
                .map(v -> v.id() + v.attachment().map(a -> " (attached to " + a.instanceId() + " as " + a.device() + ")")
                        .orElse(" (" + (v.state() == null ? "not attached" : v.state()) + ")"))
                .toList();
    }

    // ================================================================== detach / delete

    /**
     * Looks at each volume before a detach: it must be attached to the current instance, and its host
     * device must have no holders, no mounts and not be a PV of a VG that is not exported.
     */
    public List<DetachCheck> checkDetach(List<String> volumeIds) {
        String instance = instanceId();
        List<EbsVolume> vols = describeInOrder(volumeIds);
        HostExecutor ex = null;
        List<HostDisk> disks = List.of();
        List<BlockDevice> top = List.of();
        Map<String, LvmReportParser.PvExport> pvs = Map.of();
        if (vols.stream().anyMatch(v -> v.attachment().map(a -> a.instanceId().equals(instance)).orElse(false))) {
            ex = hosts.executor();
            top = new HostObserver(ex).devices();
            disks = hostDisks(ex, true);
            pvs = pvs(ex);
        }
        List<DetachCheck> out = new ArrayList<>();
        for (EbsVolume v : vols) {
            Optional<EbsVolume.Attachment> a = v.attachment();
            if (a.isEmpty()) {
                out.add(new DetachCheck(v, null, v.id() + " is not attached"));
                continue;
            }
            if (!a.get().instanceId().equals(instance)) {
                out.add(new DetachCheck(v, null, v.id() + " is attached to " + a.get().instanceId()
                        + ", not to " + instance + ": 'use instance " + a.get().instanceId() + "' first"));
                continue;
            }
            Optional<VolumeDeviceMatcher.Match> m = VolumeDeviceMatcher.match(v.id(), a.get().device(), disks);
            if (m.isEmpty()) {
                out.add(new DetachCheck(v, null, null)); // the host does not show it: nothing there to protect
                continue;
            }
            String path = m.get().devicePath();
            BlockDevice dev = top.stream().filter(d -> path.equals(d.path())).findFirst().orElse(null);
            List<String> problems = new ArrayList<>();
            if (dev != null) {
                List<String> holders = dev.children().stream().map(BlockDevice::name).toList();
                if (!holders.isEmpty()) {
                    problems.add("holders " + String.join(", ", holders));
                }
                List<String> mounts = dev.selfAndDescendants().flatMap(d -> d.mountpoints().stream()).distinct().toList();
                if (!mounts.isEmpty()) {
                    problems.add("mounted at " + String.join(", ", mounts));
                }
            }
            LvmReportParser.PvExport pv = pvs.get(path);
            if (pv != null && !pv.vg().isEmpty() && !pv.exported()) {
                problems.add("PV of volume group " + pv.vg() + " (deactivate and export it first: vgchange -an "
                        + pv.vg() + " && vgexport " + pv.vg() + ")");
            }
            String refusal = problems.isEmpty() ? null : v.id() + " is " + path + " on " + ex.target()
                    + ", which is in use: " + String.join("; ", problems);
            out.add(new DetachCheck(v, path, refusal));
        }
        return out;
    }

    /** Detaches checked volumes (the caller refuses any with a refusal) and waits until each is available. */
    public void detach(List<DetachCheck> checks, boolean force, Progress progress) {
        Set<String> gone = new LinkedHashSet<>();
        checks.forEach(c -> {
            if (c.hostDevice() != null) {
                gone.add(c.hostDevice());
            }
        });
        try {
            ebs().detachVolumes(checks.stream().map(c -> c.volume().id()).toList(), force, progress);
        } catch (EbsBatchException e) {
            throw clearer(e);
        } finally {
            inventory.put("device", inventory.get("device").stream().filter(d -> !gone.contains(d)).toList());
        }
    }

    /** The volumes to delete; each must exist and be available (detached). */
    public List<EbsVolume> checkDelete(List<String> volumeIds) {
        List<EbsVolume> vols = describeInOrder(volumeIds);
        List<String> problems = new ArrayList<>();
        for (EbsVolume v : vols) {
            if (v.attachment().isPresent()) {
                problems.add(v.id() + " is attached to " + v.attachment().get().instanceId() + " as "
                        + v.attachment().get().device() + ": 'volumes detach " + v.id() + "' first");
            } else if (!"available".equals(v.state())) {
                problems.add(v.id() + " is " + v.state());
            }
        }
        if (!problems.isEmpty()) {
            throw new CryptvolException("cannot delete: " + String.join("; ", problems), ExitCode.FAILED, null);
        }
        return vols;
    }

    public void delete(List<String> volumeIds, Progress progress) {
        try {
            ebs().deleteVolumes(distinct(volumeIds), progress);
        } catch (EbsBatchException e) {
            throw clearer(e);
        } finally {
            Set<String> gone = new LinkedHashSet<>(volumeIds);
            inventory.put("volume", inventory.get("volume").stream().filter(v -> !gone.contains(v)).toList());
        }
    }

    // ================================================================== helpers

    /** PV → VG and whether the VG is exported; empty when LVM is not installed. */
    private static Map<String, LvmReportParser.PvExport> pvs(HostExecutor ex) {
        ExecResult r = ex.run(Lvm.pvExportReport().asQuery());
        if (r.exitCode() == 127) {
            return Map.of();
        }
        if (!r.ok()) {
            throw new CryptvolException("pvs failed (exit " + r.exitCode() + "): "
                    + r.err().lines().findFirst().orElse(""), ExitCode.FAILED, null);
        }
        return LvmReportParser.pvExports(r.out());
    }

    /** A batch where nothing succeeded and every volume failed the same way: that one line is clearer. */
    private static CryptvolException clearer(EbsBatchException e) {
        String msg = e.getMessage();
        int at = msg.indexOf("; failed: ");
        if (e.completed().isEmpty() && e.getCause() instanceof CryptvolException first && at >= 0
                && msg.substring(at + "; failed: ".length()).equals(first.getMessage())) {
            return first;
        }
        return e;
    }

    private void remember(String kind, List<String> values) {
        List<String> merged = new ArrayList<>(values.stream().filter(v -> v != null && !v.isBlank()).distinct().toList());
        inventory.get(kind).stream().filter(v -> !merged.contains(v)).forEach(merged::add);
        inventory.put(kind, merged);
    }

    /** The volumes, in the order the user gave them. */
    private List<EbsVolume> describeInOrder(List<String> volumeIds) {
        List<String> ids = distinct(volumeIds);
        List<EbsVolume> vols = new ArrayList<>(ebs().describeVolumes(ids));
        vols.sort(Comparator.comparingInt(v -> ids.indexOf(v.id())));
        return vols;
    }

    private static List<String> distinct(List<String> ids) {
        List<String> out = new ArrayList<>(new LinkedHashSet<>(ids.stream().map(String::trim).filter(s -> !s.isEmpty()).toList()));
        if (out.isEmpty()) {
            throw new CryptvolException("no volume ids given", ExitCode.USAGE, null);
        }
        for (String id : out) {
            if (!id.matches("vol-[0-9a-f]{8,17}")) {
                throw new CryptvolException("not a volume id: '" + id + "' (expected vol-…)", ExitCode.USAGE, null);
            }
        }
        return out;
    }

    private static String nz(String s) {
        return s == null ? "~" : s;
    }

    private static int num(String s) {
        try {
            return s == null ? Integer.MAX_VALUE : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    static String seconds(Duration d) {
        return io.cryptvol.domain.Durations.setting(d);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted while waiting for the host devices", ExitCode.FAILED, e);
        }
    }
}

package io.cryptvol.aws;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsProgress.Event;
import io.cryptvol.aws.EbsProgress.Stage;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.waiters.WaiterOverrideConfiguration;
import software.amazon.awssdk.core.waiters.WaiterResponse;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AttachVolumeResponse;
import software.amazon.awssdk.services.ec2.model.CopySnapshotResponse;
import software.amazon.awssdk.services.ec2.model.CreateSnapshotResponse;
import software.amazon.awssdk.services.ec2.model.CreateSnapshotsResponse;
import software.amazon.awssdk.services.ec2.model.CreateVolumeRequest;
import software.amazon.awssdk.services.ec2.model.CreateVolumeResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeVolumesResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Snapshot;
import software.amazon.awssdk.services.ec2.model.SnapshotInfo;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.model.VolumeAttachment;
import software.amazon.awssdk.services.ec2.waiters.Ec2Waiter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * The EBS operations cryptvol needs, over the SDK's {@link Ec2Client}. Batches run concurrently (one
 * worker per volume, up to {@link EbsOptions#maxConcurrency()}), wait with the SDK's waiters or
 * polls, report per-volume {@link EbsProgress} and fail with one-line {@link CryptvolException}s
 * ({@link EbsBatchException} when part of a batch succeeded).
 */
public final class EbsGateway {
    private final Ec2Clients clients;
    private final EbsOptions options;

    public EbsGateway(Ec2Clients clients, EbsOptions options) {
        this.clients = clients;
        this.options = options;
    }

    /** The default region (resolving it, and so making no client, if not done yet). */
    public String region() {
        return clients.region();
    }

    private Ec2Client ec2() {
        return clients.client();
    }

    // ================================================================== instances

    /** Placement, state and EBS volumes of one instance. */
    public InstanceInfo describeInstance(String instanceId) {
        DescribeInstancesResponse r = call("DescribeInstances", () -> ec2().describeInstances(b -> b.instanceIds(instanceId)));
        Instance in = r.reservations().stream().flatMap(res -> res.instances().stream())
                .filter(i -> i.instanceId().equals(instanceId)).findFirst()
                .orElseThrow(() -> new CryptvolException("DescribeInstances: no instance " + instanceId + " in " + region()));
        List<InstanceInfo.Disk> disks = in.blockDeviceMappings().stream()
                .filter(m -> m.ebs() != null)
                .map(m -> new InstanceInfo.Disk(m.deviceName(), m.ebs().volumeId(), m.ebs().statusAsString()))
                .toList();
        return new InstanceInfo(in.instanceId(), in.placement() == null ? null : in.placement().availabilityZone(),
                in.state() == null ? null : in.state().nameAsString(), in.rootDeviceName(), disks);
    }

    // ================================================================== volumes

    /** Creates {@code count} volumes like {@code spec}, all at once, and waits until each is available. */
    public List<EbsVolume> createVolumes(int count, VolumeSpec spec, EbsProgress progress) {
        return createVolumes(Collections.nCopies(count, spec), null, progress);
    }

    /** Creates {@code count} volumes and attaches them to the instance at free device names. */
    public List<EbsVolume> createAndAttach(String instanceId, int count, VolumeSpec spec, EbsProgress progress) {
        return createVolumes(Collections.nCopies(count, spec), instanceId, progress);
    }

    /** One new volume per snapshot (restore of a set), attached to the instance if one is given. */
    public List<EbsVolume> restoreSnapshots(List<String> snapshotIds, VolumeSpec spec, String instanceId,
                                            EbsProgress progress) {
        return createVolumes(snapshotIds.stream().map(spec::fromSnapshot).toList(), instanceId, progress);
    }

    /**
     * Creates one volume per spec, concurrently; each is waited for until available and, when
     * {@code instanceId} is not null, attached (device names are handed out before any call, from
     * DescribeInstances) and waited for until attached. A spec without a zone gets the instance's.
     */
    public List<EbsVolume> createVolumes(List<VolumeSpec> specs, String instanceId, EbsProgress progress) {
        if (specs.isEmpty()) {
            return List.of();
        }
        DeviceAllocator devices = null;
        String instanceAz = null;
        if (instanceId != null) {
            InstanceInfo info = describeInstance(instanceId);
            instanceAz = info.availabilityZone();
            devices = new DeviceAllocator(instanceId, info);
            devices.require(specs.size());
        }
        List<VolumeSpec> resolved = new ArrayList<>();
        for (VolumeSpec s : specs) {
            if (s.availabilityZone() == null) {
                if (instanceAz == null) {
                    throw new CryptvolException("no availability zone for the new volumes: give one, or an instance");
                }
                s = s.inZone(instanceAz);
            } else if (instanceAz != null && !s.availabilityZone().equals(instanceAz)) {
                throw new CryptvolException("the volumes would be in " + s.availabilityZone() + " but " + instanceId
                        + " is in " + instanceAz + "; EBS volumes attach only within their zone");
            }
            resolved.add(s);
        }
        DeviceAllocator dev = devices;
        String what = instanceId == null ? "volumes available" : "volumes attached";
        return runBatch(resolved.size(), what, progress, (i, ids) -> {
            Ec2Client ec2 = ec2();
            VolumeSpec s = resolved.get(i);
            progress.on(new Event(i, null, Stage.REQUESTED, s.sizeGiB() + " GiB " + s.type()));
            CreateVolumeResponse created = call("CreateVolume", () -> ec2.createVolume(createRequest(s)));
            String id = created.volumeId();
            ids.set(i, id);
            progress.on(new Event(i, id, Stage.CREATING, s.availabilityZone()));
            EbsVolume v = waitAvailable(ec2, id, "creating", options.availableTimeout());
            progress.on(new Event(i, id, Stage.AVAILABLE, null));
            if (dev == null) {
                return v;
            }
            return attachAndWait(ec2, i, id, instanceId, dev, progress);
        });
    }

    /** Attaches existing available volumes at free device names and waits until all are attached. */
    public List<EbsVolume> attachVolumes(String instanceId, List<String> volumeIds, EbsProgress progress) {
        InstanceInfo info = describeInstance(instanceId);
        DeviceAllocator dev = new DeviceAllocator(instanceId, info);
        dev.require(volumeIds.size());
        return runBatch(volumeIds.size(), "volumes attached", progress, (i, ids) -> {
            ids.set(i, volumeIds.get(i));
            return attachAndWait(ec2(), i, volumeIds.get(i), instanceId, dev, progress);
        });
    }

    private EbsVolume attachAndWait(Ec2Client ec2, int i, String id, String instanceId, DeviceAllocator dev,
                                    EbsProgress progress) {
        String device = dev.next();
        for (int attempt = 1; ; attempt++) {
            String d = device;
            try {
                AttachVolumeResponse r = ec2.attachVolume(b -> b.volumeId(id).instanceId(instanceId).device(d));
                progress.on(new Event(i, id, Stage.ATTACHING, r.device()));
                break;
            } catch (SdkException e) {
                String msg = e.getMessage() == null ? "" : e.getMessage();
                if ("InvalidParameterValue".equals(Ec2Errors.code(e)) && msg.contains("already in use") && attempt < 5) {
                    device = dev.next(); // someone else took it meanwhile
                    continue;
                }
                throw Ec2Errors.map(e, "AttachVolume");
            }
        }
        EbsVolume v = waitAttached(ec2, id, instanceId);
        progress.on(new Event(i, id, Stage.ATTACHED, device));
        return v;
    }

    private CreateVolumeRequest createRequest(VolumeSpec s) {
        CreateVolumeRequest.Builder b = CreateVolumeRequest.builder()
                .availabilityZone(s.availabilityZone())
                .volumeType(s.type())
                .iops(s.iops())
                .throughput(s.throughput());
        if (s.sizeGiB() > 0) {
            b.size(s.sizeGiB());
        }
        if (s.snapshotId() != null) {
            b.snapshotId(s.snapshotId());
        }
        if (s.encrypted()) {
            b.encrypted(true);
            if (s.kmsKeyId() != null) {
                b.kmsKeyId(s.kmsKeyId());
            }
        }
        tagSpec(ResourceType.VOLUME, s.tags()).ifPresent(b::tagSpecifications);
        return b.build();
    }

    /** Volumes by id (a missing one is an error). */
    public List<EbsVolume> describeVolumes(Collection<String> volumeIds) {
        if (volumeIds.isEmpty()) {
            return List.of();
        }
        List<String> ids = List.copyOf(volumeIds);
        List<EbsVolume> out = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += 200) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + 200));
            call("DescribeVolumes", () -> {
                ec2().describeVolumesPaginator(b -> b.volumeIds(chunk)).volumes().forEach(v -> out.add(toVolume(v)));
                return null;
            });
        }
        return out;
    }

    /**
     * Volumes matching EC2 filters (name → values; values are ORed, filters ANDed), all pages.
     * E.g. {@code tag:cryptvol:vg → [myvg]}, {@code attachment.instance-id → [i-…]}, {@code status → [available]}.
     */
    public List<EbsVolume> findVolumes(Map<String, List<String>> filters) {
        List<Filter> f = filters(filters);
        List<EbsVolume> out = new ArrayList<>();
        call("DescribeVolumes", () -> {
            ec2().describeVolumesPaginator(b -> b.filters(f).maxResults(options.pageSize()))
                    .volumes().forEach(v -> out.add(toVolume(v)));
            return null;
        });
        return out;
    }

    public List<EbsVolume> volumesWithTag(String key, String value) {
        return findVolumes(Map.of("tag:" + key, List.of(value)));
    }

    public List<EbsVolume> volumesAttachedTo(String instanceId) {
        return findVolumes(Map.of("attachment.instance-id", List.of(instanceId)));
    }

    /** Detaches the volumes (from whatever they are attached to) and waits until each is available. */
    public void detachVolumes(List<String> volumeIds, boolean force, EbsProgress progress) {
        runBatch(volumeIds.size(), "volumes detached", progress, (i, ids) -> {
            String id = volumeIds.get(i);
            ids.set(i, id);
            Ec2Client ec2 = ec2();
            call("DetachVolume", () -> ec2.detachVolume(b -> b.volumeId(id).force(force ? Boolean.TRUE : null)));
            progress.on(new Event(i, id, Stage.DETACHING, null));
            EbsVolume v = waitAvailable(ec2, id, "detaching", options.detachTimeout());
            progress.on(new Event(i, id, Stage.DETACHED, null));
            return v;
        });
    }

    /** Deletes the volumes (they must be detached) and waits until each is gone. */
    public void deleteVolumes(List<String> volumeIds, EbsProgress progress) {
        runBatch(volumeIds.size(), "volumes deleted", progress, (i, ids) -> {
            String id = volumeIds.get(i);
            ids.set(i, id);
            Ec2Client ec2 = ec2();
            call("DeleteVolume", () -> ec2.deleteVolume(b -> b.volumeId(id)));
            progress.on(new Event(i, id, Stage.DELETING, null));
            try (Ec2Waiter w = waiter(ec2, options.deleteTimeout())) {
                w.waitUntilVolumeDeleted(b -> b.volumeIds(id));
            } catch (SdkException e) {
                if (Ec2Errors.code(e) != null && !"InvalidVolume.NotFound".equals(Ec2Errors.code(e))) {
                    throw Ec2Errors.map(e, "DescribeVolumes");
                }
                throw new CryptvolException(id + " still deleting after " + fmt(options.deleteTimeout()), e);
            }
            progress.on(new Event(i, id, Stage.DELETED, null));
            return id;
        });
    }

    /** Adds (or overwrites) tags on volumes, snapshots or instances. */
    public void tag(Collection<String> resourceIds, Map<String, String> tags) {
        if (resourceIds.isEmpty() || tags.isEmpty()) {
            return;
        }
        call("CreateTags", () -> ec2().createTags(b -> b.resources(resourceIds).tags(tags(tags))));
    }

    // ================================================================== snapshots

    /**
     * Crash-consistent snapshots of the instance's volumes, all taken at the same moment by one
     * CreateSnapshots call. Returns at once with the snapshots pending (their content is fixed
     * already: the file system can be thawed); {@link #awaitSnapshots} waits for completion.
     */
    public List<EbsSnapshot> snapshotInstance(String instanceId, boolean excludeBootVolume,
                                              Collection<String> excludeVolumeIds, String description,
                                              Map<String, String> tags, boolean copyVolumeTags) {
        CreateSnapshotsResponse r = call("CreateSnapshots", () -> ec2().createSnapshots(b -> {
            b.instanceSpecification(s -> {
                s.instanceId(instanceId).excludeBootVolume(excludeBootVolume);
                if (!excludeVolumeIds.isEmpty()) {
                    s.excludeDataVolumeIds(excludeVolumeIds);
                }
            });
            b.description(description);
            tagSpec(ResourceType.SNAPSHOT, tags).ifPresent(b::tagSpecifications);
            if (copyVolumeTags) {
                b.copyTagsFromSource("volume");
            }
        }));
        String region = region();
        return r.snapshots().stream().map(s -> toSnapshot(s, region)).toList();
    }

    /**
     * One CreateSnapshot per volume, all sent at once: the fallback when CreateSnapshots is not
     * allowed, or when only some volumes of an instance make up the set.
     */
    public List<EbsSnapshot> snapshotVolumes(List<String> volumeIds, String description, Map<String, String> tags,
                                             EbsProgress progress) {
        String region = region();
        return runBatch(volumeIds.size(), "snapshots started", progress, (i, ids) -> {
            String vol = volumeIds.get(i);
            CreateSnapshotResponse r = call("CreateSnapshot", () -> ec2().createSnapshot(b -> {
                b.volumeId(vol).description(description);
                tagSpec(ResourceType.SNAPSHOT, tags).ifPresent(b::tagSpecifications);
            }));
            ids.set(i, r.snapshotId());
            progress.on(new Event(i, r.snapshotId(), Stage.SNAPSHOT_PENDING, r.progress()));
            return new EbsSnapshot(r.snapshotId(), region, vol, nz(r.volumeSize()), r.stateAsString(),
                    percent(r.progress()), r.description(), Boolean.TRUE.equals(r.encrypted()), r.startTime(),
                    tagMap(r.tags()));
        });
    }

    /** Waits until every snapshot is completed, reporting progress changes. */
    public List<EbsSnapshot> awaitSnapshots(String region, List<String> snapshotIds, EbsProgress progress) {
        if (snapshotIds.isEmpty()) {
            return List.of();
        }
        Ec2Client ec2 = clients.client(region);
        long deadline = System.nanoTime() + options.snapshotTimeout().toNanos();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < snapshotIds.size(); i++) {
            index.put(snapshotIds.get(i), i);
        }
        Map<String, String> lastSeen = new HashMap<>();
        while (true) {
            List<EbsSnapshot> now = new ArrayList<>();
            call("DescribeSnapshots", () -> {
                ec2.describeSnapshotsPaginator(b -> b.snapshotIds(snapshotIds)).snapshots()
                        .forEach(s -> now.add(toSnapshot(s, region)));
                return null;
            });
            List<String> failed = new ArrayList<>();
            boolean done = true;
            for (EbsSnapshot s : now) {
                String seen = s.state() + " " + s.progress();
                if (!seen.equals(lastSeen.put(s.id(), seen))) {
                    Stage st = s.completed() ? Stage.SNAPSHOT_COMPLETED
                            : "error".equals(s.state()) ? Stage.FAILED : Stage.SNAPSHOT_PENDING;
                    progress.on(new Event(index.getOrDefault(s.id(), -1), s.id(), st, s.progress() + "%"));
                }
                if ("error".equals(s.state())) {
                    failed.add(s.id());
                } else if (!s.completed()) {
                    done = false;
                }
            }
            if (!failed.isEmpty()) {
                List<String> ok = now.stream().filter(EbsSnapshot::completed).map(EbsSnapshot::id).toList();
                throw new EbsBatchException("snapshot " + String.join(", ", failed) + " failed (state error)",
                        ok, failed, null);
            }
            if (done) {
                now.sort((a, b) -> Integer.compare(index.get(a.id()), index.get(b.id())));
                return now;
            }
            if (System.nanoTime() > deadline) {
                String pending = now.stream().filter(s -> !s.completed()).map(s -> s.id() + " at " + s.progress() + "%")
                        .reduce((a, b) -> a + ", " + b).orElse("");
                throw new CryptvolException(pending + " still pending after " + fmt(options.snapshotTimeout()));
            }
            sleep(options.pollInterval());
        }
    }

    /** Snapshots owned by this account matching EC2 filters (all pages). */
    public List<EbsSnapshot> findSnapshots(Map<String, List<String>> filters) {
        List<Filter> f = filters(filters);
        String region = region();
        List<EbsSnapshot> out = new ArrayList<>();
        call("DescribeSnapshots", () -> {
            ec2().describeSnapshotsPaginator(b -> b.ownerIds("self").filters(f).maxResults(options.pageSize()))
                    .snapshots().forEach(s -> out.add(toSnapshot(s, region)));
            return null;
        });
        return out;
    }

    public List<EbsSnapshot> snapshotsWithTag(String key, String value) {
        return findSnapshots(Map.of("tag:" + key, List.of(value)));
    }

    public void deleteSnapshots(Collection<String> snapshotIds) {
        List<String> ids = List.copyOf(snapshotIds);
        runBatch(ids.size(), "snapshots deleted", EbsProgress.NONE, (i, done) -> {
            done.set(i, ids.get(i));
            call("DeleteSnapshot", () -> ec2().deleteSnapshot(b -> b.snapshotId(ids.get(i))));
            return ids.get(i);
        });
    }

    /**
     * Copies snapshots from {@code sourceRegion} into {@code destinationRegion} and waits until the
     * copies are completed. The copies get {@code tags}; null means "the same tags as each source"
     * (CopySnapshot itself copies none).
     */
    public List<EbsSnapshot> copySnapshots(String sourceRegion, List<String> snapshotIds, String destinationRegion,
                                           String description, Map<String, String> tags, EbsProgress progress) {
        Map<String, Map<String, String>> sourceTags = new HashMap<>();
        if (tags == null) {
            Ec2Client src = clients.client(sourceRegion);
            call("DescribeSnapshots", () -> {
                src.describeSnapshotsPaginator(b -> b.snapshotIds(snapshotIds)).snapshots()
                        .forEach(s -> sourceTags.put(s.snapshotId(), tagMap(s.tags())));
                return null;
            });
        }
        Ec2Client dest = clients.client(destinationRegion);
        List<String> copies = runBatch(snapshotIds.size(), "snapshot copies started", progress, (i, ids) -> {
            String source = snapshotIds.get(i);
            Map<String, String> t = tags != null ? tags : sourceTags.getOrDefault(source, Map.of());
            CopySnapshotResponse r = call("CopySnapshot", () -> dest.copySnapshot(b -> {
                // DestinationRegion given explicitly: the SDK's presigning interceptor cannot infer it
                // from an endpoint override (the sandbox, a VPC endpoint) and would fail
                b.sourceRegion(sourceRegion).destinationRegion(destinationRegion).sourceSnapshotId(source)
                        .description(description != null ? description : "copy of " + source + " from " + sourceRegion);
                tagSpec(ResourceType.SNAPSHOT, t).ifPresent(b::tagSpecifications);
            }));
            ids.set(i, r.snapshotId());
            progress.on(new Event(i, r.snapshotId(), Stage.SNAPSHOT_PENDING, "copy of " + source));
            return r.snapshotId();
        });
        return awaitSnapshots(destinationRegion, copies, progress);
    }

    // ================================================================== waiting

    private Ec2Waiter waiter(Ec2Client ec2, Duration timeout) {
        long attempts = Math.max(2, timeout.toMillis() / Math.max(1, options.pollInterval().toMillis()) + 2);
        return Ec2Waiter.builder().client(ec2).overrideConfiguration(WaiterOverrideConfiguration.builder()
                .backoffStrategyV2(BackoffStrategy.fixedDelay(options.pollInterval()))
                .waitTimeout(timeout)
                .maxAttempts((int) Math.min(Integer.MAX_VALUE, attempts))
                .build()).build();
    }

    /** SDK waiter VolumeAvailable; the message on time-out names the volume and what it still is. */
    private EbsVolume waitAvailable(Ec2Client ec2, String id, String doing, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
            try (Ec2Waiter w = waiter(ec2, left)) {
                WaiterResponse<DescribeVolumesResponse> r = w.waitUntilVolumeAvailable(b -> b.volumeIds(id));
                Optional<DescribeVolumesResponse> resp = r.matched().response();
                if (resp.isPresent() && !resp.get().volumes().isEmpty()) {
                    return toVolume(resp.get().volumes().get(0));
                }
                return describeOne(ec2, id).orElseThrow(() -> new CryptvolException(id + " disappeared"));
            } catch (SdkException e) {
                String code = Ec2Errors.code(e);
                if ("InvalidVolume.NotFound".equals(code) && System.nanoTime() < deadline) {
                    sleep(options.pollInterval()); // EC2 is eventually consistent right after CreateVolume
                    continue;
                }
                if (code != null && !"InvalidVolume.NotFound".equals(code)) {
                    throw Ec2Errors.map(e, "DescribeVolumes");
                }
                Optional<EbsVolume> now = describeOne(ec2, id);
                if (now.isEmpty()) {
                    throw new CryptvolException(id + " does not exist (any more)", e);
                }
                String state = now.get().state();
                if (state.equals("error") || state.equals("deleted") || state.equals("deleting")) {
                    throw new CryptvolException(id + " went to state " + state + " while " + doing, e);
                }
                String still = doing.equals("detaching")
                        ? now.get().attachment().map(EbsVolume.Attachment::state).orElse(state) : state;
                throw new CryptvolException(id + " still " + still + " after " + fmt(timeout), e);
            }
        }
    }

    /** SDK waiter VolumeInUse, then polls until the attachment itself is "attached". */
    private EbsVolume waitAttached(Ec2Client ec2, String id, String instanceId) {
        Duration timeout = options.attachTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Ec2Waiter w = waiter(ec2, timeout)) {
            w.waitUntilVolumeInUse(b -> b.volumeIds(id));
        } catch (SdkException e) {
            if (Ec2Errors.code(e) != null) {
                throw Ec2Errors.map(e, "DescribeVolumes");
            }
            String state = describeOne(ec2, id).map(EbsVolume::state).orElse("gone");
            throw new CryptvolException(id + " still " + state + " instead of in-use after " + fmt(timeout), e);
        }
        while (true) {
            EbsVolume v = describeOne(ec2, id).orElseThrow(() -> new CryptvolException(id + " disappeared while attaching"));
            Optional<EbsVolume.Attachment> a = v.attachment();
            if (a.isPresent() && a.get().instanceId().equals(instanceId) && a.get().state().equals("attached")) {
                return v;
            }
            if (a.isEmpty() && v.state().equals("available")) {
                throw new CryptvolException(id + " did not attach to " + instanceId + ": it is available again");
            }
            if (System.nanoTime() > deadline) {
                String state = a.map(EbsVolume.Attachment::state).orElse(v.state());
                throw new CryptvolException(id + " still " + state + " after " + fmt(timeout)
                        + " (instance " + instanceId + ", device " + a.map(EbsVolume.Attachment::device).orElse("?") + ")");
            }
            sleep(options.pollInterval());
        }
    }

    private Optional<EbsVolume> describeOne(Ec2Client ec2, String id) {
        try {
            List<Volume> vs = ec2.describeVolumes(b -> b.volumeIds(id)).volumes();
            return vs.isEmpty() ? Optional.empty() : Optional.of(toVolume(vs.get(0)));
        } catch (SdkException e) {
            if ("InvalidVolume.NotFound".equals(Ec2Errors.code(e))) {
                return Optional.empty();
            }
            throw Ec2Errors.map(e, "DescribeVolumes");
        }
    }

    // ================================================================== batches

    @FunctionalInterface
    private interface SlotTask<T> {
        /** @param ids where the task records the id of its resource as soon as it is known */
        T run(int index, AtomicReferenceArray<String> ids);
    }

    /**
     * Runs {@code n} tasks concurrently and waits for all of them (a failure does not cancel the
     * others: half-made volumes are worse than made ones). One failure of one task is rethrown as
     * is; otherwise an {@link EbsBatchException} names what was done and what failed.
     */
    private <T> List<T> runBatch(int n, String what, EbsProgress progress, SlotTask<T> task) {
        if (n == 0) {
            return List.of();
        }
        AtomicReferenceArray<String> ids = new AtomicReferenceArray<>(n);
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(n, options.maxConcurrency()), r -> {
            Thread t = new Thread(r, "cryptvol-ebs-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int slot = i;
                futures.add(pool.submit(() -> task.run(slot, ids)));
            }
            List<T> results = new ArrayList<>();
            List<String> done = new ArrayList<>();
            List<String> failedIds = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            CryptvolException first = null;
            for (int i = 0; i < n; i++) {
                try {
                    results.add(futures.get(i).get());
                    if (ids.get(i) != null) {
                        done.add(ids.get(i));
                    }
                } catch (ExecutionException e) {
                    CryptvolException ce = Ec2Errors.map(e.getCause(), "EC2");
                    if (first == null) {
                        first = ce;
                    }
                    if (ids.get(i) != null) {
                        failedIds.add(ids.get(i));
                    }
                    failures.add(ce.getMessage());
                    progress.on(new Event(i, ids.get(i), Stage.FAILED, ce.getMessage()));
                }
            }
            if (first == null) {
                return results;
            }
            if (n == 1) {
                throw first;
            }
            String msg = done.size() + " of " + n + " " + what
                    + (done.isEmpty() ? "" : " (" + String.join(", ", done) + ")")
                    + "; failed: " + String.join("; ", new ArrayList<>(new java.util.LinkedHashSet<>(failures)));
            throw new EbsBatchException(msg, done, failedIds, first);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted while waiting for " + what, e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Hands out free device names to concurrent attaches; skips names in use or found busy. */
    private static final class DeviceAllocator {
        private final String instanceId;
        private final Set<String> taken = new HashSet<>();

        DeviceAllocator(String instanceId, InstanceInfo info) {
            this.instanceId = instanceId;
            info.deviceNames().forEach(d -> taken.add(io.cryptvol.domain.VolumeDeviceMatcher.attachmentPoint(d)));
            if (info.rootDeviceName() != null) {
                taken.add(io.cryptvol.domain.VolumeDeviceMatcher.attachmentPoint(info.rootDeviceName()));
            }
        }

        synchronized void require(int count) {
            int free = DeviceNames.free(taken, count).size();
            if (free < count) {
                throw new CryptvolException(instanceId + " has " + free + " free device names between /dev/sdf and /dev/sdz; "
                        + count + " volumes need one each");
            }
        }

        synchronized String next() {
            List<String> free = DeviceNames.free(taken, 1);
            if (free.isEmpty()) {
                throw new CryptvolException("no free device name between /dev/sdf and /dev/sdz on " + instanceId);
            }
            taken.add(io.cryptvol.domain.VolumeDeviceMatcher.attachmentPoint(free.get(0)));
            return free.get(0);
        }
    }

    // ================================================================== mapping

    private static <T> T call(String action, Supplier<T> body) {
        try {
            return body.get();
        } catch (SdkException e) {
            throw Ec2Errors.map(e, action);
        }
    }

    static EbsVolume toVolume(Volume v) {
        Optional<EbsVolume.Attachment> att = v.attachments().stream().findFirst()
                .map((VolumeAttachment a) -> new EbsVolume.Attachment(a.instanceId(), a.device(), a.stateAsString()));
        String snap = v.snapshotId() == null || v.snapshotId().isEmpty() ? null : v.snapshotId();
        return new EbsVolume(v.volumeId(), nz(v.size()), v.volumeTypeAsString(), v.iops(), v.throughput(),
                Boolean.TRUE.equals(v.encrypted()), v.kmsKeyId(), v.availabilityZone(), v.stateAsString(), snap,
                v.createTime(), tagMap(v.tags()), att);
    }

    static EbsSnapshot toSnapshot(Snapshot s, String region) {
        return new EbsSnapshot(s.snapshotId(), region, s.volumeId(), nz(s.volumeSize()), s.stateAsString(),
                percent(s.progress()), s.description(), Boolean.TRUE.equals(s.encrypted()), s.startTime(), tagMap(s.tags()));
    }

    static EbsSnapshot toSnapshot(SnapshotInfo s, String region) {
        return new EbsSnapshot(s.snapshotId(), region, s.volumeId(), nz(s.volumeSize()), s.stateAsString(),
                percent(s.progress()), s.description(), Boolean.TRUE.equals(s.encrypted()), s.startTime(), tagMap(s.tags()));
    }

    private static int nz(Integer i) {
        return i == null ? 0 : i;
    }

    static int percent(String p) {
        if (p == null || p.isBlank()) {
            return 0;
        }
        try {
            return Integer.parseInt(p.replace("%", "").trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static Map<String, String> tagMap(List<Tag> tags) {
        Map<String, String> m = new LinkedHashMap<>();
        if (tags != null) {
            tags.forEach(t -> m.put(t.key(), t.value()));
        }
        return Collections.unmodifiableMap(m);
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }

    private static Optional<TagSpecification> tagSpec(ResourceType type, Map<String, String> t) {
        if (t == null || t.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(TagSpecification.builder().resourceType(type).tags(tags(t)).build());
    }

    private static List<Filter> filters(Map<String, List<String>> filters) {
        return filters.entrySet().stream().map(e -> Filter.builder().name(e.getKey()).values(e.getValue()).build()).toList();
    }

    static String fmt(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted", e);
        }
    }

}

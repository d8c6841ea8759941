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
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    /** How long a resource just made may still be unknown to EC2's describes (eventual consistency). */
    static final Duration NOT_FOUND_GRACE = Duration.ofSeconds(60);
    private final AwsClients clients;
    private final EbsOptions options;

    public EbsGateway(AwsClients clients, EbsOptions options) {
        this.clients = clients;
        this.options = options;
    }

    /** How this gateway polls and waits. */
    EbsOptions options() {
        return options;
    }

    /** The default region (resolving it, and so making no client, if not done yet). */
    public String region() {
        return clients.region();
    }

    /** EC2 requests made through this gateway's clients, per operation ({@code --debug} prints them). */
    public Ec2CallCounts calls() {
        return clients.calls();
    }

    private Ec2Client ec2() {
        return clients.client();
    }

    // ================================================================== instances

    /**
     * Ids of the instances (not terminated) whose tag {@code key} matches {@code valuePattern} (EC2's filter
     * wildcards {@code *} and {@code ?}), in id order.
     */
    public List<String> instancesTagged(String key, String valuePattern) {
        return call("DescribeInstances", () -> ec2().describeInstancesPaginator(b -> b.filters(
                        software.amazon.awssdk.services.ec2.model.Filter.builder().name("tag:" + key).values(valuePattern).build(),
                        software.amazon.awssdk.services.ec2.model.Filter.builder().name("instance-state-name")
                                .values("pending", "running", "stopping", "stopped").build()))
                .reservations().stream().flatMap(res -> res.instances().stream()).map(Instance::instanceId).sorted().toList());
    }

    /** Placement, state and EBS volumes of one instance. */
    public InstanceInfo describeInstance(String instanceId) {
        List<Instance> found = call("DescribeInstances", () -> ec2().describeInstancesPaginator(b -> b.instanceIds(instanceId))
                .reservations().stream().flatMap(res -> res.instances().stream()).toList());
        Instance in = found.stream().filter(i -> i.instanceId().equals(instanceId)).findFirst()
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
     * Creates one volume per spec and waits until each is available; when {@code instanceId} is not null,
     * attaches them (set index i at the i-th free device name, whatever order they finish in) and waits until
     * each is attached. A spec without a zone gets the instance's.
     */
    public List<EbsVolume> createVolumes(List<VolumeSpec> specs, String instanceId, EbsProgress progress) {
        return createVolumes(specs, instanceId, null, true, progress);
    }

    /**
     * {@link #createVolumes(List, String, EbsProgress)} with the device names given (one per spec, in set
     * order; null: the first free ones, from DescribeInstances) and, with {@code wait} false, no waiting
     * beyond what the calls need: without an instance it returns right after CreateVolume (the volumes are
     * "creating"); with one, after AttachVolume (a volume can be attached only once it is available, so that
     * much is waited for). CreateVolume calls go out concurrently; each wait is one DescribeVolumes per round
     * for the whole batch, with backoff and jitter. A volume this run created that EC2 does not show yet
     * (eventual consistency) counts as still creating, up to the timeout.
     *
     * @throws EbsBatchException when anything failed or timed out, with every member as EC2 last showed it
     */
    public List<EbsVolume> createVolumes(List<VolumeSpec> specs, String instanceId, List<String> deviceNames,
                                         boolean wait, EbsProgress progress) {
        if (specs.isEmpty()) {
            return List.of();
        }
        int n = specs.size();
        String instanceAz = null;
        List<String> devices = null;
        if (instanceId != null) {
            if (deviceNames != null && deviceNames.size() != n) {
                throw new IllegalArgumentException(n + " volumes but " + deviceNames.size() + " device names");
            }
            InstanceInfo info = deviceNames == null || specs.stream().anyMatch(s -> s.availabilityZone() == null)
                    ? describeInstance(instanceId) : null;
            instanceAz = info == null ? specs.get(0).availabilityZone() : info.availabilityZone();
            devices = deviceNames != null ? List.copyOf(deviceNames) : new DeviceAllocator(instanceId, info).take(n);
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
        Batch batch = new Batch(n, instanceId, true);
        Ec2Client ec2 = ec2();
        parallel(n, i -> {
            VolumeSpec s = resolved.get(i);
            progress.on(new Event(i, null, Stage.REQUESTED, s.sizeGiB() + " GiB " + s.type()));
            CreateVolumeResponse created = call("CreateVolume", () -> ec2.createVolume(createRequest(s)));
            batch.ids[i] = created.volumeId();
            batch.last.put(created.volumeId(), createdVolume(created));
            progress.on(new Event(i, created.volumeId(), Stage.CREATING, s.availabilityZone()));
        }, batch, progress);
        if (!wait && instanceId == null) {
            return batch.result("volumes created");
        }
        batch.poll(ec2, options.availableTimeout(), "creating", AVAILABLE, progress, Stage.AVAILABLE);
        if (instanceId == null || batch.anyProblem()) {
            // a set with a member missing is not attached: less to undo
            return batch.result(instanceId == null ? "volumes available" : "volumes created (none attached)");
        }
        attachAll(ec2, batch, devices, wait, progress);
        return batch.result("volumes attached");
    }

    /** Attaches existing available volumes at free device names (in the order given) and waits until all are attached. */
    public List<EbsVolume> attachVolumes(String instanceId, List<String> volumeIds, EbsProgress progress) {
        InstanceInfo info = describeInstance(instanceId);
        List<String> devices = new DeviceAllocator(instanceId, info).take(volumeIds.size());
        Batch batch = new Batch(volumeIds.size(), instanceId, false);
        for (int i = 0; i < volumeIds.size(); i++) {
            batch.ids[i] = volumeIds.get(i);
        }
        attachAll(ec2(), batch, devices, true, progress);
        return batch.result("volumes attached");
    }

    /** AttachVolume for each member (concurrently, member i at {@code devices[i]}), then one poll for all. */
    private void attachAll(Ec2Client ec2, Batch batch, List<String> devices, boolean wait, EbsProgress progress) {
        Set<String> reserved = ConcurrentHashMap.newKeySet();
        reserved.addAll(devices);
        parallel(batch.n, i -> {
            String id = batch.ids[i];
            String device = devices.get(i);
            for (int attempt = 1; ; attempt++) {
                String d = device;
                try {
                    AttachVolumeResponse r = ec2.attachVolume(b -> b.volumeId(id).instanceId(batch.instanceId).device(d));
                    batch.devices[i] = r.device() == null ? d : r.device();
                    progress.on(new Event(i, id, Stage.ATTACHING, batch.devices[i]));
                    return;
                } catch (SdkException e) {
                    String msg = e.getMessage() == null ? "" : e.getMessage();
                    if ("InvalidParameterValue".equals(Ec2Errors.code(e)) && msg.contains("already in use") && attempt < 5) {
                        // taken meanwhile (by someone else): the next name no member of this set was given
                        device = DeviceNames.free(reserved, 1).stream().findFirst().orElseThrow(() ->
                                new CryptvolException("no free device name between /dev/sdf and /dev/sdz on " + batch.instanceId));
                        reserved.add(device);
                        continue;
                    }
                    throw Ec2Errors.map(e, "AttachVolume");
                }
            }
        }, batch, progress);
        if (!wait) {
            batch.refresh(ec2); // what the caller gets shows the attachments
            return;
        }
        batch.poll(ec2, options.attachTimeout(), "attaching", this::attachedVerdict, progress, Stage.ATTACHED);
    }

    // ------------------------------------------------------------------ batch polling

    /** What one poll round says of a volume: null still pending, "" done, else why it failed. */
    @FunctionalInterface
    private interface Verdict {
        String of(Batch batch, int index, Volume v);
    }

    private static final Verdict AVAILABLE = (batch, i, v) -> switch (v.stateAsString()) {
        case "available", "in-use" -> "";
        case "creating" -> null;
        default -> v.volumeId() + " went to state " + v.stateAsString() + " while creating";
    };

    private String attachedVerdict(Batch batch, int i, Volume v) {
        Optional<VolumeAttachment> a = v.attachments().stream().findFirst();
        if (a.isPresent() && !batch.instanceId.equals(a.get().instanceId())) {
            return v.volumeId() + " is attached to " + a.get().instanceId() + ", not " + batch.instanceId;
        }
        if (a.isPresent()) {
            batch.seenAttaching.add(v.volumeId());
            return "attached".equals(a.get().stateAsString()) ? "" : null;
        }
        if (List.of("error", "deleting", "deleted").contains(v.stateAsString())) {
            return v.volumeId() + " went to state " + v.stateAsString() + " while attaching";
        }
        // just after AttachVolume EC2 may still show it available; available again after that is a failure
        return batch.seenAttaching.contains(v.volumeId())
                ? v.volumeId() + " did not attach to " + batch.instanceId + ": it is available again" : null;
    }

    /**
     * The members of one batch: ids, device names, the last DescribeVolumes answer for each and what went
     * wrong. Workers write their own index only; polls run on the calling thread.
     */
    private final class Batch {
        final int n;
        final String instanceId;
        final boolean created;
        final String[] ids;
        final String[] devices;
        final String[] problems;
        final Map<String, Volume> last = new ConcurrentHashMap<>();
        final Set<String> seenAttaching = new HashSet<>();
        Throwable firstCause;

        Batch(int n, String instanceId, boolean created) {
            this.n = n;
            this.instanceId = instanceId;
            this.created = created;
            this.ids = new String[n];
            this.devices = new String[n];
            this.problems = new String[n];
        }

        synchronized void fail(int i, Throwable cause, String message) {
            if (problems[i] == null) {
                problems[i] = message;
            }
            if (firstCause == null) {
                firstCause = cause;
            }
        }

        synchronized boolean anyProblem() {
            return Arrays.stream(problems).anyMatch(p -> p != null);
        }

        /** Indexes still on their way: an id, no problem. */
        List<Integer> pending() {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (ids[i] != null && problems[i] == null) {
                    out.add(i);
                }
            }
            return out;
        }

        /**
         * Polls the pending members, one DescribeVolumes per round, until the verdict is done or failed for
         * each, or the timeout: the first wait is the poll interval, each next one 1.5 times longer up to
         * {@link EbsOptions#pollCap()}, each ±20 % at random (so that many clients do not poll in step).
         */
        void poll(Ec2Client ec2, Duration timeout, String doing, Verdict verdict, EbsProgress progress, Stage reached) {
            List<Integer> waiting = pending();
            long deadline = System.nanoTime() + timeout.toNanos();
            Duration delay = options.pollInterval();
            while (!waiting.isEmpty()) {
                long left = deadline - System.nanoTime();
                sleep(Duration.ofNanos(Math.max(0, Math.min(left, jitter(delay).toNanos()))));
                delay = Duration.ofMillis(Math.min(options.pollCap().toMillis(), Math.round(delay.toMillis() * 1.5)));
                Map<String, Volume> seen;
                try {
                    seen = describeByFilter(ec2, waiting.stream().map(i -> ids[i]).toList());
                } catch (CryptvolException e) {
                    if (created && "InvalidVolume.NotFound".equals(Ec2Errors.code(e.getCause())) && System.nanoTime() < deadline) {
                        continue; // an endpoint that answers a filter like a VolumeIds list: not visible yet
                    }
                    waiting.forEach(i -> fail(i, e, e.getMessage()));
                    waiting.forEach(i -> progress.on(new Event(i, ids[i], Stage.FAILED, e.getMessage())));
                    return;
                }
                last.putAll(seen);
                List<Integer> still = new ArrayList<>();
                for (int i : waiting) {
                    Volume v = seen.get(ids[i]);
                    String says = v == null ? (created ? null : ids[i] + " does not exist (any more)") : verdict.of(this, i, v);
                    if (says == null) {
                        still.add(i);
                    } else if (says.isEmpty()) {
                        progress.on(new Event(i, ids[i], reached, reached == Stage.ATTACHED ? devices[i] : null));
                    } else {
                        fail(i, null, says);
                        progress.on(new Event(i, ids[i], Stage.FAILED, says));
                    }
                }
                waiting = still;
                if (!waiting.isEmpty() && System.nanoTime() >= deadline) {
                    for (int i : waiting) {
                        String msg = ids[i] + " still " + still(last.get(ids[i]), doing) + " after " + fmt(timeout)
                                + (devices[i] == null ? "" : " (instance " + instanceId + ", device " + devices[i] + ")");
                        fail(i, null, msg);
                        progress.on(new Event(i, ids[i], Stage.FAILED, msg));
                    }
                    return;
                }
            }
        }

        /** One more look at every member (after --no-wait attaches). */
        void refresh(Ec2Client ec2) {
            try {
                last.putAll(describeByFilter(ec2, Arrays.stream(ids).filter(id -> id != null).toList()));
            } catch (CryptvolException e) {
                // the result shows what the calls returned; nothing is lost
            }
        }

        /** The volumes in set order, or an {@link EbsBatchException} saying what exists now. */
        List<EbsVolume> result(String what) {
            List<EbsBatchException.Member> members = new ArrayList<>();
            List<String> done = new ArrayList<>();
            List<String> failedIds = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Volume v = ids[i] == null ? null : last.get(ids[i]);
                Optional<VolumeAttachment> a = v == null ? Optional.empty() : v.attachments().stream().findFirst();
                String device = a.map(VolumeAttachment::device).orElse(devices[i]);
                String attState = a.map(VolumeAttachment::stateAsString).orElse(devices[i] == null ? null : "attaching");
                members.add(new EbsBatchException.Member(i, ids[i], created,
                        v == null ? (ids[i] == null ? null : "creating") : v.stateAsString(),
                        device, attState, problems[i]));
                if (problems[i] == null && ids[i] != null) {
                    done.add(ids[i]);
                } else {
                    if (ids[i] != null) {
                        failedIds.add(ids[i]);
                    }
                    failures.add(problems[i] == null ? "not attempted" : problems[i]);
                }
            }
            if (failures.isEmpty()) {
                List<EbsVolume> out = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Volume v = last.get(ids[i]);
                    out.add(v == null ? null : toVolume(v));
                }
                return out;
            }
            List<String> distinct = new ArrayList<>(new java.util.LinkedHashSet<>(
                    failures.stream().filter(f -> !f.equals("not attempted")).toList()));
            // one volume, or nothing done and every member failed the same way: that one line is clearer
            String msg = n == 1 || (done.isEmpty() && distinct.size() == 1) ? distinct.get(0)
                    : done.size() + " of " + n + " " + what + (done.isEmpty() ? "" : " (" + String.join(", ", done) + ")")
                    + "; failed: " + String.join("; ", distinct);
            throw new EbsBatchException(msg, done, failedIds, firstCause, instanceId, members);
        }
    }

    /** What a volume still is, for "vol-… still attaching after 60 s". */
    private static String still(Volume v, String doing) {
        if (v == null) {
            return "not shown by DescribeVolumes";
        }
        Optional<VolumeAttachment> a = v.attachments().stream().findFirst();
        if (doing.equals("attaching")) {
            return a.map(VolumeAttachment::stateAsString).orElse(v.stateAsString());
        }
        return v.stateAsString();
    }

    /**
     * The volumes among {@code ids} that EC2 shows, by id: DescribeVolumes with a volume-id filter (200 ids
     * a call), which leaves out an id EC2 does not know yet instead of failing the whole call.
     */
    private Map<String, Volume> describeByFilter(Ec2Client ec2, List<String> ids) {
        Map<String, Volume> out = new HashMap<>();
        for (int from = 0; from < ids.size(); from += 200) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + 200));
            Filter f = Filter.builder().name("volume-id").values(chunk).build();
            call("DescribeVolumes", () -> {
                ec2.describeVolumesPaginator(b -> b.filters(f)).volumes().forEach(v -> out.put(v.volumeId(), v));
                return null;
            });
        }
        return out;
    }

    /** A volume as CreateVolume answered (state "creating"), for a --no-wait result. */
    private static Volume createdVolume(CreateVolumeResponse r) {
        return Volume.builder().volumeId(r.volumeId()).size(r.size()).volumeType(r.volumeTypeAsString()).iops(r.iops())
                .throughput(r.throughput()).encrypted(r.encrypted()).kmsKeyId(r.kmsKeyId())
                .availabilityZone(r.availabilityZone()).state(r.stateAsString() == null ? "creating" : r.stateAsString())
                .snapshotId(r.snapshotId()).createTime(r.createTime()).tags(r.tags()).build();
    }

    /** ±20 %, at random. */
    static Duration jitter(Duration d) {
        double f = 0.8 + 0.4 * java.util.concurrent.ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis(Math.round(d.toMillis() * f));
    }

    /** Runs {@code task} for 0..n-1 concurrently and waits for all; a failure is recorded in the batch. */
    private void parallel(int n, java.util.function.IntConsumer task, Batch batch, EbsProgress progress) {
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (batch.problems[i] == null) {
                todo.add(i);
            }
        }
        if (todo.isEmpty()) {
            return;
        }
        AtomicInteger threadNo = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(todo.size(), options.maxConcurrency()), r -> {
            Thread t = new Thread(r, "cryptvol-ebs-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            Map<Integer, Future<?>> futures = new LinkedHashMap<>();
            for (int i : todo) {
                futures.put(i, pool.submit(() -> task.accept(i)));
            }
            for (Map.Entry<Integer, Future<?>> f : futures.entrySet()) {
                int i = f.getKey();
                try {
                    f.getValue().get();
                } catch (ExecutionException e) {
                    CryptvolException ce = Ec2Errors.map(e.getCause(), "EC2");
                    batch.fail(i, ce, ce.getMessage());
                    progress.on(new Event(i, batch.ids[i], Stage.FAILED, ce.getMessage()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CryptvolException("interrupted while waiting for EC2", e);
        } finally {
            pool.shutdownNow();
        }
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

    /**
     * Detaches the volumes from the instances they are attached to (one DescribeVolumes first: each DetachVolume
     * names its instance, so EC2 refuses it if the volume moved meanwhile) and waits until each is available.
     */
    public void detachVolumes(List<String> volumeIds, boolean force, EbsProgress progress) {
        Map<String, String> attachedTo = new HashMap<>();
        describeVolumes(volumeIds).forEach(v -> v.attachment().ifPresent(a -> attachedTo.put(v.id(), a.instanceId())));
        runBatch(volumeIds.size(), "volumes detached", progress, (i, ids) -> {
            String id = volumeIds.get(i);
            ids.set(i, id);
            Ec2Client ec2 = ec2();
            String instance = attachedTo.get(id); // none: EC2 answers that the volume is not attached (IncorrectState)
            call("DetachVolume", () -> ec2.detachVolume(b -> b.volumeId(id).instanceId(instance)
                    .force(force ? Boolean.TRUE : null)));
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

    /**
     * Adds (or overwrites) tags on volumes, snapshots or instances. EC2 is eventually consistent: a resource made a
     * moment ago may be NotFound to CreateTags for a while, so a NotFound is retried with backoff and jitter, at
     * most for {@link EbsOptions#availableTimeout()}, before it is an error.
     */
    public void tag(Collection<String> resourceIds, Map<String, String> tags) {
        if (resourceIds.isEmpty() || tags.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + options.availableTimeout().toNanos();
        Duration delay = options.pollInterval();
        while (true) {
            try {
                ec2().createTags(b -> b.resources(resourceIds).tags(tags(tags)));
                return;
            } catch (SdkException e) {
                String code = Ec2Errors.code(e);
                boolean justMade = code != null && code.endsWith(".NotFound");
                if (!justMade || System.nanoTime() - deadline >= 0) {
                    throw Ec2Errors.map(e, "CreateTags");
                }
                sleep(jitter(delay));
                delay = delay.multipliedBy(2).compareTo(options.pollCap()) > 0 ? options.pollCap() : delay.multipliedBy(2);
            }
        }
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
        // how long a snapshot may be unknown to DescribeSnapshots after its creation (then it is an error)
        long notFoundUntil = System.nanoTime() + Math.min(options.snapshotTimeout().toNanos(), NOT_FOUND_GRACE.toNanos());
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < snapshotIds.size(); i++) {
            index.put(snapshotIds.get(i), i);
        }
        Map<String, String> lastSeen = new HashMap<>();
        while (true) {
            List<EbsSnapshot> now = new ArrayList<>();
            try {
                ec2.describeSnapshotsPaginator(b -> b.snapshotIds(snapshotIds)).snapshots()
                        .forEach(s -> now.add(toSnapshot(s, region)));
            } catch (SdkException e) {
                // EC2 is eventually consistent: a snapshot made a moment ago may not be there yet
                if (!"InvalidSnapshot.NotFound".equals(Ec2Errors.code(e)) || System.nanoTime() > notFoundUntil) {
                    throw Ec2Errors.map(e, "DescribeSnapshots");
                }
                sleep(options.pollInterval());
                continue;
            }
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
        return findSnapshots(region(), filters);
    }

    /** {@link #findSnapshots(Map)} in another region (null: the default one). */
    public List<EbsSnapshot> findSnapshots(String inRegion, Map<String, List<String>> filters) {
        List<Filter> f = filters(filters);
        String region = inRegion == null ? region() : inRegion;
        Ec2Client ec2 = clients.client(region);
        List<EbsSnapshot> out = new ArrayList<>();
        call("DescribeSnapshots", () -> {
            ec2.describeSnapshotsPaginator(b -> b.ownerIds("self").filters(f).maxResults(options.pageSize()))
                    .snapshots().forEach(s -> out.add(toSnapshot(s, region)));
            return null;
        });
        return out;
    }

    public List<EbsSnapshot> snapshotsWithTag(String key, String value) {
        return findSnapshots(Map.of("tag:" + key, List.of(value)));
    }

    public void deleteSnapshots(Collection<String> snapshotIds) {
        deleteSnapshots(region(), snapshotIds);
    }

    /** Deletes snapshots of {@code inRegion}. */
    public void deleteSnapshots(String inRegion, Collection<String> snapshotIds) {
        List<String> ids = List.copyOf(snapshotIds);
        Ec2Client ec2 = clients.client(inRegion);
        runBatch(ids.size(), "snapshots deleted", EbsProgress.NONE, (i, done) -> {
            done.set(i, ids.get(i));
            call("DeleteSnapshot", () -> ec2.deleteSnapshot(b -> b.snapshotId(ids.get(i))));
            return ids.get(i);
        });
    }

    /**
     * Copies snapshots from {@code sourceRegion} into {@code destinationRegion} (one CopySnapshot each, all at once)
     * and returns the copies as started (pending); {@link #awaitSnapshots} waits for them. Each copy gets, in the
     * CopySnapshot call itself, the tags {@code tagsOf} gives for its source (so a copy is never seen untagged);
     * null means "the same tags as each source" (CopySnapshot itself copies none).
     */
    public List<EbsSnapshot> startCopies(String sourceRegion, List<String> snapshotIds, String destinationRegion,
                                         String description, java.util.function.Function<String, Map<String, String>> tagsOf,
                                         EbsProgress progress) {
        Map<String, Map<String, String>> sourceTags = new HashMap<>();
        if (tagsOf == null && !snapshotIds.isEmpty()) {
            Ec2Client src = clients.client(sourceRegion);
            call("DescribeSnapshots", () -> {
                src.describeSnapshotsPaginator(b -> b.snapshotIds(snapshotIds)).snapshots()
                        .forEach(s -> sourceTags.put(s.snapshotId(), tagMap(s.tags())));
                return null;
            });
        }
        Ec2Client dest = clients.client(destinationRegion);
        return runBatch(snapshotIds.size(), "snapshot copies started", progress, (i, ids) -> {
            String source = snapshotIds.get(i);
            Map<String, String> t = tagsOf != null ? tagsOf.apply(source) : sourceTags.getOrDefault(source, Map.of());
            CopySnapshotResponse r = call("CopySnapshot", () -> dest.copySnapshot(b -> {
                // DestinationRegion given explicitly: the SDK's presigning interceptor cannot infer it
                // from an endpoint override (the sandbox, a VPC endpoint) and would fail
                b.sourceRegion(sourceRegion).destinationRegion(destinationRegion).sourceSnapshotId(source)
                        .description(description != null ? description : "copy of " + source + " from " + sourceRegion);
                tagSpec(ResourceType.SNAPSHOT, t).ifPresent(b::tagSpecifications);
            }));
            ids.set(i, r.snapshotId());
            progress.on(new Event(i, r.snapshotId(), Stage.SNAPSHOT_PENDING, "copy of " + source));
            return new EbsSnapshot(r.snapshotId(), destinationRegion, null, 0, "pending", 0, description, false, null,
                    t == null ? Map.of() : Map.copyOf(t));
        });
    }

    /** {@link #startCopies}, then waits until the copies are completed. */
    public List<EbsSnapshot> copySnapshots(String sourceRegion, List<String> snapshotIds, String destinationRegion,
                                           String description, java.util.function.Function<String, Map<String, String>> tagsOf,
                                           EbsProgress progress) {
        List<EbsSnapshot> copies = startCopies(sourceRegion, snapshotIds, destinationRegion, description, tagsOf, progress);
        return awaitSnapshots(destinationRegion, copies.stream().map(EbsSnapshot::id).toList(), progress);
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

    /** The first {@code count} free device names of the instance, in order (set index i gets the i-th). */
    private static final class DeviceAllocator {
        private final String instanceId;
        private final List<String> inUse = new ArrayList<>();

        DeviceAllocator(String instanceId, InstanceInfo info) {
            this.instanceId = instanceId;
            inUse.addAll(info.deviceNames());
            if (info.rootDeviceName() != null) {
                inUse.add(info.rootDeviceName());
            }
        }

        List<String> take(int count) {
            List<String> free = DeviceNames.free(inUse, count);
            if (free.size() < count) {
                throw new CryptvolException(instanceId + " has " + free.size() + " free device names between /dev/sdf and /dev/sdz; "
                        + count + " volumes need one each");
            }
            return free;
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

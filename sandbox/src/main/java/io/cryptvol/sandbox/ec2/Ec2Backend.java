package io.cryptvol.sandbox.ec2;

import io.cryptvol.sandbox.DiskHost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.nio.charset.StandardCharsets;

/** The in-memory EC2 state (per region) and the actions on it. Transitions run on a timer. */
final class Ec2Backend {
    private static final Logger LOG = Logger.getLogger(Ec2Backend.class.getName());
    private static final long GIB = 1L << 30;
    private static final Pattern DEVICE = Pattern.compile("/dev/(sd[a-z]|xvd[a-z]{1,2}|sd[a-z][1-9]?)");

    static final class Vol {
        String id, region, az, type, kmsKeyId, snapshotId, state;
        int size;
        Integer iops, throughput;
        boolean encrypted;
        Instant createTime;
        Path image;
        final Map<String, String> tags = new LinkedHashMap<>();
        Att att;
        /** Until this System.nanoTime() the API does not see the volume yet (eventual consistency); null: seen. */
        Long unseenUntil;
    }

    static final class Att {
        String instanceId, device, state;
        Instant time;
        boolean plugged;
        boolean deleteOnTermination;
    }

    static final class Snap {
        String id, region, volumeId, description, state, kmsKeyId;
        int volumeSize;
        boolean encrypted;
        Instant start;
        long startNanos, durationNanos;
        Path image;
        Path source; // the image to copy from, until the copy is made
        final Map<String, String> tags = new LinkedHashMap<>();
        /** Until this System.nanoTime() the API does not see the snapshot yet (eventual consistency); null: seen. */
        Long unseenUntil;
    }

    static final class Inst {
        String id, region, az, state = "running", rootDevice;
        /** Why the state last changed (EC2's stateTransitionReason and stateReason), or null. */
        String reason, reasonCode;
        /** Its private IPv4 address as DescribeInstances gives it (privateIpAddress), or null: none. */
        String address;
        DiskHost host;
        boolean rebooting;
        /** The host actions of this instance, one after the other (power, plug, unplug). */
        CompletableFuture<Void> hostQueue = CompletableFuture.completedFuture(null);
        final Map<String, String> tags = new LinkedHashMap<>();
    }

    private final Object lock = new Object();
    private final Map<String, Vol> volumes = new LinkedHashMap<>();
    private final Map<String, Snap> snapshots = new LinkedHashMap<>();
    private final Map<String, Inst> instances = new LinkedHashMap<>();
    private final Path dataDir;
    private final ScheduledExecutorService timer;
    private final ExecutorService hostActions;
    private final SandboxFaults faults;
    private final Ec2StateFile stateFile;
    private volatile SandboxTimings timings;
    /** The most items a Describe answers in one page, whatever MaxResults says (EC2 may answer fewer). */
    private volatile int pageSize = MAX_PAGE;
    /** Where creation and start times come from (tests pass a clock that ticks as they need). */
    private volatile java.time.Clock clock = java.time.Clock.systemUTC();

    /** Loads the world saved in {@code dataDir} (volumes, snapshots, tags, instances), if any. */
    Ec2Backend(Path dataDir, ScheduledExecutorService timer, ExecutorService hostActions, SandboxFaults faults,
               SandboxTimings timings) {
        this.dataDir = dataDir;
        this.timer = timer;
        this.hostActions = hostActions;
        this.faults = faults;
        this.timings = timings;
        this.stateFile = new Ec2StateFile(dataDir);
        synchronized (lock) {
            stateFile.load(volumes, snapshots, instances);
        }
    }

    void clock(java.time.Clock c) {
        clock = java.util.Objects.requireNonNull(c);
    }

    void timings(SandboxTimings t) {
        this.timings = t;
    }

    void pageSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("page size must be at least 1");
        }
        this.pageSize = n;
    }

    // ------------------------------------------------------------------ what EC2 checks first: region, ids

    static final int MAX_PAGE = 1000;

    /** The regions the endpoint serves (AWS's commercial regions); a request signed for another is refused. */
    static final Set<String> REGIONS = Set.of("us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1",
            "ap-east-1", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
            "ap-southeast-4", "ap-southeast-5", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1",
            "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
            "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1");

    private static final Pattern ZONE = Pattern.compile("([a-z]{2}(-[a-z]+)+-\\d)[a-f]");
    private static final Pattern VOLUME_ID = Pattern.compile("vol-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Pattern SNAPSHOT_ID = Pattern.compile("snap-([0-9a-f]{8}|[0-9a-f]{17})");

    /** A zone of a region the endpoint serves: the region's name and one letter a-f. */
    static boolean isZone(String az) {
        java.util.regex.Matcher m = ZONE.matcher(az == null ? "" : az);
        return m.matches() && REGIONS.contains(m.group(1));
    }

    /** EC2's answer to a request signed for a region it does not serve (or that is not enabled for the account). */
    static Ec2Error unknownRegion() {
        return new Ec2Error("AuthFailure", "AWS was not able to validate the provided access credentials");
    }

    static void checkVolumeId(String id) {
        if (!VOLUME_ID.matcher(id).matches()) {
            throw new Ec2Error("InvalidVolumeID.Malformed", "Invalid id: \"" + id + "\" (expecting \"vol-...\")");
        }
    }

    static void checkSnapshotId(String id) {
        if (!SNAPSHOT_ID.matcher(id).matches()) {
            throw new Ec2Error("InvalidSnapshotID.Malformed", "Invalid id: \"" + id + "\" (expecting \"snap-...\")");
        }
    }

    static void checkInstanceId(String id) {
        if (!INSTANCE_ID.matcher(id).matches()) {
            throw new Ec2Error("InvalidInstanceID.Malformed", "Invalid id: \"" + id + "\"");
        }
    }

    /** Eventual consistency: a resource made a moment ago that the API does not show yet. */
    private static boolean unseen(Long until) {
        return until != null && System.nanoTime() - until < 0;
    }

    private Long unseenFromNow() {
        long window = timings.notFoundAfterCreate().toNanos();
        return window <= 0 ? null : System.nanoTime() + window;
    }

    static String newId(String prefix) {
        StringBuilder sb = new StringBuilder(prefix).append('-');
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 17; i++) {
            sb.append(Character.forDigit(r.nextInt(16), 16));
        }
        return sb.toString();
    }

    static String regionOfAz(String az) {
        return az.substring(0, az.length() - 1);
    }

    /** The NVMe serial a Nitro instance shows for this volume: its id without the dash. */
    static String serialOf(String volumeId) {
        return volumeId.replace("-", "");
    }

    // ------------------------------------------------------------------ instances & test access

    void addInstance(String id, String az, DiskHost host, boolean withRootVolume) {
        synchronized (lock) {
            if (instances.containsKey(id)) {
                throw new IllegalArgumentException("instance " + id + " exists already");
            }
            Inst in = new Inst();
            in.id = id;
            in.az = az;
            in.region = regionOfAz(az);
            in.rootDevice = "/dev/xvda";
            instances.put(id, in);
            bind(in, host);
            if (withRootVolume) {
                Vol v = newVolume(in.region, az, "gp3", 8);
                v.iops = 3000;
                v.throughput = 125;
                v.state = "in-use";
                SparseImages.create(v.image, 8 * GIB);
                Att a = new Att();
                a.instanceId = id;
                a.device = in.rootDevice;
                a.state = "attached";
                a.time = clock.instant();
                a.deleteOnTermination = true;
                a.plugged = false; // the test instance boots from its initramfs, not from this image
                v.att = a;
            }
        }
        save();
    }

    void instanceAddress(String id, String address) {
        synchronized (lock) {
            Inst in = instances.get(id);
            if (in == null) {
                throw new IllegalArgumentException("no instance " + id);
            }
            in.address = address;
        }
        save();
    }

    void instanceState(String id, String state) {
        synchronized (lock) {
            Inst in = instances.get(id);
            if (in == null) {
                throw new IllegalArgumentException("no instance " + id);
            }
            in.state = state;
        }
    }

    Path volumeImage(String volumeId) {
        synchronized (lock) {
            Vol v = volumes.get(volumeId);
            return v == null ? null : v.image;
        }
    }

    Path snapshotImage(String snapshotId) {
        synchronized (lock) {
            Snap s = snapshots.get(snapshotId);
            return s == null ? null : s.image;
        }
    }

    // ------------------------------------------------------------------ dispatch

    String handle(QueryRequest q) {
        try {
            return dispatch(q);
        } finally {
            if (!q.action.startsWith("Describe")) {
                save();
            }
        }
    }

    private String dispatch(QueryRequest q) {
        return switch (q.action) {
            case "CreateVolume" -> createVolume(q);
            case "DescribeVolumes" -> describeVolumes(q);
            case "AttachVolume" -> attachVolume(q);
            case "DetachVolume" -> detachVolume(q);
            case "DeleteVolume" -> deleteVolume(q);
            case "CreateTags" -> createTags(q);
            case "DeleteTags" -> deleteTags(q);
            case "DescribeInstances" -> describeInstances(q);
            case "RebootInstances" -> rebootInstances(q);
            case "StopInstances" -> stopInstances(q);
            case "StartInstances" -> startInstances(q);
            case "CreateSnapshot" -> createSnapshot(q);
            case "CreateSnapshots" -> createSnapshots(q);
            case "DescribeSnapshots" -> describeSnapshots(q);
            case "DeleteSnapshot" -> deleteSnapshot(q);
            case "CopySnapshot" -> copySnapshot(q);
            default -> throw new Ec2Error("InvalidAction", "The action " + q.action + " is not valid for this web service.");
        };
    }

    private static Xml begin(String action) {
        return new Xml().openNs(action + "Response").el("requestId", java.util.UUID.randomUUID());
    }

    private static String end(Xml x, String action) {
        return x.close(action + "Response").toString();
    }

    private static String returnTrue(String action) {
        return end(begin(action).el("return", "true"), action);
    }

    private static void dryRun(QueryRequest q) {
        if (q.bool("DryRun", false)) {
            throw new Ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
        }
    }

    // ------------------------------------------------------------------ volumes

    private Vol newVolume(String region, String az, String type, int size) {
        Vol v = new Vol();
        v.id = newId("vol");
        v.region = region;
        v.az = az;
        v.type = type;
        v.size = size;
        v.state = "creating";
        v.createTime = clock.instant();
        v.snapshotId = "";
        v.image = dataDir.resolve(v.id + ".img");
        volumes.put(v.id, v);
        return v;
    }

    private String createVolume(QueryRequest q) {
        dryRun(q);
        String az = q.get("AvailabilityZone");
        if (az == null || az.isEmpty()) {
            throw new Ec2Error("MissingParameter", "The request must contain the parameter availabilityZone");
        }
        if (!isZone(az) || !regionOfAz(az).equals(q.region)) {
            throw Ec2Error.invalid("Invalid availability zone: [" + az + "]");
        }
        String type = q.get("VolumeType") == null ? "gp2" : q.get("VolumeType");
        int[] range = switch (type) {
            case "standard" -> new int[] {1, 1024};
            case "gp2", "gp3" -> new int[] {1, 16384};
            case "io1" -> new int[] {4, 16384};
            case "io2" -> new int[] {4, 65536};
            case "st1", "sc1" -> new int[] {125, 16384};
            default -> throw Ec2Error.invalid("Value (" + type + ") for parameter volumeType is invalid. "
                    + "Valid values are [standard, io1, io2, gp2, sc1, st1, gp3].");
        };
        Integer size = q.integer("Size");
        Integer iops = q.integer("Iops");
        Integer throughput = q.integer("Throughput");
        boolean encrypted = q.bool("Encrypted", false);
        String kms = q.get("KmsKeyId");
        String snapshotId = q.get("SnapshotId");
        Map<String, String> tags = q.tagSpecifications("volume");
        if (kms != null && !encrypted) {
            throw new Ec2Error("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.");
        }
        if (iops != null && !(type.equals("gp3") || type.startsWith("io"))) {
            throw new Ec2Error("InvalidParameterCombination", "The parameter iops is not supported for " + type + " volumes.");
        }
        if (iops == null && type.startsWith("io")) {
            throw new Ec2Error("MissingParameter", "The parameter iops must be specified for " + type + " volumes.");
        }
        if (throughput != null && !type.equals("gp3")) {
            throw new Ec2Error("InvalidParameterCombination", "The parameter throughput is not supported for " + type + " volumes.");
        }
        if (type.equals("gp3")) {
            if (iops != null && (iops < 3000 || iops > 16000)) {
                throw Ec2Error.invalid("The iops value " + iops + " is out of range for gp3 volumes; it must be between 3000 and 16000.");
            }
            if (throughput != null && (throughput < 125 || throughput > 1000)) {
                throw Ec2Error.invalid("The throughput value " + throughput + " is out of range for gp3 volumes; it must be between 125 and 1000.");
            }
        }
        synchronized (lock) {
            Snap snap = null;
            if (snapshotId != null && !snapshotId.isEmpty()) {
                snap = snapshot(snapshotId, q.region);
                if (!snap.state.equals("completed")) {
                    throw new Ec2Error("IncorrectState", "Snapshot is in invalid state - " + snap.state);
                }
                if (size == null) {
                    size = snap.volumeSize;
                } else if (size < snap.volumeSize) {
                    throw Ec2Error.invalid("Volume of size " + size + "GB is smaller than snapshot '" + snapshotId
                            + "', expect size >= " + snap.volumeSize + "GB");
                }
                encrypted |= snap.encrypted;
                if (kms == null && snap.encrypted) {
                    kms = snap.kmsKeyId;
                }
            } else if (size == null) {
                throw new Ec2Error("MissingParameter", "The request must contain the parameter size or snapshotId");
            }
            if (size < range[0]) {
                throw Ec2Error.invalid("Volume of " + size + "GiB is too small; minimum is " + range[0] + "GiB.");
            }
            if (size > range[1]) {
                throw Ec2Error.invalid("Volume of " + size + "GiB is too large for volume type " + type
                        + "; maximum is " + range[1] + "GiB.");
            }
            Vol v = newVolume(q.region, az, type, size);
            v.unseenUntil = unseenFromNow();
            v.iops = switch (type) {
                case "gp3" -> iops == null ? 3000 : iops;
                case "gp2" -> Math.max(100, Math.min(16000, 3 * size));
                case "io1", "io2" -> iops;
                default -> null;
            };
            v.throughput = type.equals("gp3") ? (throughput == null ? 125 : throughput) : null;
            v.encrypted = encrypted;
            v.kmsKeyId = encrypted ? (kms != null ? kms : defaultKmsKey(q.region)) : null;
            v.tags.putAll(tags);
            long bytes = (long) size * GIB;
            final Snap from = snap;
            if (from != null) {
                v.snapshotId = from.id;
                Path source = from.image;
                schedule(timings.volumeCreate(), () -> {
                    SparseImages.copy(source, v.image, bytes);
                    synchronized (lock) {
                        if (v.state.equals("creating")) {
                            v.state = "available";
                        }
                    }
                });
            } else {
                SparseImages.create(v.image, bytes);
                schedule(timings.volumeCreate(), () -> {
                    synchronized (lock) {
                        if (v.state.equals("creating")) {
                            v.state = "available";
                        }
                    }
                });
            }
            Xml x = begin("CreateVolume");
            volumeFields(x, v);
            return end(x, "CreateVolume");
        }
    }

    static String defaultKmsKey(String region) {
        return "arn:aws:kms:" + region + ":" + SandboxEc2Server.ACCOUNT_ID + ":key/5a7d3c2e-0000-4000-8000-5a4db0c0ebs0";
    }

    private static void volumeFields(Xml x, Vol v) {
        x.el("volumeId", v.id).el("size", v.size).el("snapshotId", v.snapshotId).el("availabilityZone", v.az)
                .el("status", v.state).el("createTime", v.createTime);
        x.open("attachmentSet");
        if (v.att != null) {
            attachmentItem(x, v, v.att);
        }
        x.close("attachmentSet");
        x.tags(v.tags);
        x.el("volumeType", v.type).el("iops", v.iops).el("throughput", v.throughput)
                .el("encrypted", v.encrypted).el("kmsKeyId", v.kmsKeyId).el("multiAttachEnabled", false);
    }

    private static void attachmentItem(Xml x, Vol v, Att a) {
        x.open("item").el("volumeId", v.id).el("instanceId", a.instanceId).el("device", a.device)
                .el("status", a.state).el("attachTime", a.time).el("deleteOnTermination", a.deleteOnTermination)
                .close("item");
    }

    private Vol volume(String id, String region) {
        checkVolumeId(id);
        Vol v = volumes.get(id);
        if (v == null || !v.region.equals(region) || unseen(v.unseenUntil)) {
            throw new Ec2Error("InvalidVolume.NotFound", "The volume '" + id + "' does not exist.");
        }
        return v;
    }

    private Inst instance(String id, String region) {
        checkInstanceId(id);
        Inst in = instances.get(id);
        if (in == null || !in.region.equals(region)) {
            throw new Ec2Error("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
        }
        return in;
    }

    private String describeVolumes(QueryRequest q) {
        dryRun(q);
        List<String> ids = q.list("VolumeId");
        Map<String, List<String>> filters = q.filters();
        Integer max = maxResults(q, !ids.isEmpty(), "volumeSet", 500);
        ids.forEach(Ec2Backend::checkVolumeId);
        synchronized (lock) {
            List<Vol> selected = new ArrayList<>();
            if (!ids.isEmpty()) {
                List<String> missing = new ArrayList<>();
                for (String id : ids) {
                    Vol v = volumes.get(id);
                    if (v == null || !v.region.equals(q.region) || unseen(v.unseenUntil)) {
                        missing.add(id);
                    } else if (!selected.contains(v)) {
                        selected.add(v);
                    }
                }
                if (!missing.isEmpty()) {
                    throw new Ec2Error("InvalidVolume.NotFound", missing.size() == 1
                            ? "The volume '" + missing.get(0) + "' does not exist."
                            : "The volumes '" + String.join(", ", missing) + "' do not exist.");
                }
            } else {
                volumes.values().stream().filter(v -> v.region.equals(q.region) && !unseen(v.unseenUntil))
                        .forEach(selected::add);
            }
            selected.removeIf(v -> !matchesVolume(v, filters));
            selected.sort(Comparator.comparing(v -> v.id));
            Page<Vol> page = page(selected, v -> v.id, ids.isEmpty() ? pageOf(max) : null, q.get("NextToken"));
            Xml x = begin("DescribeVolumes").open("volumeSet");
            for (Vol v : page.items) {
                x.open("item");
                volumeFields(x, v);
                x.close("item");
            }
            x.close("volumeSet").el("nextToken", page.next);
            return end(x, "DescribeVolumes");
        }
    }

    private static boolean matchesVolume(Vol v, Map<String, List<String>> filters) {
        for (Map.Entry<String, List<String>> f : filters.entrySet()) {
            String name = f.getKey();
            List<String> values = f.getValue();
            boolean ok = switch (name) {
                case "volume-id" -> any(values, v.id);
                case "status" -> any(values, v.state);
                case "availability-zone" -> any(values, v.az);
                case "volume-type" -> any(values, v.type);
                case "size" -> any(values, String.valueOf(v.size));
                case "snapshot-id" -> any(values, v.snapshotId);
                case "encrypted" -> any(values, String.valueOf(v.encrypted));
                case "attachment.instance-id" -> v.att != null && any(values, v.att.instanceId);
                case "attachment.device" -> v.att != null && any(values, v.att.device);
                case "attachment.status" -> v.att != null && any(values, v.att.state);
                case "attachment.delete-on-termination" -> v.att != null && any(values, String.valueOf(v.att.deleteOnTermination));
                case "tag-key" -> v.tags.keySet().stream().anyMatch(k -> any(values, k));
                case "tag-value" -> v.tags.values().stream().anyMatch(k -> any(values, k));
                default -> {
                    if (name.startsWith("tag:")) {
                        String val = v.tags.get(name.substring(4));
                        yield val != null && any(values, val);
                    }
                    throw new Ec2Error("InvalidParameterValue", "The filter '" + name + "' is invalid");
                }
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** EC2 filter values: OR over the values, '*' and '?' as wildcards. */
    static boolean any(List<String> patterns, String value) {
        if (value == null) {
            return false;
        }
        for (String p : patterns) {
            if (glob(p).matcher(value).matches()) {
                return true;
            }
        }
        return false;
    }

    static Pattern glob(String p) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                re.append(Pattern.quote(String.valueOf(p.charAt(++i))));
            } else if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    record Page<T>(List<T> items, String next) {
    }

    private static Ec2Error badToken() {
        return new Ec2Error("InvalidPaginationToken", "The specified pagination token is not valid or is expired.");
    }

    /**
     * MaxResults as EC2 takes it: not with explicit ids ({@code idsParameter} names them in the message), at
     * least 5, and above {@code limit} the limit.
     */
    private static Integer maxResults(QueryRequest q, boolean withIds, String idsParameter, int limit) {
        Integer max = q.integer("MaxResults");
        if (max == null) {
            return null;
        }
        if (withIds) {
            throw new Ec2Error("InvalidParameterCombination", "The parameter " + idsParameter
                    + " cannot be used with the parameter maxResults");
        }
        if (max < 5) {
            throw Ec2Error.invalid("Value ( " + max + " ) for parameter maxResults is invalid. Expecting a value between 5 and " + limit + ".");
        }
        return Math.min(max, limit);
    }

    /** The page a listing answers: MaxResults, but never more than the endpoint's page size. */
    private int pageOf(Integer max) {
        return max == null ? pageSize : Math.min(max, pageSize);
    }

    /** Items sorted by id; the token names the last id of the previous page. */
    static <T> Page<T> page(List<T> sorted, java.util.function.Function<T, String> id, Integer max, String token) {
        int from = 0;
        if (token != null && !token.isEmpty()) {
            String after;
            try {
                after = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw badToken();
            }
            if (!after.startsWith("after:")) {
                throw badToken();
            }
            String last = after.substring(6);
            while (from < sorted.size() && id.apply(sorted.get(from)).compareTo(last) <= 0) {
                from++;
            }
        }
        if (max == null) {
            return new Page<>(sorted.subList(from, sorted.size()), null);
        }
        int to = Math.min(sorted.size(), from + max);
        String next = to < sorted.size()
                ? Base64.getUrlEncoder().withoutPadding().encodeToString(("after:" + id.apply(sorted.get(to - 1))).getBytes(StandardCharsets.UTF_8))
                : null;
        return new Page<>(sorted.subList(from, to), next);
    }

    private String attachVolume(QueryRequest q) {
        dryRun(q);
        String volumeId = q.required("VolumeId");
        String instanceId = q.required("InstanceId");
        String device = q.required("Device");
        synchronized (lock) {
            Vol v = volume(volumeId, q.region);
            Inst in = instance(instanceId, q.region);
            if (!DEVICE.matcher(device).matches()) {
                throw Ec2Error.invalid("Value (" + device + ") for parameter device is invalid. " + device + " is not a valid EBS device name.");
            }
            if (v.att != null) {
                throw new Ec2Error("VolumeInUse", volumeId + " is already attached to an instance");
            }
            if (!v.state.equals("available")) {
                throw new Ec2Error("IncorrectState", volumeId + " is not 'available'.");
            }
            if (!v.az.equals(in.az)) {
                throw new Ec2Error("InvalidVolume.ZoneMismatch", "The volume '" + volumeId
                        + "' is not in the same availability zone as instance '" + instanceId + "'");
            }
            if (!in.state.equals("running") && !in.state.equals("stopped")) {
                throw new Ec2Error("IncorrectInstanceState", "The instance '" + instanceId + "' is not in a valid state for this operation.");
            }
            String letters = deviceKey(device);
            for (Vol other : volumes.values()) {
                if (other.att != null && other.att.instanceId.equals(instanceId) && deviceKey(other.att.device).equals(letters)) {
                    throw Ec2Error.invalid("Invalid value '" + device + "' for unixDevice. Attachment point "
                            + device + " is already in use");
                }
            }
            Att a = new Att();
            a.instanceId = instanceId;
            a.device = device;
            a.state = "attaching";
            a.time = clock.instant();
            v.att = a;
            v.state = "in-use";
            if (!faults.takeStuck(volumeId)) {
                Path image = v.image;
                schedule(timings.attach(), () -> onHost(in, host -> {
                    boolean plug;
                    synchronized (lock) {
                        if (v.att != a || !a.state.equals("attaching")) {
                            return;
                        }
                        // a stopped (or stopping, or booting) instance gets the disk at its next start
                        plug = host != null && in.state.equals("running");
                    }
                    try {
                        if (plug) {
                            host.attachDisk(serialOf(v.id), image);
                        }
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "disk host could not attach " + v.id + ": " + e.getMessage(), e);
                        synchronized (lock) {
                            if (v.att == a) {
                                v.att = null;
                                v.state = "available";
                            }
                        }
                        return;
                    }
                    synchronized (lock) {
                        a.plugged = plug;
                        if (v.att == a && a.state.equals("attaching")) {
                            a.state = "attached";
                        }
                    }
                }));
            }
            Xml x = begin("AttachVolume").el("volumeId", v.id).el("instanceId", a.instanceId).el("device", a.device)
                    .el("status", a.state).el("attachTime", a.time);
            return end(x, "AttachVolume");
        }
    }

    /** /dev/sdf and /dev/xvdf name the same attachment point. */
    static String deviceKey(String device) {
        String d = device.startsWith("/dev/") ? device.substring(5) : device;
        if (d.startsWith("xvd")) {
            return d.substring(3);
        }
        if (d.startsWith("sd")) {
            return d.substring(2);
        }
        return d;
    }

    private String detachVolume(QueryRequest q) {
        dryRun(q);
        String volumeId = q.required("VolumeId");
        String instanceId = q.get("InstanceId");
        boolean force = q.bool("Force", false);
        synchronized (lock) {
            Vol v = volume(volumeId, q.region);
            if (instanceId != null && !instanceId.isEmpty()) {
                instance(instanceId, q.region); // malformed or unknown: EC2 says so before looking at the attachment
            }
            Att a = v.att;
            if (a == null) {
                throw new Ec2Error("IncorrectState", "Volume '" + volumeId + "' is in the '" + v.state + "' state.");
            }
            if (instanceId != null && !instanceId.isEmpty() && !instanceId.equals(a.instanceId)) {
                throw new Ec2Error("InvalidAttachment.NotFound", "The volume '" + volumeId
                        + "' is not attached to instance '" + instanceId + "'");
            }
            Inst in = instances.get(a.instanceId);
            if (in != null && a.device.equals(in.rootDevice) && in.state.equals("running")) {
                throw new Ec2Error("OperationNotPermitted", "The volume '" + volumeId
                        + "' is the root device of instance '" + a.instanceId + "' and cannot be detached.");
            }
            if (!a.state.equals("detaching")) {
                a.state = "detaching";
                Runnable unplug = () -> {
                    boolean plugged;
                    DiskHost host;
                    synchronized (lock) {
                        if (v.att != a) {
                            return;
                        }
                        // a stopped instance loses the disk at its next start (see reconcile)
                        plugged = a.plugged && in != null && in.state.equals("running");
                        host = in == null ? null : in.host;
                    }
                    if (plugged && host != null) {
                        try {
                            host.detachDisk(serialOf(v.id));
                        } catch (RuntimeException e) {
                            LOG.log(Level.WARNING, "disk host could not detach " + v.id + ": " + e.getMessage(), e);
                            if (!force) {
                                return; // stays "detaching", like a real volume the OS still holds
                            }
                        }
                    }
                    synchronized (lock) {
                        if (v.att == a) {
                            v.att = null;
                            if (v.state.equals("in-use")) {
                                v.state = "available";
                            }
                        }
                    }
                };
                schedule(timings.detach(), in == null ? unplug : () -> onHost(in, h -> unplug.run()));
            }
            Xml x = begin("DetachVolume").el("volumeId", v.id).el("instanceId", a.instanceId).el("device", a.device)
                    .el("status", a.state).el("attachTime", a.time);
            return end(x, "DetachVolume");
        }
    }

    private String deleteVolume(QueryRequest q) {
        dryRun(q);
        String volumeId = q.required("VolumeId");
        synchronized (lock) {
            Vol v = volume(volumeId, q.region);
            if (v.att != null) {
                throw new Ec2Error("VolumeInUse", "Volume " + volumeId + " is currently attached to " + v.att.instanceId);
            }
            if (v.state.equals("creating")) {
                throw new Ec2Error("IncorrectState", "The volume '" + volumeId + "' is 'creating'");
            }
            if (!v.state.equals("deleting")) {
                v.state = "deleting";
                schedule(timings.volumeDelete(), () -> {
                    synchronized (lock) {
                        volumes.remove(v.id);
                    }
                    deleteQuietly(v.image);
                });
            }
            return returnTrue("DeleteVolume");
        }
    }

    // ------------------------------------------------------------------ tags

    private Map<String, String> tagsOf(String resourceId, String region) {
        if (resourceId.startsWith("vol-")) {
            return volume(resourceId, region).tags;
        }
        if (resourceId.startsWith("snap-")) {
            return snapshot(resourceId, region).tags;
        }
        if (resourceId.startsWith("i-")) {
            return instance(resourceId, region).tags;
        }
        throw new Ec2Error("InvalidID", "The ID '" + resourceId + "' is not valid");
    }

    private String createTags(QueryRequest q) {
        dryRun(q);
        List<String> ids = q.list("ResourceId");
        if (ids.isEmpty()) {
            throw Ec2Error.missing("ResourceId");
        }
        Map<String, String> tags = q.tags("");
        if (tags.isEmpty()) {
            throw Ec2Error.missing("Tag");
        }
        synchronized (lock) {
            List<Map<String, String>> targets = new ArrayList<>();
            for (String id : ids) {
                targets.add(tagsOf(id, q.region));
            }
            for (Map<String, String> t : targets) {
                if (t.size() + tags.size() > 50 && !t.keySet().containsAll(tags.keySet())) {
                    throw new Ec2Error("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.");
                }
                t.putAll(tags);
            }
            return returnTrue("CreateTags");
        }
    }

    private String deleteTags(QueryRequest q) {
        dryRun(q);
        List<String> ids = q.list("ResourceId");
        synchronized (lock) {
            for (String id : ids) {
                Map<String, String> t = tagsOf(id, q.region);
                for (int n : q.indices("Tag")) {
                    String k = q.get("Tag." + n + ".Key");
                    String val = q.get("Tag." + n + ".Value");
                    if (k != null && (val == null || val.equals(t.get(k)))) {
                        t.remove(k);
                    }
                }
            }
            return returnTrue("DeleteTags");
        }
    }

    // ------------------------------------------------------------------ instances

    private String describeInstances(QueryRequest q) {
        dryRun(q);
        List<String> ids = q.list("InstanceId");
        Map<String, List<String>> filters = q.filters();
        Integer max = maxResults(q, !ids.isEmpty(), "instancesSet", 1000);
        ids.forEach(Ec2Backend::checkInstanceId);
        synchronized (lock) {
            List<Inst> selected = new ArrayList<>();
            if (!ids.isEmpty()) {
                List<String> missing = new ArrayList<>();
                for (String id : ids) {
                    Inst in = instances.get(id);
                    if (in == null || !in.region.equals(q.region)) {
                        missing.add(id);
                    } else if (!selected.contains(in)) {
                        selected.add(in);
                    }
                }
                if (!missing.isEmpty()) {
                    throw new Ec2Error("InvalidInstanceID.NotFound", missing.size() == 1
                            ? "The instance ID '" + missing.get(0) + "' does not exist"
                            : "The instance IDs '" + String.join(", ", missing) + "' do not exist");
                }
            } else {
                instances.values().stream().filter(i -> i.region.equals(q.region)).forEach(selected::add);
            }
            selected.removeIf(i -> !matchesInstance(i, filters));
            selected.sort(Comparator.comparing(i -> i.id));
            Page<Inst> page = page(selected, i -> i.id, ids.isEmpty() ? pageOf(max) : null, q.get("NextToken"));
            Xml x = begin("DescribeInstances").open("reservationSet");
            for (Inst in : page.items) {
                x.open("item").el("reservationId", "r-" + in.id.substring(2)).el("ownerId", SandboxEc2Server.ACCOUNT_ID)
                        .open("groupSet").close("groupSet").open("instancesSet").open("item");
                x.el("instanceId", in.id).el("imageId", "ami-0sandbox000000000")
                        .open("instanceState").el("code", stateCode(in.state)).el("name", in.state).close("instanceState")
                        .el("reason", in.reason == null ? "" : in.reason);
                if (in.reasonCode != null) {
                    x.open("stateReason").el("code", in.reasonCode).el("message", in.reasonCode + ": " + in.reason)
                            .close("stateReason");
                }
                x.el("instanceType", "m5.large").el("amiLaunchIndex", 0)
                        .open("placement").el("availabilityZone", in.az).el("tenancy", "default").close("placement")
                        .el("architecture", "x86_64").el("rootDeviceType", "ebs").el("rootDeviceName", in.rootDevice)
                        .el("hypervisor", "xen").el("virtualizationType", "hvm");
                if (in.address != null) {
                    x.el("privateIpAddress", in.address);
                }
                x.open("blockDeviceMapping");
                volumes.values().stream().filter(v -> v.att != null && v.att.instanceId.equals(in.id))
                        .sorted(Comparator.comparing(v -> v.att.time))
                        .forEach(v -> x.open("item").el("deviceName", v.att.device).open("ebs")
                                .el("volumeId", v.id).el("status", v.att.state).el("attachTime", v.att.time)
                                .el("deleteOnTermination", v.att.deleteOnTermination).close("ebs").close("item"));
                x.close("blockDeviceMapping");
                x.tags(in.tags);
                x.close("item").close("instancesSet").close("item");
            }
            x.close("reservationSet").el("nextToken", page.next);
            return end(x, "DescribeInstances");
        }
    }

    // ------------------------------------------------------------------ instance power (Reboot/Stop/StartInstances)

    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}([0-9a-f]{9})?");

    /** Binds a disk host to an instance (on registration, or to a loaded instance) and listens for its power-off. */
    private void bind(Inst in, DiskHost host) {
        in.host = host;
        if (host != null) {
            host.onGuestPowerOff(() -> guestPoweredOff(in));
        }
    }

    void bindHost(String id, DiskHost host) {
        synchronized (lock) {
            Inst in = instances.get(id);
            if (in == null) {
                throw new IllegalArgumentException("no instance " + id);
            }
            bind(in, host);
        }
    }

    List<String> instanceIds() {
        synchronized (lock) {
            return List.copyOf(instances.keySet());
        }
    }

    String instanceState(String id) {
        synchronized (lock) {
            Inst in = instances.get(id);
            return in == null ? null : in.state;
        }
    }

    /** Runs a host action after the instance's earlier ones (a reboot, a power-on, a plug), on a thread of its own. */
    private CompletableFuture<Void> onHost(Inst in, Consumer<DiskHost> action) {
        synchronized (lock) {
            in.hostQueue = in.hostQueue.handle((r, e) -> null).thenRunAsync(() -> {
                DiskHost host;
                synchronized (lock) {
                    host = in.host;
                }
                try {
                    action.accept(host);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "sandbox instance " + in.id + ": " + e.getMessage(), e);
                    throw e;
                } finally {
                    save();
                }
            }, hostActions);
            return in.hostQueue;
        }
    }

    /** The instances a power call names: every id checked first, as EC2 refuses the whole call. Call under lock. */
    private List<Inst> namedInstances(QueryRequest q) {
        List<String> ids = q.list("InstanceId");
        if (ids.isEmpty()) {
            throw Ec2Error.missing("InstanceId");
        }
        for (String id : ids) {
            if (!INSTANCE_ID.matcher(id).matches()) {
                throw new Ec2Error("InvalidInstanceID.Malformed", "Invalid id: \"" + id + "\"");
            }
        }
        List<String> missing = new ArrayList<>();
        List<Inst> out = new ArrayList<>();
        for (String id : ids) {
            Inst in = instances.get(id);
            if (in == null || !in.region.equals(q.region)) {
                missing.add(id);
            } else if (!out.contains(in)) {
                out.add(in);
            }
        }
        if (!missing.isEmpty()) {
            throw new Ec2Error("InvalidInstanceID.NotFound", missing.size() == 1
                    ? "The instance ID '" + missing.get(0) + "' does not exist"
                    : "The instance IDs '" + String.join(", ", missing) + "' do not exist");
        }
        return out;
    }

    private static void stateChange(Xml x, String id, String current, String previous) {
        x.open("item").el("instanceId", id)
                .open("currentState").el("code", stateCode(current)).el("name", current).close("currentState")
                .open("previousState").el("code", stateCode(previous)).el("name", previous).close("previousState")
                .close("item");
    }

    private String rebootInstances(QueryRequest q) {
        dryRun(q);
        synchronized (lock) {
            List<Inst> named = namedInstances(q);
            for (Inst in : named) {
                if (!in.state.equals("running")) {
                    throw new Ec2Error("IncorrectInstanceState", "The instance '" + in.id
                            + "' is not in a state from which it can be rebooted.");
                }
            }
            named.forEach(this::reboot);
            return returnTrue("RebootInstances");
        }
    }

    /** Reboots as EC2 does: the state stays running, the disks stay; a reboot asked during one is folded into it. */
    private CompletableFuture<Void> reboot(Inst in) {
        synchronized (lock) {
            if (in.rebooting) {
                return in.hostQueue;
            }
            in.rebooting = true;
        }
        return onHost(in, host -> {
            try {
                if (host != null) {
                    host.reboot();
                }
            } catch (RuntimeException e) {
                if (!host.poweredOn()) { // the machine did not come back: EC2 would show it failed, not running
                    synchronized (lock) {
                        in.state = "stopped";
                        in.reason = "Server.InternalError: " + e.getMessage();
                        in.reasonCode = "Server.InternalError";
                    }
                }
                throw e;
            } finally {
                synchronized (lock) {
                    in.rebooting = false;
                }
            }
        });
    }

    private String stopInstances(QueryRequest q) {
        dryRun(q);
        if (q.bool("Hibernate", false)) {
            throw new Ec2Error("UnsupportedHibernationConfiguration",
                    "For hibernation, the instance must have been launched with hibernation enabled.");
        }
        synchronized (lock) {
            List<Inst> named = namedInstances(q);
            for (Inst in : named) {
                if (!List.of("running", "stopping", "stopped").contains(in.state)) {
                    throw new Ec2Error("IncorrectInstanceState", "This instance '" + in.id
                            + "' is not in a state from which it can be stopped.");
                }
            }
            Xml x = begin("StopInstances").open("instancesSet");
            for (Inst in : named) {
                String previous = in.state;
                if (previous.equals("running")) {
                    stop(in, "User initiated (" + java.time.LocalDateTime.now(java.time.ZoneOffset.UTC)
                            .withNano(0).toString().replace('T', ' ') + " GMT)", "Client.UserInitiatedShutdown");
                }
                stateChange(x, in.id, in.state, previous);
            }
            x.close("instancesSet");
            return end(x, "StopInstances");
        }
    }

    /** running → stopping → (the host powers off, keeping its disks) → stopped. Call under lock. */
    private CompletableFuture<Void> stop(Inst in, String reason, String code) {
        in.state = "stopping";
        in.reason = reason;
        in.reasonCode = code;
        long from = System.nanoTime();
        return onHost(in, host -> {
            boolean off = true;
            try {
                if (host != null && host.poweredOn()) {
                    host.powerOff();
                }
            } catch (RuntimeException e) {
                off = !host.poweredOn();
                if (!off) {
                    throw e; // stays "stopping", as a real instance can
                }
            }
            sleepRest(from, timings.instanceStop());
            synchronized (lock) {
                if (in.state.equals("stopping")) {
                    in.state = "stopped";
                }
            }
        });
    }

    private String startInstances(QueryRequest q) {
        dryRun(q);
        synchronized (lock) {
            List<Inst> named = namedInstances(q);
            for (Inst in : named) {
                if (!List.of("running", "pending", "stopped").contains(in.state)) {
                    throw new Ec2Error("IncorrectInstanceState", "The instance '" + in.id
                            + "' is not in a state from which it can be started.");
                }
            }
            Xml x = begin("StartInstances").open("instancesSet");
            for (Inst in : named) {
                String previous = in.state;
                if (previous.equals("stopped")) {
                    start(in, true);
                }
                stateChange(x, in.id, in.state, previous);
            }
            x.close("instancesSet");
            return end(x, "StartInstances");
        }
    }

    /**
     * stopped → pending → running: the disks EC2 has attached now are given to the host (changes made while
     * stopped take effect here), the host boots (unless {@code powerOn} is false: it runs already), and the
     * instance is running once the host holds exactly the attached volumes. Call under lock.
     */
    private CompletableFuture<Void> start(Inst in, boolean powerOn) {
        in.state = "pending";
        in.reason = "";
        in.reasonCode = null;
        long from = System.nanoTime();
        return onHost(in, host -> {
            try {
                if (host != null && powerOn) {
                    reconcile(in, host, false); // cold: the boot sees them; a host that cannot is served below
                    host.powerOn();
                }
                sleepRest(from, timings.instanceStart());
                for (int round = 0; ; round++) {
                    if (host == null || reconcile(in, host, round > 0)) {
                        synchronized (lock) {
                            if (host == null || pluggedAsAttached(in, host)) {
                                if (in.state.equals("pending")) {
                                    in.state = "running";
                                }
                                return;
                            }
                        }
                    }
                    if (round == 5) {
                        throw new IllegalStateException("the disks of " + in.id + " do not settle");
                    }
                }
            } catch (RuntimeException e) {
                synchronized (lock) {
                    in.state = "stopped";
                    in.reason = "Server.InternalError: " + e.getMessage();
                    in.reasonCode = "Server.InternalError";
                }
                throw e;
            }
        });
    }

    /** Volume serials (not instance store) the host holds. */
    private static List<String> volumeSerials(DiskHost host) {
        return host.attachedSerials().stream().filter(s -> s.startsWith("vol")).toList();
    }

    /** What EC2 has attached to the instance (root volume aside: the test instance boots without it). Under lock. */
    private Map<String, Vol> attachedTo(Inst in) {
        Map<String, Vol> want = new LinkedHashMap<>();
        for (Vol v : volumes.values()) {
            if (v.att != null && v.att.instanceId.equals(in.id) && !v.att.device.equals(in.rootDevice)
                    && !v.att.state.equals("detaching")) {
                want.put(serialOf(v.id), v);
            }
        }
        return want;
    }

    private boolean pluggedAsAttached(Inst in, DiskHost host) {
        return new HashSet<>(volumeSerials(host)).equals(attachedTo(in).keySet());
    }

    /**
     * Plugs and unplugs volumes so that the host holds what EC2 has attached. Returns false when a host
     * action failed (left for a later round); with {@code strict} such a failure is logged.
     */
    private boolean reconcile(Inst in, DiskHost host, boolean strict) {
        Map<String, Vol> want;
        synchronized (lock) {
            want = attachedTo(in);
        }
        List<String> have = volumeSerials(host);
        boolean ok = true;
        for (String serial : have) {
            if (!want.containsKey(serial)) {
                try {
                    host.detachDisk(serial);
                } catch (RuntimeException e) {
                    ok = false;
                    if (strict) {
                        LOG.log(Level.WARNING, "could not unplug " + serial + " from " + in.id + ": " + e.getMessage());
                    }
                }
            }
        }
        for (Map.Entry<String, Vol> w : want.entrySet()) {
            if (!have.contains(w.getKey())) {
                try {
                    host.attachDisk(w.getKey(), w.getValue().image);
                } catch (RuntimeException e) {
                    ok = false;
                    if (strict) {
                        LOG.log(Level.WARNING, "could not plug " + w.getKey() + " into " + in.id + ": " + e.getMessage());
                    }
                }
            }
        }
        synchronized (lock) {
            List<String> now = volumeSerials(host);
            for (Vol v : want.values()) {
                if (v.att != null && now.contains(serialOf(v.id))) {
                    v.att.plugged = true;
                    if (v.att.state.equals("attaching")) {
                        v.att.state = "attached";
                    }
                }
            }
        }
        return ok;
    }

    /** The guest powered itself off (a poweroff typed on it): EC2 shows it stopped, as after a shutdown from the OS. */
    private void guestPoweredOff(Inst in) {
        synchronized (lock) {
            if (!in.state.equals("running")) {
                return; // a stop of ours, or a boot that failed: their own task sets the state
            }
            in.state = "stopped";
            in.reason = "User initiated (" + java.time.LocalDateTime.now(java.time.ZoneOffset.UTC)
                    .withNano(0).toString().replace('T', ' ') + " GMT)";
            in.reasonCode = "Client.InstanceInitiatedShutdown";
        }
        save();
    }

    /** For the sandbox's own commands: the same transitions as the API calls, waited for. */
    void power(String id, String action, Duration timeout) {
        CompletableFuture<Void> f;
        synchronized (lock) {
            Inst in = instances.get(id);
            if (in == null) {
                throw new IllegalArgumentException("no instance " + id);
            }
            f = switch (action) {
                case "reboot" -> {
                    if (!in.state.equals("running")) {
                        throw new IllegalStateException("instance " + id + " is " + in.state + ", not running");
                    }
                    yield reboot(in);
                }
                case "stop" -> in.state.equals("running") ? stop(in, "User initiated", "Client.UserInitiatedShutdown") : in.hostQueue;
                case "start" -> in.state.equals("stopped") ? start(in, true) : in.hostQueue;
                // the host was booted by its owner: plug the attached volumes and go to running
                case "booted" -> start(in, false);
                default -> throw new IllegalArgumentException(action);
            };
        }
        save();
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("instance " + id + " did not " + action + " within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /**
     * Gives the host the volumes EC2 has attached to the instance before it boots (a host that takes disks
     * only while running refuses; they are plugged once it runs). True when the host holds them all.
     */
    boolean plugBeforeBoot(String id) {
        Inst in;
        synchronized (lock) {
            in = instances.get(id);
            if (in == null || in.host == null) {
                return false;
            }
        }
        return reconcile(in, in.host, false);
    }

    /** Waits until the instance's host actions asked for so far (a reboot, a stop, a start, plugs) are done. */
    void awaitIdle(String id, Duration timeout) {
        CompletableFuture<Void> f;
        synchronized (lock) {
            Inst in = instances.get(id);
            if (in == null) {
                throw new IllegalArgumentException("no instance " + id);
            }
            f = in.hostQueue;
        }
        try {
            f.handle((r, e) -> null).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("instance " + id + " still busy after " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private static void sleepRest(long fromNanos, Duration total) {
        long rest = total.toNanos() - (System.nanoTime() - fromNanos);
        if (rest > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(rest);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ persistence

    /** Writes the world to the data directory (after every change, so a killed sandbox loses nothing). */
    void save() {
        stateFile.save(lock, volumes, snapshots, instances);
    }

    /** What the sandbox holds, for its status. */
    Ec2StateFile.World world() {
        synchronized (lock) {
            return Ec2StateFile.world(volumes, snapshots, instances);
        }
    }

    private static int stateCode(String state) {
        return switch (state) {
            case "pending" -> 0;
            case "running" -> 16;
            case "shutting-down" -> 32;
            case "terminated" -> 48;
            case "stopping" -> 64;
            case "stopped" -> 80;
            default -> 16;
        };
    }

    private static boolean matchesInstance(Inst in, Map<String, List<String>> filters) {
        for (Map.Entry<String, List<String>> f : filters.entrySet()) {
            String name = f.getKey();
            boolean ok = switch (name) {
                case "instance-id" -> any(f.getValue(), in.id);
                case "availability-zone" -> any(f.getValue(), in.az);
                case "instance-state-name" -> any(f.getValue(), in.state);
                default -> {
                    if (name.startsWith("tag:")) {
                        String val = in.tags.get(name.substring(4));
                        yield val != null && any(f.getValue(), val);
                    }
                    throw new Ec2Error("InvalidParameterValue", "The filter '" + name + "' is invalid");
                }
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ snapshots

    private Snap snapshot(String id, String region) {
        checkSnapshotId(id);
        Snap s = snapshots.get(id);
        if (s == null || !s.region.equals(region) || unseen(s.unseenUntil)) {
            throw new Ec2Error("InvalidSnapshot.NotFound", "The snapshot '" + id + "' does not exist.");
        }
        return s;
    }

    /** Copies the volume's image now (point in time) and completes the snapshot later. Call under lock. */
    private Snap snapshotOf(Vol v, String description, Map<String, String> tags) {
        if (v.state.equals("creating") || v.state.equals("deleting") || v.state.equals("error")) {
            throw new Ec2Error("IncorrectState", "The volume '" + v.id + "' is '" + v.state + "'");
        }
        Snap s = newSnapshot(v.region);
        s.volumeId = v.id;
        s.volumeSize = v.size;
        s.description = description == null ? "" : description;
        s.encrypted = v.encrypted;
        s.kmsKeyId = v.kmsKeyId;
        s.tags.putAll(tags);
        s.source = v.image;
        return s;
    }

    /**
     * Makes the snapshots' copies (outside the lock, before the call answers, so the snapshot is the
     * image as it was at the call) and only then lets them complete.
     */
    private void copyImages(List<Snap> snaps) {
        for (Snap s : snaps) {
            try {
                SparseImages.copy(s.source, s.image, (long) s.volumeSize * GIB);
            } catch (RuntimeException e) {
                synchronized (lock) {
                    s.state = "error";
                }
                throw new Ec2Error("InternalError", "An internal error has occurred (sandbox could not copy "
                        + s.source.getFileName() + ": " + e.getMessage() + ")");
            }
            synchronized (lock) {
                s.source = null;
            }
            long remaining = s.durationNanos - (System.nanoTime() - s.startNanos);
            schedule(Duration.ofNanos(Math.max(0, remaining)), () -> complete(s));
        }
    }

    /** A snapshot whose time is up completes, unless the faults hold snapshots pending (then it looks again soon). */
    private void complete(Snap s) {
        if (faults.snapshotsHeld()) {
            schedule(Duration.ofMillis(20), () -> complete(s));
            return;
        }
        synchronized (lock) {
            if (s.state.equals("pending")) {
                s.state = "completed";
            }
        }
    }

    private Snap newSnapshot(String region) {
        Snap s = new Snap();
        s.id = newId("snap");
        s.region = region;
        s.state = "pending";
        s.start = clock.instant();
        s.startNanos = System.nanoTime();
        s.durationNanos = Math.max(1, timings.snapshot().toNanos());
        s.unseenUntil = unseenFromNow();
        s.image = dataDir.resolve(s.id + ".img");
        snapshots.put(s.id, s);
        return s;
    }

    private static String progress(Snap s) {
        if (s.state.equals("completed")) {
            return "100%";
        }
        long pct = (System.nanoTime() - s.startNanos) * 100 / s.durationNanos;
        return Math.max(0, Math.min(99, pct)) + "%";
    }

    private static void snapshotFields(Xml x, Snap s, String stateTag) {
        x.el("snapshotId", s.id).el("volumeId", s.volumeId).el(stateTag, s.state).el("startTime", s.start)
                .el("progress", progress(s)).el("ownerId", SandboxEc2Server.ACCOUNT_ID).el("volumeSize", s.volumeSize)
                .el("description", s.description).el("encrypted", s.encrypted).el("kmsKeyId", s.kmsKeyId)
                .tags(s.tags);
        if (stateTag.equals("status")) {
            x.el("storageTier", "standard");
        }
    }

    private String createSnapshot(QueryRequest q) {
        dryRun(q);
        String volumeId = q.required("VolumeId");
        Map<String, String> tags = q.tagSpecifications("snapshot");
        Snap s;
        synchronized (lock) {
            s = snapshotOf(volume(volumeId, q.region), q.get("Description"), tags);
        }
        copyImages(List.of(s));
        synchronized (lock) {
            Xml x = begin("CreateSnapshot");
            snapshotFields(x, s, "status");
            return end(x, "CreateSnapshot");
        }
    }

    private String createSnapshots(QueryRequest q) {
        dryRun(q);
        String instanceId = q.required("InstanceSpecification.InstanceId");
        boolean excludeBoot = q.bool("InstanceSpecification.ExcludeBootVolume", false);
        Set<String> excluded = new HashSet<>(q.list("InstanceSpecification.ExcludeDataVolumeId"));
        String copyTags = q.get("CopyTagsFromSource");
        if (copyTags != null && !copyTags.equals("volume")) {
            throw Ec2Error.invalid("Value (" + copyTags + ") for parameter copyTagsFromSource is invalid. Valid values are [volume].");
        }
        Map<String, String> tags = q.tagSpecifications("snapshot");
        List<Snap> made = new ArrayList<>();
        synchronized (lock) {
            Inst in = instance(instanceId, q.region);
            List<Vol> attached = volumes.values().stream()
                    .filter(v -> v.att != null && v.att.instanceId.equals(in.id))
                    .sorted(Comparator.comparing(v -> v.att.device)).toList();
            for (String ex : excluded) {
                Vol v = volume(ex, q.region);
                if (v.att == null || !v.att.instanceId.equals(in.id)) {
                    throw Ec2Error.invalid("The volume '" + ex + "' is not attached to instance '" + in.id + "'");
                }
                if (v.att.device.equals(in.rootDevice)) {
                    throw Ec2Error.invalid("The root volume '" + ex + "' cannot be excluded with ExcludeDataVolumeIds; use ExcludeBootVolume");
                }
            }
            for (Vol v : attached) {
                boolean root = v.att.device.equals(in.rootDevice);
                if ((root && excludeBoot) || excluded.contains(v.id)) {
                    continue;
                }
                Map<String, String> t = new LinkedHashMap<>();
                if ("volume".equals(copyTags)) {
                    t.putAll(v.tags);
                }
                t.putAll(tags);
                made.add(snapshotOf(v, q.get("Description"), t));
            }
        }
        copyImages(made);
        synchronized (lock) {
            Xml x = begin("CreateSnapshots").open("snapshotSet");
            for (Snap s : made) {
                x.open("item");
                snapshotFields(x, s, "state");
                x.close("item");
            }
            x.close("snapshotSet");
            return end(x, "CreateSnapshots");
        }
    }

    private String describeSnapshots(QueryRequest q) {
        dryRun(q);
        List<String> ids = q.list("SnapshotId");
        List<String> owners = q.list("Owner");
        Map<String, List<String>> filters = q.filters();
        Integer max = maxResults(q, !ids.isEmpty(), "snapshotSet", 1000);
        ids.forEach(Ec2Backend::checkSnapshotId);
        synchronized (lock) {
            List<Snap> selected = new ArrayList<>();
            if (!ids.isEmpty()) {
                for (String id : ids) {
                    Snap s = snapshot(id, q.region);
                    if (!selected.contains(s)) {
                        selected.add(s);
                    }
                }
            } else {
                snapshots.values().stream().filter(s -> s.region.equals(q.region) && !unseen(s.unseenUntil))
                        .forEach(selected::add);
            }
            if (!owners.isEmpty() && owners.stream().noneMatch(o -> o.equals("self") || o.equals(SandboxEc2Server.ACCOUNT_ID))) {
                selected.clear();
            }
            selected.removeIf(s -> !matchesSnapshot(s, filters));
            selected.sort(Comparator.comparing(s -> s.id));
            Page<Snap> page = page(selected, s -> s.id, ids.isEmpty() ? pageOf(max) : null, q.get("NextToken"));
            Xml x = begin("DescribeSnapshots").open("snapshotSet");
            for (Snap s : page.items) {
                x.open("item");
                snapshotFields(x, s, "status");
                x.close("item");
            }
            x.close("snapshotSet").el("nextToken", page.next);
            return end(x, "DescribeSnapshots");
        }
    }

    private static boolean matchesSnapshot(Snap s, Map<String, List<String>> filters) {
        for (Map.Entry<String, List<String>> f : filters.entrySet()) {
            String name = f.getKey();
            List<String> values = f.getValue();
            boolean ok = switch (name) {
                case "snapshot-id" -> any(values, s.id);
                case "volume-id" -> any(values, s.volumeId);
                case "status" -> any(values, s.state);
                case "owner-id" -> any(values, SandboxEc2Server.ACCOUNT_ID);
                case "description" -> any(values, s.description);
                case "volume-size" -> any(values, String.valueOf(s.volumeSize));
                case "encrypted" -> any(values, String.valueOf(s.encrypted));
                case "tag-key" -> s.tags.keySet().stream().anyMatch(k -> any(values, k));
                case "tag-value" -> s.tags.values().stream().anyMatch(k -> any(values, k));
                default -> {
                    if (name.startsWith("tag:")) {
                        String val = s.tags.get(name.substring(4));
                        yield val != null && any(values, val);
                    }
                    throw new Ec2Error("InvalidParameterValue", "The filter '" + name + "' is invalid");
                }
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private String deleteSnapshot(QueryRequest q) {
        dryRun(q);
        String id = q.required("SnapshotId");
        synchronized (lock) {
            Snap s = snapshot(id, q.region);
            snapshots.remove(s.id);
            deleteQuietly(s.image);
            return returnTrue("DeleteSnapshot");
        }
    }

    private String copySnapshot(QueryRequest q) {
        dryRun(q);
        String sourceRegion = q.required("SourceRegion");
        String sourceId = q.required("SourceSnapshotId");
        Map<String, String> tags = q.tagSpecifications("snapshot");
        boolean encrypted = q.bool("Encrypted", false);
        String kms = q.get("KmsKeyId");
        if (kms != null && !encrypted) {
            throw new Ec2Error("InvalidParameterDependency", "The parameter KmsKeyId requires the parameter Encrypted to be set.");
        }
        Snap s;
        synchronized (lock) {
            checkSnapshotId(sourceId);
            if (!REGIONS.contains(sourceRegion)) {
                throw Ec2Error.invalid("Invalid value '" + sourceRegion + "' for SourceRegion");
            }
            Snap src = snapshots.get(sourceId);
            if (src == null || !src.region.equals(sourceRegion) || unseen(src.unseenUntil)) {
                throw new Ec2Error("InvalidSnapshot.NotFound", "The snapshot '" + sourceId + "' does not exist.");
            }
            if (!src.state.equals("completed")) {
                throw new Ec2Error("IncorrectState", "Snapshot " + sourceId + " is not in the 'completed' state.");
            }
            s = newSnapshot(q.region);
            s.volumeId = "vol-ffffffff"; // what EC2 shows for copies
            s.volumeSize = src.volumeSize;
            String d = q.get("Description");
            s.description = d != null ? d : "[Copied " + src.id + " from " + sourceRegion + "]";
            s.encrypted = src.encrypted || encrypted;
            s.kmsKeyId = s.encrypted ? (kms != null ? kms : defaultKmsKey(q.region)) : null;
            s.tags.putAll(tags);
            s.source = src.image;
        }
        copyImages(List.of(s));
        synchronized (lock) {
            Xml x = begin("CopySnapshot").el("snapshotId", s.id).tags(s.tags);
            return end(x, "CopySnapshot");
        }
    }

    // ------------------------------------------------------------------ plumbing

    private void schedule(Duration delay, Runnable r) {
        timer.schedule(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "sandbox transition failed: " + e.getMessage(), e);
            }
            save();
        }, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.fine("could not delete " + p + ": " + e.getMessage());
        }
    }

}

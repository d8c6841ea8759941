package io.cryptvol.sandbox.ec2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The sandbox's EC2 world on disk ({@code state.json} beside the images): instances, volumes with their
 * attachments, snapshots, tags. Written after every change (atomically), read when an endpoint starts on
 * the same data directory. A transition cut short by a stop is finished on load, as time would have
 * finished it: creating → available, attaching → attached, detaching → detached, deleting → gone, a
 * pending snapshot whose copy exists → completed. Instances load stopped (no VM runs yet).
 */
public final class Ec2StateFile {
    private static final Logger LOG = Logger.getLogger(Ec2StateFile.class.getName());
    static final String NAME = "state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Path file;
    private final Object saveLock = new Object();

    Ec2StateFile(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(NAME);
    }

    /** What a sandbox holds, for its status: volumes and the snapshot sets (snapshots grouped by their set tag). */
    public record World(List<VolumeInfo> volumes, List<SnapshotSet> snapshotSets, List<String> instances) {
    }

    public record VolumeInfo(String id, int sizeGiB, String state, String instanceId, String device, String name,
                             String set) {
    }

    /** Snapshots of one consistent set ({@code cryptvol:snapshot-set}); snapshots without that tag form a set of their own. */
    public record SnapshotSet(String set, int count, String state, Instant started, List<String> snapshotIds,
                              String vg) {
    }

    /** The world saved in a data directory, without starting an endpoint (empty when there is none). */
    static World read(Path dir) {
        Map<String, Ec2Backend.Vol> vols = new LinkedHashMap<>();
        Map<String, Ec2Backend.Snap> snaps = new LinkedHashMap<>();
        Map<String, Ec2Backend.Inst> ins = new LinkedHashMap<>();
        new Ec2StateFile(dir).load(vols, snaps, ins, false);
        return world(vols, snaps, ins);
    }

    static World world(Map<String, Ec2Backend.Vol> volumes, Map<String, Ec2Backend.Snap> snapshots,
                       Map<String, Ec2Backend.Inst> instances) {
        List<VolumeInfo> vs = new ArrayList<>();
        for (Ec2Backend.Vol v : volumes.values()) {
            vs.add(new VolumeInfo(v.id, v.size, v.state, v.att == null ? null : v.att.instanceId,
                    v.att == null ? null : v.att.device, v.tags.get("Name"), v.tags.get("cryptvol:set")));
        }
        vs.sort(Comparator.comparing(VolumeInfo::id));
        Map<String, List<Ec2Backend.Snap>> bySet = new TreeMap<>();
        for (Ec2Backend.Snap s : snapshots.values()) {
            String set = s.tags.getOrDefault("cryptvol:snapshot-set", s.id);
            bySet.computeIfAbsent(set, k -> new ArrayList<>()).add(s);
        }
        List<SnapshotSet> sets = new ArrayList<>();
        bySet.forEach((set, ss) -> {
            String state = ss.stream().allMatch(s -> s.state.equals("completed")) ? "completed"
                    : ss.stream().anyMatch(s -> s.state.equals("error")) ? "error" : "pending";
            Instant started = ss.stream().map(s -> s.start).min(Comparator.naturalOrder()).orElse(null);
            sets.add(new SnapshotSet(set, ss.size(), state, started,
                    ss.stream().map(s -> s.id).sorted().toList(), ss.get(0).tags.get("cryptvol:vg")));
        });
        sets.sort(Comparator.comparing(SnapshotSet::started, Comparator.nullsFirst(Comparator.naturalOrder())));
        return new World(vs, sets, List.copyOf(instances.keySet()));
    }

    // ------------------------------------------------------------------ save

    void save(Object lock, Map<String, Ec2Backend.Vol> volumes, Map<String, Ec2Backend.Snap> snapshots,
              Map<String, Ec2Backend.Inst> instances) {
        synchronized (saveLock) { // one writer at a time, each writing the state of its moment: the last write is the newest
            ObjectNode root = JSON.createObjectNode();
            synchronized (lock) {
                root.put("version", 1);
                ArrayNode is = root.putArray("instances");
                for (Ec2Backend.Inst in : instances.values()) {
                    ObjectNode n = is.addObject();
                    n.put("id", in.id).put("region", in.region).put("az", in.az).put("state", in.state)
                            .put("rootDevice", in.rootDevice).put("reason", in.reason).put("reasonCode", in.reasonCode)
                            .put("address", in.address);
                    tags(n, in.tags);
                }
                ArrayNode vs = root.putArray("volumes");
                for (Ec2Backend.Vol v : volumes.values()) {
                    ObjectNode n = vs.addObject();
                    n.put("id", v.id).put("region", v.region).put("az", v.az).put("type", v.type)
                            .put("kmsKeyId", v.kmsKeyId).put("snapshotId", v.snapshotId).put("state", v.state)
                            .put("size", v.size).put("iops", v.iops).put("throughput", v.throughput)
                            .put("encrypted", v.encrypted).put("createTime", str(v.createTime))
                            .put("image", v.image.getFileName().toString());
                    tags(n, v.tags);
                    if (v.att != null) {
                        n.putObject("attachment").put("instanceId", v.att.instanceId).put("device", v.att.device)
                                .put("state", v.att.state).put("time", str(v.att.time))
                                .put("deleteOnTermination", v.att.deleteOnTermination);
                    }
                }
                ArrayNode ss = root.putArray("snapshots");
                for (Ec2Backend.Snap s : snapshots.values()) {
                    ObjectNode n = ss.addObject();
                    n.put("id", s.id).put("region", s.region).put("volumeId", s.volumeId)
                            .put("description", s.description).put("state", s.state).put("kmsKeyId", s.kmsKeyId)
                            .put("volumeSize", s.volumeSize).put("encrypted", s.encrypted).put("start", str(s.start))
                            .put("image", s.image.getFileName().toString());
                    tags(n, s.tags);
                }
            }
            try {
                Files.createDirectories(dir);
                Path tmp = dir.resolve(NAME + ".tmp");
                Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                LOG.warning("could not save the sandbox EC2 state to " + file + ": " + e.getMessage());
            }
        }
    }

    private static String str(Instant t) {
        return t == null ? null : t.toString();
    }

    private static void tags(ObjectNode n, Map<String, String> tags) {
        ObjectNode t = n.putObject("tags");
        tags.forEach(t::put);
    }

    // ------------------------------------------------------------------ load

    void load(Map<String, Ec2Backend.Vol> volumes, Map<String, Ec2Backend.Snap> snapshots,
              Map<String, Ec2Backend.Inst> instances) {
        load(volumes, snapshots, instances, true);
    }

    /** @param settle finish cut-short transitions on disk too (delete images of volumes that were being deleted) */
    private void load(Map<String, Ec2Backend.Vol> volumes, Map<String, Ec2Backend.Snap> snapshots,
                      Map<String, Ec2Backend.Inst> instances, boolean settle) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalStateException("the sandbox EC2 state " + file + " cannot be read (" + e.getMessage()
                    + "); 'sandbox reset' starts a new one", e);
        }
        for (JsonNode n : root.path("instances")) {
            Ec2Backend.Inst in = new Ec2Backend.Inst();
            in.id = text(n, "id");
            in.region = text(n, "region");
            in.az = text(n, "az");
            in.rootDevice = text(n, "rootDevice");
            String state = text(n, "state");
            // no VM runs when an endpoint starts: whatever it was, the instance is off now
            in.state = "terminated".equals(state) ? state : "stopped";
            in.reason = text(n, "reason");
            in.reasonCode = text(n, "reasonCode");
            in.address = text(n, "address");
            readTags(n, in.tags);
            instances.put(in.id, in);
        }
        for (JsonNode n : root.path("volumes")) {
            Ec2Backend.Vol v = new Ec2Backend.Vol();
            v.id = text(n, "id");
            v.region = text(n, "region");
            v.az = text(n, "az");
            v.type = text(n, "type");
            v.kmsKeyId = text(n, "kmsKeyId");
            v.snapshotId = text(n, "snapshotId") == null ? "" : text(n, "snapshotId");
            v.state = text(n, "state");
            v.size = n.path("size").asInt();
            v.iops = n.hasNonNull("iops") ? n.get("iops").asInt() : null;
            v.throughput = n.hasNonNull("throughput") ? n.get("throughput").asInt() : null;
            v.encrypted = n.path("encrypted").asBoolean();
            v.createTime = instant(text(n, "createTime"));
            v.image = image(n);
            readTags(n, v.tags);
            JsonNode a = n.get("attachment");
            if (a != null && !a.isNull()) {
                Ec2Backend.Att att = new Ec2Backend.Att();
                att.instanceId = text(a, "instanceId");
                att.device = text(a, "device");
                att.state = text(a, "state");
                att.time = instant(text(a, "time"));
                att.deleteOnTermination = a.path("deleteOnTermination").asBoolean();
                att.plugged = false; // no host holds anything yet
                v.att = switch (att.state) {
                    case "attaching", "attached" -> {
                        att.state = "attached";
                        yield att;
                    }
                    default -> null; // detaching: it was on its way out
                };
            }
            if (v.state.equals("deleting") || !Files.isRegularFile(v.image)) {
                if (settle) {
                    deleteQuietly(v.image);
                }
                continue;
            }
            if (v.state.equals("creating") || (v.state.equals("in-use") && v.att == null)) {
                v.state = "available";
            }
            volumes.put(v.id, v);
        }
        for (JsonNode n : root.path("snapshots")) {
            Ec2Backend.Snap s = new Ec2Backend.Snap();
            s.id = text(n, "id");
            s.region = text(n, "region");
            s.volumeId = text(n, "volumeId");
            s.description = text(n, "description") == null ? "" : text(n, "description");
            s.kmsKeyId = text(n, "kmsKeyId");
            s.volumeSize = n.path("volumeSize").asInt();
            s.encrypted = n.path("encrypted").asBoolean();
            s.start = instant(text(n, "start"));
            s.startNanos = System.nanoTime();
            s.durationNanos = 1;
            s.image = image(n);
            String state = text(n, "state");
            // the copy is made before CreateSnapshot(s) answers: a snapshot with its image is complete
            s.state = Files.isRegularFile(s.image) ? ("error".equals(state) ? "error" : "completed") : "error";
            readTags(n, s.tags);
            snapshots.put(s.id, s);
        }
    }

    private Path image(JsonNode n) {
        String name = text(n, "image");
        if (name == null || name.contains("/") || name.startsWith(".")) {
            throw new IllegalStateException("the sandbox EC2 state " + file + " names an image outside " + dir
                    + "; 'sandbox reset' starts a new one");
        }
        return dir.resolve(name);
    }

    private static String text(JsonNode n, String k) {
        JsonNode v = n.get(k);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant instant(String s) {
        return s == null ? Instant.now() : Instant.parse(s);
    }

    private static void readTags(JsonNode n, Map<String, String> into) {
        n.path("tags").fields().forEachRemaining(e -> into.put(e.getKey(), e.getValue().asText()));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.fine("could not delete " + p + ": " + e.getMessage());
        }
    }
}

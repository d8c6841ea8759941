package io.cryptvol.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The key metadata file (JSON, 0600, kept outside the key directory): per key its size, SHA-256, created, backups,
 * enrollments and provenance. Never key bytes. Every change is load → change → save of the whole file.
 */
final class KeyMetadata {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Path keyDir;

    KeyMetadata(Path file, Path keyDir) {
        this.file = file.toAbsolutePath().normalize();
        this.keyDir = keyDir;
    }

    Path file() {
        return file;
    }

    KeyInfo get(String name) {
        return load().get(name);
    }

    void put(KeyInfo k) {
        Map<String, KeyInfo> meta = load();
        meta.put(k.name(), k);
        save(meta);
    }

    void remove(String name) {
        Map<String, KeyInfo> meta = load();
        meta.remove(name);
        save(meta);
    }

    /** Records {@code e} for key {@code k}; the same slot under any other key is dropped (a slot holds one key). */
    KeyInfo enroll(KeyInfo k, Enrollment e) {
        Map<String, KeyInfo> meta = load();
        for (Map.Entry<String, KeyInfo> m : meta.entrySet()) {
            List<Enrollment> kept = m.getValue().enrollments().stream().filter(x -> !x.sameSlot(e)).toList();
            if (kept.size() != m.getValue().enrollments().size()) {
                m.setValue(m.getValue().withEnrollments(kept));
            }
        }
        KeyInfo cur = meta.getOrDefault(k.name(), k);
        List<Enrollment> all = new ArrayList<>(cur.enrollments().stream().filter(x -> !x.sameSlot(e)).toList());
        all.add(e);
        KeyInfo updated = cur.withEnrollments(all);
        meta.put(k.name(), updated);
        save(meta);
        return updated;
    }

    void forget(Enrollment slot) {
        Map<String, KeyInfo> meta = load();
        meta.replaceAll((n, k) -> k.withEnrollments(k.enrollments().stream().filter(x -> !x.sameSlot(slot)).toList()));
        save(meta);
    }

    Map<String, KeyInfo> load() {
        Map<String, KeyInfo> out = new TreeMap<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try {
            JsonNode keys = JSON.readTree(file.toFile()).path("keys");
            for (Iterator<Map.Entry<String, JsonNode>> it = keys.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode n = e.getValue();
                List<Backup> backups = new ArrayList<>();
                for (JsonNode b : n.path("backups")) {
                    backups.add(new Backup(b.path("location").asText(), instant(b, "created"),
                            b.path("verified").asBoolean(false), instant(b, "verifiedAt")));
                }
                List<Enrollment> enrollments = new ArrayList<>();
                for (JsonNode en : n.path("enrollments")) {
                    enrollments.add(new Enrollment(en.path("luksUuid").asText(null), en.path("slot").asInt(-1),
                            en.path("label").asText(null), instant(en, "recorded")));
                }
                JsonNode pv = n.get("importedFrom");
                Provenance provenance = pv == null || pv.isNull() ? null : new Provenance(pv.path("path").asText(null),
                        pv.path("mode").asText(null), pv.path("owner").asText(null), instant(pv, "imported"),
                        pv.path("sourceShredded").asBoolean(false));
                out.put(e.getKey(), new KeyInfo(e.getKey(), n.path("size").asInt(), n.path("sha256").asText(null),
                        instant(n, "created"), backups, enrollments, provenance));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new CryptvolException("cannot read the key metadata " + file + ": " + e.getClass().getSimpleName()
                    + " (fix or move the file; the keys themselves are in " + keyDir + ")", ExitCode.FAILED, null);
        }
    }

    void save(Map<String, KeyInfo> meta) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ObjectNode keys = root.putObject("keys");
        for (KeyInfo k : meta.values()) {
            ObjectNode n = keys.putObject(k.name());
            n.put("size", k.size());
            n.put("sha256", k.sha256());
            n.put("created", str(k.created()));
            ArrayNode bs = n.putArray("backups");
            for (Backup b : k.backups()) {
                ObjectNode bn = bs.addObject();
                bn.put("location", b.location());
                bn.put("created", str(b.created()));
                bn.put("verified", b.verified());
                bn.put("verifiedAt", str(b.verifiedAt()));
            }
            ArrayNode es = n.putArray("enrollments");
            for (Enrollment en : k.enrollments()) {
                ObjectNode o = es.addObject();
                o.put("luksUuid", en.luksUuid());
                o.put("slot", en.slot());
                o.put("label", en.label());
                o.put("recorded", str(en.recorded()));
            }
            if (k.provenance() != null) {
                ObjectNode o = n.putObject("importedFrom");
                o.put("path", k.provenance().path());
                o.put("mode", k.provenance().mode());
                o.put("owner", k.provenance().owner());
                o.put("imported", str(k.provenance().imported()));
                o.put("sourceShredded", k.provenance().sourceShredded());
            }
        }
        JsonFiles.writePrivate(file, root);
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }

    private static Instant instant(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : Instant.parse(v.asText());
    }
}

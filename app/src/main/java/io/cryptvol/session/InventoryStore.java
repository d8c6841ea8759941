package io.cryptvol.session;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Keeps the {@link Inventory} (names only: devices, VGs, keys by name …, by target) between processes, so
 * that command-line completion ({@code cryptvol __complete}) offers what the last session observed on the
 * current target without touching the host. Loaded on start, saved on exit when it changed.
 *
 * <p>The file: {@code {"version": 2, "targets": {"local": {"device": [...]}, "sandbox": {...}, "*": {"key": [...]}}}}.
 * A file of the first format (one list per kind, for no target in particular) is dropped: nobody knows which
 * machine its names were seen on, and the next observation fills it again. Damage is ignored the same way.
 */
public class InventoryStore {
    static final int VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    public InventoryStore(Path file) {
        this.file = file;
    }

    public static InventoryStore inStateDir() {
        return new InventoryStore(Dirs.state().resolve("inventory.json"));
    }

    /** The saved names by target key and kind; empty for a missing, damaged or old file. */
    public Map<String, Map<String, List<String>>> load() {
        try {
            if (!Files.isRegularFile(file)) {
                return Map.of();
            }
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject() || root.path("version").asInt() != VERSION || !root.path("targets").isObject()) {
                return Map.of();
            }
            return JSON.convertValue(root.get("targets"), new TypeReference<Map<String, Map<String, List<String>>>>() { });
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    public void save(Map<String, Map<String, List<String>>> targets) {
        try {
            Dirs.ensurePrivateDir(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".inventory", ".tmp");
            Map<String, Object> doc = new java.util.LinkedHashMap<>();
            doc.put("version", VERSION);
            doc.put("targets", new java.util.TreeMap<>(targets));
            JSON.writeValue(tmp.toFile(), doc);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // a cache: losing it only makes completion poorer
        }
    }
}

package io.cryptvol.session;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Keeps the {@link Inventory} (names only: devices, VGs, keys by name …) between processes, so that
 * command-line completion ({@code cryptvol __complete}) offers what the last session observed without
 * touching the host. Loaded on start, saved on exit when it changed. Damage is ignored.
 */
public class InventoryStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    public InventoryStore(Path file) {
        this.file = file;
    }

    public static InventoryStore inStateDir() {
        return new InventoryStore(Dirs.state().resolve("inventory.json"));
    }

    public Map<String, List<String>> load() {
        try {
            return Files.isRegularFile(file) ? JSON.readValue(file.toFile(), new TypeReference<Map<String, List<String>>>() { })
                    : Map.of();
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    public void save(Map<String, List<String>> names) {
        try {
            Dirs.ensurePrivateDir(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".inventory", ".tmp");
            JSON.writeValue(tmp.toFile(), names);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // a cache: losing it only makes completion poorer
        }
    }
}

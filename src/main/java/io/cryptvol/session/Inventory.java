package io.cryptvol.session;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last observed names on the target, by kind ("device", "vg", "lv", "mapping",
 * "mountpoint", "key", "volume", ...). Commands that observe the host refresh it; Tab
 * completion only reads it, so completing never waits for the network.
 */
public class Inventory {
    private final Map<String, List<String>> names = new ConcurrentHashMap<>();

    public void put(String kind, List<String> values) {
        names.put(kind, List.copyOf(values));
    }

    public List<String> get(String kind) {
        return names.getOrDefault(kind, List.of());
    }

    /** Everything known, by kind (a copy). */
    public Map<String, List<String>> snapshot() {
        return Map.copyOf(names);
    }

    public void clear() {
        names.clear();
    }
}

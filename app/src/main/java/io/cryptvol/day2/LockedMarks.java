package io.cryptvol.day2;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which mappings were last seen locked, per target: what the prompt marks without asking the host. Filled by the
 * read-only look on connect and at session start, and by unlock and detach.
 */
public final class LockedMarks {
    private final Set<String> locked = new HashSet<>();

    private static String key(String target, String mapping) {
        return target + "\u0000" + mapping;
    }

    public synchronized void found(String target, List<LockedVolume> volumes) {
        locked.removeIf(k -> k.startsWith(target + "\u0000"));
        for (LockedVolume v : volumes) {
            if (v.mapping() != null) {
                locked.add(key(target, v.mapping()));
            }
        }
    }

    public synchronized void locked(String target, String mapping) {
        if (mapping != null) {
            locked.add(key(target, mapping));
        }
    }

    public synchronized void unlocked(String target, String mapping) {
        if (mapping != null) {
            locked.remove(key(target, mapping));
        }
    }

    public synchronized boolean isLocked(String target, String mapping) {
        return mapping != null && locked.contains(key(target, mapping));
    }
}

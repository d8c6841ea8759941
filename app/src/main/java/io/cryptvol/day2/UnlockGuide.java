package io.cryptvol.day2;

import io.cryptvol.keys.Backup;
import io.cryptvol.keys.Enrollment;
import io.cryptvol.keys.KeyInfo;
import io.cryptvol.keys.KeyStore;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which key the guided unlock proposes, from the key store's enrollment metadata (never by trying keys): the key
 * recorded for the volume's LUKS UUID; when its file is gone from the store, a recorded backup copy of it; else
 * nothing (the guide asks). Also says which volume a key that did not open is recorded for.
 */
public final class UnlockGuide {
    private final KeyStore store;

    public UnlockGuide(KeyStore store) {
        this.store = store;
    }

    /** The proposed key source and why; the caller closes it. */
    public record Proposal(KeyChoice choice, String why) {
    }

    /** The recorded key for {@code uuid}, in fallback order: the store's copy, then its backups. Empty when none. */
    public Optional<Proposal> propose(String uuid) {
        if (uuid == null) {
            return Optional.empty();
        }
        List<KeyInfo> keys = new ArrayList<>(store.keysFor(uuid));
        // the most recent enrollment first
        keys.sort(Comparator.comparing((KeyInfo k) -> k.enrollments().stream().filter(e -> uuid.equalsIgnoreCase(e.luksUuid()))
                .map(Enrollment::recorded).filter(t -> t != null).max(Comparator.naturalOrder()).orElse(java.time.Instant.EPOCH))
                .reversed());
        for (KeyInfo k : keys) {
            if (store.exists(k.name())) {
                return Optional.of(new Proposal(KeyChoice.named(k.name()), "recorded as opening LUKS UUID " + uuid
                        + slots(k, uuid)));
            }
            List<Backup> backups = new ArrayList<>(k.backups());
            backups.sort(Comparator.comparing((Backup b) -> !b.verified()));
            for (Backup b : backups) {
                Path p = Path.of(b.location());
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && Files.isReadable(p)) {
                    return Optional.of(new Proposal(KeyChoice.file(p), "a backup of key '" + k.name() + "' (its file is "
                            + "gone from the key store), recorded as opening LUKS UUID " + uuid));
                }
            }
        }
        return Optional.empty();
    }

    private static String slots(KeyInfo k, String uuid) {
        List<Integer> s = k.enrollments().stream().filter(e -> uuid.equalsIgnoreCase(e.luksUuid()) && e.slot() >= 0)
                .map(Enrollment::slot).sorted().toList();
        return s.isEmpty() ? "" : s.size() == 1 ? ", slot " + s.get(0) : ", slots " + s;
    }

    /**
     * For a key that did not open {@code uuid}: the volumes it is recorded as opening instead ("LUKS UUID … (vg/lv)"),
     * found by its name or, for a file or a typed key, by its SHA-256 among the store's keys. Empty when not known.
     */
    public Optional<String> opensInstead(KeyChoice c, byte[] bytes, String uuid) {
        Optional<KeyInfo> k = Optional.empty();
        if (c.fromStore()) {
            k = store.info(c.label());
        } else if (bytes != null) {
            String sum = KeyStore.sha256(bytes);
            k = store.list().stream().filter(x -> sum.equalsIgnoreCase(x.sha256())).findFirst();
        }
        List<String> other = k.map(x -> x.enrollments().stream().filter(e -> e.luksUuid() != null
                        && !e.luksUuid().equalsIgnoreCase(uuid))
                .map(e -> "LUKS UUID " + e.luksUuid() + (e.label() == null ? "" : " (" + e.label() + ")")).distinct().toList())
                .orElse(List.of());
        if (other.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of((c.fromStore() ? "it is" : "it is key '" + k.get().name() + "',") + " recorded as opening "
                + String.join(", ", other));
    }

    /**
     * After a key opened a volume for which nothing is recorded: remember it (slot unknown: -1), so that the next
     * guided unlock proposes it. Only for a key of the store (by name, or a file with a store key's SHA-256).
     */
    public void learned(KeyChoice c, byte[] bytes, String uuid, String label) {
        if (uuid == null || !store.keysFor(uuid).isEmpty()) {
            return;
        }
        String name = null;
        if (c.fromStore()) {
            name = c.label();
        } else if (bytes != null) {
            String sum = KeyStore.sha256(bytes);
            name = store.list().stream().filter(x -> sum.equalsIgnoreCase(x.sha256())).map(KeyInfo::name).findFirst().orElse(null);
        }
        if (name != null && store.exists(name)) {
            store.recordEnrollment(name, uuid, -1, label);
        }
    }
}

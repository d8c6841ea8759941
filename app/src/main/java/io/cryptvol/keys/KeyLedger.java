package io.cryptvol.keys;

import io.cryptvol.ExitCode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cryptvol.CryptvolException;
import io.cryptvol.session.Dirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The record of every transient place key bytes were written: a tmpfs file on a target host, a temp file on
 * this machine. An entry is written to disk BEFORE the bytes are, and marked shredded only once the copy is
 * known to be gone, so a crash leaves a trail that {@code keys where} shows and {@code keys shred} follows.
 * The key directory and recorded backups are permanent and not in the ledger.
 *
 * <p>Persisted as JSON (0600, directory 0700) and re-read on every call, so several instances (or a shell that
 * restarted after a crash) see the same ledger. Holds names and paths, never key bytes.
 */
public final class KeyLedger {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path own;
    /** The file in use: this ledger's own, or a rehearsal's throwaway one ({@link #divert}). */
    private volatile Path file;
    private final Clock clock;

    public KeyLedger(Path file) {
        this(file, Clock.systemUTC());
    }

    KeyLedger(Path file, Clock clock) {
        this.own = file.toAbsolutePath().normalize();
        this.file = own;
        this.clock = clock;
    }

    /** {@code Dirs.state()/key-ledger.json}. */
    public static KeyLedger inStateDir() {
        return new KeyLedger(Dirs.state().resolve("key-ledger.json"));
    }

    public Path file() {
        return file;
    }

    /** From now on entries go to {@code other} (a rehearsal's throwaway ledger), and this one stays as it is; {@code null} puts it back. */
    public synchronized void divert(Path other) {
        file = other == null ? own : other.toAbsolutePath().normalize();
    }

    /** Records a copy about to be written on a target host; call BEFORE writing. */
    public LedgerEntry record(String target, String path, String keyName) {
        return add(LedgerEntry.Kind.TARGET_FILE, target, path, keyName);
    }

    /** Records a temp file about to be written on this machine; call BEFORE writing. */
    public LedgerEntry recordLocal(Path path, String keyName) {
        return add(LedgerEntry.Kind.LOCAL_FILE, LedgerEntry.THIS_MACHINE, path.toAbsolutePath().toString(), keyName);
    }

    private synchronized LedgerEntry add(LedgerEntry.Kind kind, String where, String path, String keyName) {
        List<LedgerEntry> all = load();
        LedgerEntry e = new LedgerEntry(newId(all), kind, where, path, keyName, clock.instant(), false, null);
        all.add(e);
        save(all);
        return e;
    }

    /** Marks an entry as gone (shredded, or found missing). Unknown ids are ignored. */
    public synchronized void markShredded(String id) {
        List<LedgerEntry> all = load();
        boolean changed = false;
        for (int i = 0; i < all.size(); i++) {
            LedgerEntry e = all.get(i);
            if (e.id().equals(id) && !e.shredded()) {
                all.set(i, e.shredded(clock.instant()));
                changed = true;
            }
        }
        if (changed) {
            save(all);
        }
    }

    /** Marks every outstanding entry for this path on this target as gone (for a runner's own shred step). */
    public synchronized int markShredded(String target, String path) {
        List<LedgerEntry> all = load();
        int n = 0;
        for (int i = 0; i < all.size(); i++) {
            LedgerEntry e = all.get(i);
            if (!e.shredded() && e.path().equals(path) && LedgerEntry.sameHost(e.where(), target)) {
                all.set(i, e.shredded(clock.instant()));
                n++;
            }
        }
        if (n > 0) {
            save(all);
        }
        return n;
    }

    public synchronized List<LedgerEntry> all() {
        return List.copyOf(load());
    }

    public synchronized List<LedgerEntry> outstanding() {
        return load().stream().filter(LedgerEntry::outstanding).toList();
    }

    /** Outstanding copies on the host with this target name. */
    public synchronized List<LedgerEntry> outstandingOn(String target) {
        return load().stream().filter(e -> e.outstanding() && e.isOn(target)).toList();
    }

    public synchronized Optional<LedgerEntry> find(String id) {
        return load().stream().filter(e -> e.id().equals(id)).findFirst();
    }

    /** Drops shredded entries older than {@code before}, keeping the file short. */
    public synchronized int prune(Instant before) {
        List<LedgerEntry> all = load();
        int n = all.size();
        all.removeIf(e -> e.shredded() && e.shreddedAt() != null && e.shreddedAt().isBefore(before));
        if (all.size() != n) {
            save(all);
        }
        return n - all.size();
    }

    private static String newId(List<LedgerEntry> existing) {
        while (true) {
            byte[] b = new byte[4];
            RANDOM.nextBytes(b);
            String id = HexFormat.of().formatHex(b);
            if (existing.stream().noneMatch(e -> e.id().equals(id))) {
                return id;
            }
        }
    }

    private List<LedgerEntry> load() {
        List<LedgerEntry> out = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try {
            for (JsonNode n : JSON.readTree(file.toFile()).path("entries")) {
                out.add(new LedgerEntry(n.path("id").asText(), LedgerEntry.Kind.valueOf(n.path("kind").asText()),
                        n.path("where").asText(), n.path("path").asText(), n.path("keyName").asText(),
                        instant(n, "created"), n.path("shredded").asBoolean(false), instant(n, "shreddedAt")));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            // never silently forget where key copies are: refuse until a person looks at the file
            throw new CryptvolException("cannot read the key ledger " + file + " (" + e.getClass().getSimpleName()
                    + "): it lists where key copies were written; repair or move it before going on", ExitCode.FAILED, null);
        }
    }

    private void save(List<LedgerEntry> entries) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ArrayNode arr = root.putArray("entries");
        for (LedgerEntry e : entries) {
            ObjectNode n = arr.addObject();
            n.put("id", e.id());
            n.put("kind", e.kind().name());
            n.put("where", e.where());
            n.put("path", e.path());
            n.put("keyName", e.keyName());
            n.put("created", e.created() == null ? null : e.created().toString());
            n.put("shredded", e.shredded());
            n.put("shreddedAt", e.shreddedAt() == null ? null : e.shreddedAt().toString());
        }
        JsonFiles.writePrivate(file, root);
    }

    private static Instant instant(JsonNode n, String f) {
        JsonNode v = n.get(f);
        return v == null || v.isNull() ? null : Instant.parse(v.asText());
    }

    @Override
    public String toString() {
        return "KeyLedger[" + file + "]";
    }
}

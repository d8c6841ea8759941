package io.cryptvol.snapshot;

import io.cryptvol.aws.EbsSnapshot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The snapshots that share one {@link SnapshotTags#SET} tag. Pure: grouping, completeness and the
 * choice of what {@code snapshots prune} deletes are functions of the snapshots EC2 lists.
 *
 * @param expectedCount the count tag (the most common value among members; 0 when absent or unreadable)
 */
public record SnapshotSet(String id, List<EbsSnapshot> snapshots, int expectedCount) {

    public enum Status { COMPLETED, PENDING, INCOMPLETE }

    public SnapshotSet {
        snapshots = snapshots.stream().sorted(Comparator.comparingInt(SnapshotSet::indexOf)
                .thenComparing(EbsSnapshot::id)).toList();
    }

    /** Newest taken first (see {@link #takenAt}), then by id: the one order of listing, pruning and "latest". */
    static final Comparator<SnapshotSet> NEWEST_FIRST = Comparator.comparing(SnapshotSet::takenAt,
            Comparator.nullsLast(Comparator.reverseOrder())).thenComparing(SnapshotSet::id);

    /** Groups snapshots by set id (those without one are ignored), newest set first. */
    public static List<SnapshotSet> group(List<EbsSnapshot> snapshots) {
        Map<String, List<EbsSnapshot>> by = new LinkedHashMap<>();
        for (EbsSnapshot s : snapshots) {
            String set = s.tag(SnapshotTags.SET);
            if (set != null && !set.isBlank()) {
                by.computeIfAbsent(set, k -> new ArrayList<>()).add(s);
            }
        }
        List<SnapshotSet> out = new ArrayList<>();
        by.forEach((id, members) -> out.add(new SnapshotSet(id, members, countOf(members))));
        out.sort(NEWEST_FIRST);
        return out;
    }

    private static int countOf(List<EbsSnapshot> members) {
        Map<Integer, Integer> votes = new LinkedHashMap<>();
        for (EbsSnapshot s : members) {
            int c = parse(s.tag(SnapshotTags.COUNT));
            if (c > 0) {
                votes.merge(c, 1, Integer::sum);
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(0);
    }

    /** The earliest start time of a member (the moment of the set), or null. */
    public Instant started() {
        return snapshots.stream().map(EbsSnapshot::started).filter(t -> t != null).min(Comparator.naturalOrder())
                .orElse(null);
    }

    /**
     * When the set was taken: its {@link SnapshotTags#TAKEN_AT} tag (the earliest readable value among the members;
     * copies carry it unchanged), else, for sets taken before the tag existed, {@link #started()} (which for a copy
     * is when it was copied). Null when neither is known.
     */
    public java.time.Instant takenAt() {
        java.time.Instant tagged = snapshots.stream().map(s -> s.tag(SnapshotTags.TAKEN_AT)).map(SnapshotSet::instant)
                .filter(t -> t != null).min(Comparator.naturalOrder()).orElse(null);
        return tagged != null ? tagged : started();
    }

    /** Whether {@link #takenAt} comes from the tag (false: from the start times). */
    public boolean takenAtTagged() {
        return snapshots.stream().map(s -> s.tag(SnapshotTags.TAKEN_AT)).anyMatch(v -> instant(v) != null);
    }

    private static java.time.Instant instant(String iso) {
        if (iso == null || iso.isBlank()) {
            return null;
        }
        try {
            return java.time.Instant.parse(iso.trim());
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Why the set cannot be restored as it is, or an empty list: fewer snapshots than the count tag,
     * no count tag, a member in state error, duplicate or missing indexes.
     */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (expectedCount <= 0) {
            p.add("no " + SnapshotTags.COUNT + " tag");
        } else if (snapshots.size() < expectedCount) {
            p.add(snapshots.size() + " of " + expectedCount + " snapshots");
        } else if (snapshots.size() > expectedCount) {
            p.add(snapshots.size() + " snapshots but the count tag says " + expectedCount);
        }
        long errors = snapshots.stream().filter(s -> "error".equals(s.state())).count();
        if (errors > 0) {
            p.add(errors + " in state error");
        }
        if (expectedCount > 0 && snapshots.size() == expectedCount) {
            Set<Integer> idx = new TreeSet<>();
            snapshots.forEach(s -> idx.add(indexOf(s)));
            Set<Integer> want = new TreeSet<>();
            for (int i = 1; i <= expectedCount; i++) {
                want.add(i);
            }
            if (!idx.equals(want)) {
                p.add("indexes " + idx + " instead of 1.." + expectedCount);
            }
        }
        return p;
    }

    public boolean complete() {
        return problems().isEmpty();
    }

    public Status status() {
        if (!complete()) {
            return Status.INCOMPLETE;
        }
        return snapshots.stream().allMatch(EbsSnapshot::completed) ? Status.COMPLETED : Status.PENDING;
    }

    /** Mean progress of the members, 0–100. */
    public int progress() {
        return snapshots.isEmpty() ? 0 : (int) snapshots.stream().mapToInt(EbsSnapshot::progress).average().orElse(0);
    }

    /** A set tag (VG, mountpoint …) as the members agree on it; null when absent. */
    public String tag(String key) {
        return snapshots.stream().map(s -> s.tag(key)).filter(v -> v != null && !v.isBlank()).findFirst().orElse(null);
    }

    public int sizeGiB() {
        return snapshots.stream().mapToInt(EbsSnapshot::volumeSizeGiB).sum();
    }

    public List<String> snapshotIds() {
        return snapshots.stream().map(EbsSnapshot::id).toList();
    }

    /**
     * What {@code prune --keep N} deletes: per VG (the VG tag), every set older than the N newest
     * COMPLETED sets. Pending and incomplete sets newer than the oldest kept set stay (a set being taken,
     * or one the user may want to look at); older ones go. With fewer than N completed sets nothing of
     * that VG is deleted. Newest first, like {@link #group}.
     */
    public static List<SnapshotSet> toPrune(List<SnapshotSet> sets, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1");
        }
        Map<String, List<SnapshotSet>> byVg = new LinkedHashMap<>();
        for (SnapshotSet s : sets) {
            byVg.computeIfAbsent(String.valueOf(s.tag(SnapshotTags.VG)), k -> new ArrayList<>()).add(s);
        }
        List<SnapshotSet> out = new ArrayList<>();
        for (List<SnapshotSet> group : byVg.values()) {
            List<SnapshotSet> newestFirst = new ArrayList<>(group);
            newestFirst.sort(NEWEST_FIRST);
            int completed = 0;
            boolean cut = false;
            for (SnapshotSet s : newestFirst) {
                if (cut) {
                    out.add(s);
                } else if (s.status() == Status.COMPLETED && ++completed == keep) {
                    cut = true;
                }
            }
        }
        out.sort(NEWEST_FIRST);
        return out;
    }

    /** What {@code restore latest} (or {@code newest}) means: the newest-taken completed set. */
    public static final List<String> LATEST = List.of("latest", "newest");

    /**
     * Finds a set by full id or a unique prefix (at least 4 characters); {@code latest} is the newest-taken
     * COMPLETED set of {@code vg} (of any VG when null; refused when completed sets of several VGs exist).
     */
    public static SnapshotSet find(List<SnapshotSet> sets, String idOrPrefix, String vg) {
        String q = idOrPrefix.trim();
        if (LATEST.contains(q)) {
            List<SnapshotSet> done = sets.stream().filter(s -> s.status() == Status.COMPLETED)
                    .filter(s -> vg == null || vg.equals(s.tag(SnapshotTags.VG))).sorted(NEWEST_FIRST).toList();
            if (done.isEmpty()) {
                throw new io.cryptvol.CryptvolException("no completed snapshot set" + (vg == null ? "" : " of VG " + vg)
                        + ": see 'snapshots list'", io.cryptvol.ExitCode.FAILED, null);
            }
            java.util.Set<String> vgs = new TreeSet<>();
            done.forEach(s -> vgs.add(String.valueOf(s.tag(SnapshotTags.VG))));
            if (vg == null && vgs.size() > 1) {
                throw new io.cryptvol.CryptvolException("'" + q + "' is ambiguous: completed sets of VGs " + String.join(", ", vgs)
                        + " ('use vg NAME' or give the set id)", io.cryptvol.ExitCode.USAGE, null);
            }
            return done.get(0);
        }
        return find(sets, q);
    }

    /** Finds a set by full id or a unique prefix (at least 4 characters). */
    public static SnapshotSet find(List<SnapshotSet> sets, String idOrPrefix) {
        String q = idOrPrefix.trim();
        for (SnapshotSet s : sets) {
            if (s.id().equals(q)) {
                return s;
            }
        }
        List<SnapshotSet> m = q.length() < 4 ? List.of() : sets.stream().filter(s -> s.id().startsWith(q)).toList();
        if (m.size() == 1) {
            return m.get(0);
        }
        if (m.isEmpty()) {
            throw new io.cryptvol.CryptvolException("no snapshot set " + q + ": see 'snapshots list'", io.cryptvol.ExitCode.FAILED, null);
        }
        throw new io.cryptvol.CryptvolException("'" + q + "' matches " + m.size() + " snapshot sets: give more of the id", io.cryptvol.ExitCode.USAGE, null);
    }

    static int indexOf(EbsSnapshot s) {
        int i = parse(s.tag(SnapshotTags.INDEX));
        return i > 0 ? i : Integer.MAX_VALUE;
    }

    private static int parse(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}

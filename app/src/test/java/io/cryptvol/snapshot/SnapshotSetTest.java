package io.cryptvol.snapshot;

import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.domain.cmd.HostCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Grouping, completeness and prune selection: pure functions of what DescribeSnapshots lists. */
class SnapshotSetTest {
    static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    int seq;

    EbsSnapshot snap(String set, int index, int count, String state, int minute, String vg) {
        Map<String, String> tags = new LinkedHashMap<>();
        if (set != null) {
            tags.put(SnapshotTags.SET, set);
        }
        if (count > 0) {
            tags.put(SnapshotTags.COUNT, String.valueOf(count));
        }
        if (index > 0) {
            tags.put(SnapshotTags.INDEX, String.valueOf(index));
        }
        if (vg != null) {
            tags.put(SnapshotTags.VG, vg);
        }
        seq++;
        return new EbsSnapshot(String.format("snap-%017x", seq), "us-east-1", "vol-" + seq, 1, state,
                "completed".equals(state) ? 100 : 40, "", false, T0.plusSeconds(60L * minute), tags);
    }

    /** A set of {@code have} snapshots out of {@code count}, all in {@code state}. */
    List<EbsSnapshot> set(String id, int have, int count, String state, int minute, String vg) {
        List<EbsSnapshot> out = new ArrayList<>();
        for (int i = 1; i <= have; i++) {
            out.add(snap(id, i, count, state, minute, vg));
        }
        return out;
    }

    @Test
    void groupsBySetNewestFirstAndIgnoresOtherSnapshots() {
        List<EbsSnapshot> all = new ArrayList<>();
        all.addAll(set("old", 4, 4, "completed", 1, "myvg"));
        all.addAll(set("new", 4, 4, "pending", 9, "myvg"));
        all.add(snap(null, 0, 0, "completed", 5, null)); // somebody else's snapshot
        List<SnapshotSet> sets = SnapshotSet.group(all);
        assertThat(sets).extracting(SnapshotSet::id).containsExactly("new", "old");
        assertThat(sets.get(0).status()).isEqualTo(SnapshotSet.Status.PENDING);
        assertThat(sets.get(1).status()).isEqualTo(SnapshotSet.Status.COMPLETED);
        assertThat(sets.get(1).snapshots()).extracting(s -> s.tag(SnapshotTags.INDEX)).containsExactly("1", "2", "3", "4");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "all four completed     | 4 | 4 | completed | -    | COMPLETED  | ",
            "all four pending       | 4 | 4 | pending   | -    | PENDING    | ",
            "three of four          | 3 | 4 | completed | -    | INCOMPLETE | 3 of 4 snapshots",
            "one in error           | 4 | 4 | completed | 2    | INCOMPLETE | 1 in state error",
            "five but count 4       | 5 | 4 | completed | -    | INCOMPLETE | 5 snapshots but the count tag says 4",
            "no count tag           | 2 | 0 | completed | -    | INCOMPLETE | no cryptvol:count tag",
    })
    void completeness(String name, int have, int count, String state, String errorIndex, SnapshotSet.Status status,
                      String problem) {
        List<EbsSnapshot> members = new ArrayList<>();
        for (int i = 1; i <= have; i++) {
            boolean error = !"-".equals(errorIndex) && Integer.parseInt(errorIndex) == i;
            members.add(snap("s", i, count, error ? "error" : state, 0, "vg"));
        }
        SnapshotSet s = SnapshotSet.group(members).get(0);
        assertThat(s.status()).isEqualTo(status);
        if (problem == null) {
            assertThat(s.problems()).isEmpty();
        } else {
            assertThat(s.problems()).contains(problem);
        }
    }

    @Test
    void missingOrDuplicateIndexIsIncomplete() {
        List<EbsSnapshot> m = List.of(snap("s", 1, 3, "completed", 0, "vg"), snap("s", 1, 3, "completed", 0, "vg"),
                snap("s", 3, 3, "completed", 0, "vg"));
        assertThat(SnapshotSet.group(m).get(0).problems()).containsExactly("indexes [1, 3] instead of 1..3");
    }

    @Test
    void pruneKeepsTheNewestCompletedSetsPerVg() {
        List<EbsSnapshot> all = new ArrayList<>();
        all.addAll(set("a1", 4, 4, "completed", 1, "a"));
        all.addAll(set("a2-incomplete", 3, 4, "completed", 2, "a"));
        all.addAll(set("a3", 4, 4, "completed", 3, "a"));
        all.addAll(set("a4", 4, 4, "completed", 4, "a"));
        all.addAll(set("a5-pending", 4, 4, "pending", 5, "a"));
        all.addAll(set("b1", 2, 2, "completed", 1, "b"));
        all.addAll(set("b2", 2, 2, "completed", 6, "b"));
        List<SnapshotSet> sets = SnapshotSet.group(all);

        assertThat(SnapshotSet.toPrune(sets, 2)).extracting(SnapshotSet::id)
                .containsExactly("a2-incomplete", "a1"); // a4, a3 kept; a5 pending newer: kept; b has only 2
        assertThat(SnapshotSet.toPrune(sets, 1)).extracting(SnapshotSet::id)
                .containsExactlyInAnyOrder("a3", "a2-incomplete", "a1", "b1");
        assertThat(SnapshotSet.toPrune(sets, 5)).isEmpty(); // fewer completed sets than asked: nothing goes
        assertThatThrownBy(() -> SnapshotSet.toPrune(sets, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findBySetIdOrUniquePrefix() {
        List<SnapshotSet> sets = SnapshotSet.group(List.of(snap("1234abcd-x", 1, 1, "completed", 0, "v"),
                snap("1234ffff-y", 1, 1, "completed", 1, "v")));
        assertThat(SnapshotSet.find(sets, "1234abcd").id()).isEqualTo("1234abcd-x");
        assertThat(SnapshotSet.find(sets, "1234ffff-y").id()).isEqualTo("1234ffff-y");
        assertThatThrownBy(() -> SnapshotSet.find(sets, "1234")).hasMessageContaining("matches 2 snapshot sets");
        assertThatThrownBy(() -> SnapshotSet.find(sets, "9999")).hasMessageContaining("no snapshot set 9999");
    }

    /** The freeze holder's script, run here by a real sh with stand-in freeze tools: its protocol and timestamps. */
    @Test
    void freezeHolderSaysFrozenWaitsForItsLineThawsAndSaysThawed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path bin = java.nio.file.Files.createDirectories(dir.resolve("bin"));
        java.nio.file.Path log = dir.resolve("log");
        java.nio.file.Path fake = bin.resolve("fsfreeze");
        java.nio.file.Files.writeString(fake, "#!/bin/sh\necho \"$1 $2\" >> " + log + "\n");
        fake.toFile().setExecutable(true);
        HostCommand hold = io.cryptvol.domain.cmd.Filesystems.freezeHold("/mnt/my point");
        ProcessBuilder pb = new ProcessBuilder(hold.argv());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        try (io.cryptvol.exec.Conversation c = new io.cryptvol.exec.Conversation(hold, p.getInputStream(), p.getOutputStream(),
                t -> {
                    try {
                        p.waitFor(t.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return new io.cryptvol.exec.ExecResult(p.exitValue(), new byte[0], new byte[0], Duration.ZERO);
                }, p::destroy)) {
            String frozen = c.readLine(Duration.ofSeconds(10));
            assertThat(frozen).startsWith("frozen ");
            assertThat(java.nio.file.Files.readString(log)).isEqualTo("-f /mnt/my point\n");
            assertThat(c.readLine(Duration.ofMillis(300))).as("holds until told").isNull();
            c.send("thaw");
            String thawed = c.readLine(Duration.ofSeconds(10));
            assertThat(thawed).startsWith("thawed ").endsWith(" 0");
            assertThat(java.nio.file.Files.readString(log)).isEqualTo("-f /mnt/my point\n-u /mnt/my point\n");
            assertThat(FreezeHold.nanos(thawed)).isGreaterThanOrEqualTo(FreezeHold.nanos(frozen)).isPositive();
            assertThat(c.finish(Duration.ofSeconds(10)).exitCode()).isZero();
        }
    }

    @Test
    void hostClockLines() {
        assertThat(FreezeHold.nanos("frozen 123.45")).isEqualTo(123_450_000_000L);
        assertThat(FreezeHold.nanos("thawed 7.05 0")).isEqualTo(7_050_000_000L);
        assertThat(FreezeHold.nanos("frozen")).isZero();
        assertThat(FreezeHold.nanos("frozen 12x")).isZero();
    }

    @Test
    void watchdogIsDetachedAndOnlyKillsItself() {
        HostCommand start = Watchdog.start("/mnt/my point", Duration.ofMillis(4500));
        assertThat(start.argv()).startsWith("sh", "-c").endsWith(Watchdog.MARKER, "5", "/mnt/my point");
        assertThat(start.argv().get(2)).startsWith("setsid sh -c ").contains("</dev/null >/dev/null 2>&1 &")
                .contains("xfs_freeze -u \"$2\"").endsWith("echo $!");
        HostCommand stop = Watchdog.stop(4242);
        assertThat(stop.argv().get(2)).contains("/proc/\"$1\"/cmdline").contains("kill -TERM -\"$1\"");
        assertThat(stop.argv()).endsWith("4242");
        assertThat(Watchdog.pid("  1234\n")).isEqualTo(1234);
        assertThatThrownBy(() -> Watchdog.pid("sh: setsid: not found")).hasMessageContaining("did not start");
    }

    @Test
    void restorePlanImportsTheCloneNextToTheOriginal() {
        Plan p = RestorePlanner.plan(new RestorePlanner.Spec("myvg", "mylv", "myvg_restore", true,
                List.of("/dev/nvme5n1", "/dev/nvme6n1"), "11111111-2222-3333-4444-555555555555", "enc_restore",
                "/mnt/restore", "k1"));
        assertThat(p.kinds()).containsExactly(StepKind.IMPORT_CLONE, StepKind.ACTIVATE_VG, StepKind.NEW_LUKS_UUID, StepKind.HEADER_BACKUP,
                StepKind.OPEN_MAPPING, StepKind.MOUNT, StepKind.MOUNT);
        assertThat(p.steps().get(0).command().argv()).containsExactly("vgimportclone", "--basevgname", "myvg_restore",
                "/dev/nvme5n1", "/dev/nvme6n1");
        assertThat(p.steps().get(2).command().argv()).containsExactly("cryptsetup", "luksUUID", "--batch-mode", "--uuid",
                "11111111-2222-3333-4444-555555555555", "/dev/myvg_restore/mylv");
        assertThat(p.steps().get(3).commands().get(2).command().argv()).containsSequence("luksHeaderBackup",
                "--batch-mode", "/dev/myvg_restore/mylv");
        assertThat(p.steps().get(4).keys()).extracting(k -> k.name()).containsExactly("k1");
        assertThat(p.steps().get(4).command().argv()).contains("--key-file", "-").doesNotContain("k1");
        assertThat(p.steps().get(6).command().argv()).contains("rw,noatime,nouuid", "/dev/mapper/enc_restore", "/mnt/restore");

        Plan alone = RestorePlanner.plan(new RestorePlanner.Spec("myvg", "mylv", "myvg", false, List.of("/dev/nvme5n1"),
                "u", "enc_restore", "/mnt/restore", "k1"));
        assertThat(alone.steps().get(0).command().argv()).containsExactly("pvscan", "--cache", "/dev/nvme5n1");
        assertThat(alone.steps().get(1).command().argv()).containsExactly("vgchange", "-ay", "myvg");
    }

    /** The set's members with a taken-at tag (null: none, an older set). */
    List<EbsSnapshot> taken(String id, int minuteStarted, String takenAt, String vg) {
        List<EbsSnapshot> out = new ArrayList<>();
        for (EbsSnapshot s : set(id, 2, 2, "completed", minuteStarted, vg)) {
            Map<String, String> t = new LinkedHashMap<>(s.tags());
            if (takenAt != null) {
                t.put(SnapshotTags.TAKEN_AT, takenAt);
            }
            out.add(new EbsSnapshot(s.id(), "us-west-2", s.volumeId(), 1, s.state(), s.progress(), "", false, s.started(), t));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // case | set A: started minute, taken-at | set B: started minute, taken-at | newest first | pruned by --keep 1
            "copies: A copied after B, taken before it | 9 | 2025-01-01T00:01:00Z | 5 | 2025-01-01T00:02:00Z | B A | A",
            "tags agree with start times              | 1 | 2025-01-01T00:01:00Z | 5 | 2025-01-01T00:05:00Z | B A | A",
            "older sets without the tag: start times  | 9 |                      | 5 |                      | A B | B",
            "one tagged, one not: each its own time   | 9 | 2025-01-01T00:03:00Z | 5 |                      | B A | A",
            "an unreadable tag falls back             | 9 | yesterday            | 5 | 2025-01-01T00:07:00Z | A B | B"})
    void setsOrderByWhenTheyWereTakenInEveryRegion(String name, int aStarted, String aTaken, int bStarted, String bTaken,
                                                  String order, String pruned) {
        List<EbsSnapshot> all = new ArrayList<>();
        all.addAll(taken("A", aStarted, aTaken, "myvg"));
        all.addAll(taken("B", bStarted, bTaken, "myvg"));
        List<SnapshotSet> sets = SnapshotSet.group(all);
        assertThat(String.join(" ", sets.stream().map(SnapshotSet::id).toList())).isEqualTo(order);
        assertThat(String.join(" ", SnapshotSet.toPrune(sets, 1).stream().map(SnapshotSet::id).toList())).isEqualTo(pruned);
        assertThat(SnapshotSet.find(sets, "latest", null).id()).isEqualTo(order.substring(0, 1));
        SnapshotSet a = SnapshotSet.find(sets, "A");
        assertThat(a.takenAtTagged()).isEqualTo(aTaken != null && !aTaken.equals("yesterday"));
        assertThat(a.takenAt()).isEqualTo(a.takenAtTagged() ? Instant.parse(aTaken) : T0.plusSeconds(60L * aStarted));
    }

    @Test
    void latestIsTheNewestTakenCompletedSetOfTheVg() {
        List<EbsSnapshot> all = new ArrayList<>();
        all.addAll(taken("done-1", 1, "2025-01-01T00:01:00Z", "myvg"));
        all.addAll(set("pending", 2, 2, "pending", 9, "myvg"));
        all.addAll(taken("other", 2, "2025-01-01T00:08:00Z", "othervg"));
        List<SnapshotSet> sets = SnapshotSet.group(all);
        assertThat(SnapshotSet.find(sets, "latest", "myvg").id()).isEqualTo("done-1");
        assertThat(SnapshotSet.find(sets, "newest", "othervg").id()).isEqualTo("other");
        assertThatThrownBy(() -> SnapshotSet.find(sets, "latest", null))
                .hasMessage("'latest' is ambiguous: completed sets of VGs myvg, othervg ('use vg NAME' or give the set id)");
        assertThatThrownBy(() -> SnapshotSet.find(sets, "latest", "novg"))
                .hasMessage("no completed snapshot set of VG novg: see 'snapshots list'");
    }
}

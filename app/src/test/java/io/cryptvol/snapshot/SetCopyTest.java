package io.cryptvol.snapshot;

import io.cryptvol.aws.EbsSnapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a copy copies, given what the destination holds: one copy per member, however often it runs. */
class SetCopyTest {
    static final String SET = "set-1";

    static SnapshotSet source() {
        List<EbsSnapshot> m = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Map<String, String> t = new LinkedHashMap<>();
            t.put(SnapshotTags.SET, SET);
            t.put(SnapshotTags.COUNT, "3");
            t.put(SnapshotTags.INDEX, String.valueOf(i));
            m.add(new EbsSnapshot("snap-src" + i, "us-east-1", "vol-" + i, 1, "completed", 100, "", false, Instant.EPOCH, t));
        }
        return SnapshotSet.group(m).get(0);
    }

    /**
     * A destination snapshot from a short spec: {@code c1:pending} = copy of member 1 (source tag) in state pending;
     * {@code L2:completed} = a copy of member 2 made before the source tag (set + index tags only);
     * {@code x1:completed} = a copy of member 1 tagged as coming from another region; {@code o1:completed}: another set.
     */
    static EbsSnapshot dest(String spec, int n) {
        String kind = spec.substring(0, 1);
        int member = Integer.parseInt(spec.substring(1, 2));
        String state = spec.substring(3);
        Map<String, String> t = new LinkedHashMap<>();
        t.put(SnapshotTags.SET, kind.equals("o") ? "set-2" : SET);
        t.put(SnapshotTags.INDEX, String.valueOf(member));
        if (!kind.equals("L") && !kind.equals("o")) {
            t.put(SnapshotTags.SOURCE_SNAPSHOT, "snap-src" + member);
            t.put(SnapshotTags.SOURCE_REGION, kind.equals("x") ? "eu-west-1" : "us-east-1");
        }
        return new EbsSnapshot("snap-dst" + n + "m" + member, "us-west-2", "vol-ffffffff", 1, state, 0, "", false,
                Instant.EPOCH, t);
    }

    @ParameterizedTest(name = "destination [{0}] → copy [{1}], reuse [{2}], extra [{3}]")
    @CsvSource(delimiter = '|', value = {
            // destination holds                            | members copied | copies reused (per member, - = none) | extra
            "                                               | 1 2 3          | - - -                                  | ",
            "c1:completed c2:completed c3:completed         |                | 1 2 3                                  | ",
            "c2:pending                                     | 1 3            | - 2 -                                  | ",
            "L1:completed L2:completed                      | 3              | 1 2 -                                  | ",
            "c1:pending c1:completed c2:completed c3:pending |                | 1 2 3                                  | 1",
            "x1:completed o2:completed                      | 1 2 3          | - - -                                  | "})
    void onlyMembersWithoutACopyAreCopied(String held, String copied, String reused, String extra) {
        List<EbsSnapshot> there = new ArrayList<>();
        if (held != null) {
            int n = 0;
            for (String spec : held.trim().split("\\s+")) {
                there.add(dest(spec, n++));
            }
        }
        SetCopy c = SetCopy.plan(source(), "us-east-1", "us-west-2", there);
        assertThat(String.join(" ", c.toCopy().stream().map(s -> s.id().replace("snap-src", "")).toList()))
                .isEqualTo(copied == null ? "" : copied.trim());
        assertThat(String.join(" ", c.reused().stream().map(s -> s == null ? "-" : s.tag(SnapshotTags.INDEX)).toList()))
                .isEqualTo(reused.trim());
        assertThat(String.join(" ", c.extra().stream().map(id -> id.substring(id.length() - 1)).toList()))
                .isEqualTo(extra == null ? "" : extra.trim());
        c.reused().stream().filter(s -> s != null && s.tag(SnapshotTags.INDEX).equals("1") && extra != null)
                .forEach(s -> assertThat(s.completed()).as("the completed copy is kept, the pending one is extra").isTrue());
    }

    @Test
    void aCopyInStateErrorIsRefusedBeforeAnythingIsCopied() {
        assertThatThrownBy(() -> SetCopy.plan(source(), "us-east-1", "us-west-2",
                List.of(dest("c1:completed", 0), dest("c2:error", 1))))
                .hasMessage("copies in us-west-2 in state error: snap-dst1m2 (copy of snap-src2); delete them "
                        + "('snapshots delete set-1 --region us-west-2') and copy again");
    }
}

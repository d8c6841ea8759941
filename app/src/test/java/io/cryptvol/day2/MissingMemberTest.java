package io.cryptvol.day2;

import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.session.Attachment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A VG with a missing member names the missing volume by the attachment history (where it was last seen attached,
 * as which device, when), else by PV UUID and EC2's tagged volumes not attached here; the unlock planner refuses with
 * that line before any step.
 */
class MissingMemberTest {
    static final String PV1 = "AbCdEf-0123-4567-89ab-cdef-0123-456789";
    static final String PV2 = "ZyXwVu-0123-4567-89ab-cdef-0123-456789";
    static final Attachment SEEN = Attachment.of("vol-0aaaaaaaaaaaaaaa1", "i-0123456789abcdef0", "/dev/sdg",
            Instant.parse("2026-11-30T10:00:42Z"), PV1).orElseThrow();

    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of("seen before, EC2 not asked", List.of(PV1), List.of(), Map.of(PV1, SEEN),
                        List.of("vol-0aaaaaaaaaaaaaaa1 (last seen attached to i-0123456789abcdef0 as /dev/sdg at "
                                + "2026-11-30T10:00Z; PV uuid " + PV1 + ")")),
                Arguments.of("seen before, EC2 names the same volume", List.of(PV1), List.of("vol-0aaaaaaaaaaaaaaa1"),
                        Map.of(PV1, SEEN), List.of("vol-0aaaaaaaaaaaaaaa1 (EBS, tagged cryptvol:vg=myvg, not attached here; "
                                + "last seen attached to i-0123456789abcdef0 as /dev/sdg at 2026-11-30T10:00Z; PV uuid " + PV1 + ")")),
                Arguments.of("never seen, no EC2", List.of(PV2), List.of(), Map.of(), List.of("PV uuid " + PV2)),
                Arguments.of("never seen, EC2 names it", List.of(PV2), List.of("vol-0bbbbbbbbbbbbbbb2"), Map.of(),
                        List.of("vol-0bbbbbbbbbbbbbbb2 (EBS, tagged cryptvol:vg=myvg, not attached here; PV uuid " + PV2 + ")")),
                Arguments.of("one of each", List.of(PV1, PV2), List.of("vol-0aaaaaaaaaaaaaaa1", "vol-0bbbbbbbbbbbbbbb2"),
                        Map.of(PV1, SEEN), List.of("vol-0aaaaaaaaaaaaaaa1 (EBS, tagged cryptvol:vg=myvg, not attached here; "
                                        + "last seen attached to i-0123456789abcdef0 as /dev/sdg at 2026-11-30T10:00Z; PV uuid " + PV1 + ")",
                                "vol-0bbbbbbbbbbbbbbb2 (EBS, tagged cryptvol:vg=myvg, not attached here; PV uuid " + PV2 + ")")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void eachMissingMemberIsNamed(String what, List<String> uuids, List<String> ec2, Map<String, Attachment> seen,
                                  List<String> expected) {
        assertThat(UnlockService.describeMissing(uuids, ec2, "myvg", u -> Optional.ofNullable(seen.get(u))))
                .containsExactlyElementsOf(expected);
    }

    @org.junit.jupiter.api.Test
    void theUnlockPlannerRefusesWithTheLastKnownAttachmentAndPlansNothing() {
        List<String> missing = UnlockService.describeMissing(List.of(PV1), List.of(), "myvg", u -> Optional.of(SEEN));
        var h = io.cryptvol.domain.model.HostState.empty().withLvm(List.of(),
                List.of(new io.cryptvol.domain.model.VolumeGroup("myvg", null, 0, 0, 0, 0, 1, List.of())),
                List.of(new io.cryptvol.domain.model.LogicalVolume("mylv", "myvg", null, 0, "/dev/myvg/mylv",
                        "/dev/mapper/myvg-mylv", false, List.of())));
        PlanResult r = new UnlockPlanner().plan(new VolumeLocator.Located("myvg", "mylv", "m", "/mnt/data", "xfs",
                "rw,noatime,nouuid"), KeyRef.named("k1"), false, missing, h);
        assertThat(r.isRefused()).isTrue();
        assertThat(r.refusals()).singleElement().satisfies(x -> assertThat(x.line()).isEqualTo("VG myvg: is missing 1 member: "
                + "vol-0aaaaaaaaaaaaaaa1 (last seen attached to i-0123456789abcdef0 as /dev/sdg at 2026-11-30T10:00Z; PV uuid "
                + PV1 + "); attach it to this instance and unlock again"));
    }
}

package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsBatchException;
import io.cryptvol.aws.EbsBatchException.Member;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** What a failed EBS batch says exists and the undo it gives: (members, whose volumes) → the one error line. */
class EbsLeftoversTest {
    static final String A = "vol-0123456789abcdef0";
    static final String B = "vol-0123456789abcdef1";
    static final String I = "i-0123456789abcdef0";

    static Stream<Arguments> rows() {
        return Stream.of(
                arguments("create: one attached, one stuck attaching", true, List.of(
                                new Member(0, A, true, "in-use", "/dev/sdf", "attached", null),
                                new Member(1, B, true, "in-use", "/dev/sdg", "attaching", B + " still attaching after 60 s")),
                        " — exists now: " + A + " (in-use, attached to " + I + " as /dev/sdf), " + B + " (in-use, attaching to "
                                + I + " as /dev/sdg); undo: volumes detach " + A + " " + B + " --yes, then volumes delete " + A
                                + " " + B + " --yes"),
                arguments("create: one creation refused, the other not attached", false, List.of(
                                new Member(0, null, true, null, null, null, "VolumeLimitExceeded"),
                                new Member(1, B, true, "available", null, null, null)),
                        " — exists now: " + B + " (available); undo: volumes delete " + B + " --yes"),
                arguments("attach of volumes that were there before: detach only", false, List.of(
                                new Member(0, A, false, "in-use", "/dev/sdf", "attaching", "still attaching"),
                                new Member(1, B, false, "available", null, null, null)),
                        " — exists now: " + A + " (in-use, attaching to " + I + " as /dev/sdf), " + B + " (available); "
                                + "undo: volumes detach " + A + " --yes"),
                arguments("restore's attach: the volumes are the restore's own, so deleted too", true, List.of(
                                new Member(0, A, false, "in-use", "/dev/sdf", "attached", null),
                                new Member(1, B, false, "available", null, null, "did not attach")),
                        " — exists now: " + A + " (in-use, attached to " + I + " as /dev/sdf), " + B + " (available); "
                                + "undo: volumes detach " + A + " --yes, then volumes delete " + A + " " + B + " --yes"),
                arguments("nothing was created", true, List.of(
                                new Member(0, null, true, null, null, null, "refused"),
                                new Member(1, null, true, null, null, null, "refused")),
                        " — nothing was created"),
                arguments("an id that is not a volume id is never put in a command", true, List.of(
                                new Member(0, "vol-$(reboot)", true, "in-use", "/dev/sdf", "attached", null),
                                new Member(1, B, true, "available", null, null, "x")),
                        " — exists now: " + B + " (available); undo: volumes delete " + B + " --yes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void saysWhatExistsAndTheUndo(String name, boolean createdHere, List<Member> members, String expectedTail) {
        EbsBatchException e = new EbsBatchException("what failed", List.of(), List.of(), null, I, members);
        CryptvolException line = EbsLeftovers.explain(e, createdHere);
        assertThat(line.getMessage()).isEqualTo("what failed" + expectedTail);
        assertThat(line.getCause()).isSameAs(e);
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.model.HostState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The key-file directory as an observed fact: a plan that writes a key file (luksAddKey) is refused before step 1
 * when the host's /run/cryptvol (or /run) is not on tmpfs; a plan without one is not; an unobserved host is left to
 * the key step's own check.
 */
class KeyDirRefusalTest {
    private static final LuksOptions FAST = LuksOptions.defaults().withKdf(Kdf.fastForTests());

    static Stream<Arguments> rows() {
        return Stream.of(
                // key dir's file system (null: not observed) → refused?
                arguments(null, false),
                arguments("tmpfs", false),
                arguments("ext2/ext3", true),
                arguments("xfs", true),
                arguments("ramfs", true), // in memory, but not the rule the key step applies: one rule, tmpfs
                arguments("an unrecognised file system", true));
    }

    private static HostState withKeyDir(HostState h, String fs) {
        return fs == null ? h : h.withKeyDirFs(fs);
    }

    @ParameterizedTest(name = "luks add-key, key dir on {0} → refused {1}")
    @MethodSource("rows")
    void addKey(String fs, boolean refused) {
        HostState h = withKeyDir(after(FORMAT).withKeyCheck(LV_PATH, "data-key-1", true)
                .withKeyCheck(LV_PATH, "data-key-2", false), fs);
        PlanResult r = new StagePlanner(() -> "tok1").luksAddKey(LV_PATH, "data-key-1", "data-key-2", FAST, h);
        assertThat(r.isRefused()).isEqualTo(refused);
        if (refused) {
            assertThat(r.refusals()).singleElement().satisfies(x -> {
                assertThat(x.reason()).isEqualTo(Refusal.Reason.KEY_DIR_NOT_TMPFS);
                assertThat(x.line()).isEqualTo("/run/cryptvol: is on " + fs
                        + ", not tmpfs: refusing to write a key file there (mount a tmpfs on /run first)");
            });
        } else {
            assertThat(r.plan().kinds()).containsExactly(StepKind.LUKS_ADD_KEY, StepKind.HEADER_BACKUP);
        }
    }

    @ParameterizedTest(name = "provision from scratch, key dir on {0} → refused {1}")
    @MethodSource("rows")
    void provision(String fs, boolean refused) {
        PlanResult r = new ProvisionPlanner(() -> "tok1").plan(spec(), withKeyDir(after(0), fs));
        assertThat(r.isRefused()).isEqualTo(refused);
        if (refused) {
            assertThat(r.refusals()).extracting(Refusal::reason).containsExactly(Refusal.Reason.KEY_DIR_NOT_TMPFS);
        } else {
            assertThat(r.plan().kinds()).contains(StepKind.LUKS_ADD_KEY);
        }
    }

    @ParameterizedTest(name = "no key file to write, key dir on {0} → never refused")
    @MethodSource("rows")
    void aPlanWithoutAKeyFileIsNotRefused(String fs, boolean ignored) {
        // every key already in: open, mkfs, fstab, mount; no key file is written
        HostState h = withKeyDir(after(FORMAT).withKeyCheck(LV_PATH, "data-key-1", true)
                .withKeyCheck(LV_PATH, "data-key-2", true), fs);
        PlanResult r = new ProvisionPlanner(() -> "tok1").plan(spec(), h);
        assertThat(r.isRefused()).isFalse();
        assertThat(r.plan().kinds()).doesNotContain(StepKind.LUKS_ADD_KEY);
        PlanResult open = new StagePlanner(() -> "tok1").luksOpen(LV_PATH, "secure", "data-key-1", h);
        assertThat(open.isRefused()).isFalse();
    }

    @ParameterizedTest(name = "the fact survives every wither ({0})")
    @MethodSource("rows")
    void theFactIsKeptByTheWithers(String fs, boolean refused) {
        HostState h = withKeyDir(HostState.empty(), fs).withMounts(List.of()).withKeyCheck("/dev/x", "k", true);
        assertThat(h.keyDirFs()).isEqualTo(fs);
        assertThat(h.keyDirOnTmpfs()).isEqualTo(fs == null ? java.util.Optional.empty() : java.util.Optional.of(!refused));
    }
}

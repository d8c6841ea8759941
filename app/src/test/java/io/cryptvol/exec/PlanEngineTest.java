package io.cryptvol.exec;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.session.SessionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The one plan path, wired as the session wires it: the real executor under the one dry-run decorator
 * ({@link SessionMode#guard}), the engine asking the session's switch. A changing command that reaches the real
 * executor in a dry run fails these tests.
 */
class PlanEngineTest {

    /** The "host": records what reached it; a changing command in a dry run is a failure of the whole design. */
    static final class Host implements HostExecutor {
        final List<String> reached = Collections.synchronizedList(new ArrayList<>());
        final SessionMode mode;

        Host(SessionMode mode) {
            this.mode = mode;
        }

        @Override
        public ExecResult run(HostCommand c) {
            if (!c.readOnly() && mode.dryRun()) {
                throw new AssertionError("a dry run reached the host with a changing command: " + c.commandLine());
            }
            reached.add((c.readOnly() ? "query " : "change ") + c.description());
            return new ExecResult(0, "observed".getBytes(), new byte[0], Duration.ZERO);
        }

        @Override
        public String target() {
            return "host";
        }
    }

    /** What the view was told, in order. */
    static final class Screen implements PlanEngine.View {
        final List<String> lines = new ArrayList<>();
        final boolean answer;

        Screen(boolean answer) {
            this.answer = answer;
        }

        @Override
        public void show(Plan plan, String target, List<String> notes) {
            lines.add("show " + plan.title() + " on " + target + " " + plan.steps().size() + " steps" + notes);
        }

        @Override
        public void dryRunDone() {
            lines.add("dry run");
        }

        @Override
        public boolean confirm(String question, boolean yes) {
            lines.add("ask " + question + (yes ? " (yes)" : ""));
            return yes || answer;
        }

        @Override
        public void cancelled() {
            lines.add("cancelled");
        }

        @Override
        public void refused(List<Refusal> refusals) {
            lines.add("refused " + refusals.size());
        }

        @Override
        public void replanned(Plan remaining) {
            lines.add("replanned " + remaining.steps().size());
        }

        @Override
        public PlanRunner.Listener progress(HostExecutor executor) {
            return new PlanRunner.Listener() {
                @Override
                public void stepDone(int index, int total, PlanStep step, Duration took) {
                    lines.add("ok " + index + "/" + total);
                }
            };
        }

        @Override
        public void done() {
            lines.add("done");
        }
    }

    final SessionMode mode = new SessionMode();
    final Host host = new Host(mode);
    final HostExecutor session = mode.guard(host);

    PlanEngine engine(Screen screen) {
        return new PlanEngine(() -> session, ref -> new byte[] {1}, PlanRunner.KeyFileTrail.NONE, mode, screen,
                PlanEngine.Effects.NONE);
    }

    /** Observes (a query), and, like a buggy planner, also tries a change while planning. */
    Function<HostExecutor, PlanResult> planner = ex -> {
        ex.run(HostCommand.query("look", "lsblk"));
        ex.run(HostCommand.of("sneaky change while planning", "touch", "/x"));
        return PlanResult.ok(new Plan("Make a VG", List.of(
                PlanStep.of(StepKind.CREATE_PV, HostCommand.of("pvcreate", "pvcreate", "/dev/a")),
                PlanStep.of(StepKind.CREATE_VG, HostCommand.of("vgcreate", "vgcreate", "v", "/dev/a")))));
    };

    static Stream<Arguments> rows() {
        return Stream.of(
                // flag --dry-run, session dry run (replay --dry-run), --yes, answer → outcome, what reached the host
                Arguments.of(true, false, false, false, PlanEngine.Outcome.DRY_RUN, List.of("query look")),
                Arguments.of(true, false, true, true, PlanEngine.Outcome.DRY_RUN, List.of("query look")),
                Arguments.of(false, true, true, true, PlanEngine.Outcome.DRY_RUN, List.of("query look")),
                Arguments.of(true, true, false, false, PlanEngine.Outcome.DRY_RUN, List.of("query look")),
                Arguments.of(false, false, false, false, PlanEngine.Outcome.CANCELLED,
                        List.of("query look", "change sneaky change while planning")),
                Arguments.of(false, false, true, false, PlanEngine.Outcome.RAN,
                        List.of("query look", "change sneaky change while planning", "change pvcreate", "change vgcreate")),
                Arguments.of(false, false, false, true, PlanEngine.Outcome.RAN,
                        List.of("query look", "change sneaky change while planning", "change pvcreate", "change vgcreate")));
    }

    @ParameterizedTest(name = "--dry-run {0}, session dry run {1}, --yes {2}, answer {3} → {4}")
    @MethodSource("rows")
    void aDryRunNeverReachesAChangingCommand(boolean flag, boolean sessionDryRun, boolean yes, boolean answer,
                                             PlanEngine.Outcome expected, List<String> reached) {
        Screen screen = new Screen(answer);
        PlanEngine.Outcome got;
        try (var s = sessionDryRun ? mode.enterDryRun() : mode.enter(false)) {
            got = engine(screen).run(planner, PlanEngine.Options.of(yes, flag));
            assertThat(mode.dryRun()).as("the command's --dry-run ends with the command").isEqualTo(sessionDryRun);
        }
        assertThat(got).isEqualTo(expected);
        assertThat(host.reached).isEqualTo(reached);
        // a session-wide dry run says so in the target, as before; a command's --dry-run shows the target plainly
        String shown = "show Make a VG on " + (sessionDryRun ? "dry-run of host" : "host") + " 2 steps[]";
        assertThat(screen.lines.get(0)).isEqualTo(shown);
        if (expected == PlanEngine.Outcome.DRY_RUN) {
            assertThat(screen.lines).containsExactly(shown, "dry run");
            // the skipped commands and the plan's steps make the combined plan of a dry run
            assertThat(mode.planned()).extracting(HostCommand::description)
                    .containsExactly("sneaky change while planning", "pvcreate", "vgcreate");
            assertThat(mode.plannedSteps()).extracting(PlanStep::kind).containsExactly(StepKind.CREATE_PV, StepKind.CREATE_VG);
        } else {
            assertThat(screen.lines.get(1)).startsWith("ask Run these 2 steps on host?");
        }
        if (expected == PlanEngine.Outcome.RAN) {
            assertThat(screen.lines).endsWith("ok 1/2", "ok 2/2", "done");
        }
    }

    @Test
    void anEc2ChangeRunsItsWorkOnlyAfterAYesAndNeverInADryRun() {
        List<String> work = new ArrayList<>();
        for (boolean flag : List.of(true, false)) {
            for (boolean yes : List.of(true, false)) {
                Screen screen = new Screen(false);
                String r = engine(screen).change(() -> new PlanEngine.Proposal<>("set-1",
                                new Plan("Snapshot v/l", List.of(PlanStep.of(StepKind.SNAPSHOT, HostCommand.of("EC2: snapshot", "ec2")))),
                                "host, i-1", List.of("vol-1  /dev/a"), "Freeze and snapshot?"),
                        PlanEngine.Options.of(yes, flag), subject -> {
                            work.add(subject);
                            return "snapped " + subject;
                        });
                assertThat(screen.lines.get(0)).isEqualTo("show Snapshot v/l on host, i-1 1 steps[vol-1  /dev/a]");
                assertThat(r).isEqualTo(!flag && yes ? "snapped set-1" : null);
            }
        }
        assertThat(work).containsExactly("set-1");
        assertThat(host.reached).isEmpty();
    }

    @Test
    void decideSaysDryRunForTheFlagOrTheSessionWithoutAsking() {
        Screen screen = new Screen(true);
        PlanEngine e = engine(screen);
        assertThat(e.decide("Create?", PlanEngine.Options.of(false, true))).isEqualTo(PlanEngine.Outcome.DRY_RUN);
        try (var s = mode.enterDryRun()) {
            assertThat(e.decide("Create?", PlanEngine.Options.of(true, false))).isEqualTo(PlanEngine.Outcome.DRY_RUN);
        }
        assertThat(screen.lines).isEmpty();
        assertThat(e.decide("Create?", PlanEngine.Options.of(false, false))).isEqualTo(PlanEngine.Outcome.RAN);
        assertThat(new PlanEngine(() -> session, ref -> null, null, mode, new Screen(false), null)
                .decide("Create?", PlanEngine.Options.of(false, false))).isEqualTo(PlanEngine.Outcome.CANCELLED);
        assertThat(e.decide(null, PlanEngine.Options.of(false, false))).isEqualTo(PlanEngine.Outcome.RAN);
        assertThat(screen.lines).containsExactly("ask Create?");
    }

    @Test
    void aRefusalChangesNothingAndSaysSo() {
        Screen screen = new Screen(true);
        assertThatThrownBy(() -> engine(screen).run(ex -> PlanResult.refused(List.of(
                Refusal.of(Refusal.Reason.MOUNTED, "/dev/a", "is mounted"))), PlanEngine.Options.of(true, false)))
                .isInstanceOf(CryptvolException.class).hasMessageStartingWith("refused: ").hasMessageEndingWith("nothing was changed");
        assertThat(screen.lines).containsExactly("refused 1");
        assertThat(host.reached).isEmpty();
    }

    @Test
    void theReplanLoopStopsAfterTenRounds() {
        Screen screen = new Screen(true);
        int[] plans = {0};
        assertThatThrownBy(() -> engine(screen).run(ex -> {
            plans[0]++;
            return PlanResult.ok(new Plan("Open", List.of(
                    PlanStep.of(StepKind.OPEN_MAPPING, HostCommand.of("open", "cryptsetup", "open")).thenReplan())));
        }, PlanEngine.Options.of(true, false))).isInstanceOf(CryptvolException.class)
                .hasMessageContaining("did not converge after " + PlanEngine.MAX_ROUNDS + " rounds");
        assertThat(plans[0]).isEqualTo(PlanEngine.MAX_ROUNDS + 1);
        assertThat(screen.lines).filteredOn(l -> l.startsWith("replanned")).hasSize(PlanEngine.MAX_ROUNDS);
        assertThat(host.reached).hasSize(PlanEngine.MAX_ROUNDS + 1).containsOnly("change open");
    }

    @Test
    void theDecoratorIsTheRealExecutorOutsideADryRun() {
        assertThat(session.changesHost()).isTrue();
        assertThat(session.target()).isEqualTo("host");
        try (var s = mode.enterDryRun()) {
            assertThat(session.changesHost()).isFalse();
            assertThat(session.target()).isEqualTo("dry-run of host");
            assertThatThrownBy(() -> session.converse(HostCommand.of("freeze", "xfs_freeze", "-f", "/m")))
                    .isInstanceOf(HostExecutionException.class);
        }
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.ProcessUse;
import io.cryptvol.domain.plan.DetachPlanner.DetachSpec;
import io.cryptvol.domain.plan.Refusal.Reason;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static io.cryptvol.domain.plan.StepKind.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class DetachPlannerTest {
    static final DetachSpec SPEC = new DetachSpec("/mnt/data", "secure", "myvg");

    static HostState deactivated() {
        HostState h = after(ProvisionStates.ADD_KEY);
        return h.withLvm(h.pvs(), h.vgs(), List.of(stripedLv(false)));
    }

    static Stream<Arguments> steps() {
        return Stream.of(
                arguments("mounted", after(MOUNTED), List.of(UNMOUNT, CLOSE_MAPPING, DEACTIVATE_VG)),
                arguments("open, not mounted", after(FSTAB), List.of(CLOSE_MAPPING, DEACTIVATE_VG)),
                arguments("closed, LV active", after(ProvisionStates.ADD_KEY), List.of(DEACTIVATE_VG)),
                arguments("all down", deactivated(), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void steps(String name, HostState h, List<StepKind> expected) {
        assertThat(new DetachPlanner().plan(SPEC, h).plan().kinds()).isEqualTo(expected);
    }

    @Test
    void exportVgAddsVgexportLast() {
        PlanResult r = new DetachPlanner().plan(new DetachSpec("/mnt/data", "secure", "myvg", true), after(MOUNTED));
        assertThat(r.plan().kinds()).isEqualTo(List.of(UNMOUNT, CLOSE_MAPPING, DEACTIVATE_VG, DEACTIVATE_VG));
        assertThat(r.plan().steps().get(3).commands().get(0).command().argv()).isEqualTo(List.of("vgexport", "myvg"));
    }

    @Test
    void refusesWhileProcessesUseTheMount() {
        HostState h = after(MOUNTED).withProcessUse("/mnt/data",
                List.of(new ProcessUse("postgres", 1234, "F.c..", "postgres")));
        PlanResult r = new DetachPlanner().plan(SPEC, h);
        assertThat(r.refusals()).singleElement().satisfies(x -> {
            assertThat(x.reason()).isEqualTo(Reason.IN_USE);
            assertThat(x.line()).isEqualTo("/mnt/data: refusing to unmount: in use by postgres(1234) (stop them first)");
        });
    }
}

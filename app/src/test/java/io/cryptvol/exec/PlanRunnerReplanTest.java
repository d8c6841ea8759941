package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepKind;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PlanRunnerReplanTest {

    /** Found on the test instance: provision's last step "open (then look again)" must ask for the replan. */
    @Test
    void replanAfterTheLastStepIsStillRequested() {
        PlanStep open = PlanStep.of(StepKind.OPEN_MAPPING, HostCommand.of("open", "true")).thenReplan();
        PlanRunner r = new PlanRunner(new DryRunExecutor(), ref -> new byte[1], null, null);
        assertThat(r.run(new Plan("t", List.of(open))).replanRequested()).isTrue();
        assertThat(r.run(new Plan("t", List.of(PlanStep.of(StepKind.MOUNT, HostCommand.of("m", "true")))))
                .replanRequested()).isFalse();
    }
}

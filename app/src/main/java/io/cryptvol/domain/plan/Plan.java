package io.cryptvol.domain.plan;

import java.util.List;

/** What a planner wants to do, in order, before anything runs. Empty = nothing to do. */
public record Plan(String title, List<PlanStep> steps) {

    public Plan {
        steps = List.copyOf(steps);
    }

    public boolean isEmpty() {
        return steps.isEmpty();
    }

    public List<StepKind> kinds() {
        return steps.stream().map(PlanStep::kind).toList();
    }
}

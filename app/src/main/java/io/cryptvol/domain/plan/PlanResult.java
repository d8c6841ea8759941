package io.cryptvol.domain.plan;

import io.cryptvol.CryptvolException;

import java.util.List;
import java.util.stream.Collectors;

/** A plan, or the reasons there is none. Exactly one of the two is set. */
public record PlanResult(Plan plan, List<Refusal> refusals) {

    public PlanResult {
        refusals = refusals == null ? List.of() : List.copyOf(refusals);
        if ((plan == null) == refusals.isEmpty()) {
            throw new IllegalArgumentException("a plan or refusals, not both or neither");
        }
    }

    public static PlanResult ok(Plan plan) {
        return new PlanResult(plan, List.of());
    }

    public static PlanResult refused(List<Refusal> refusals) {
        return new PlanResult(null, refusals);
    }

    public boolean isRefused() {
        return plan == null;
    }

    public Plan planOrThrow() {
        if (isRefused()) {
            throw new CryptvolException("refused: " + refusals.stream().map(Refusal::line)
                    .collect(Collectors.joining("; ")));
        }
        return plan;
    }
}

package io.cryptvol.shell;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.keys.EnrollmentRecorderTest;
import io.cryptvol.keys.KeyInfo;
import io.cryptvol.keys.KeyStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The shell's plan engine carries the enrollment hook, also for a plan run outside it (restore's host plan). */
class EnrollmentHookShellTest {
    @TempDir
    Path home;

    @Test
    void restoresHostPlanThroughTheHookRecordsTheCopysNewUuid() throws Exception {
        try (ShellHarness shell = new ShellHarness(home, Map.of())) {
            KeyStore store = shell.bean(KeyStore.class);
            store.generate(List.of("k1"), 64);
            store.recordEnrollment("k1", EnrollmentRecorderTest.OLD, 0, "myvg/mylv");
            EnrollmentRecorderTest.FakeHost host = new EnrollmentRecorderTest.FakeHost(EnrollmentRecorderTest.OLD, 0);
            io.cryptvol.exec.PlanEngine plans = shell.bean(io.cryptvol.exec.PlanEngine.class);
            plans.steps(host, new Plan("restore", List.of(PlanStep.of(StepKind.NEW_LUKS_UUID,
                            Cryptsetup.luksUuid(EnrollmentRecorderTest.DEV, EnrollmentRecorderTest.NEW)))));
            assertThat(store.keysFor(EnrollmentRecorderTest.NEW)).extracting(KeyInfo::name).containsExactly("k1");
        }
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.plan.Refusal.Reason;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.cryptvol.domain.plan.ProvisionStates.after;
import static org.assertj.core.api.Assertions.assertThat;

class SanitizePlannerTest {
    final SanitizePlanner planner = new SanitizePlanner();

    static List<String> argv(StepCommand c) {
        return c.command().argv();
    }

    @Test
    void plainThrowawayMappingPerDeviceClosedInAFinally() {
        Plan p = planner.plan(List.of("/dev/nvme1n1", "/dev/nvme2n1"), SanitizePlanner.Method.PLAIN, after(0)).plan();
        assertThat(p.kinds()).containsExactly(StepKind.LOAD_MODULES, StepKind.WIPE_DEVICE, StepKind.WIPE_DEVICE);
        PlanStep w = p.steps().get(1);
        assertThat(w.commands()).extracting(c -> String.join(" ", argv(c))).containsExactly(
                "cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --key-file - /dev/nvme1n1 "
                        + "cryptvol-wipe-nvme1n1",
                "dd if=/dev/zero of=/dev/mapper/cryptvol-wipe-nvme1n1 bs=4M count=1073741824 iflag=count_bytes "
                        + "oflag=direct status=progress");
        assertThat(w.cleanup()).extracting(c -> String.join(" ", argv(c)))
                .containsExactly("cryptsetup close cryptvol-wipe-nvme1n1");
        KeyRef k = w.commands().get(0).stdinKey();
        assertThat(k.ephemeral()).isTrue();
        assertThat(k.randomBytes()).isEqualTo(64);
    }

    @Test
    void luksVariantPinsTheOffsetAndDropsTheHeader() {
        Plan p = planner.plan(List.of("/dev/nvme1n1"), SanitizePlanner.Method.LUKS, after(0)).plan();
        assertThat(p.kinds()).containsExactly(StepKind.LOAD_MODULES, StepKind.WIPE_DEVICE, StepKind.DROP_HEADER);
        PlanStep w = p.steps().get(1);
        assertThat(argv(w.commands().get(0))).containsSequence("--offset", "32768");
        assertThat(argv(w.commands().get(2))).contains("count=" + ((1L << 30) - (16L << 20)));
        assertThat(w.commands().get(0).stdinKey()).isEqualTo(w.commands().get(1).stdinKey());
        assertThat(argv(p.steps().get(2).commands().get(0)))
                .contains("of=/dev/nvme1n1", "count=" + (16L << 20));
    }

    @Test
    void discard() {
        Plan p = planner.plan(List.of("/dev/nvme3n1"), SanitizePlanner.Method.DISCARD, after(0)).plan();
        assertThat(p.steps()).singleElement().satisfies(s ->
                assertThat(s.command().argv()).containsExactly("blkdiscard", "/dev/nvme3n1"));
    }

    @Test
    void refusesDevicesWithSignaturesHoldersOrPvs() {
        HostState h = after(ProvisionStates.LV).withSignature(Signature.of("/dev/nvme0n1", "dos"));
        PlanResult r = planner.plan(List.of("/dev/nvme1n1", "/dev/nvme0n1", "/dev/nvme7n1"),
                SanitizePlanner.Method.PLAIN, h);
        assertThat(r.refusals()).extracting(Refusal::reason).containsExactly(Reason.PV_OF_OTHER_VG,
                Reason.HAS_HOLDERS, Reason.HAS_SIGNATURE, Reason.MOUNTED, Reason.HAS_HOLDERS, Reason.MISSING_DEVICE);
        assertThat(r.refusals().get(0).line()).isEqualTo("/dev/nvme1n1: is a PV of VG myvg");
    }
}

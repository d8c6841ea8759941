package io.cryptvol.stages;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.shell.TerminalPrompt;
import io.cryptvol.shell.NewVolumes;
import io.cryptvol.exec.PlanEngine;
import io.cryptvol.shell.PlanView;
import io.cryptvol.shell.ProvisionCommands;
import io.cryptvol.shell.StageSupport;
import io.cryptvol.shell.Ui;
import io.cryptvol.testvm.TestVm;
import io.cryptvol.testvm.VmTest;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interrupt provision after each step in turn and re-run it: every run gets exactly one more step done
 * and is then cut off (as by a dropped connection) at the start of the next; the chain of re-runs must
 * end in the seed's layout with each creating/formatting command run exactly once (LUKS UUID unchanged).
 * Also an interruption inside the add-key step, after the key file was written: it is shredded anyway.
 */
@VmTest
class ProvisionResumeVmTest {

    @Test
    void interruptedAfterEachStepThenResumedEndsInTheSameLayout(TestVm vm, @org.junit.jupiter.api.io.TempDir java.nio.file.Path keyDir)
            throws Exception {
        TestKeys.generate(keyDir, "k1", "k2");
        List<String> d = ProvisionVmTest.disks(vm, 4, 128 * ProvisionVmTest.MIB);
        long t0 = System.nanoTime();
        List<HostCommand> ran = new ArrayList<>();
        String uuid = null;
        int runs = 0;
        boolean midStepDone = false;
        while (true) {
            runs++;
            assertThat(runs).as("provision converges").isLessThan(25);
            // once, when the add-key step comes: cut it off right at luksAddKey, after the key file was written
            Predicate<HostCommand> failHere = c -> false;
            if (!midStepDone && ran.stream().anyMatch(c -> c.argv().contains("luksFormat"))) {
                failHere = c -> c.argv().contains("luksAddKey");
                midStepDone = true;
            }
            InterruptingExecutor x = new InterruptingExecutor(vm.executor(), 1, failHere);
            String out;
            try {
                out = provision(x, d);
            } catch (CryptvolException e) {
                assertThat(x.interrupted()).as("failed only where interrupted: " + e.getMessage()).isTrue();
                assertThat(e.getMessage()).contains("simulated interruption");
                out = null;
            }
            ran.addAll(x.ran);
            System.out.println("stages: run " + runs + " ran " + x.ran.stream().map(c -> c.argv().get(0)
                    + (c.argv().size() > 1 ? " " + c.argv().get(1) : "")).toList() + (out == null ? " (interrupted)" : ""));
            assertThat(vm.shOk("ls -A /run/cryptvol 2>/dev/null || true").strip()).as("key file shredded").isEmpty();
            String u = vm.sh("cryptsetup luksUUID /dev/cvg/clv 2>/dev/null").out().strip();
            if (uuid == null && !u.isEmpty()) {
                uuid = u;
            }
            if (uuid != null) {
                assertThat(u).as("never re-formatted").isEqualTo(uuid);
            }
            if (out != null) {
                break;
            }
        }
        System.out.printf("stages: provision interrupted %d times, resumed to completion in %.1f s%n", runs - 1,
                (System.nanoTime() - t0) / 1e9);
        assertThat(midStepDone).isTrue();
        assertThat(runs).isGreaterThanOrEqualTo(13);
        ProvisionVmTest.assertSeedLayout(vm, "cvg", "clv", "cmap", "/mnt/c", 2, "aes-xts-plain64");
        assertThat(count(ran, "pvcreate")).isEqualTo(4);
        assertThat(count(ran, "vgcreate")).isEqualTo(1);
        assertThat(count(ran, "lvcreate")).isEqualTo(1);
        assertThat(count(ran, "luksFormat")).isEqualTo(1);
        assertThat(count(ran, "mkfs.xfs")).isEqualTo(1);
        assertThat(vm.shOk("grep -c ' /mnt/c ' /etc/fstab").strip()).isEqualTo("1");
        // one more run: nothing to do
        InterruptingExecutor x = new InterruptingExecutor(vm.executor(), 0);
        assertThat(provision(x, d)).contains("Nothing to do");
        assertThat(x.ran).isEmpty();
    }

    static long count(List<HostCommand> ran, String word) {
        return ran.stream().filter(c -> c.argv().get(0).equals(word) || c.argv().contains(word)).count();
    }

    /** The real provision command code (options as parsed), on a session whose executor is {@code x}. */
    static String provision(io.cryptvol.exec.HostExecutor x, List<String> devices) throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (DumbTerminal t = new DumbTerminal("t", "dumb", new ByteArrayInputStream(new byte[0]), screen,
                StandardCharsets.UTF_8)) {
            SessionContext ctx = new SessionContext();
            HostAccess hosts = new HostAccess(ctx, (target, accept) -> x);
            Ui ui = new Ui(t, false);
            PlanRunner.KeySource keys = TestKeys::read;
            io.cryptvol.session.SessionMode mode = new io.cryptvol.session.SessionMode();
            PlanEngine plans = PlanView.engine(ui, hosts, new TerminalPrompt(null, null, mode), keys,
                    PlanRunner.KeyFileTrail.NONE, mode, null);
            NewVolumes none = (n, s, tg) -> {
                throw new IllegalStateException();
            };
            new ProvisionCommands(plans, new StageSupport(keys, new Inventory(), ctx, mode), none, ui).provision(
                    String.join(",", devices), null, null, "cvg", "clv", "cmap", "/mnt/c", "k1", "k2", null, "4K",
                    "100%VG", null, null, null, null, null, "pbkdf2", null, 1000, null, "xfs", false, false, true, false);
            t.writer().flush();
            return screen.toString(StandardCharsets.UTF_8);
        }
    }
}

package io.cryptvol.keys;

import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.LocalExecutor;
import io.cryptvol.exec.PlanRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 14 item 12: the key ledger does not take shred's exit code for proof. A shred that exits 0 and
 * leaves the file (here: the real local host, with shred swapped for `true`) is a failure, and the copy
 * stays outstanding; a real shred marks it.
 */
class ShredCheckTest {
    @TempDir
    Path dir;

    /** This machine, with {@code shred} answered by {@code true} when {@code lying} (exit 0, file kept). */
    static final class LocalWithShred implements HostExecutor {
        final LocalExecutor real = new LocalExecutor(Duration.ofSeconds(10), "sudo", true);
        final boolean lying;
        final List<List<String>> ran = new ArrayList<>();

        LocalWithShred(boolean lying) {
            this.lying = lying;
        }

        @Override
        public ExecResult run(HostCommand c) {
            ran.add(c.argv());
            if (lying && c.argv().get(0).equals("shred")) {
                return real.run(HostCommand.of(c.description(), "true"));
            }
            return real.run(c);
        }

        @Override
        public String target() {
            return "local";
        }
    }

    @Test
    void aShredThatSaysZeroButLeavesTheFileIsAFailureAndStaysOutstanding() throws Exception {
        KeyLedger ledger = new KeyLedger(dir.resolve("ledger.json"));
        Path copy = Files.writeString(dir.resolve("k.key"), "key bytes");
        LedgerEntry e = ledger.record("local", copy.toString(), "k");

        LedgerShredder.Outcome o = new LedgerShredder(ledger).shredOnTarget(new LocalWithShred(true), e);
        assertThat(o.result()).isEqualTo(LedgerShredder.Result.FAILED);
        assertThat(o.note()).isEqualTo("shred said it succeeded but " + copy + " is still there");
        assertThat(copy).exists();
        assertThat(ledger.outstanding()).extracting(LedgerEntry::id).containsExactly(e.id());

        LocalWithShred honest = new LocalWithShred(false);
        o = new LedgerShredder(ledger).shredOnTarget(honest, e);
        assertThat(o.result()).isEqualTo(LedgerShredder.Result.SHREDDED);
        assertThat(copy).doesNotExist();
        assertThat(ledger.outstanding()).isEmpty();
        assertThat(honest.ran).containsExactly(List.of("shred", "-u", copy.toString()),
                List.of("test", "-e", copy.toString(), "-o", "-L", copy.toString()));
    }

    @Test
    void aDanglingSymlinkLeftBehindCountsAsStillThere() throws Exception {
        KeyLedger ledger = new KeyLedger(dir.resolve("ledger.json"));
        Path link = Files.createSymbolicLink(dir.resolve("k.key"), dir.resolve("nowhere"));
        LedgerEntry e = ledger.record("local", link.toString(), "k");
        LedgerShredder.Outcome o = new LedgerShredder(ledger).shredOnTarget(new LocalWithShred(true), e);
        assertThat(o.gone()).isFalse();
        assertThat(ledger.outstanding()).hasSize(1);
    }

    /** The plan runner's own shred step: the trail (the ledger) hears of it only when the file is gone. */
    @Test
    void aPlanShredStepThatLeavesTheFileFailsAndTheLedgerKeepsTheCopy() throws Exception {
        Path copy = Files.writeString(dir.resolve("k.key"), "key bytes");
        List<String> shredded = new ArrayList<>();
        PlanRunner.KeyFileTrail trail = new PlanRunner.KeyFileTrail() {
            @Override
            public void written(String target, String path, String keyName) {
            }

            @Override
            public void shredded(String target, String path) {
                shredded.add(path);
            }
        };
        io.cryptvol.domain.plan.Plan plan = new io.cryptvol.domain.plan.Plan("t", List.of(io.cryptvol.domain.plan.PlanStep.of(
                io.cryptvol.domain.plan.StepKind.CREATE_PV, io.cryptvol.domain.cmd.KeyFiles.shred(copy.toString()))));
        PlanRunner.Listener quiet = new PlanRunner.Listener() {
        };
        assertThatThrownBy(() -> new PlanRunner(new LocalWithShred(true), ref -> new byte[0], trail, quiet).run(plan))
                .hasMessageContaining("shred exited 0 but " + copy + " is still there");
        assertThat(shredded).isEmpty();

        new PlanRunner(new LocalWithShred(false), ref -> new byte[0], trail, quiet).run(plan);
        assertThat(shredded).containsExactly(copy.toString());
        assertThat(copy).doesNotExist();
    }

    @Test
    void theLocalShredderSaysWhenTheFileIsGone() throws Exception {
        Path f = Files.writeString(dir.resolve("t.key"), "x".repeat(5000));
        assertThat(Shredder.shred(f)).isTrue();
        assertThat(f).doesNotExist();
        assertThat(Shredder.shred(f)).isFalse();
    }
}

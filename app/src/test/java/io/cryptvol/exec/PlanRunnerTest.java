package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepCommand;
import io.cryptvol.domain.plan.StepKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The runner against real local processes. */
class PlanRunnerTest {
    @TempDir
    Path dir;
    final LocalExecutor local = new LocalExecutor(java.time.Duration.ofSeconds(20), "sudo", true);
    final byte[] key = "0123456789abcdef-secret-key-bytes".getBytes(StandardCharsets.US_ASCII);
    final List<String> trail = new ArrayList<>();

    PlanRunner runner(List<String> progress) {
        return new PlanRunner(local, ref -> key.clone(), new PlanRunner.KeyFileTrail() {
            @Override
            public void written(String target, String path, String keyName) {
                trail.add("written " + path + " " + keyName);
            }

            @Override
            public void shredded(String target, String path) {
                trail.add("shredded " + path);
            }
        }, new PlanRunner.Listener() {
            @Override
            public void stepStarted(int i, int n, PlanStep s) {
                progress.add("start " + i + "/" + n);
            }

            @Override
            public void stepDone(int i, int n, PlanStep s, java.time.Duration d) {
                progress.add("done " + i);
            }

            @Override
            public void stepFailed(int i, int n, PlanStep s, String e) {
                progress.add("failed " + i);
            }
        });
    }

    static PlanStep sh(String title, String script) {
        return PlanStep.of(StepKind.CREATE_PV, HostCommand.of(title, "sh", "-c", script));
    }

    @Test
    void runsStepsInOrderAndStopsAtTheFirstFailureWithCommandAndStderr() {
        Path marker = dir.resolve("m");
        List<String> progress = new ArrayList<>();
        Plan plan = new Plan("t", List.of(
                sh("one", "echo 1 >> " + marker),
                sh("two", "echo 'disk on fire' >&2; exit 5"),
                sh("three", "echo 3 >> " + marker)));
        assertThatThrownBy(() -> runner(progress).run(plan))
                .isInstanceOf(PlanRunner.StepFailedException.class)
                .hasMessageContaining("step 2 failed (two)")
                .hasMessageContaining("exit 5")
                .satisfies(e -> assertThat(((PlanRunner.StepFailedException) e).detail()).contains("disk on fire"));
        assertThat(progress).containsExactly("start 1/3", "done 1", "start 2/3", "failed 2");
        assertThat(marker).hasContent("1");
    }

    @Test
    void keyGoesOnlyToStdinAndTheKeyFileIsShreddedEvenWhenTheStepFails() throws Exception {
        Path keyFile = dir.resolve("k.key");
        Path got = dir.resolve("got");
        KeyRef k = KeyRef.named("data-key-1");
        PlanStep step = new PlanStep(StepKind.LUKS_ADD_KEY, "add key", List.of(
                StepCommand.withKey(KeyFiles.write(keyFile.toString()), k),
                StepCommand.of(HostCommand.of("copy", "sh", "-c", "cp \"$1\" \"$2\"; exit 1", "sh",
                        keyFile.toString(), got.toString()))),
                List.of(StepCommand.of(KeyFiles.shred(keyFile.toString()))), false);
        assertThatThrownBy(() -> runner(new ArrayList<>()).run(new Plan("t", List.of(step))))
                .isInstanceOf(PlanRunner.StepFailedException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(new String(key, StandardCharsets.US_ASCII))
                        .doesNotContain(HexFormat.of().formatHex(key)));
        assertThat(Files.readAllBytes(got)).isEqualTo(key);      // the command did get the bytes
        assertThat(keyFile).doesNotExist();                      // and the cleanup ran although the step failed
        assertThat(trail).containsExactly("written " + keyFile + " data-key-1", "shredded " + keyFile);
    }

    @Test
    void secretEchoedToStderrIsRedactedInTheFailure() {
        PlanStep step = new PlanStep(StepKind.LUKS_FORMAT, "leaky", List.of(StepCommand.withKey(
                HostCommand.of("leaky", "sh", "-c", "cat >&2; exit 2"), KeyRef.named("k"))), List.of(), false);
        assertThatThrownBy(() -> runner(new ArrayList<>()).run(new Plan("t", List.of(step))))
                .satisfies(e -> assertThat(((PlanRunner.StepFailedException) e).detail())
                        .doesNotContain(new String(key, StandardCharsets.US_ASCII)).contains(Redactor.MARK));
    }

    @Test
    void stopsAfterAStepThatAsksForAReplan() {
        List<String> progress = new ArrayList<>();
        Plan plan = new Plan("t", List.of(sh("one", "true").thenReplan(), sh("two", "true")));
        PlanRunner.Outcome o = runner(progress).run(plan);
        assertThat(o.replanRequested()).isTrue();
        assertThat(o.stepsRun()).isEqualTo(1);
        assertThat(progress).containsExactly("start 1/2", "done 1");
    }

    @Test
    void ephemeralKeyIsRandomAndSharedWithinARun() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        KeyRef e = KeyRef.ephemeral("wipe", 64);
        Plan plan = new Plan("t", List.of(
                new PlanStep(StepKind.CREATE_PV, "a", List.of(StepCommand.withKey(
                        HostCommand.of("a", "sh", "-c", "cat > \"$1\"", "sh", a.toString()), e)), List.of(), false),
                new PlanStep(StepKind.CREATE_PV, "b", List.of(StepCommand.withKey(
                        HostCommand.of("b", "sh", "-c", "cat > \"$1\"", "sh", b.toString()), e)), List.of(), false)));
        runner(new ArrayList<>()).run(plan);
        assertThat(Files.readAllBytes(a)).hasSize(64).isEqualTo(Files.readAllBytes(b)).isNotEqualTo(new byte[64]);
    }

    /** A listener that needs a command's output gets it; its refusal fails the step, and the cleanup still runs. */
    @Test
    void aCommandsOutputGoesToTheListenerWhoseRefusalFailsTheStepAfterTheCleanup() {
        Path marker = dir.resolve("cleaned");
        PlanStep step = new PlanStep(StepKind.HEADER_BACKUP, "copy back", List.of(
                StepCommand.of(HostCommand.of("print", "sh", "-c", "printf 'abc\\001'")),
                StepCommand.of(HostCommand.of("after", "sh", "-c", "echo ran >> " + dir.resolve("after")))),
                List.of(StepCommand.of(HostCommand.of("cleanup", "sh", "-c", "echo cleaned >> " + marker))), false);
        List<String> seen = new ArrayList<>();
        PlanRunner r = new PlanRunner(local, ref -> key.clone(), null, new PlanRunner.Listener() {
            @Override
            public void commandDone(PlanStep s, HostCommand c, ExecResult result) {
                seen.add(c.description() + " " + HexFormat.of().formatHex(result.stdout()));
                if (c.description().equals("print")) {
                    throw new io.cryptvol.CryptvolException("not what a header looks like");
                }
            }
        });
        assertThatThrownBy(() -> r.run(new Plan("t", List.of(step)))).isInstanceOf(PlanRunner.StepFailedException.class)
                .hasMessageContaining("step 1 failed (copy back): not what a header looks like");
        assertThat(seen).containsExactly("print 61626301"); // binary-safe, and nothing after the refusal ran
        assertThat(dir.resolve("after")).doesNotExist();
        assertThat(marker).hasContent("cleaned");
    }
}

package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DryRunExecutorTest {
    @TempDir
    Path dir;

    private final LocalExecutor local = new LocalExecutor(Duration.ofSeconds(10), "sudo", true);

    @Test
    void recordsAndDoesNotRunChangingCommands() {
        Path file = dir.resolve("created");
        DryRunExecutor dry = new DryRunExecutor(local);
        HostCommand touch = HostCommand.of("Create a file", "touch", file.toString());
        HostCommand format = HostCommand.of("Format", "cryptsetup", "luksFormat", "/dev/x", "--key-file", "-")
                .withSecretStdin(new byte[] {1, 2, 3, 4});
        ExecResult r = dry.run(touch);
        dry.run(format);
        assertThat(file).doesNotExist();
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEmpty();
        assertThat(r.stderr()).isEmpty();
        assertThat(dry.recorded()).containsExactly(touch, format);
        assertThat(dry.skipped()).containsExactly(touch, format);
        assertThat(dry.changesHost()).isFalse();
        assertThat(dry.target()).isEqualTo("dry-run of local");
    }

    @Test
    void runsReadOnlyCommandsThroughTheDelegate() throws Exception {
        Path file = dir.resolve("state");
        Files.writeString(file, "observed");
        DryRunExecutor dry = new DryRunExecutor(local);
        HostCommand look = HostCommand.query("Read the state", "cat", file.toString());
        HostCommand change = HostCommand.of("Remove it", "rm", file.toString());
        assertThat(dry.run(look).out()).isEqualTo("observed");
        dry.run(change);
        assertThat(file).exists();
        assertThat(dry.recorded()).containsExactly(look, change);
        assertThat(dry.skipped()).containsExactly(change);
        assertThat(dry.wouldRun(look)).isTrue();
        assertThat(dry.wouldRun(change)).isFalse();
    }

    @Test
    void withoutDelegateEvenReadOnlyCommandsAreOnlyRecorded() throws Exception {
        Path file = dir.resolve("state");
        Files.writeString(file, "observed");
        DryRunExecutor dry = new DryRunExecutor();
        assertThat(dry.run(HostCommand.query("Read", "cat", file.toString())).stdout()).isEmpty();
        assertThat(dry.skipped()).hasSize(1);
        assertThat(dry.target()).isEqualTo("dry-run");
    }

    @Test
    void queryFactoryKeepsItsFlagsThroughWithers() {
        HostCommand q = HostCommand.query("lsblk", "lsblk", "-J", "-b");
        assertThat(q.readOnly()).isTrue();
        assertThat(q.privileged()).isTrue();
        assertThat(q.withTimeout(Duration.ofSeconds(1)).readOnly()).isTrue();
        assertThat(q.withSecretStdin(new byte[] {1}).readOnly()).isTrue();
        assertThat(q.unprivileged().readOnly()).isTrue();
        HostCommand c = HostCommand.of("pv", "pvcreate", "/dev/x");
        assertThat(c.readOnly()).isFalse();
        assertThat(c.asQuery().readOnly()).isTrue();
        assertThat(new HostCommand(java.util.List.of("true"), null, false, "d", null, true).readOnly()).isFalse();
    }
}

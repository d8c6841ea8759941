package io.cryptvol.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Run-time choices of the launcher's start that a build-time bean set (Spring AOT, tried and dropped: it fixed the
 * beans, the sandbox's included, when the jar was built) got wrong once: no shell for completion, and no
 * {@code --sandbox} side effects without the flag. ({@code --sandbox} itself starting before the command is
 * {@link SandboxAbsentCliTest}'s {@code --sandbox help} row: a run that boots nothing.)
 */
class StartupModeCliTest {

    @TempDir
    Path home;

    private Map<String, String> env() {
        return Map.of("CRYPTVOL_HOME", home.resolve("cryptvol").toString());
    }

    @Test
    void completionRunsNoShell() throws Exception {
        // no arguments reach Spring Shell here: its interactive runner must not start (it printed its prompt
        // into the candidates, and on a terminal it would take the terminal over)
        CliRun r = CliRun.cryptvol(home, env(), "__complete", "devices", "--output", "");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout().lines().toList()).as(r.toString()).containsExactly("json", "table");
        assertThat(r.stderr()).as(r.toString()).isEmpty();
    }

    @Test
    void withoutTheSandboxFlagTheCommandRuns() throws Exception {
        Path elsewhere = home.resolve("not-a-checkout");
        java.nio.file.Files.createDirectories(elsewhere);
        CliRun r = CliRun.cryptvolIn(elsewhere, home, env(), "context");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).as(r.toString()).contains("connected");
        assertThat(r.errorLines()).as(r.toString()).isEmpty();
    }
}

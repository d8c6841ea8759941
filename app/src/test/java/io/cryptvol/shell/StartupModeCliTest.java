package io.cryptvol.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the launcher's start-up mode must not change. scripts/cryptvol starts the jar with Spring AOT's bean
 * definitions (made at build time, see pom.xml), and so does {@link CliRun}: a bean whose existence hangs on a
 * run-time flag would be decided once, when the jar was built. Each case here is a run-time choice that a
 * build-time bean set got wrong once.
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
    void sandboxFlagStartsTheSandboxBeforeTheCommand() throws Exception {
        // started in a directory that is not a checkout: starting the sandbox fails at once with its own message
        // (no image is built, no VM boots), which proves that the start was attempted before the command ran
        Path elsewhere = home.resolve("not-a-checkout");
        java.nio.file.Files.createDirectories(elsewhere);
        CliRun r = CliRun.cryptvolIn(elsewhere, home, env(), "--sandbox", "context");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.errorLines()).as(r.toString()).singleElement().asString()
                .contains("the sandbox needs").contains("scripts/testvm/build.sh");
        assertThat(r.stdout()).as(r.toString()).doesNotContain("connected");
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

package io.cryptvol.shell;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ephemeral setup}'s bad input typed at the prompt of the real shell: one plain line, before any host is
 * looked at (the refusals the host decides are {@code EphemeralPlannerTest}'s and {@code EphemeralVmTest}'s).
 */
class EphemeralShellTest {
    @TempDir
    static Path home;
    static ShellHarness shell;

    @BeforeAll
    static void start() throws Exception {
        shell = new ShellHarness(home, Map.of());
    }

    @AfterAll
    static void stop() {
        shell.close();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ephemeral setup --as bogus                  | error: usage: ephemeral setup --as swap|tmp|mountpoint PATH (not --as 'bogus')",
            "ephemeral setup --as mountpoint             | error: usage: ephemeral setup --as mountpoint PATH",
            "ephemeral setup --as swap /mnt/x            | error: a PATH goes with --as mountpoint only",
            "ephemeral setup --as tmp /tmp               | error: a PATH goes with --as mountpoint only",
            "ephemeral setup --as mountpoint /a /b       | error: usage: ephemeral setup --as swap|tmp|mountpoint PATH (not --as 'mountpoint /a /b')",
            "ephemeral setup                             | error: Missing mandatory option '--as'",
            "ephemeral status -o yaml                    | error: ",
    })
    void badInputIsOnePlainLine(String line, String expected) throws Exception {
        String out = shell.type(line);
        assertThat(out.strip().lines().toList()).as(out).hasSize(1);
        assertThat(out.strip()).startsWith(expected).doesNotContain("\u001b").doesNotContain("Exception");
    }

    @org.junit.jupiter.api.Test
    void controlCharactersAreNeverPrintedRaw() throws Exception {
        String out = shell.type("ephemeral setup --as \"bo\u001b[31mgus\"");
        assertThat(out).doesNotContain("\u001b").contains("bo\\e[31mgus");
    }
}

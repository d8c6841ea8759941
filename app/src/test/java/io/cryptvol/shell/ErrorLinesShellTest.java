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
 * Errors typed at the prompt of the real shell: one line, "error: …", no colour codes when colour is off
 * (Spring Shell's own resolvers print parser errors and unknown commands red whatever the terminal).
 */
class ErrorLinesShellTest {
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
            "volumes list --bogus            | error: Unrecognised option '--bogus'",
            "nosuchcommand                   | error: No command found for 'nosuchcommand' (try 'help')",
            "keys backup                     | error: Missing mandatory option '--name', the key; Missing mandatory option '--to', directory to copy it into (must exist, e.g. a mounted drive)",
            "keys backup k --to /proc        | error: unknown key 'k': see 'keys list'",
            "keys list -o yaml               | error: ",
            // ephemeral setup: bad input is one plain line before any host is looked at (the host's refusals are
            // EphemeralPlannerTest's and EphemeralVmTest's)
            "ephemeral setup --as bogus                  | error: usage: ephemeral setup --as swap|tmp|mountpoint PATH (not --as 'bogus')",
            "ephemeral setup --as mountpoint             | error: usage: ephemeral setup --as mountpoint PATH",
            "ephemeral setup --as swap /mnt/x            | error: a PATH goes with --as mountpoint only",
            "ephemeral setup --as tmp /tmp               | error: a PATH goes with --as mountpoint only",
            "ephemeral setup --as mountpoint /a /b       | error: usage: ephemeral setup --as swap|tmp|mountpoint PATH (not --as 'mountpoint /a /b')",
            "ephemeral setup                             | error: Missing mandatory option '--as'",
            "ephemeral status -o yaml                    | error: ",
    })
    void anErrorIsOnePlainLine(String line, String expected) throws Exception {
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

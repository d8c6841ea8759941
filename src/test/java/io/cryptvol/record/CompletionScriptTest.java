package io.cryptvol.record;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bash completion script, sourced in a real bash: COMP_WORDS/COMP_CWORD are set as bash would, the
 * completion function runs, COMPREPLY is checked. The `cryptvol` it asks is a stub on PATH that starts the
 * real entry point ({@code __complete}) from the compiled classes, so the answers come from the command
 * catalog and the inventory cache exactly as in use.
 */
class CompletionScriptTest {
    @TempDir
    Path tmp;

    @Test
    void bashCompletesCommandsSubcommandsOptionsAndVgNames() throws Exception {
        Path home = tmp.resolve("home");
        Files.createDirectories(home.resolve("state"));
        Files.writeString(home.resolve("state/inventory.json"), "{\"vg\":[\"myvg\",\"othervg\"],\"device\":[\"/dev/nvme1n1\"]}");

        // the application's classpath: main classes and dependencies, not the test classes (their
        // configurations, e.g. the harness's terminal, would be picked up by the component scan)
        String cp = java.util.Arrays.stream(System.getProperty("surefire.test.class.path",
                        System.getProperty("java.class.path")).split(java.io.File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes") && !e.endsWith("test-classes/"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path stub = bin.resolve("cryptvol");
        Files.writeString(stub, "#!/bin/sh\nexec '" + javaBin() + "' -XX:TieredStopAtLevel=1 -Xshare:auto -cp \"$CRYPTVOL_TEST_CP\" "
                + "io.cryptvol.CryptvolApplication \"$@\"\n");
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwx------"));

        Path script = Path.of("completions/cryptvol.bash").toAbsolutePath();
        String test = String.join("\n",
                "set -u",
                "source '" + script + "'",
                "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _cryptvol;"
                        + " echo \"$*|${COMPREPLY[*]}\"; }",
                "t cryptvol re",
                "t cryptvol record st",
                "t cryptvol use vg ''",
                "t cryptvol use vg m",
                "t cryptvol replay x.cvsh --dr",
                "complete -p cryptvol",
                "");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", test).directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("CRYPTVOL_HOME", home.toString());
        pb.environment().put("CRYPTVOL_TEST_CP", cp);
        Process p = pb.start();
        assertThat(p.waitFor(8, TimeUnit.MINUTES)).as("bash finished").isTrue();
        List<String> out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertThat(out).containsExactly(
                "cryptvol re|record replay restore",
                "cryptvol record st|start status stop",
                "cryptvol use vg |myvg othervg",
                "cryptvol use vg m|myvg",
                "cryptvol replay x.cvsh --dr|--dry-run",
                "complete -o filenames -F _cryptvol cryptvol");
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}

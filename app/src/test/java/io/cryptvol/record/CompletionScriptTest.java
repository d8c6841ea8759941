package io.cryptvol.record;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The completion scripts, sourced in a real bash and a real zsh. The `cryptvol` they ask is a stub on PATH
 * that starts the real entry point ({@code __complete}) from the compiled classes, so the answers come from
 * the command catalog and the inventory cache exactly as in use.
 *
 * <p>bash: COMP_WORDS/COMP_CWORD are set as bash would, the completion function runs, COMPREPLY is checked,
 * and each reply is read back the way the shell reads the line it is inserted into. zsh: an interactive zsh
 * in a pseudo-terminal (zpty) gets the keys typed, Tab included, and the line it then holds is split into
 * shell words ({@code ${(z)…}}) and the inserted word is read back by the shell ({@code eval "set -- WORD"}),
 * as it would be when the line runs: an unquoted {@code $(…)} would run there and leave its mark.
 *
 * <p>The inventory holds hostile mountpoints (as a host's mount table can): command substitution, backticks,
 * globs, quotes, spaces, a newline and an escape sequence. None may run; each must come back as one literal
 * word, or (newline, control characters) not be offered at all.
 */
class CompletionScriptTest {
    @TempDir
    Path tmp;
    Path home;
    Path bin;
    String cp;

    /** The hostile mountpoints; {@code MARK} is replaced by a path in the temp directory. */
    static final String SUBST = "/home/u/a$(touch${IFS}MARK1)";
    static final String BACKTICK = "/home/u/b`touch MARK2`";
    static final String GLOB = "/mnt/c d*";
    static final String QUOTES = "/mnt/e'f\"g $HOME";
    static final String NEWLINE = "/mnt/n\n$(touch${IFS}MARK3)";
    static final String ESCAPE = "/mnt/x\u001b]0;TITLE\u0007";

    String subst;
    String backtick;
    Path[] marks;

    @BeforeEach
    void setUp() throws IOException {
        home = tmp.resolve("home");
        Files.createDirectories(home.resolve("state"));
        marks = new Path[] {tmp.resolve("pwned1"), tmp.resolve("pwned2"), tmp.resolve("pwned3")};
        subst = SUBST.replace("MARK1", marks[0].toString());
        backtick = BACKTICK.replace("MARK2", marks[1].toString());
        String newline = NEWLINE.replace("MARK3", marks[2].toString());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Files.writeString(home.resolve("state/inventory.json"), json.writeValueAsString(Map.of("version", 2, "targets", Map.of(
                "local", Map.of("vg", List.of("myvg", "othervg"), "device", List.of("/dev/nvme1n1"),
                        "mountpoint", List.of(subst, backtick, GLOB, QUOTES, newline, ESCAPE))))));

        // the application's classpath: main classes and dependencies, not the test classes (their
        // configurations, e.g. the harness's terminal, would be picked up by the component scan)
        cp = java.util.Arrays.stream(System.getProperty("surefire.test.class.path",
                        System.getProperty("java.class.path")).split(java.io.File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes") && !e.endsWith("test-classes/"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        bin = Files.createDirectories(tmp.resolve("bin"));
        Path stub = bin.resolve("cryptvol");
        Files.writeString(stub, "#!/bin/sh\nexec '" + javaBin() + "' -XX:TieredStopAtLevel=1 -Xshare:auto -cp \"$CRYPTVOL_TEST_CP\" "
                + "io.cryptvol.CryptvolApplication \"$@\"\n");
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void bashCompletesCommandsSubcommandsOptionsAndVgNames() throws Exception {
        List<String> out = bash(String.join("\n",
                "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _cryptvol;"
                        + " echo \"$*|${COMPREPLY[*]}\"; }",
                "t cryptvol re",
                "t cryptvol record st",
                "t cryptvol use vg ''",
                "t cryptvol use vg m",
                "t cryptvol replay x.cvsh --dr",
                "complete -p cryptvol",
                ""));
        assertThat(out).containsExactly(
                "cryptvol re|record replay restore",
                "cryptvol record st|start status stop",
                "cryptvol use vg |myvg othervg",
                "cryptvol use vg m|myvg",
                "cryptvol replay x.cvsh --dr|--dry-run",
                "complete -F _cryptvol cryptvol");
    }

    /**
     * Tab after {@code umount --mountpoint}: every hostile candidate is offered, quoted so that the line it is
     * inserted into reads back as exactly that one word; nothing ran, neither while completing nor when the
     * line is read back; the candidates with a newline or an escape sequence are not offered.
     */
    @Test
    void bashNeverEvaluatesACandidateAndQuotesEachAsOneLiteralWord() throws Exception {
        List<String> out = bash(String.join("\n",
                "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _cryptvol;"
                        + " local r; for r in \"${COMPREPLY[@]}\"; do eval \"set -- $r\"; printf '%d|%s\\n' $# \"$1\"; done; echo end; }",
                "t cryptvol umount --mountpoint ''",
                "t cryptvol umount --mountpoint /home/u/a",
                "t cryptvol umount --mountpoint '/mnt/c d'",
                "t cryptvol umount --mountpoint /mnt/c\\ d",
                ""));
        String literal = "1|";
        assertThat(out).containsExactly(
                literal + subst, literal + backtick, literal + GLOB, literal + QUOTES, "end",
                literal + subst, "end",
                literal + GLOB, "end",
                literal + GLOB, "end");
        assertNothingRan();
    }

    /** The same in zsh, through its completion system: keys typed into an interactive zsh, Tab included. */
    @Test
    void zshNeverEvaluatesACandidateAndInsertsEachAsOneLiteralWord() throws Exception {
        assertThat(which("zsh")).as("zsh is installed (the CI script installs it)").isTrue();
        Path outFile = tmp.resolve("zsh.out");
        Path ready = tmp.resolve("zsh.ready");
        Path script = Path.of("completions/_cryptvol").toAbsolutePath();
        // each prefix completes to exactly one candidate, which zsh then inserts in full
        List<String> prefixes = List.of("/home/u/a", "/home/u/b", "/mnt/c", "/mnt/e", "/mnt/n", "/mnt/x");
        StringBuilder drive = new StringBuilder(String.join("\n",
                "zmodload zsh/zpty || exit 3",
                "zpty -b z 'zsh -f -i' || exit 4",
                "zpty -w z 'PS1=\"> \"; autoload -Uz compinit; compinit -u -D; source " + sq(script.toString()) + "'",
                "zpty -w z 'dump() { local -a w; w=(${(z)BUFFER}); eval \"set -- ${w[4]}\"; print -r -- \"${#w}|$#|$1\" >> " + sq(outFile.toString())
                        + "; BUFFER=\"\"; }; zle -N dump; bindkey \"^X\" dump; : > " + sq(ready.toString()) + "'",
                "wait_for() { local i; for i in {1..1200}; do eval \"$1\" && return 0; sleep 0.1; done; return 1; }",
                "wait_for '[[ -e " + sq(ready.toString()) + " ]]' || exit 5",
                "n=0",
                ""));
        for (String p : prefixes) {
            drive.append("zpty -w -n z ").append(sq("cryptvol umount --mountpoint " + p)).append("$'\\t'\n")
                    .append("zpty -w -n z $'\\C-x'\n")
                    .append("(( n++ ))\n")
                    .append("wait_for '[[ -e ").append(sq(outFile.toString())).append(" ]] && (( $(wc -l < ")
                    .append(sq(outFile.toString())).append(") >= n ))' || exit 6\n");
        }
        drive.append("zpty -d z\n");
        Path driver = tmp.resolve("drive.zsh");
        Files.writeString(driver, drive.toString());
        ProcessBuilder pb = new ProcessBuilder("zsh", "-f", driver.toString()).directory(tmp.toFile()).redirectErrorStream(true);
        environment(pb);
        Process p = pb.start();
        assertThat(p.waitFor(8, TimeUnit.MINUTES)).as("zsh finished").isTrue();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("zsh driver exit; output:%n%s", log).isZero();
        List<String> lines = Files.readAllLines(outFile);
        // command, option, one word that the shell reads back as the candidate itself; the newline and escape
        // candidates are not offered, so Tab falls back to file names, and none match: the word stays as typed
        assertThat(lines).containsExactly(
                "4|1|" + subst,
                "4|1|" + backtick,
                "4|1|" + GLOB,
                "4|1|" + QUOTES,
                "4|1|/mnt/n",
                "4|1|/mnt/x");
        assertNothingRan();
    }

    private void assertNothingRan() {
        for (Path m : marks) {
            assertThat(m).as("a candidate was evaluated").doesNotExist();
        }
    }

    private List<String> bash(String body) throws Exception {
        Path script = Path.of("completions/cryptvol.bash").toAbsolutePath();
        String test = "set -u\nsource " + sq(script.toString()) + "\n" + body;
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", test).directory(tmp.toFile()).redirectErrorStream(true);
        environment(pb);
        Process p = pb.start();
        assertThat(p.waitFor(8, TimeUnit.MINUTES)).as("bash finished").isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }

    private void environment(ProcessBuilder pb) {
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("CRYPTVOL_HOME", home.toString());
        pb.environment().put("CRYPTVOL_TEST_CP", cp);
        pb.environment().put("HOME", tmp.toString());
    }

    private static boolean which(String program) throws Exception {
        return new ProcessBuilder("sh", "-c", "command -v " + program).start().waitFor() == 0;
    }

    /** A single-quoted shell word. */
    private static String sq(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}

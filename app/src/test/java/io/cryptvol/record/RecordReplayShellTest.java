package io.cryptvol.record;

import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import io.cryptvol.shell.ShellHarness;
import org.jline.reader.History;
import org.jline.reader.LineReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Records a session at the prompt and replays it, as a user would. */
class RecordReplayShellTest {
    @TempDir
    Path home;
    @TempDir
    Path work;
    ShellHarness shell;

    @BeforeEach
    void start() throws Exception {
        shell = new ShellHarness(home, Map.of());
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    private List<String> commandLines(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    }

    @Test
    void recordsOnlyWhatSucceededAndReplayGivesTheSameContext() throws Exception {
        Path file = work.resolve("session.cvsh");
        assertThat(shell.type("record start " + file)).contains("recording to " + file);
        shell.type("use vg myvg");
        shell.type("use lv mylv");
        shell.type("context");
        assertThat(shell.type("use colour blue")).contains("error: cannot use 'colour'");
        shell.type("no-such-command at all");
        assertThat(shell.type("record status")).contains("recording to " + file).contains("(2 commands)");
        assertThat(shell.type("record stop")).contains("recording stopped: 2 commands");

        String text = Files.readString(file);
        assertThat(text).containsPattern("(?m)^# date: +\\d{4}-\\d\\d-\\d\\dT")
                .containsPattern("(?m)^# cryptvol: +\\S+")
                .containsPattern("(?m)^# target: +local$");
        assertThat(commandLines(file)).containsExactly("use vg myvg", "use lv mylv");
        shell.type("use vg other"); // after stop: not recorded
        assertThat(commandLines(file)).hasSize(2);

        // a fresh session, nothing selected
        shell.close();
        Files.delete(home.resolve("config/context.json"));
        shell = new ShellHarness(home, Map.of());
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        String out = shell.type("replay " + file + " --yes");
        assertThat(out).contains("[1/2] " + file + ":6  use vg myvg")
                .contains("[2/2] " + file + ":7  use lv mylv")
                .contains("replayed 2 commands");
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg/mylv]> ");
    }

    @Test
    void stopParameterizeTurnsTheValuesIntoVariablesThatReplayCanChange() throws Exception {
        Path file = work.resolve("p.cvsh");
        shell.type("record start " + file);
        shell.type("use vg myvg");
        shell.type("use lv mylv");
        assertThat(shell.type("keys generate k1 k2")).contains("generated key 'k2'");
        shell.type("use mapping m");
        assertThat(shell.type("record stop --parameterize")).contains("recording stopped: 4 commands")
                .contains("parameterized: 5 variables (vg, lv, key1, key2, mapping)");

        assertThat(Files.readString(file)).containsPattern("(?m)^# Replay: .*\n# Variables: vg, lv, key1, key2, mapping "
                + "\\(override with --var NAME=VALUE\\)\nset vg=myvg\nset lv=mylv\nset key1=k1\nset key2=k2\nset mapping=m\n\n"
                + "use vg \"\\$\\{vg}\"\n");
        assertThat(commandLines(file)).containsExactly("set vg=myvg", "set lv=mylv", "set key1=k1", "set key2=k2", "set mapping=m",
                "use vg \"${vg}\"", "use lv \"${lv}\"", "keys generate \"${key1}\" \"${key2}\"", "use mapping \"${mapping}\"");

        String out = shell.type("replay " + file + " --yes --var vg=other --var key1=k3 --var key2=k4");
        assertThat(out).contains("use vg other").contains("keys generate k3 k4").contains("replayed 4 commands");
        assertThat(shell.prompt()).startsWith("cryptvol [other/mylv");
        assertThat(shell.type("help record stop")).contains("--parameterize").contains("replay --var NAME=VALUE");
    }

    @Test
    void stopsAtTheFailingLineAndResumesFromIt() throws Exception {
        Path file = work.resolve("s.cvsh");
        Files.writeString(file, String.join("\n",
                "# three lines, the second one wrong",
                "use vg myvg",
                "use mountpoint relative/path",
                "use lv mylv",
                ""));
        String out = shell.type("replay " + file + " --yes");
        assertThat(out).contains("[1/3]").contains("[2/3] " + file + ":3");
        assertThat(out).doesNotContain("[3/3]");
        assertThat(out).contains("error: replay stopped at " + file + ":3 (command 2 of 3) 'use mountpoint relative/path'")
                .contains("mountpoint 'relative/path': must be an absolute path")
                .contains("resume with: replay " + file + " --from-line 3 --yes");
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg]> ");

        Files.writeString(file, Files.readString(file).replace("relative/path", "/mnt/data"));
        shell.type("use vg elsewhere");
        out = shell.type("replay " + file + " --from-line 3 --yes");
        assertThat(out).contains("[1/2] " + file + ":3  use mountpoint /mnt/data").contains("[2/2] " + file + ":4");
        assertThat(shell.prompt()).isEqualTo("cryptvol [elsewhere/mylv @/mnt/data]> ");
    }

    @Test
    void varsAreSubstitutedAndCheckedBeforeAnythingRuns() throws Exception {
        Path file = work.resolve("v.cvsh");
        Files.writeString(file, String.join("\n",
                "set lv=data",
                "use vg ${vg}",
                "use lv ${lv}",
                "use mountpoint ${mnt:-/mnt/${lv}}",
                ""));
        String out = shell.type("replay " + file + " --yes");
        assertThat(out.strip()).isEqualTo("error: " + file + ":2: ${vg} is not set: give --var vg=VALUE, or add 'set vg=VALUE' before this line");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");

        out = shell.type("replay " + file + " --yes --var vg=myvg --var lv=other");
        assertThat(out).contains("use vg myvg").contains("use lv other");
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg/other @/mnt/other]> ");
    }

    @Test
    void unknownCommandsAreRefusedUpFront() throws Exception {
        Path file = work.resolve("u.cvsh");
        Files.writeString(file, "use vg myvg\nfrobnicate now\n");
        String out = shell.type("replay " + file + " --yes");
        assertThat(out.strip()).isEqualTo("error: " + file + ":2: no such command: frobnicate now");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
    }

    @Test
    void asksOnceUpFrontWithoutYes() throws Exception {
        Path file = work.resolve("a.cvsh");
        Files.writeString(file, "use vg myvg\nuse lv mylv\n");
        shell.keys("n\n");
        String out = shell.type("replay " + file);
        assertThat(out).contains("Run 2 commands from " + file + " on local? [y/N]").contains("error: replay cancelled");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        shell.keys("y\n");
        out = shell.type("replay " + file);
        assertThat(out).contains("replayed 2 commands");
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg/mylv]> ");
    }

    @Test
    void aScriptThatConnectsElsewhereIsAnnouncedWithThatTargetAndItsLinesBeforeAnyQuestion() throws Exception {
        Path file = work.resolve("elsewhere.cvsh");
        Files.writeString(file, String.join("\n",
                "# looks harmless",
                "use vg myvg",
                "connect root@10.0.0.5 --identity /keys/admin",
                "snapshot --pre \"${pre}\" --post true",
                "set lv='a\u001b]0;T\u0007b'",
                "use lv ${lv}",
                ""));
        shell.keys("n\n");
        String out = shell.type("replay " + file + " --var 'pre=touch /tmp/pwned'");
        int question = out.indexOf("Run 4 commands from " + file + " on local, then root@10.0.0.5? [y/N]");
        assertThat(question).as(out).isPositive();
        String before = out.substring(0, question);
        assertThat(before).contains("Replay of " + file + ": 4 commands on local, then root@10.0.0.5")
                .contains(file + ":2  use vg myvg")
                .containsPattern(java.util.regex.Pattern.quote(file + ":3  connect root@10.0.0.5 --identity /keys/admin")
                        + " +→ now on root@10.0.0.5")
                .contains(file + ":4  snapshot --pre 'touch /tmp/pwned' --post true")
                .contains("! runs host code from the script as root (sh -c) on root@10.0.0.5: --pre 'touch /tmp/pwned', --post true")
                .contains(file + ":6  use lv 'a\\e]0;T\\ab'")
                .doesNotContain("\u001b").doesNotContain("\u0007");
        assertThat(out).contains("error: replay cancelled; nothing was run").doesNotContain("[1/4]");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        assertThat(shell.bean(SessionContext.class).target().isLocal()).isTrue();
    }

    @Test
    void aPipedYCannotShredAKeyWithNoBackups() throws Exception {
        assertThat(shell.type("keys generate k0")).contains("generated key 'k0'");
        io.cryptvol.keys.KeyStore store = shell.bean(io.cryptvol.keys.KeyStore.class);
        Path file = work.resolve("shred.cvsh");
        Files.writeString(file, "use vg myvg\nkeys shred k0 --retire --yes\n");

        // a piped 'y' to every question: the first one is answered, the key name is not
        shell.keys("y\ny\ny\n");
        String out = shell.type("replay " + file);
        assertThat(out).contains(file + ":2  keys shred k0 --retire --yes")
                .contains("! destroys: scrubs key 'k0' and every backup of it")
                .contains("Type 'k0' to allow it")
                .contains("error: not confirmed: " + file + ":2 'keys shred k0 --retire --yes' scrubs key 'k0'")
                .doesNotContain("[1/2]");
        assertThat(store.list()).extracting(k -> k.name()).containsExactly("k0");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        shell.type("version"); // the unread 'y's are not left for the next question
        drain();

        // --yes does not answer it either
        shell.keys("y\n");
        out = shell.type("replay " + file + " --yes");
        assertThat(out).contains("Type 'k0' to allow it").contains("error: not confirmed").doesNotContain("[1/2]");
        assertThat(store.list()).extracting(k -> k.name()).containsExactly("k0");
        drain();

        // no one at a terminal: refused in one line, before anything is shown or asked
        out = typeWithoutATerminal("replay " + file + " --yes");
        assertThat(out.strip().lines()).hasSize(1);
        assertThat(out.strip()).isEqualTo("error: " + file + ":2 'keys shred k0 --retire --yes' scrubs key 'k0' and every "
                + "backup of it (the last copy: a volume that needs it is lost): a replay runs it only when you type 'k0' at "
                + "a terminal, or with --yes-destroy; nothing was run");
        assertThat(store.list()).extracting(k -> k.name()).containsExactly("k0");

        // typing the name allows it (the check above can fail)
        shell.keys("k0\n");
        out = shell.type("replay " + file + " --yes");
        assertThat(out).contains("[2/2]").contains("replayed 2 commands");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void withoutATerminalAndWithoutYesAReplayRefusesInOneLine() throws Exception {
        Path file = work.resolve("n.cvsh");
        Files.writeString(file, "use vg myvg\nuse lv mylv\n");
        String out = typeWithoutATerminal("replay " + file);
        assertThat(out.strip()).isEqualTo("error: not replaying " + file + " (2 commands on local) without a yes, and no one "
                + "can answer here: check it with --dry-run, then add --yes");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        assertThat(shell.type("replay " + file + " --yes")).contains("Replay of " + file + ": 2 commands on local")
                .contains("replayed 2 commands");
        assertThat(shell.prompt()).isEqualTo("cryptvol [myvg/mylv]> ");
    }

    @Test
    void appendAddsOnlyToAnExistingCryptvolScript() throws Exception {
        Path jar = work.resolve("app.jar");
        Files.write(jar, new byte[] {'P', 'K', 3, 4, 20, 0, 8, 0, 0, 0, (byte) 0xc3, 0x28, 'M', 'E', 'T', 'A'});
        Path bashrc = work.resolve(".bashrc");
        Files.writeString(bashrc, "alias ll='ls -l'\nexport PATH=$HOME/bin:$PATH\n");
        Path binary = work.resolve("data.cvsh");
        Files.write(binary, new byte[] {'u', 's', 'e', ' ', 0, 1, 2, '\n'});
        Path broken = work.resolve("broken.cvsh");
        Files.writeString(broken, "use vg 'unterminated\n");
        Path dir = work.resolve("dir.cvsh");
        Files.createDirectory(dir);
        Map<Path, String> refusals = new java.util.LinkedHashMap<>();
        refusals.put(jar, "binary content, not a cryptvol script");
        refusals.put(bashrc, "not a cryptvol script (a recording starts with '# cryptvol recording', a script's name ends "
                + "in .cvsh); record to a new file");
        refusals.put(binary, "binary content, not a cryptvol script");
        refusals.put(broken, "not a cryptvol script: " + broken + ":1: unterminated ' quote");
        refusals.put(dir, "not a regular file");
        for (Map.Entry<Path, String> r : refusals.entrySet()) {
            byte[] before = Files.isRegularFile(r.getKey()) ? Files.readAllBytes(r.getKey()) : null;
            String out = shell.type("record start " + r.getKey() + " --append");
            assertThat(out.strip()).isEqualTo("error: not appending to " + r.getKey() + ": " + r.getValue());
            if (before != null) {
                assertThat(Files.readAllBytes(r.getKey())).isEqualTo(before);
            }
            assertThat(shell.type("record status")).contains("not recording");
        }

        // without --append an existing file is refused, a recording too
        Path rec = work.resolve("rec.txt");
        shell.type("record start " + rec);
        shell.type("use vg myvg");
        shell.type("record stop");
        String recorded = Files.readString(rec);
        assertThat(shell.type("record start " + rec).strip())
                .isEqualTo("error: " + rec + " exists: choose another file, or add --append");
        assertThat(Files.readString(rec)).isEqualTo(recorded);

        // a recording (by its header) and a hand-written .cvsh without a final newline take --append
        assertThat(shell.type("record start " + rec + " --append")).contains("recording to " + rec);
        shell.type("use lv mylv");
        shell.type("record stop");
        assertThat(Files.readString(rec)).startsWith(recorded).contains("# cryptvol recording (continued)");
        assertThat(commandLines(rec)).containsExactly("use vg myvg", "use lv mylv");
        Path hand = work.resolve("hand.cvsh");
        Files.writeString(hand, "set vg=a\nuse vg ${vg}");
        assertThat(shell.type("record start " + hand + " --append")).contains("recording to " + hand);
        shell.type("use mapping m");
        shell.type("record stop");
        assertThat(commandLines(hand)).containsExactly("set vg=a", "use vg ${vg}", "use mapping m");
    }

    @Test
    void fromLineMustBeALineOfTheFile() throws Exception {
        Path file = work.resolve("f.cvsh");
        Files.writeString(file, "# header\nuse vg myvg\nuse lv mylv\n");
        for (String bad : List.of("-5", "0", "4", "99")) {
            String out = shell.type("replay " + file + " --yes --from-line " + bad);
            assertThat(out.strip()).isEqualTo("error: --from-line " + bad + " is not a line of " + file + " (1 to 3)");
        }
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
        assertThat(shell.type("replay " + file + " --yes --from-line 3")).contains("[1/1] " + file + ":3  use lv mylv");
        assertThat(shell.bean(SessionContext.class).lv()).isEqualTo("mylv");
        assertThat(shell.bean(SessionContext.class).vg()).isNull();
    }

    /** A secret of the script (${?name}) is typed at a terminal only: without one, even --yes refuses before line 1. */
    @Test
    void withoutATerminalASecretOfTheScriptIsRefusedBeforeAnythingRuns() throws Exception {
        Path file = work.resolve("s.cvsh");
        Files.writeString(file, "use vg myvg\nmodules load --passphrase ${?pass_phrase}\n");
        String out = typeWithoutATerminal("replay " + file + " --yes");
        assertThat(out.strip()).isEqualTo("error: ${?pass_phrase} is a secret typed at the terminal, and nobody can answer "
                + "here; nothing was run (replay it at a terminal)");
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
    }

    /**
     * Runs a line that must fail in the non-interactive mode (no terminal to ask on); returns the screen. The shell
     * then reports the failure with an exception carrying the exit code, which must be 2 (bad input, nothing run).
     */
    /** Runs a line as in one-command mode (no terminal): the error line must be on stderr, and only there. */
    private String typeWithoutATerminal(String line) throws Exception {
        var sc = shell.bean(org.springframework.shell.context.ShellContext.class);
        String version = shell.type("version");
        sc.setInteractionMode(org.springframework.shell.context.InteractionMode.NONINTERACTIVE);
        Integer code = null;
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            shell.type(line);
        } catch (RuntimeException e) {
            assertThat(e).isInstanceOf(org.springframework.boot.ExitCodeGenerator.class);
            code = ((org.springframework.boot.ExitCodeGenerator) e).getExitCode();
        } finally {
            System.setErr(stderr);
            sc.setInteractionMode(org.springframework.shell.context.InteractionMode.INTERACTIVE);
        }
        String out = shell.type("version");
        assertThat(out).endsWith(version);
        assertThat(out.substring(0, out.length() - version.length())).as("stdout").doesNotContain("error:");
        String text = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).startsWith("error: ");
        assertThat(text.strip().lines()).hasSize(1);
        assertThat(code).as(text).isEqualTo(2);
        return text;
    }

    /** Reads what is left of the typed keys, so that the next question starts clean. */
    private void drain() throws Exception {
        var in = shell.bean(org.jline.terminal.Terminal.class).reader();
        while (in.peek(50) >= 0) {
            in.read();
        }
    }

    @Test
    void dryRunLeavesTheSessionAsItWasAndTurnsTheModeOnForEachLine() throws Exception {
        Path file = work.resolve("d.cvsh");
        Files.writeString(file, "use vg myvg\nuse lv mylv\n");
        SessionMode mode = shell.bean(SessionMode.class);
        boolean[] seen = {false, false};
        shell.bean(SessionContext.class).addListener(c -> {
            seen[0] |= mode.dryRun();
            seen[1] |= mode.assumeYes();
        });
        String out = shell.type("replay " + file + " --dry-run");
        assertThat(out).contains("[2/2]").contains("Dry run of " + file + ": 2 commands, nothing was changed.");
        assertThat(seen).containsExactly(true, true);
        assertThat(mode.dryRun()).isFalse();
        assertThat(mode.assumeYes()).isFalse();
        assertThat(shell.prompt()).isEqualTo("cryptvol> ");
    }

    @Test
    void aDryRunRefusesKeysVerifyWhichRecordsItsChecksInTheKeyStore() throws Exception {
        shell.type("keys generate k1");
        Path meta = shell.bean(io.cryptvol.keys.KeyStore.class).metadataFile();
        byte[] before = Files.readAllBytes(meta);
        Path file = work.resolve("verify.cvsh");
        Files.writeString(file, "use vg myvg\nkeys verify\n");
        String out = shell.type("replay " + file + " --dry-run");
        assertThat(out.strip()).isEqualTo("error: " + file + ":2: 'keys verify' has no dry run (it would change something "
                + "and cannot show a plan); nothing was run");
        assertThat(Files.readAllBytes(meta)).isEqualTo(before);
        assertThat(shell.type("replay " + file + " --yes")).contains("all 1 copies verified").contains("replayed 2 commands");
    }

    @Test
    void recordingsAndHistoryNeverHoldSecretValues() throws Exception {
        // the recorder's line (a command with a secret option, as a future 'luks format' will have)
        assertThat(RecordRules.line(List.of("luks", "format", "/dev/vg/lv", "--key", "k1", "--passphrase", "hunter2")))
                .isEqualTo("luks format /dev/vg/lv --key k1 --passphrase ${?passphrase}");
        assertThat(RecordRules.line(List.of("luks", "add-key", "--new-passphrase=s3cret word")))
                .isEqualTo("luks add-key --new-passphrase ${?new_passphrase}");

        // history as the line reader keeps it
        LineReader reader = shell.bean(LineReader.class);
        for (String line : List.of("use vg myvg", "luks format /dev/x --passphrase hunter2",
                "luks open /dev/x m '--passphrase=two words'", "use lv mylv")) {
            shell.keys(line + "\n");
            assertThat(reader.readLine("> ")).isEqualTo(line);
        }
        History history = shell.bean(History.class);
        history.save();
        String saved = Files.readString(home.resolve("history"));
        assertThat(saved).contains("use vg myvg").contains("use lv mylv")
                .doesNotContain("hunter2").doesNotContain("two words").doesNotContain("passphrase");
        List<String> inMemory = new java.util.ArrayList<>();
        history.forEach(e -> inMemory.add(e.line()));
        assertThat(inMemory).containsExactly("use vg myvg", "use lv mylv");
    }
}

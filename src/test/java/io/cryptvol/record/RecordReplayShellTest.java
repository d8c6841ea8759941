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
                + "use vg \\$\\{vg}\n");
        assertThat(commandLines(file)).containsExactly("set vg=myvg", "set lv=mylv", "set key1=k1", "set key2=k2", "set mapping=m",
                "use vg ${vg}", "use lv ${lv}", "keys generate ${key1} ${key2}", "use mapping ${mapping}");

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

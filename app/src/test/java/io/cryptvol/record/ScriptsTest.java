package io.cryptvol.record;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The ready scripts in scripts/*.cvsh parse with their default variables, and every line names a command
 * of the plan below, so that renaming a command breaks this test rather than the scripts. Each script is
 * also replayed with --dry-run through the real shell (ScriptsDryRunTest) and for real on the sandbox
 * (ScriptsVmTest).
 */
class ScriptsTest {

    /** The commands the scripts may use (the lead's plan). */
    static final Set<String> COMMANDS = Set.of(
            "connect", "use", "keys generate", "keys backup", "modules load", "sanitize", "pv create", "vg create",
            "lv create", "luks format", "luks add-key", "luks open", "fs make", "fstab add", "mount", "provision",
            "volumes create", "detach", "unlock", "grow", "snapshot", "restore");

    /** Variables a script cannot default (the replay refuses to start without them). */
    static final Map<String, Map<String, String>> REQUIRED = Map.of("restore.cvsh", Map.of("snapshot_set", "set-0123"));

    static Stream<Path> scripts() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("scripts"))) {
            return s.filter(p -> p.toString().endsWith(".cvsh")).sorted(Comparator.naturalOrder()).toList().stream();
        }
    }

    @Test
    void everyScenarioHasAScript() throws IOException {
        assertThat(scripts().map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                "setup-volumes.cvsh", "provision.cvsh", "unlock-after-reboot.cvsh", "grow.cvsh", "snapshot.cvsh",
                "restore.cvsh", "detach.cvsh");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void parsesWithDefaultsAndNamesOnlyKnownCommands(Path file) throws IOException {
        String name = file.getFileName().toString();
        String text = Files.readString(file);
        Map<String, String> required = REQUIRED.getOrDefault(name, Map.of());
        for (String var : required.keySet()) {
            assertThatThrownBy(() -> ScriptFormat.parse(name, text, Map.of()))
                    .hasMessageContaining("${" + var + "} is not set");
        }
        Script script = ScriptFormat.parse(name, text, required);
        assertThat(script.commands()).isNotEmpty();
        assertThat(text).startsWith("#").contains("cryptvol replay scripts/" + name);
        for (Script.Line line : script.commands()) {
            List<String> words = line.words().stream().map(Script.Word::text).toList();
            String two = words.size() > 1 ? words.get(0) + " " + words.get(1) : "";
            assertThat(COMMANDS.contains(two) || COMMANDS.contains(words.get(0)))
                    .as("%s:%d names a known command: %s", name, line.number(), line.display()).isTrue();
            assertThat(line.display()).as("%s:%d has no unexpanded variable", name, line.number()).doesNotContain("${");
        }
    }

    @Test
    void setupStripesOverEveryDeviceByDefault() throws IOException {
        Script s = ScriptFormat.parse("setup-volumes.cvsh", Files.readString(Path.of("scripts/setup-volumes.cvsh")),
                Map.of("devices", "/dev/xvdf /dev/xvdg", "count", "2"));
        assertThat(s.commands()).extracting(Script.Line::display)
                .contains("pv create /dev/xvdf /dev/xvdg", "vg create myvg /dev/xvdf /dev/xvdg",
                        "lv create mylv --stripes 2 --stripe-size 4K --extents 100%VG",
                        "luks open /dev/myvg/mylv myencryptedlv --key key1");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void connectTakesItsOptionsOnlyWhenGivenAndEachAsOneWord(Path file) throws IOException {
        String name = file.getFileName().toString();
        Map<String, String> vars = new java.util.HashMap<>(REQUIRED.getOrDefault(name, Map.of()));
        String text = Files.readString(file);
        assertThat(connectLine(name, text, vars)).isEqualTo(List.of("connect", "local"));
        vars.put("target", "root@10.0.0.5");
        vars.put("identity", "/keys/my key.pem");
        vars.put("known_hosts", "/keys/known --accept-new-host-key");
        assertThat(connectLine(name, text, vars)).isEqualTo(List.of("connect", "root@10.0.0.5",
                "--identity", "/keys/my key.pem", "--known-hosts", "/keys/known --accept-new-host-key"));
    }

    private static List<String> connectLine(String name, String text, Map<String, String> vars) {
        return ScriptFormat.parse(name, text, vars).commands().stream()
                .filter(l -> l.words().get(0).text().equals("connect")).findFirst().orElseThrow()
                .words().stream().map(Script.Word::text).toList();
    }
}

package io.cryptvol.record;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** What a replay announces before it asks, table-driven: targets, host code, destroying lines. */
class ScriptPreviewTest {
    static final Set<String> COMMANDS = Set.of("connect", "disconnect", "use", "snapshot", "keys shred", "keys generate", "keys import",
            "sandbox reset", "sandbox start", "snapshots delete", "snapshots prune", "volumes delete", "luks header restore",
            "luks header backup");

    /** The shell's rule: the longest command the words start with. */
    static String command(List<String> words) {
        String line = String.join(" ", words);
        return COMMANDS.stream().filter(c -> line.equals(c) || line.startsWith(c + " "))
                .max((a, b) -> a.length() - b.length()).orElse(null);
    }

    static ScriptPreview.Preview preview(String text) {
        Script s = ScriptFormat.parse("s.cvsh", text, Map.of());
        return ScriptPreview.of("s.cvsh", s.commands(), "local", ScriptPreviewTest::command);
    }

    static Stream<Arguments> targets() {
        return Stream.of(
                arguments("stays local", "use vg a", "local"),
                arguments("connect", "connect root@10.0.0.5 -i /k\nuse vg a", "local, then root@10.0.0.5"),
                arguments("options before the target", "connect --identity /k --known-hosts /kh admin@h:2222", "local, then admin@h:2222"),
                arguments("--target", "connect --target ec2-user@h", "local, then ec2-user@h"),
                arguments("there and back", "connect root@a\ndisconnect\nconnect local\nconnect root@b", "local, then root@a, then local, then root@b"),
                arguments("same target twice is one", "connect root@a\nconnect root@a:22", "local, then root@a"),
                arguments("the sandbox", "sandbox reset --yes", "local, then the sandbox"),
                arguments("a hostile target is escaped", "connect 'root@h\u001b[2J'", "local, then root@h\\e[2J"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void targetsReached(String name, String text, String expected) {
        assertThat(preview(text).targetsText()).isEqualTo(expected);
    }

    static Stream<Arguments> destructions() {
        return Stream.of(
                arguments("keys shred --retire", "keys shred k1 --retire --yes", "k1", "scrubs key 'k1' and every backup of it"),
                arguments("keys shred --name --retire", "keys shred --retire --yes --name k2", "k2", "scrubs key 'k2'"),
                arguments("keys shred --backups", "keys shred k1 --backups --yes", "k1", "scrubs every backup of key 'k1'"),
                arguments("keys shred of transient copies", "keys shred", null, null),
                arguments("keys generate", "keys generate k1", null, null),
                arguments("keys import --shred-source", "keys import k1 --from /media/old/keyfile1 --shred-source --yes", "k1",
                        "shreds the key file imported as 'k1'"),
                arguments("keys import keeping the source", "keys import k1 --from /media/old/keyfile1", null, null),
                arguments("sandbox reset", "sandbox reset --yes", "reset", "deletes every sandbox volume and snapshot"),
                arguments("snapshots delete", "snapshots delete set-1 --yes", "set-1", "deletes every snapshot of set set-1"),
                arguments("snapshots prune", "snapshots prune --keep 2 --yes", "prune", "deletes older snapshot sets"),
                arguments("volumes delete", "volumes delete vol-1 vol-2 --yes", "delete", "deletes volumes vol-1 vol-2"),
                arguments("luks header restore", "luks header restore /dev/myvg/mylv --yes", "restore",
                        "overwrites the LUKS header of /dev/myvg/mylv with a backup"),
                arguments("luks header restore --device", "luks header restore --device /dev/a/b --backup u1 --yes", "restore",
                        "overwrites the LUKS header of /dev/a/b with a backup"),
                arguments("luks header restore of the selection", "luks header restore --force --yes", "restore",
                        "overwrites the LUKS header of the selected LV"),
                arguments("luks header restore --dry-run", "luks header restore /dev/a/b --dry-run", null, null),
                arguments("luks header backup", "luks header backup /dev/a/b", null, null),
                arguments("use", "use vg a", null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("destructions")
    void destroyingLines(String name, String line, String word, String what) {
        ScriptPreview.Entry e = preview(line).entries().get(0);
        if (word == null) {
            assertThat(e.destroys()).isNull();
            return;
        }
        assertThat(e.destroys().confirmWord()).isEqualTo(word);
        assertThat(e.destroys().what()).startsWith(what);
    }

    @Test
    void hooksAreMarkedWithTheTargetTheyRunOn() {
        ScriptPreview.Preview p = preview("use vg a\nconnect root@h\nsnapshot --pre 'mysql -e \"FLUSH\"' --post=true\nsnapshot");
        assertThat(p.entries()).extracting(ScriptPreview.Entry::hostCode)
                .containsExactly(null, null, "--pre 'mysql -e \"FLUSH\"', --post true", null);
        assertThat(p.entries().get(2).target()).isEqualTo("root@h");
        assertThat(p.entries()).extracting(ScriptPreview.Entry::where)
                .containsExactly("s.cvsh:1", "s.cvsh:2", "s.cvsh:3", "s.cvsh:4");
    }

    @Test
    void secretsShowAsPlaceholdersAndControlCharactersEscaped() {
        ScriptPreview.Preview p = preview("luks open /dev/x m --passphrase ${?passphrase}\nuse mapping 'a\u0007\u009bb\u007f'");
        assertThat(p.entries()).extracting(ScriptPreview.Entry::shown).containsExactly(
                "luks open /dev/x m --passphrase ${?passphrase}", "use mapping 'a\\a\\u{009b}b\\x7f'");
        assertThat(Arrays.stream(ScriptPreview.safe("\t\n\r\u001b").split("")).noneMatch(c -> c.charAt(0) < 0x20)).isTrue();
    }
}

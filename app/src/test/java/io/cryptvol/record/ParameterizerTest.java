package io.cryptvol.record;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * {@code record stop --parameterize}, table-driven: recorded command lines → the script after the header
 * (variables comment, set lines, blank line, commands). Every recording also round-trips: the rewritten
 * script, parsed without --var, gives back exactly the recorded words.
 */
class ParameterizerTest {
    static final List<String> HEADER = List.of(
            "# cryptvol recording",
            "# date:     2025-01-02T03:04:05Z",
            "# cryptvol: dev",
            "# target:   local",
            "# Replay:   cryptvol replay s.cvsh [--dry-run] [--var NAME=VALUE]");

    static final List<String> STAGES = List.of(
            "connect ec2-user@10.0.0.5 --identity /home/me/.ssh/k.pem --accept-new-host-key",
            "modules load",
            "keys generate data-key-1 data-key-2",
            "keys backup data-key-1 --to /media/usb",
            "sanitize /dev/nvme1n1 /dev/nvme2n1 --yes",
            "pv create /dev/nvme1n1 /dev/nvme2n1 --yes",
            "vg create myvg /dev/nvme1n1 /dev/nvme2n1 --yes",
            "use vg myvg",
            "lv create mylv --stripes 2 --yes",
            "use lv mylv",
            "luks format /dev/myvg/mylv --key data-key-1 --yes",
            "luks add-key /dev/myvg/mylv --key data-key-1 --new-key data-key-2 --yes",
            "luks open /dev/myvg/mylv secret --key data-key-1 --yes",
            "use mapping secret",
            "fs make secret --yes",
            "use mountpoint /mnt/data",
            "fstab add --yes",
            "mount --yes");

    static final List<String> DIFFERENT_VG = List.of(
            "use vg myvg",
            "use lv mylv",
            "lv create mylv --vg othervg --yes",
            "luks format /dev/othervg/mylv --key k1 --yes",
            "restore snap-1 --key k1 --vg myvg_restore --mapping m_restore --yes",
            "use vg myvg");

    static Stream<Arguments> recordings() {
        return Stream.of(
                arguments("stage by stage, with connect options", STAGES, List.of(
                        "# Variables: target, identity, key1, key2, devices, vg, lv, mapping, mountpoint"
                                + " (override with --var NAME=VALUE)",
                        "set target=ec2-user@10.0.0.5",
                        "set identity=/home/me/.ssh/k.pem",
                        "set key1=data-key-1",
                        "set key2=data-key-2",
                        "set devices='/dev/nvme1n1 /dev/nvme2n1'",
                        "set vg=myvg",
                        "set lv=mylv",
                        "set mapping=secret",
                        "set mountpoint=/mnt/data",
                        "",
                        "connect \"${target}\" --identity \"${identity}\" --accept-new-host-key",
                        "modules load",
                        "keys generate \"${key1}\" \"${key2}\"",
                        "keys backup \"${key1}\" --to /media/usb",
                        "sanitize ${=devices} --yes",
                        "pv create ${=devices} --yes",
                        "vg create \"${vg}\" ${=devices} --yes",
                        "use vg \"${vg}\"",
                        "lv create \"${lv}\" --stripes 2 --yes",
                        "use lv \"${lv}\"",
                        "luks format \"/dev/${vg}/${lv}\" --key \"${key1}\" --yes",
                        "luks add-key \"/dev/${vg}/${lv}\" --key \"${key1}\" --new-key \"${key2}\" --yes",
                        "luks open \"/dev/${vg}/${lv}\" \"${mapping}\" --key \"${key1}\" --yes",
                        "use mapping \"${mapping}\"",
                        "fs make \"${mapping}\" --yes",
                        "use mountpoint \"${mountpoint}\"",
                        "fstab add --yes",
                        "mount --yes")),
                arguments("provision --devices", List.of(
                        "connect local",
                        "keys generate k1 k2",
                        "provision --devices /dev/nvme1n1,/dev/nvme2n1 --vg data --lv vol --mapping cryptdata"
                                + " --mountpoint /srv/data --key k1 --key2 k2 --yes",
                        "use vg data",
                        "pv create /dev/nvme1n1,/dev/nvme2n1 --yes"), List.of(
                        "# Variables: target, key1, key2, devices, vg, lv, mapping, mountpoint (override with --var NAME=VALUE)",
                        "set target=local",
                        "set key1=k1",
                        "set key2=k2",
                        "set devices=/dev/nvme1n1,/dev/nvme2n1",
                        "set vg=data",
                        "set lv=vol",
                        "set mapping=cryptdata",
                        "set mountpoint=/srv/data",
                        "",
                        "connect \"${target}\"",
                        "keys generate \"${key1}\" \"${key2}\"",
                        "provision --devices \"${devices}\" --vg \"${vg}\" --lv \"${lv}\" --mapping \"${mapping}\""
                                + " --mountpoint \"${mountpoint}\" --key \"${key1}\" --key2 \"${key2}\" --yes",
                        "use vg \"${vg}\"",
                        "pv create ${=devices} --yes")),
                arguments("use lines; none and instance stay", List.of(
                        "use mountpoint /mnt/x",
                        "use vg a",
                        "use lv b",
                        "use mapping c",
                        "use vg none",
                        "use instance i-0123",
                        "use mountpoint /mnt/x"), List.of(
                        "# Variables: mountpoint, vg, lv, mapping (override with --var NAME=VALUE)",
                        "set mountpoint=/mnt/x",
                        "set vg=a",
                        "set lv=b",
                        "set mapping=c",
                        "",
                        "use mountpoint \"${mountpoint}\"",
                        "use vg \"${vg}\"",
                        "use lv \"${lv}\"",
                        "use mapping \"${mapping}\"",
                        "use vg none",
                        "use instance i-0123",
                        "use mountpoint \"${mountpoint}\"")),
                arguments("repeated device lists", List.of(
                        "pv create /dev/a /dev/b",
                        "vg create v /dev/a /dev/b",
                        "pv create /dev/c",
                        "sanitize /dev/b /dev/a",
                        "grow /dev/a /dev/b",
                        "provision --devices /dev/a,/dev/b --key k"), List.of(
                        "# Variables: devices, vg, key1 (override with --var NAME=VALUE)",
                        "set devices='/dev/a /dev/b'",
                        "set vg=v",
                        "set key1=k",
                        "",
                        "pv create ${=devices}",
                        "vg create \"${vg}\" ${=devices}",
                        "pv create /dev/c",
                        "sanitize /dev/b /dev/a",
                        "grow /dev/a /dev/b",
                        "provision --devices /dev/a,/dev/b --key \"${key1}\"")),
                arguments("a different value at a vg position stays literal", DIFFERENT_VG, List.of(
                        "# Variables: vg, lv, key1, mapping (override with --var NAME=VALUE)",
                        "set vg=myvg",
                        "set lv=mylv",
                        "set key1=k1",
                        "set mapping=m_restore",
                        "",
                        "use vg \"${vg}\"",
                        "use lv \"${lv}\"",
                        "lv create \"${lv}\" --vg othervg --yes",
                        "luks format \"/dev/othervg/${lv}\" --key \"${key1}\" --yes",
                        "restore snap-1 --key \"${key1}\" --vg myvg_restore --mapping \"${mapping}\" --yes",
                        "use vg \"${vg}\"")),
                arguments("secret prompts untouched", List.of(
                        "use vg myvg",
                        "luks format /dev/myvg/mylv --key k1 --passphrase ${?passphrase}",
                        "luks open /dev/mapper/x m --key ${?passphrase}"), List.of(
                        "# Variables: vg, lv, key1, mapping (override with --var NAME=VALUE)",
                        "set vg=myvg",
                        "set lv=mylv",
                        "set key1=k1",
                        "set mapping=m",
                        "",
                        "use vg \"${vg}\"",
                        "luks format \"/dev/${vg}/${lv}\" --key \"${key1}\" --passphrase ${?passphrase}",
                        "luks open /dev/mapper/x \"${mapping}\" --key ${?passphrase}")),
                arguments("values that need quoting", List.of(
                        "use mountpoint \"/mnt/it's\"",
                        "use mapping '${x}#1'",
                        "fs make '${x}#1'"), List.of(
                        "# Variables: mountpoint, mapping (override with --var NAME=VALUE)",
                        "set mountpoint=\"/mnt/it's\"",
                        "set mapping='${x}#1'",
                        "",
                        "use mountpoint \"${mountpoint}\"",
                        "use mapping \"${mapping}\"",
                        "fs make \"${mapping}\"")),
                arguments("values with blanks are quoted; connect options by name", List.of(
                        "connect root@h --identity '/home/me/my key.pem' --known-hosts /k/kh",
                        "use mountpoint '/mnt/my data'",
                        "use mountpoint /mnt/d",
                        "connect root@h",
                        "connect other@h -i '/home/me/my key.pem' --accept-new-host-key --known-hosts /k/other"), List.of(
                        "# Variables: target, identity, known_hosts, mountpoint (override with --var NAME=VALUE)",
                        "set target=root@h",
                        "set identity='/home/me/my key.pem'",
                        "set known_hosts=/k/kh",
                        "set mountpoint='/mnt/my data'",
                        "",
                        "connect \"${target}\" --identity \"${identity}\" --known-hosts \"${known_hosts}\"",
                        "use mountpoint \"${mountpoint}\"",
                        "use mountpoint /mnt/d",
                        "connect \"${target}\"",
                        "connect other@h -i \"${identity}\" --accept-new-host-key --known-hosts /k/other")),
                arguments("a device list with an option-like or blank word stays as typed", List.of(
                        "pv create /dev/a '/dev/b c'",
                        "pv create /dev/a /dev/b"), List.of(
                        "# Variables: devices (override with --var NAME=VALUE)",
                        "set devices='/dev/a /dev/b'",
                        "",
                        "pv create /dev/a '/dev/b c'",
                        "pv create ${=devices}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordings")
    void rewritesWithVariables(String name, List<String> recorded, List<String> expected) {
        Parameterizer.Result r = Parameterizer.parameterize("s.cvsh", recording(recorded));
        List<String> all = new ArrayList<>(HEADER);
        all.addAll(expected);
        assertThat(r.text()).isEqualTo(String.join("\n", all) + "\n");
        String names = expected.get(0).replaceAll("^# Variables: (.*) \\(override.*$", "$1");
        assertThat(String.join(", ", r.variables().keySet())).isEqualTo(names);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordings")
    void expandsBackToTheRecordedWords(String name, List<String> recorded, List<String> expected) {
        List<String> lines = recording(recorded);
        Parameterizer.Result r = Parameterizer.parameterize("s.cvsh", lines);
        assertThat(words(r.text())).isEqualTo(words(String.join("\n", lines)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordings")
    void parameterizingTwiceChangesNothing(String name, List<String> recorded, List<String> expected) {
        String once = Parameterizer.parameterize("s.cvsh", recording(recorded)).text();
        assertThat(Parameterizer.parameterize("s.cvsh", once.lines().toList()).text()).isEqualTo(once);
    }

    @Test
    void aVarOverrideReachesEveryVgPositionIncludingLuksDevices() {
        String text = Parameterizer.parameterize("s.cvsh", recording(STAGES)).text();
        List<String> expected = STAGES.stream().map(l -> l.replace("myvg", "other")).toList();
        assertThat(expanded(text, Map.of("vg", "other"))).isEqualTo(expected);
        assertThat(expanded(text, Map.of("vg", "other"))).contains("luks format /dev/other/mylv --key data-key-1 --yes");
    }

    @Test
    void aVarOverrideLeavesADifferentValueAlone() {
        String text = Parameterizer.parameterize("s.cvsh", recording(DIFFERENT_VG)).text();
        assertThat(expanded(text, Map.of("vg", "new", "lv", "l2", "key1", "k9"))).containsExactly(
                "use vg new",
                "use lv l2",
                "lv create l2 --vg othervg --yes",
                "luks format /dev/othervg/l2 --key k9 --yes",
                "restore snap-1 --key k9 --vg myvg_restore --mapping m_restore --yes",
                "use vg new");
    }

    @Test
    void aDeviceListOverrideIsSplitIntoWords() {
        String text = Parameterizer.parameterize("s.cvsh", recording(STAGES)).text();
        assertThat(expanded(text, Map.of("devices", "/dev/x /dev/y /dev/z")))
                .contains("pv create /dev/x /dev/y /dev/z --yes", "vg create myvg /dev/x /dev/y /dev/z --yes");
    }

    @Test
    void aVarOverrideIsOneWordAndCannotAddOptions() {
        String text = Parameterizer.parameterize("s.cvsh", recording(STAGES)).text();
        List<List<String>> words = ScriptFormat.parse("s.cvsh", text,
                Map.of("mountpoint", "/mnt/a b --yes", "key1", "aa bb --size 64")).commands().stream()
                .map(l -> l.words().stream().map(Script.Word::text).toList()).toList();
        assertThat(words).contains(List.of("use", "mountpoint", "/mnt/a b --yes"),
                List.of("keys", "generate", "aa bb --size 64", "data-key-2"));
        assertThatThrownBy(() -> ScriptFormat.parse("s.cvsh", text, Map.of("devices", "/dev/x --size 64")))
                .hasMessageContaining("${=devices} holds '--size': a list gives values, not options");
    }

    @Test
    void aRecordingWithoutVariablesIsLeftAsItIs() {
        List<String> lines = recording(List.of("modules load", "devices", "keys list"));
        Parameterizer.Result r = Parameterizer.parameterize("s.cvsh", lines);
        assertThat(r.variables()).isEmpty();
        assertThat(r.text()).isEqualTo(String.join("\n", lines) + "\n");
    }

    @Test
    void anAppendedRecordingIsParameterizedAfreshKeepingItsComments() {
        String first = Parameterizer.parameterize("s.cvsh", recording(List.of("use vg myvg", "use lv mylv"))).text();
        List<String> lines = new ArrayList<>(first.lines().toList());
        lines.add("# cryptvol recording (continued)");
        lines.add("use vg myvg");
        lines.add("use mapping m");
        Parameterizer.Result r = Parameterizer.parameterize("s.cvsh", lines);
        assertThat(r.variables()).containsExactly(Map.entry("vg", "myvg"), Map.entry("lv", "mylv"), Map.entry("mapping", "m"));
        assertThat(r.text()).endsWith(String.join("\n",
                "# Variables: vg, lv, mapping (override with --var NAME=VALUE)",
                "set vg=myvg",
                "set lv=mylv",
                "set mapping=m",
                "",
                "use vg \"${vg}\"",
                "use lv \"${lv}\"",
                "# cryptvol recording (continued)",
                "use vg \"${vg}\"",
                "use mapping \"${mapping}\"",
                ""));
    }

    @Test
    void aVariableTheScriptDoesNotSetIsRefused() {
        assertThatThrownBy(() -> Parameterizer.parameterize("s.cvsh", recording(List.of("use vg a", "use lv ${lv}"))))
                .isInstanceOf(ScriptException.class)
                .hasMessageStartingWith("s.cvsh:7: ${lv} is not set");
    }

    private static List<String> recording(List<String> commands) {
        List<String> lines = new ArrayList<>(HEADER);
        lines.addAll(commands);
        return lines;
    }

    /** The words of each command, without --var; a prompt as ?name. */
    private static List<List<String>> words(String text) {
        return ScriptFormat.parse("s.cvsh", text, Map.of()).commands().stream()
                .map(l -> l.words().stream().map(w -> w.isPrompt() ? "?" + w.prompt() : w.text()).toList())
                .toList();
    }

    /** Each command as the replay would run it, words joined the way they are displayed. */
    private static List<String> expanded(String text, Map<String, String> vars) {
        return ScriptFormat.parse("s.cvsh", text, vars).commands().stream().map(Script.Line::display).toList();
    }
}

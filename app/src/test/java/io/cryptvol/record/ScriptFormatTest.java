package io.cryptvol.record;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The script format, table-driven: text (+ --var values) → "LINE: word|word" per command, or the FILE:LINE error. */
class ScriptFormatTest {

    static Stream<Arguments> scripts() {
        return Stream.of(
                arguments("one line", "use vg myvg", Map.of(), List.of("1: use|vg|myvg")),
                arguments("blank lines and comments", "\n# a comment\n  # indented\nuse vg a # trailing\n\n", Map.of(),
                        List.of("4: use|vg|a")),
                arguments("# inside a word is literal", "x a#b", Map.of(), List.of("1: x|a#b")),
                arguments("continuation", "lv create mylv \\\n  --stripes 4 \\\n  --stripe-size 4K\nuse vg b", Map.of(),
                        List.of("1: lv|create|mylv|--stripes|4|--stripe-size|4K", "4: use|vg|b")),
                arguments("continuation with trailing blanks", "a \\  \nb", Map.of(), List.of("1: a|b")),
                arguments("escaped backslash is no continuation", "a \\\\\nb", Map.of(), List.of("1: a|\\", "2: b")),
                arguments("single quotes are literal", "x 'a b' '${v}' '#'", Map.of(), List.of("1: x|a b|${v}|#")),
                arguments("double quotes expand", "x \"a ${v} \\\"q\\\" \\$v\"", Map.of("v", "1 2"), List.of("1: x|a 1 2 \"q\" $v")),
                arguments("empty quoted word kept", "x '' \"\"", Map.of(), List.of("1: x||")),
                arguments("backslash escapes outside quotes", "x a\\ b \\#c", Map.of(), List.of("1: x|a b|#c")),
                arguments("an expansion is one word, never split", "pv create ${devs}", Map.of("devs", "/dev/a  /dev/b"),
                        List.of("1: pv|create|/dev/a  /dev/b")),
                arguments("a value cannot smuggle options", "keys generate ${name}", Map.of("name", "aa bb --size 64"),
                        List.of("1: keys|generate|aa bb --size 64")),
                arguments("a list is split only when asked: ${=name}", "pv create ${=devs} --yes", Map.of("devs", " /dev/a  /dev/b\t"),
                        List.of("1: pv|create|/dev/a|/dev/b|--yes")),
                arguments("an empty list gives no word", "pv create ${=devs}", Map.of("devs", " "), List.of("1: pv|create")),
                arguments("expansion joins with text", "x pre${v}post", Map.of("v", "1 2"), List.of("1: x|pre1 2post")),
                arguments("quoted empty expansion is an empty word", "x \"${v}\" y", Map.of("v", ""), List.of("1: x||y")),
                arguments("optional words when set", "connect h ${id:+--identity ${id}} ${kh:+--known-hosts ${kh}}",
                        Map.of("id", "/k/my key"), List.of("1: connect|h|--identity|/k/my key")),
                arguments("optional words, empty value", "connect h ${id:+--identity ${id}}", Map.of("id", ""),
                        List.of("1: connect|h")),
                arguments("empty unquoted expansion vanishes", "x ${v} y", Map.of("v", ""), List.of("1: x|y")),
                arguments("default", "x ${n:-4} ${m:-a b}", Map.of(), List.of("1: x|4|a b")),
                arguments("default not used when set", "x ${n:-4}", Map.of("n", "8"), List.of("1: x|8")),
                arguments("default from another variable", "x ${mnt:-/mnt/${lv}}", Map.of("lv", "data"), List.of("1: x|/mnt/data")),
                arguments("set applies to later lines", "x ${n:-1}\nset n=2\nx ${n:-1}", Map.of(), List.of("1: x|1", "3: x|2")),
                arguments("set with quotes and variables", "set d=\"/dev/a /dev/b\"\nset e=${d}\npv create ${=e} ${e}", Map.of(),
                        List.of("3: pv|create|/dev/a|/dev/b|/dev/a /dev/b")),
                arguments("--var wins over set", "set n=2\nx ${n}", Map.of("n", "9"), List.of("2: x|9")),
                arguments("prompt marker", "luks format /dev/x --passphrase ${?pass}", Map.of(),
                        List.of("1: luks|format|/dev/x|--passphrase|?pass")),
                arguments("dollar without brace is literal", "x $HOME a$", Map.of(), List.of("1: x|$HOME|a$")),
                arguments("CRLF line ends", "a\r\nb\r\n", Map.of(), List.of("1: a", "2: b")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void parses(String name, String text, Map<String, String> vars, List<String> expected) {
        Script s = ScriptFormat.parse("t.cvsh", text, vars);
        assertThat(s.commands().stream().map(l -> l.number() + ": " + String.join("|",
                l.words().stream().map(w -> w.isPrompt() ? "?" + w.prompt() : w.text()).toList())))
                .containsExactlyElementsOf(expected);
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                arguments("missing variable", "use vg a\nuse lv ${lv}",
                        "t.cvsh:2: ${lv} is not set: give --var lv=VALUE, or add 'set lv=VALUE' before this line"),
                arguments("missing variable in a default", "x ${a:-${b}}", "t.cvsh:1: ${b} is not set"),
                arguments("missing variable on a continued line reports its first line", "x \\\n \\\n ${v}", "t.cvsh:1: ${v} is not set"),
                arguments("unterminated single quote", "a\nx 'abc", "t.cvsh:2: unterminated ' quote"),
                arguments("unterminated double quote", "x \"abc", "t.cvsh:1: unterminated \" quote"),
                arguments("unterminated variable", "x ${abc", "t.cvsh:1: unterminated ${ (missing })"),
                arguments("bad variable name", "x ${1a}", "t.cvsh:1: not a variable name: '1a'"),
                arguments("continuation at end of file", "a\nb \\", "t.cvsh:2: the line continues (\\) past the end of the file"),
                arguments("set without =", "set n", "t.cvsh:1: expected 'set NAME=VALUE'"),
                arguments("set with blanks unquoted", "set n=a b", "t.cvsh:1: expected 'set NAME=VALUE'"),
                arguments("set bad name", "set 9x=1", "t.cvsh:1: not a variable name: '9x'"),
                arguments("prompt inside a word", "x --passphrase=${?p}", "t.cvsh:1: ${?p} must be a word of its own"),
                arguments("prompt quoted", "x \"${?p}\"", "t.cvsh:1: ${?p} must be a word of its own, not quoted"),
                arguments("an option in a list", "set d='/dev/a --size 64'\npv create ${=d}",
                        "t.cvsh:2: ${=d} holds '--size': a list gives values, not options"),
                arguments("a list inside a word", "x a${=d}", "t.cvsh:1: ${=d} must be a word of its own"),
                arguments("a list quoted", "x \"${=d}\"", "t.cvsh:1: ${=d} must be a word of its own, not quoted"),
                arguments("optional words inside a word", "set a=1\nx --i=${a:+x}", "t.cvsh:2: ${a:+...} must be a word of its own"),
                arguments("a list in a default", "x ${a:-${=b}}", "t.cvsh:1: ${=b} cannot be part of a default"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void refuses(String name, String text, String message) {
        assertThatThrownBy(() -> ScriptFormat.parse("t.cvsh", text, Map.of()))
                .isInstanceOfSatisfying(ScriptException.class, e -> {
                    assertThat(e.getMessage()).startsWith(message);
                    assertThat(e.exitCode()).isEqualTo(2);
                });
    }

    @Test
    void quotingRoundTrips() {
        List<String> words = List.of("use", "mountpoint", "/mnt/my data", "it's", "${x}", "#h", "", "a\\b\"c$", "--vg=x");
        String line = ScriptFormat.join(words);
        Script s = ScriptFormat.parse("q", line, Map.of());
        assertThat(s.commands().get(0).words().stream().map(Script.Word::text).toList()).isEqualTo(words);
    }

    @Test
    void displayShowsPromptsNeverValues() {
        Script s = ScriptFormat.parse("d", "luks open /dev/x m --passphrase ${?passphrase} --name 'a b'", Map.of());
        assertThat(s.commands().get(0).display()).isEqualTo("luks open /dev/x m --passphrase ${?passphrase} --name 'a b'");
        assertThat(s.commands().get(0).prompts()).containsExactly("passphrase");
    }

    @Test
    void varOptionValues() {
        assertThat(ScriptFormat.vars(List.of("a=1", "b=x=y", "c="))).containsExactly(
                Map.entry("a", "1"), Map.entry("b", "x=y"), Map.entry("c", ""));
        assertThatThrownBy(() -> ScriptFormat.vars(List.of("novalue"))).hasMessage("--var wants NAME=VALUE, got 'novalue'");
    }
}

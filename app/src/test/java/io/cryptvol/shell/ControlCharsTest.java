package io.cryptvol.shell;

import io.cryptvol.domain.ControlChars;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The one escape function between hostile text and the terminal, and JSON output of the same text. */
class ControlCharsTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                // input, escaped, escaped keeping colour
                Arguments.of("plain", "plain", "plain"),
                Arguments.of("\u001b]0;TITLE\u0007", "\\e]0;TITLE\\a", "\\e]0;TITLE\\a"),
                Arguments.of("Amazon\u001b[2J\u001b[H", "Amazon\\e[2J\\e[H", "Amazon\\e[2J\\e[H"),
                Arguments.of("\u001b[31mred\u001b[0m", "\\e[31mred\\e[0m", "\u001b[31mred\u001b[0m"),
                Arguments.of("\u001b[1;32mx", "\\e[1;32mx", "\u001b[1;32mx"),
                Arguments.of("\u001b[", "\\e[", "\\e["),
                Arguments.of("\u001b[31", "\\e[31", "\\e[31"),
                Arguments.of("\u001b]52;c;ZXZpbA==\u0007", "\\e]52;c;ZXZpbA==\\a", "\\e]52;c;ZXZpbA==\\a"),
                Arguments.of("ok\rEVIL", "ok\\rEVIL", "ok\\rEVIL"),
                Arguments.of("abc\b\b\bxyz", "abc\\b\\b\\bxyz", "abc\\b\\b\\bxyz"),
                Arguments.of("a\u0000b\u000bc\u000cd", "a\\0b\\vc\\fd", "a\\0b\\vc\\fd"),
                Arguments.of("x\u0001\u001f\u007fy", "x\\x01\\x1f\\x7fy", "x\\x01\\x1f\\x7fy"),
                Arguments.of("\u009b2J csi \u0085 nel \u009d osc", "\\u{009b}2J csi \\u{0085} nel \\u{009d} osc",
                        "\\u{009b}2J csi \\u{0085} nel \\u{009d} osc"),
                Arguments.of("/mnt/\u202Egnp.exe", "/mnt/\\u{202e}gnp.exe", "/mnt/\\u{202e}gnp.exe"),
                Arguments.of("\u2066a\u2069\u200f\u061c", "\\u{2066}a\\u{2069}\\u{200f}\\u{061c}", "\\u{2066}a\\u{2069}\\u{200f}\\u{061c}"),
                Arguments.of("two\nlines\tand a tab", "two\nlines\tand a tab", "two\nlines\tand a tab"),
                Arguments.of("Größe 日本語 ✔ 🔒 é", "Größe 日本語 ✔ 🔒 é", "Größe 日本語 ✔ 🔒 é"),
                Arguments.of("already \\e escaped", "already \\e escaped", "already \\e escaped"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void escapes(String in, String escaped, String keepingColour) {
        assertThat(ControlChars.escape(in)).isEqualTo(escaped);
        assertThat(ControlChars.escapeKeepingColour(in)).isEqualTo(keepingColour);
        assertThat(ControlChars.escape(escaped)).as("idempotent").isEqualTo(escaped);
        assertThat(escaped.codePoints().filter(ControlChars::isControl)).as("no control left").isEmpty();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void jsonStaysValidAndCarriesTheValueWithNoRawControlCharacter(String in, String escaped, String keepingColour) throws Exception {
        var screen = new java.io.ByteArrayOutputStream();
        try (var t = new org.jline.terminal.impl.DumbTerminal("t", "dumb", java.io.InputStream.nullInputStream(), screen,
                java.nio.charset.StandardCharsets.UTF_8)) {
            new Ui(t, false).json(Map.of("model", in, "list", List.of(in)));
            t.flush();
        }
        String out = screen.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(out.codePoints().filter(c -> c != '\n' && c != '\r' && ControlChars.isControl(c))).as(out).isEmpty();
        Map<?, ?> back = new ObjectMapper().readValue(out, Map.class);
        assertThat(back.get("model")).isEqualTo(in);
        assertThat(back.get("list")).isEqualTo(List.of(in));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aCandidateWithAnyControlCharacterIsNotOneLine(String in, String escaped, String keepingColour) {
        assertThat(ControlChars.any(in)).isEqualTo(!in.equals(escaped) || in.contains("\n") || in.contains("\t"));
    }
}

package io.cryptvol.exec;

import io.cryptvol.domain.cmd.HostCommand;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RedactorTest {
    // 32 bytes chosen so that base64 has padding ("=") and contains '+' and '/' in standard form
    static final byte[] KEY = HexFormat.of().parseHex("fbff3e7a00e1c2d3a4b5c6d7e8f90112233445566778899aabbccddeeff0ff");
    static final byte[] PASS = "correct horse battery".getBytes(StandardCharsets.UTF_8);

    static Stream<Arguments> encodings() {
        String b64 = Base64.getEncoder().encodeToString(KEY);
        String url = Base64.getUrlEncoder().encodeToString(KEY);
        return Stream.of(
                Arguments.of("hex lower", HexFormat.of().formatHex(KEY)),
                Arguments.of("hex upper", HexFormat.of().withUpperCase().formatHex(KEY)),
                Arguments.of("base64 padded", b64),
                Arguments.of("base64 unpadded", Base64.getEncoder().withoutPadding().encodeToString(KEY)),
                Arguments.of("base64url padded", url),
                Arguments.of("base64url unpadded", Base64.getUrlEncoder().withoutPadding().encodeToString(KEY)),
                Arguments.of("raw latin-1", new String(KEY, StandardCharsets.ISO_8859_1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encodings")
    void removesEveryEncodingOfTheKey(String name, String encoded) {
        String text = "luksOpen failed near " + encoded + " (line 3)";
        String redacted = Redactor.of(KEY).redact(text);
        assertThat(redacted).isEqualTo("luksOpen failed near [REDACTED] (line 3)");
    }

    @Test
    void encodingsAreDistinctAndPaddingIsPresent() {
        assertThat(Base64.getEncoder().encodeToString(KEY)).endsWith("=").containsAnyOf("+", "/");
    }

    @Test
    void removesRawTextSecretsAndEveryOccurrence() {
        Redactor r = Redactor.of(PASS);
        assertThat(r.redact("a correct horse battery b correct horse battery"))
                .isEqualTo("a [REDACTED] b [REDACTED]");
        assertThat(r.redact("pass=" + HexFormat.of().formatHex(PASS)))
                .isEqualTo("pass=[REDACTED]");
        // raw text is case-sensitive: other words are left alone
        assertThat(r.redact("Correct Horse Battery")).isEqualTo("Correct Horse Battery");
    }

    @Test
    void handlesSeveralSecretsAndLeavesOtherTextAlone() {
        Redactor r = new Redactor(List.of(KEY, PASS));
        String text = "k=" + HexFormat.of().formatHex(KEY) + " p=correct horse battery ok";
        assertThat(r.redact(text)).isEqualTo("k=[REDACTED] p=[REDACTED] ok");
        assertThat(r.redact("nothing secret here")).isEqualTo("nothing secret here");
        assertThat(r.redact(null)).isNull();
    }

    @Test
    void ignoresTinyAndMissingSecrets() {
        Redactor r = new Redactor(java.util.Arrays.asList(new byte[] {'a'}, null, new byte[0]));
        assertThat(r.redact("a banana")).isEqualTo("a banana");
    }

    @Test
    void forCommandOnlyRedactsSecretStdin() {
        HostCommand secret = HostCommand.of("open", "cryptsetup", "open").withSecretStdin(PASS);
        HostCommand plain = HostCommand.of("cat", "cat").withStdin(PASS);
        assertThat(Redactor.forCommand(secret).redact("x correct horse battery")).isEqualTo("x [REDACTED]");
        assertThat(Redactor.forCommand(plain).redact("x correct horse battery")).isEqualTo("x correct horse battery");
    }
}

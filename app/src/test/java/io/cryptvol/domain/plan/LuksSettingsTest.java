package io.cryptvol.domain.plan;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.cmd.LuksType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** LUKS options as typed: a preset, then each override; a bad value is a usage error (exit 2) before anything is looked at. */
class LuksSettingsTest {

    static Stream<Arguments> rows() {
        return Stream.of(
                // settings → describe() (or the start of the usage error)
                arguments(new LuksSettings(null, null, null, null, null, null, null, null, null),
                        "luks2 aes-xts-plain64 512-bit sha256 argon2id"),
                arguments(new LuksSettings("legacy-luks1", null, null, null, null, null, null, 1000, null),
                        "luks1 aes-cbc-essiv:sha256 256-bit ripemd160 pbkdf2"),
                arguments(new LuksSettings("seed", null, null, null, null, null, null, null, null),
                        "luks1 aes-cbc-essiv:sha256 256-bit ripemd160 pbkdf2"),
                arguments(new LuksSettings("LUKS2", null, null, null, null, null, null, null, null),
                        "luks2 aes-xts-plain64 512-bit sha256 argon2id"),
                arguments(new LuksSettings(null, "luks1", "aes-cbc-essiv:sha256", "ripemd160", 256, null, null, null, null),
                        "luks1 aes-cbc-essiv:sha256 256-bit ripemd160 pbkdf2"),
                arguments(LuksSettings.kdf("pbkdf2", null, 1000, null), "luks2 aes-xts-plain64 512-bit sha256 pbkdf2"),
                arguments(new LuksSettings("nope", null, null, null, null, null, null, null, null), "error: "),
                arguments(new LuksSettings(null, "luks3", null, null, null, null, null, null, null),
                        "error: --type must be luks1 or luks2, not 'luks3'"),
                arguments(new LuksSettings(null, "luks1", null, null, null, "argon2id", null, null, null),
                        "error: LUKS1 supports pbkdf2 only"),
                arguments(LuksSettings.kdf("pbkdf2", null, null, 65536), "error: --pbkdf-memory applies to argon2 only, not pbkdf2"));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("rows")
    void resolves(LuksSettings settings, String expected) {
        if (expected.startsWith("error: ")) {
            assertThatThrownBy(settings::options).isInstanceOfSatisfying(CryptvolException.class, e -> {
                assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE.code());
                assertThat(e.getMessage()).contains(expected.substring("error: ".length()));
            });
        } else {
            assertThat(settings.options().describe()).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void theOverridesAreKept(LuksSettings settings, String expected) {
        if (expected.startsWith("error: ")) {
            return;
        }
        var o = settings.options();
        if (settings.forceIterations() != null) {
            assertThat(o.kdf().forceIterations()).isEqualTo(settings.forceIterations());
        }
        if ("luks1".equals(settings.type())) {
            assertThat(o.type()).isEqualTo(LuksType.LUKS1);
        }
    }
}

package io.cryptvol.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The scan itself finds every form it claims to (so a passing leak test means something). */
class LeakScanTest {
    @TempDir
    Path dir;

    @Test
    void findsRawHexAndBase64FormsAndTruncatedDumps() throws Exception {
        byte[] key = new byte[4096];
        new SecureRandom().nextBytes(key);
        String hex = HexFormat.of().formatHex(key);
        List<String> forms = List.of(
                "log line " + hex + " end",
                "LOG " + hex.toUpperCase(Locale.ROOT),
                "{\"k\":\"" + Base64.getEncoder().encodeToString(key) + "\"}",
                "url " + Base64.getUrlEncoder().withoutPadding().encodeToString(key),
                "first bytes " + hex.substring(0, 64) + "...");
        for (String f : forms) {
            Path p = Files.writeString(dir.resolve("f.txt"), f);
            assertThatThrownBy(() -> LeakScan.assertNoLeak(List.of(key), List.of(p))).isInstanceOf(AssertionError.class);
        }
        Path raw = Files.write(dir.resolve("raw.bin"), key);
        assertThatThrownBy(() -> LeakScan.assertNoLeak(List.of(key), List.of(raw))).isInstanceOf(AssertionError.class);
        Path clean = Files.writeString(dir.resolve("clean.txt"), "sha256 " + KeyStore.sha256(key));
        assertThatCode(() -> LeakScan.assertNoLeak(List.of(key), List.of(clean))).doesNotThrowAnyException();
    }
}

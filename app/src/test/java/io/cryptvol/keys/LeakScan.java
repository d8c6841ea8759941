package io.cryptvol.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.fail;

/**
 * Looks for key bytes in files: raw, hex (lower and upper case), base64 and base64url (with and without
 * padding). Each form is searched both whole and as a 32-byte (or its encoding's) prefix, so a truncated
 * dump is caught too.
 */
public final class LeakScan {
    private LeakScan() {
    }

    public static void assertNoLeak(List<byte[]> keys, List<Path> files) throws IOException {
        List<String> found = new ArrayList<>();
        for (Path f : files) {
            byte[] content = Files.readAllBytes(f);
            for (byte[] key : keys) {
                for (byte[] needle : needles(key)) {
                    if (indexOf(content, needle) >= 0) {
                        found.add(f + " contains key material (" + needle.length + "-byte form)");
                    }
                }
            }
        }
        if (!found.isEmpty()) {
            fail(String.join("\n", found));
        }
    }

    public static List<byte[]> needles(byte[] key) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] k : List.of(key, java.util.Arrays.copyOf(key, Math.min(32, key.length)))) {
            out.add(k);
            String hex = HexFormat.of().formatHex(k);
            out.add(hex.getBytes(StandardCharsets.US_ASCII));
            out.add(hex.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
            String b64 = Base64.getEncoder().withoutPadding().encodeToString(k);
            String url = Base64.getUrlEncoder().withoutPadding().encodeToString(k);
            // the last base64 char may depend on padding bits: search without it
            out.add(b64.substring(0, b64.length() - 1).getBytes(StandardCharsets.US_ASCII));
            out.add(url.substring(0, url.length() - 1).getBytes(StandardCharsets.US_ASCII));
        }
        return out;
    }

    public static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

package io.cryptvol.stages;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.plan.KeyRef;
import io.cryptvol.exec.PlanRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * A key source for tests (the real key store is another package): key NAME is the file NAME in the
 * directory named by the system property {@code cryptvol.test.keydir}. Pass this class to ShellHarness.
 * Not annotated @Configuration on purpose: the application's component scan would then pick it up in every
 * test's shell; given to ShellHarness as a source, its @Bean method is registered all the same.
 */
public class TestKeys {
    public static final String DIR_PROPERTY = "cryptvol.test.keydir";

    @Bean
    @Primary
    public PlanRunner.KeySource testKeySource() {
        return TestKeys::read;
    }

    public static byte[] read(KeyRef ref) {
        Path f = Path.of(System.getProperty(DIR_PROPERTY)).resolve(ref.name());
        if (!ref.name().matches("[A-Za-z0-9_.-]+") || !Files.isRegularFile(f)) {
            throw new CryptvolException("unknown key '" + ref.name() + "': see 'keys list'", ExitCode.USAGE, null);
        }
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new CryptvolException("cannot read key '" + ref.name() + "'", ExitCode.FAILED, e);
        }
    }

    /** Writes 4 KiB random keys with these names into {@code dir} and points the property at it. */
    public static void generate(Path dir, String... names) throws IOException {
        SecureRandom rnd = new SecureRandom();
        for (String n : names) {
            byte[] b = new byte[4096];
            rnd.nextBytes(b);
            Files.write(dir.resolve(n), b);
        }
        System.setProperty(DIR_PROPERTY, dir.toString());
    }

    /**
     * Every form key bytes could leak in: raw (a distinctive 32-byte window), hex lower/upper of a
     * 24-byte window, base64 of whole key and of windows at the three alignments.
     */
    public static List<byte[]> leakNeedles(byte[] key) {
        List<byte[]> out = new java.util.ArrayList<>();
        for (int off : new int[] {0, 1000, 4096 - 32}) {
            byte[] w = java.util.Arrays.copyOfRange(key, off, off + 32);
            out.add(w);
            byte[] h = java.util.Arrays.copyOfRange(key, off, off + 24);
            out.add(HexFormat.of().formatHex(h).getBytes());
            out.add(HexFormat.of().withUpperCase().formatHex(h).getBytes());
            for (int a = 0; a < 3; a++) {
                String b64 = Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(key, off + a, off + a + 30));
                out.add(b64.substring(4, 36).getBytes());
            }
        }
        out.add(Base64.getEncoder().encodeToString(key).substring(0, 40).getBytes());
        return out;
    }

    public static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}

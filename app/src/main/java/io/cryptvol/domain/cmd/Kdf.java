package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;

import java.util.ArrayList;
import java.util.List;

/**
 * Key-derivation settings for new key slots. Null fields are left to cryptsetup (strong,
 * benchmark-based defaults). Tests use {@link #fastForTests()}; the product never does by default.
 *
 * @param pbkdf           "argon2id", "argon2i" or "pbkdf2"
 * @param iterTimeMs      --iter-time (benchmark target), exclusive with forceIterations
 * @param forceIterations --pbkdf-force-iterations (no benchmark)
 * @param memoryKiB       --pbkdf-memory (argon2 only)
 * @param parallel        --pbkdf-parallel (argon2 only)
 */
public record Kdf(String pbkdf, Integer iterTimeMs, Integer forceIterations, Integer memoryKiB, Integer parallel) {

    public Kdf {
        if (iterTimeMs != null && forceIterations != null) {
            throw new CryptvolException("give either --iter-time or --pbkdf-force-iterations, not both");
        }
        boolean argon = pbkdf != null && pbkdf.startsWith("argon2");
        if (!argon && (memoryKiB != null || parallel != null)) {
            throw new CryptvolException("--pbkdf-memory and --pbkdf-parallel apply to argon2 only, not " + pbkdf);
        }
    }

    public static Kdf argon2id() {
        return new Kdf("argon2id", null, null, null, null);
    }

    public static Kdf pbkdf2() {
        return new Kdf("pbkdf2", null, null, null, null);
    }

    /** pbkdf2 with 1000 iterations (cryptsetup's minimum): milliseconds, no memory. Tests only. */
    public static Kdf fastForTests() {
        return new Kdf("pbkdf2", null, 1000, null, null);
    }

    public boolean isArgon2() {
        return pbkdf != null && pbkdf.startsWith("argon2");
    }

    List<String> args() {
        List<String> a = new ArrayList<>();
        if (pbkdf != null) {
            a.addAll(List.of("--pbkdf", pbkdf));
        }
        if (iterTimeMs != null) {
            a.addAll(List.of("--iter-time", iterTimeMs.toString()));
        }
        if (forceIterations != null) {
            a.addAll(List.of("--pbkdf-force-iterations", forceIterations.toString()));
        }
        if (memoryKiB != null) {
            a.addAll(List.of("--pbkdf-memory", memoryKiB.toString()));
        }
        if (parallel != null) {
            a.addAll(List.of("--pbkdf-parallel", parallel.toString()));
        }
        return a;
    }
}

package io.cryptvol.keys;

import io.cryptvol.domain.plan.KeyRef;

/**
 * Where a plan runner gets the bytes for a {@link KeyRef}: the key store for named keys, fresh random bytes
 * for ephemeral ones. Every call returns a new array that the caller zeroes after use
 * ({@code Arrays.fill(bytes, (byte) 0)}). An unknown name is a {@code CryptvolException} with exit code 2:
 * "unknown key 'x': see 'keys list'".
 */
@FunctionalInterface
public interface KeySource extends io.cryptvol.exec.PlanRunner.KeySource {

    @Override
    byte[] bytes(KeyRef ref);

    /** Named keys from the store; ephemeral keys from {@link java.security.SecureRandom}. */
    static KeySource of(KeyStore store) {
        return new StoreKeySource(store);
    }
}

package io.cryptvol.keys;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.plan.KeyRef;

import java.security.SecureRandom;
import java.util.Objects;

/** {@link KeySource} over a {@link KeyStore}; ephemeral keys are random bytes used once and never stored. */
public final class StoreKeySource implements KeySource {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final KeyStore store;

    public StoreKeySource(KeyStore store) {
        this.store = Objects.requireNonNull(store);
    }

    @Override
    public byte[] bytes(KeyRef ref) {
        Objects.requireNonNull(ref, "ref");
        if (ref.ephemeral()) {
            byte[] b = new byte[ref.randomBytes()];
            RANDOM.nextBytes(b);
            return b;
        }
        if (!KeyStore.isValidName(ref.name()) || !store.exists(ref.name())) {
            throw new CryptvolException("unknown key '" + ref.name() + "': see 'keys list'", ExitCode.USAGE, null);
        }
        return store.read(ref.name());
    }

    @Override
    public String toString() {
        return "StoreKeySource[" + store + "]";
    }
}

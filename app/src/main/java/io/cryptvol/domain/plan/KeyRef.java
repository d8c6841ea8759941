package io.cryptvol.domain.plan;

import io.cryptvol.CryptvolException;

/**
 * Which key goes on a step's stdin, by reference: plans never hold key bytes. The runner resolves
 * a named key from the key store at execution time; for an ephemeral key it generates
 * {@code randomBytes} random bytes, uses them once and forgets them (sanitize's throwaway mappings).
 */
public record KeyRef(String name, boolean ephemeral, int randomBytes) {

    public KeyRef {
        if (name == null || name.isBlank()) {
            throw new CryptvolException("a key reference needs a name");
        }
        if (ephemeral && randomBytes <= 0) {
            throw new CryptvolException("an ephemeral key needs a length");
        }
    }

    public static KeyRef named(String name) {
        return new KeyRef(name, false, 0);
    }

    public static KeyRef ephemeral(String label, int randomBytes) {
        return new KeyRef(label, true, randomBytes);
    }

    /** "key 'data-key-1'" or "a random throwaway key". */
    public String describe() {
        return ephemeral ? "a random throwaway key" : "key '" + name + "'";
    }
}

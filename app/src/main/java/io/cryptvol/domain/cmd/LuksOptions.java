package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;

/**
 * How to luksFormat. Start from a {@link CipherPreset}; {@link #withKdf} swaps the KDF (tests use
 * fast settings; the defaults stay strong).
 */
public record LuksOptions(LuksType type, String cipher, int keySizeBits, String hash, Kdf kdf) {

    public LuksOptions {
        if (type == null || cipher == null || hash == null || kdf == null) {
            throw new CryptvolException("LUKS options need a type, cipher, hash and KDF");
        }
        if (keySizeBits <= 0 || keySizeBits % 8 != 0) {
            throw new CryptvolException("LUKS key size must be a positive multiple of 8 bits, not " + keySizeBits);
        }
        if (type == LuksType.LUKS1 && kdf.isArgon2()) {
            throw new CryptvolException("LUKS1 supports pbkdf2 only, not " + kdf.pbkdf());
        }
    }

    public static LuksOptions defaults() {
        return CipherPreset.LUKS2_DEFAULT.options();
    }

    public LuksOptions withKdf(Kdf k) {
        return new LuksOptions(type, cipher, keySizeBits, hash, k);
    }

    /** "luks2 aes-xts-plain64 512-bit sha256 argon2id". */
    public String describe() {
        return type.arg() + " " + cipher + " " + keySizeBits + "-bit " + hash + " " + kdf.pbkdf();
    }
}

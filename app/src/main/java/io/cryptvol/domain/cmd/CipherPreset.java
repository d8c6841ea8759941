package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;

import java.util.Arrays;
import java.util.List;

/** Named LUKS settings offered to the user (the names are what shell completion shows). */
public enum CipherPreset {
    /** Today's sane default: LUKS2, aes-xts-plain64, 512-bit key (AES-256-XTS), sha256, argon2id. */
    LUKS2_DEFAULT("luks2-default",
            new LuksOptions(LuksType.LUKS2, "aes-xts-plain64", 512, "sha256", Kdf.argon2id())),
    /** What the original procedure used: LUKS1, aes-cbc-essiv:sha256, 256-bit key, ripemd160. */
    LEGACY_LUKS1_SEED("legacy-luks1-seed",
            new LuksOptions(LuksType.LUKS1, "aes-cbc-essiv:sha256", 256, "ripemd160", Kdf.pbkdf2()));

    private final String presetName;
    private final LuksOptions options;

    CipherPreset(String presetName, LuksOptions options) {
        this.presetName = presetName;
        this.options = options;
    }

    public String presetName() {
        return presetName;
    }

    public LuksOptions options() {
        return options;
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(CipherPreset::presetName).toList();
    }

    public static CipherPreset byName(String name) {
        return Arrays.stream(values()).filter(p -> p.presetName.equals(name) || p.name().equalsIgnoreCase(name))
                .findFirst().orElseThrow(() -> new CryptvolException("unknown cipher preset '" + name
                        + "'; choose one of " + String.join(", ", names())));
    }
}

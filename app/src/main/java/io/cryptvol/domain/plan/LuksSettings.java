package io.cryptvol.domain.plan;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.cmd.CipherPreset;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.LuksType;

import java.util.List;
import java.util.Locale;

/**
 * LUKS settings as the user gave them on the command line: a preset (default luks2), then each override given
 * (null: not given). {@link #options()} resolves them, refusing a bad value as a usage error before the host is
 * even looked at (the planners check the same again).
 */
public record LuksSettings(String preset, String type, String cipher, String hash, Integer keySize, String pbkdf,
                           Integer iterTime, Integer forceIterations, Integer memory) {

    /** Only the key-derivation settings (a new key slot of an existing header). */
    public static LuksSettings kdf(String pbkdf, Integer iterTime, Integer forceIterations, Integer memory) {
        return new LuksSettings(null, null, null, null, null, pbkdf, iterTime, forceIterations, memory);
    }

    public LuksOptions options() {
        LuksOptions base = preset == null || preset.isBlank() ? CipherPreset.LUKS2_DEFAULT.options()
                : preset(preset).options();
        LuksType t = type == null ? base.type() : switch (type.toLowerCase(Locale.ROOT)) {
            case "luks1" -> LuksType.LUKS1;
            case "luks2" -> LuksType.LUKS2;
            default -> throw new CryptvolException("--type must be luks1 or luks2, not '" + type + "'", ExitCode.USAGE, null);
        };
        String kdfName = pbkdf != null ? pbkdf : t == LuksType.LUKS1 ? "pbkdf2" : base.kdf().pbkdf();
        boolean argon = kdfName.startsWith("argon2");
        try {
            Kdf kdf = new Kdf(kdfName, iterTime, forceIterations, argon ? memory : null, null);
            if (!argon && memory != null) {
                throw new CryptvolException("--pbkdf-memory applies to argon2 only, not " + kdfName, ExitCode.USAGE, null);
            }
            LuksOptions o = new LuksOptions(t, cipher != null ? cipher : base.cipher(),
                    keySize != null ? keySize : base.keySizeBits(), hash != null ? hash : base.hash(), kdf);
            List<Refusal> bad = Inputs.luks(o);
            if (!bad.isEmpty()) {
                throw new CryptvolException(bad.get(0).line(), ExitCode.USAGE, null);
            }
            return o;
        } catch (CryptvolException e) {
            throw new CryptvolException(e.getMessage(), ExitCode.USAGE, null);
        }
    }

    /** The preset names and the short ones the brief uses: luks2, legacy-luks1. */
    public static CipherPreset preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "luks2", "default" -> CipherPreset.LUKS2_DEFAULT;
            case "legacy-luks1", "luks1", "legacy", "seed" -> CipherPreset.LEGACY_LUKS1_SEED;
            default -> {
                try {
                    yield CipherPreset.byName(name);
                } catch (CryptvolException e) {
                    throw new CryptvolException(e.getMessage(), ExitCode.USAGE, null);
                }
            }
        };
    }
}

package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * LUKS header copies on the target's tmpfs, in the key file directory ({@link KeyFiles#DIR}, checked to be tmpfs
 * first): a header holds every key slot, so it is handled like a key file, written there only for as long as one
 * step needs it and shredded by the step's cleanup (the key ledger records both). A header backup travels back to
 * this machine as base64 with the SHA-256 of its bytes computed on the host, so that both sides can be compared.
 */
public final class HeaderFiles {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{4,64}");
    /** What the ledger calls a header copy (it records no key name for it). */
    public static final String LEDGER_LABEL = "luks-header";

    private HeaderFiles() {
    }

    /** /run/cryptvol/TOKEN.hdr; the token should be random. */
    public static String path(String token) {
        if (!TOKEN.matcher(token).matches()) {
            throw new CryptvolException("bad header file token '" + token + "'");
        }
        return KeyFiles.DIR + "/" + token + ".hdr";
    }

    /**
     * Prints the SHA-256 of {@code path} ("HEX  -") on the first line, then the file as one line of base64. The
     * output is header bytes: a plan step hands it to its listeners and nothing prints or logs it.
     */
    public static HostCommand fetch(String path) {
        return HostCommand.of("Copy " + path + " back to the key store (base64, SHA-256 on both sides)",
                "sh", "-c", "sha256sum < \"$1\" && base64 -w0 < \"$1\"", "sh", path);
    }

    /** Is this the {@link #fetch} command? Its path then. */
    public static Optional<String> fetchedPath(HostCommand c) {
        List<String> a = c.argv();
        if (a.size() == 5 && a.get(0).equals("sh") && a.get(2).startsWith("sha256sum < \"$1\" && base64")) {
            return Optional.of(a.get(4));
        }
        return Optional.empty();
    }

    /** The header file a {@link Cryptsetup#luksHeaderBackup} command writes, if it is one. */
    public static Optional<String> backupPath(HostCommand c) {
        List<String> a = c.argv();
        if (a.size() == 6 && a.get(0).equals("cryptsetup") && a.get(1).equals("luksHeaderBackup")
                && a.get(4).equals("--header-backup-file")) {
            return Optional.of(a.get(5));
        }
        return Optional.empty();
    }

    /** The device a {@link Cryptsetup#luksHeaderBackup} command reads, if it is one. */
    public static Optional<String> backupDevice(HostCommand c) {
        return backupPath(c).map(p -> c.argv().get(3));
    }

    /** Exit 0 only when {@code path} holds bytes whose SHA-256 is {@code sha256} (checked before a restore). */
    public static HostCommand checkSha256(String path, String sha256) {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new CryptvolException("bad SHA-256 '" + sha256 + "'");
        }
        return HostCommand.of("Check the SHA-256 of " + path + " (" + sha256.substring(0, 16) + "…)", "sh", "-c",
                "s=$(sha256sum < \"$1\") || exit 1; [ \"${s%% *}\" = \"$2\" ] || { echo \"$1: SHA-256 differs from the "
                        + "backup's\" >&2; exit 1; }", "sh", path, sha256);
    }

    /** Bytes a LUKS1 header occupies before its key material: the binary header with its 8 key slots. */
    public static final int LUKS1_HEADER_BYTES = 4096;

    /** A read-only look at the first {@link #LUKS1_HEADER_BYTES} of a device, as base64. */
    public static HostCommand readStart(String device) {
        return HostCommand.query("Read the LUKS1 header of " + device, "sh", "-c",
                "head -c " + LUKS1_HEADER_BYTES + " \"$1\" | base64 -w0", "sh", device);
    }
}

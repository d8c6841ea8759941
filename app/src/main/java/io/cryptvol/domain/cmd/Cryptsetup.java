package io.cryptvol.domain.cmd;


import java.util.ArrayList;
import java.util.List;

/**
 * argv for cryptsetup. Every key travels on stdin ({@code --key-file -}); the plan step says which
 * key by name and the runner attaches the bytes. luksAddKey takes its NEW key as a file path (on
 * the target's tmpfs, see {@link KeyFiles}) because one stdin cannot carry two keys.
 */
public final class Cryptsetup {
    public static final String STDIN = "-";

    private Cryptsetup() {
    }

    public static HostCommand luksFormat(String device, LuksOptions o) {
        return luksFormat(device, o, null);
    }

    /** With {@code --offset} (data start, in 512-byte sectors) pinned, so the mapping size is known. */
    public static HostCommand luksFormat(String device, LuksOptions o, Long dataOffsetSectors) {
        List<String> a = new ArrayList<>(List.of("cryptsetup", "luksFormat", "--batch-mode",
                "--type", o.type().arg(), "--cipher", o.cipher(), "--key-size", String.valueOf(o.keySizeBits()),
                "--hash", o.hash()));
        a.addAll(o.kdf().args());
        if (dataOffsetSectors != null) {
            a.addAll(List.of("--offset", dataOffsetSectors.toString()));
        }
        a.addAll(List.of("--key-file", STDIN, device));
        return HostCommand.of("Format " + device + " as LUKS (" + o.describe() + ")", a);
    }

    /** Existing key on stdin, the new key read from {@code newKeyFile}. */
    public static HostCommand luksAddKey(String device, String newKeyFile, Kdf kdf) {
        List<String> a = new ArrayList<>(List.of("cryptsetup", "luksAddKey", "--batch-mode"));
        a.addAll(kdf.args());
        a.addAll(List.of("--key-file", STDIN, device, newKeyFile));
        return HostCommand.of("Add a key slot to " + device, a);
    }

    /** {@link #luksAddKey(String, String, Kdf)} into key slot {@code slot} (so a token can name it before it exists). */
    public static HostCommand luksAddKey(String device, String newKeyFile, Kdf kdf, int slot) {
        List<String> a = new ArrayList<>(List.of("cryptsetup", "luksAddKey", "--batch-mode", "--key-slot",
                String.valueOf(slot)));
        a.addAll(kdf.args());
        a.addAll(List.of("--key-file", STDIN, device, newKeyFile));
        return HostCommand.of("Add key slot " + slot + " to " + device, a);
    }

    /** LUKS2: stores the token JSON given on stdin as token {@code tokenId}. */
    public static HostCommand tokenImport(String device, int tokenId) {
        return HostCommand.of("Store token " + tokenId + " in the LUKS2 header of " + device,
                "cryptsetup", "token", "import", "--token-id", String.valueOf(tokenId), "--json-file", STDIN, device);
    }

    /** LUKS2: removes token {@code tokenId} from the header. */
    public static HostCommand tokenRemove(String device, int tokenId) {
        return HostCommand.of("Remove token " + tokenId + " from the LUKS2 header of " + device,
                "cryptsetup", "token", "remove", "--token-id", String.valueOf(tokenId), device);
    }

    /** Wipes key slot {@code slot} (batch mode: no remaining key asked; its caller checks one remains). */
    public static HostCommand killSlot(String device, int slot) {
        return HostCommand.of("Wipe key slot " + slot + " of " + device,
                "cryptsetup", "luksKillSlot", "--batch-mode", device, String.valueOf(slot));
    }

    public static HostCommand open(String device, String name) {
        return HostCommand.of("Open " + device + " as /dev/mapper/" + name,
                "cryptsetup", "open", "--type", "luks", "--key-file", STDIN, device, name);
    }

    /** A keyless throwaway mapping (plain dm-crypt) for sanitizing; the random key comes on stdin. */
    public static HostCommand openPlain(String device, String name, String cipher, int keySizeBits) {
        return HostCommand.of("Open " + device + " as throwaway plain mapping " + name,
                "cryptsetup", "open", "--type", "plain", "--cipher", cipher, "--key-size",
                String.valueOf(keySizeBits), "--key-file", STDIN, device, name);
    }

    public static HostCommand close(String name) {
        return HostCommand.of("Close /dev/mapper/" + name, "cryptsetup", "close", name);
    }

    /** Grow the mapping to its device. LUKS2 wants the key (volume key in the kernel keyring). */
    public static HostCommand resize(String name, boolean withKey) {
        List<String> a = new ArrayList<>(List.of("cryptsetup", "resize"));
        if (withKey) {
            a.addAll(List.of("--key-file", STDIN));
        }
        a.add(name);
        return HostCommand.of("Resize /dev/mapper/" + name + " to its device", a);
    }

    public static HostCommand status(String name) {
        return HostCommand.of("Status of /dev/mapper/" + name, "cryptsetup", "status", name);
    }

    public static HostCommand luksDump(String device) {
        return HostCommand.of("Read the LUKS header of " + device, "cryptsetup", "luksDump", device);
    }

    /** Exit 0 when the key on stdin opens a key slot; nothing is mapped. */
    public static HostCommand testKey(String device) {
        return HostCommand.of("Test a key against " + device,
                "cryptsetup", "open", "--test-passphrase", "--type", "luks", "--key-file", STDIN, device);
    }

    /** Exit 0 when the key on stdin opens key slot {@code slot}; nothing is mapped. */
    public static HostCommand testKeySlot(String device, int slot) {
        return HostCommand.of("Test a key against key slot " + slot + " of " + device, "cryptsetup", "open",
                "--test-passphrase", "--type", "luks", "--key-slot", String.valueOf(slot), "--key-file", STDIN, device);
    }

    /** A new header UUID, for a restored clone that sits next to its original. */
    public static HostCommand luksUuid(String device, String newUuid) {
        return HostCommand.of("Give the LUKS header on " + device + " a new UUID",
                "cryptsetup", "luksUUID", "--batch-mode", "--uuid", newUuid, device);
    }

    /**
     * Writes the device's LUKS header (binary header, JSON metadata, key slot area) to {@code file}, which must not
     * exist; cryptsetup creates it readable by its owner only. The file lives on the target's tmpfs
     * ({@link HeaderFiles}) and is shredded by the step's cleanup.
     */
    public static HostCommand luksHeaderBackup(String device, String file) {
        return HostCommand.of("Back up the LUKS header of " + device + " to " + file,
                "cryptsetup", "luksHeaderBackup", "--batch-mode", device, "--header-backup-file", file);
    }

    /** Writes the header in {@code file} over the device's header (key slots included): guarded by its caller. */
    public static HostCommand luksHeaderRestore(String device, String file) {
        return HostCommand.of("Restore the LUKS header of " + device + " from " + file,
                "cryptsetup", "luksHeaderRestore", "--batch-mode", device, "--header-backup-file", file);
    }

    /** LUKS2 only: the header's JSON metadata (key slots, digests), a read-only query. */
    public static HostCommand luksDumpJson(String device) {
        return HostCommand.query("Read the LUKS2 metadata of " + device,
                "cryptsetup", "luksDump", "--dump-json-metadata", device);
    }

    /** Exit 0 when the device has a LUKS header. */
    public static HostCommand isLuks(String device) {
        return HostCommand.of("Check for a LUKS header on " + device, "cryptsetup", "isLuks", device);
    }

    /** Wipes every key slot (luksErase): the data becomes unrecoverable. */
    public static HostCommand erase(String device) {
        return HostCommand.of("Erase all LUKS key slots on " + device, "cryptsetup", "erase", "--batch-mode", device);
    }
}

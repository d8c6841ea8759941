package io.cryptvol.domain.parse;

/** Reads {@code dmsetup table} of a crypt mapping: "START LEN crypt CIPHER KEY IV_OFFSET DEVICE OFFSET [OPTS]". */
public final class DmTableParser {
    private DmTableParser() {
    }

    /**
     * True when the crypt target's key is a keyring reference (":64:logon:cryptsetup:…"), false for a key held in the
     * table (printed as hex, or masked), null when no crypt line is there.
     */
    public static Boolean keyInKeyring(String table) {
        for (String line : table.lines().toList()) {
            String[] w = line.strip().split("\\s+");
            if (w.length >= 5 && w[2].equals("crypt")) {
                return w[4].startsWith(":") && (w[4].contains(":logon:") || w[4].contains(":user:"));
            }
        }
        return null;
    }
}

package io.cryptvol.domain.parse;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.model.Signature;

import java.util.HashMap;
import java.util.Map;

/**
 * Parses {@code blkid -p -o export DEVICE}: KEY=VALUE lines. Exit code 2 means no signature was
 * found; the result is then a Signature with null type and ptType ("probed, clean").
 */
public final class BlkidParser {
    private BlkidParser() {
    }

    public static Signature parse(String device, int exitCode, String out) {
        if (exitCode == 2) {
            return new Signature(device, null, null, null, null, null, null);
        }
        if (exitCode != 0) {
            throw new CryptvolException("blkid -p " + device + " failed with exit code " + exitCode
                    + (exitCode == 8 ? " (ambivalent result: more than one signature; inspect with wipefs)" : ""));
        }
        Map<String, String> kv = new HashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                kv.put(line.substring(0, eq).strip(), unescape(line.substring(eq + 1).strip()));
            }
        }
        return new Signature(kv.getOrDefault("DEVNAME", device), kv.get("TYPE"), kv.get("USAGE"), kv.get("UUID"),
                kv.get("LABEL"), kv.get("VERSION"), kv.get("PTTYPE"));
    }

    /** blkid's export format escapes spaces and shell characters with a backslash. */
    private static String unescape(String v) {
        return v.replaceAll("\\\\(.)", "$1");
    }
}

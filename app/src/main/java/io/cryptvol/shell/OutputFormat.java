package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;

/** {@code --output table|json} on listings. */
public enum OutputFormat {
    TABLE, JSON;

    public static OutputFormat parse(String s) {
        if (s == null || s.isBlank() || s.equalsIgnoreCase("table")) {
            return TABLE;
        }
        if (s.equalsIgnoreCase("json")) {
            return JSON;
        }
        throw new CryptvolException("unknown output format '" + s + "' (use table or json)", ExitCode.USAGE, null);
    }
}

package io.cryptvol.record;

import io.cryptvol.CryptvolException;

/** A script that cannot be read or run, with the place to look at: {@code FILE:LINE: message}. Exit code 2. */
public class ScriptException extends CryptvolException {
    private final String file;
    private final int line;

    public ScriptException(String file, int line, String message) {
        super(file + ":" + line + ": " + message, io.cryptvol.ExitCode.USAGE, null);
        this.file = file;
        this.line = line;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }
}

package io.cryptvol;

/**
 * An error a person can act on. The message is one line, printed as is by the shell
 * (no stack trace unless debug is on). It must never contain key bytes.
 */
public class CryptvolException extends RuntimeException {
    private final int exitCode;

    public CryptvolException(String message) {
        this(message, 1, null);
    }

    public CryptvolException(String message, Throwable cause) {
        this(message, 1, cause);
    }

    public CryptvolException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Process exit code in non-interactive use. */
    public int exitCode() {
        return exitCode;
    }
}

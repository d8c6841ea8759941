package io.cryptvol;

/**
 * An error a person can act on. The message is one line, printed as is by the shell
 * (no stack trace unless debug is on). It must never contain key bytes.
 */
public class CryptvolException extends RuntimeException {
    private final int exitCode;

    public CryptvolException(String message) {
        this(message, ExitCode.FAILED, null);
    }

    public CryptvolException(String message, Throwable cause) {
        this(message, ExitCode.FAILED, cause);
    }

    public CryptvolException(String message, ExitCode exitCode, Throwable cause) {
        this(message, exitCode.code(), cause);
    }

    private CryptvolException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /**
     * A failure that carries on the exit code of an inner one (replay stopping at a line keeps that line's
     * code), never below {@link ExitCode#FAILED}.
     */
    public static CryptvolException passingOn(String message, int innerExitCode) {
        return new CryptvolException(message, Math.max(ExitCode.FAILED.code(), innerExitCode), null);
    }

    /** Process exit code in non-interactive use. */
    public int exitCode() {
        return exitCode;
    }
}

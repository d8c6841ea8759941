package io.cryptvol;

/**
 * The process exit codes of one-command mode and replay, by name. README "Output, files, checks" lists them.
 */
public enum ExitCode {
    /** The command did what it was asked. */
    OK(0),
    /** The command was understood but failed or refused: a host, EC2 or a check said no. */
    FAILED(1),
    /** The input was wrong: an unknown option, a malformed value, a missing argument. Nothing was changed. */
    USAGE(2);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}

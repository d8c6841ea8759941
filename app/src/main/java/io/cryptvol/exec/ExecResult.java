package io.cryptvol.exec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** What a host command returned. */
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr, Duration duration) {

    public boolean ok() {
        return exitCode == 0;
    }

    public String out() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String err() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ExecResult[exit=" + exitCode + ", " + stdout.length + " bytes out, " + stderr.length
                + " bytes err, " + duration.toMillis() + " ms]";
    }
}

package io.cryptvol.keys;

import java.time.Instant;

/**
 * One recorded backup copy of a key: where it is and whether its last check found the same bytes.
 *
 * @param location   absolute path of the copy
 * @param created    when cryptvol wrote (or first recorded) it
 * @param verified   true when the last read-back or {@code keys verify} found the same SHA-256
 * @param verifiedAt time of that last check (null when never checked)
 */
public record Backup(String location, Instant created, boolean verified, Instant verifiedAt) {

    Backup checked(boolean ok, Instant at) {
        return new Backup(location, created, ok, at);
    }
}

package io.cryptvol.exec;

import io.cryptvol.CryptvolException;

/** A host command could not run at all (as opposed to running and failing). */
public class HostExecutionException extends CryptvolException {
    public HostExecutionException(String message) {
        super(message);
    }

    public HostExecutionException(String message, Throwable cause) {
        super(message, cause);
    }
}

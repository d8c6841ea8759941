package io.cryptvol.aws;

import io.cryptvol.CryptvolException;

import java.util.List;

/**
 * Some volumes (or snapshots) of a batch failed. {@link #completed()} names the ones that are done,
 * so that the caller can go on with them or clean them up.
 */
public class EbsBatchException extends CryptvolException {
    private final List<String> completed;
    private final List<String> failed;

    public EbsBatchException(String message, List<String> completed, List<String> failed, Throwable cause) {
        super(message, cause);
        this.completed = List.copyOf(completed);
        this.failed = List.copyOf(failed);
    }

    /** Ids of resources that reached the batch's goal. */
    public List<String> completed() {
        return completed;
    }

    /** Ids (where known) of resources that did not; a creation that failed has none. */
    public List<String> failed() {
        return failed;
    }
}

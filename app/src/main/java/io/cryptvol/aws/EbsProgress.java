package io.cryptvol.aws;

/**
 * Progress of a batch, one event per change of one volume (or snapshot). {@code index} is the
 * volume's place in the batch (0-based), stable before the id is known. Called from worker threads:
 * implementations must be thread-safe and quick.
 */
@FunctionalInterface
public interface EbsProgress {

    enum Stage {
        REQUESTED, CREATING, AVAILABLE, ATTACHING, ATTACHED, DETACHING, DETACHED, DELETING, DELETED,
        SNAPSHOT_PENDING, SNAPSHOT_COMPLETED, FAILED
    }

    /** @param resourceId the volume or snapshot id, null while not known yet
     *  @param detail     e.g. the device name, "42%", or the error message for FAILED */
    record Event(int index, String resourceId, Stage stage, String detail) {
    }

    void on(Event event);

    EbsProgress NONE = e -> { };
}

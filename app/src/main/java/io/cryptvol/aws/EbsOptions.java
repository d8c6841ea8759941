package io.cryptvol.aws;

import java.time.Duration;

/**
 * How the gateway polls and how long it waits. {@code pageSize} is the MaxResults of paginated
 * describes; {@code maxConcurrency} bounds the calls one batch makes at once.
 */
public record EbsOptions(Duration pollInterval, Duration availableTimeout, Duration attachTimeout,
                         Duration detachTimeout, Duration deleteTimeout, Duration snapshotTimeout,
                         int pageSize, int maxConcurrency) {

    public static EbsOptions defaults() {
        return new EbsOptions(Duration.ofSeconds(2), Duration.ofMinutes(5), Duration.ofSeconds(60),
                Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofHours(6), 100, 16);
    }

    /** Quick polling for the sandbox, whose transitions take a few hundred milliseconds. */
    public static EbsOptions sandbox() {
        return defaults().withPollInterval(Duration.ofMillis(100));
    }

    /** The longest wait between two polls of a batch: polls back off from {@link #pollInterval()} up to this. */
    public Duration pollCap() {
        return pollInterval.multipliedBy(5);
    }

    public EbsOptions withPollInterval(Duration d) {
        return new EbsOptions(d, availableTimeout, attachTimeout, detachTimeout, deleteTimeout, snapshotTimeout, pageSize, maxConcurrency);
    }

    public EbsOptions withAttachTimeout(Duration d) {
        return new EbsOptions(pollInterval, availableTimeout, d, detachTimeout, deleteTimeout, snapshotTimeout, pageSize, maxConcurrency);
    }

    public EbsOptions withAvailableTimeout(Duration d) {
        return new EbsOptions(pollInterval, d, attachTimeout, detachTimeout, deleteTimeout, snapshotTimeout, pageSize, maxConcurrency);
    }

    public EbsOptions withPageSize(int n) {
        return new EbsOptions(pollInterval, availableTimeout, attachTimeout, detachTimeout, deleteTimeout, snapshotTimeout, n, maxConcurrency);
    }
}

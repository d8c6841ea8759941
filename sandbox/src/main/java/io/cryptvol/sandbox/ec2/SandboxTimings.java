package io.cryptvol.sandbox.ec2;

import java.time.Duration;

/**
 * How long the sandbox's state transitions take: a volume stays "creating" for {@code volumeCreate},
 * an attachment "attaching" for {@code attach} (plus the time the disk host takes to plug the disk),
 * "detaching" for {@code detach}, a volume "deleting" for {@code volumeDelete} and a snapshot
 * "pending" for {@code snapshot} (its progress rising meanwhile). An instance stays "stopping" at least
 * {@code instanceStop} and "pending" at least {@code instanceStart}, plus the time its disk host takes to
 * power off or boot.
 */
public record SandboxTimings(Duration volumeCreate, Duration attach, Duration detach, Duration volumeDelete,
                             Duration snapshot, Duration instanceStop, Duration instanceStart) {

    /** The volume and snapshot timings; the instance transitions take {@code volumeCreate} each. */
    public SandboxTimings(Duration volumeCreate, Duration attach, Duration detach, Duration volumeDelete,
                          Duration snapshot) {
        this(volumeCreate, attach, detach, volumeDelete, snapshot, volumeCreate, volumeCreate);
    }

    /** The defaults: a few hundred milliseconds each. */
    public static SandboxTimings defaults() {
        return new SandboxTimings(Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofMillis(300),
                Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(500));
    }

    /** Every transition takes the same time. */
    public static SandboxTimings uniform(Duration d) {
        return new SandboxTimings(d, d, d, d, d, d, d);
    }
}

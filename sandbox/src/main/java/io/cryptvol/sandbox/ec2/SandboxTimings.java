package io.cryptvol.sandbox.ec2;

import java.time.Duration;

/**
 * How long the sandbox's state transitions take: a volume stays "creating" for {@code volumeCreate},
 * an attachment "attaching" for {@code attach} (plus the time the disk host takes to plug the disk),
 * "detaching" for {@code detach}, a volume "deleting" for {@code volumeDelete} and a snapshot
 * "pending" for {@code snapshot} (its progress rising meanwhile). An instance stays "stopping" at least
 * {@code instanceStop} and "pending" at least {@code instanceStart}, plus the time its disk host takes to
 * power off or boot.
 *
 * <p>{@code notFoundAfterCreate} is EC2's eventual consistency: for that long after CreateVolume,
 * CreateSnapshot(s) or CopySnapshot answered, the new volume or snapshot is not there yet for the other
 * calls (InvalidVolume.NotFound / InvalidSnapshot.NotFound by id, missing from lists). Zero turns it off.
 * Every constructor and factory but {@link #withNotFoundAfterCreate} sets it to half the shorter of
 * {@code volumeCreate} and {@code snapshot}, so it is on wherever the sandbox runs, tests included, and a
 * client that waits for "available" or "completed" has waited it out.
 */
public record SandboxTimings(Duration volumeCreate, Duration attach, Duration detach, Duration volumeDelete,
                             Duration snapshot, Duration instanceStop, Duration instanceStart,
                             Duration notFoundAfterCreate) {

    public SandboxTimings {
        if (notFoundAfterCreate.isNegative()) {
            throw new IllegalArgumentException("notFoundAfterCreate < 0");
        }
    }

    /** With the default eventual-consistency window (half the shorter of volumeCreate and snapshot). */
    public SandboxTimings(Duration volumeCreate, Duration attach, Duration detach, Duration volumeDelete,
                          Duration snapshot, Duration instanceStop, Duration instanceStart) {
        this(volumeCreate, attach, detach, volumeDelete, snapshot, instanceStop, instanceStart,
                defaultWindow(volumeCreate, snapshot));
    }

    /** The volume and snapshot timings; the instance transitions take {@code volumeCreate} each. */
    public SandboxTimings(Duration volumeCreate, Duration attach, Duration detach, Duration volumeDelete,
                          Duration snapshot) {
        this(volumeCreate, attach, detach, volumeDelete, snapshot, volumeCreate, volumeCreate);
    }

    /** The defaults: a few hundred milliseconds each; new resources unseen for 150 ms. */
    public static SandboxTimings defaults() {
        return new SandboxTimings(Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofMillis(300),
                Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofMillis(500));
    }

    /** Every transition takes the same time (new resources are unseen for half of it). */
    public static SandboxTimings uniform(Duration d) {
        return new SandboxTimings(d, d, d, d, d, d, d);
    }

    /** The same timings with another eventual-consistency window (zero: a new resource is seen at once). */
    public SandboxTimings withNotFoundAfterCreate(Duration window) {
        return new SandboxTimings(volumeCreate, attach, detach, volumeDelete, snapshot, instanceStop, instanceStart,
                window);
    }

    private static Duration defaultWindow(Duration volumeCreate, Duration snapshot) {
        Duration shorter = volumeCreate.compareTo(snapshot) < 0 ? volumeCreate : snapshot;
        return shorter.dividedBy(2);
    }
}

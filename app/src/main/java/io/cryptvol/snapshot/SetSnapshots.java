package io.cryptvol.snapshot;

import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.aws.Ec2Errors;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The EC2 side of a snapshot set: the one CreateSnapshots call (else one CreateSnapshot per volume, all at once,
 * also when CreateSnapshots is not allowed), the per-member tags after the thaw, and the wait for completion.
 */
final class SetSnapshots {
    private final EbsGateway ebs;

    SetSnapshots(EbsGateway ebs) {
        this.ebs = ebs;
    }

    /** What the call(s) returned: the snapshots, whether one CreateSnapshots took them, and how long it took. */
    record Taken(List<EbsSnapshot> snapshots, boolean viaCreateSnapshots, Duration call) {
    }

    /** Takes the snapshots of the target's volumes; {@code l} hears about a fallback and the per-volume calls. */
    Taken take(SnapshotTarget t, String description, Map<String, String> setTags, SnapshotService.Listener l) {
        boolean viaCreateSnapshots = !t.bootVolumeInSet();
        long c0 = System.nanoTime();
        List<EbsSnapshot> snaps;
        if (viaCreateSnapshots) {
            try {
                snaps = ebs.snapshotInstance(t.instanceId(), true, t.excludedVolumes(), description, setTags, false);
            } catch (CryptvolException e) {
                if (!"UnauthorizedOperation".equals(Ec2Errors.code(e))) {
                    throw e;
                }
                viaCreateSnapshots = false;
                l.step("CreateSnapshots not allowed; one CreateSnapshot per volume instead");
                snaps = ebs.snapshotVolumes(t.volumeIds(), description, setTags, l);
            }
        } else {
            snaps = ebs.snapshotVolumes(t.volumeIds(), description, setTags, l);
        }
        return new Taken(snaps, viaCreateSnapshots, Duration.ofNanos(System.nanoTime() - c0));
    }

    /** Tags each member (index, count, volume; "crash" consistency when the watchdog fired); returns the warnings. */
    List<String> tagMembers(List<EbsSnapshot> ordered, String setId, String vg, boolean crash) {
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            try {
                Map<String, String> m = SnapshotTags.forMember(i, ordered.size(), ordered.get(i).volumeId(), setId, vg);
                if (crash) {
                    m.put(SnapshotTags.CONSISTENCY, "crash");
                }
                ebs.tag(List.of(ordered.get(i).id()), m);
            } catch (RuntimeException e) {
                warnings.add("could not tag " + ordered.get(i).id() + ": " + e.getMessage());
            }
        }
        return warnings;
    }

    /** Waits until every snapshot is completed, with progress. */
    List<EbsSnapshot> await(List<EbsSnapshot> snaps, SnapshotService.Listener l) {
        return ebs.awaitSnapshots(ebs.region(), snaps.stream().map(EbsSnapshot::id).toList(), l);
    }
}

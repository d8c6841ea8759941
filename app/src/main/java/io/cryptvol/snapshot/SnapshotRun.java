package io.cryptvol.snapshot;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One snapshot of a set, start to end: pre hook → watchdog → sync → freeze → the EC2 call(s) → thaw → stop the
 * watchdog → post hook, then the member tags and (optionally) the wait. What a run has done so far is its state;
 * whatever failed, the filesystem is thawed (or, when the connection is gone, left to the holder and the
 * watchdog) and the post hook runs when the pre hook did; the exception then says which.
 */
final class SnapshotRun {
    private final HostExecutor ex;
    private final SetSnapshots ec2;
    private final SnapshotTarget t;
    private final SnapshotService.SnapshotOptions o;
    private final SnapshotService.Listener l;
    private final String setId = UUID.randomUUID().toString();
    private final List<String> warnings = new ArrayList<>();

    private boolean preRan;
    private Long watchdogPid;
    private long watchdogStarted;
    private FreezeHold freeze;
    private SetSnapshots.Taken taken;
    private String thawProblem;
    private boolean watchdogFired;

    SnapshotRun(HostExecutor ex, SetSnapshots ec2, SnapshotTarget t, SnapshotService.SnapshotOptions o,
                SnapshotService.Listener l) {
        this.ex = ex;
        this.ec2 = ec2;
        this.t = t;
        this.o = o;
        this.l = l;
    }

    SnapshotService.Result run() {
        RuntimeException failure = null;
        try {
            freezeAndTake();
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            thaw();
            stopWatchdog();
            postHook();
        }
        if (failure != null || thawProblem != null) {
            throw failed(failure);
        }
        // per-member tags: outside the freeze
        List<EbsSnapshot> ordered = SnapshotPlanner.order(taken.snapshots(), t);
        warnings.addAll(ec2.tagMembers(ordered, setId, t.vg(), watchdogFired));
        if (watchdogFired) {
            warnings.add("the watchdog had thawed " + t.mountpoint() + " after " + o.watchdog().toSeconds()
                    + " s, before the snapshots were taken: the set is crash-consistent only (raise --watchdog)");
        }
        List<EbsSnapshot> result = o.await() ? ec2.await(ordered, l) : ordered;
        return new SnapshotService.Result(setId, result, freeze.window(), taken.call(), taken.viaCreateSnapshots(),
                watchdogFired, warnings, freeze.hostClock());
    }

    private void freezeAndTake() {
        if (o.pre() != null) {
            l.step("pre hook: " + o.pre());
            FreezeHold.required(ex, SnapshotPlanner.hook("Pre hook", o.pre()));
            preRan = true;
        }
        ExecResult wd = FreezeHold.required(ex, Watchdog.start(t.mountpoint(), o.watchdog()));
        watchdogPid = Watchdog.pid(wd.out());
        watchdogStarted = System.nanoTime();
        l.step("watchdog pid " + watchdogPid + " thaws " + t.mountpoint() + " after " + o.watchdog().toSeconds() + " s at the latest");
        FreezeHold.required(ex, SnapshotPlanner.sync());
        freeze = new FreezeHold(ex, t.mountpoint()); // from here on, always thaw
        freeze.freeze();
        l.step("frozen " + t.mountpoint());
        l.frozen();
        Map<String, String> setTags = SnapshotTags.forSet(setId, t, java.time.Instant.now());
        String description = "cryptvol set " + setId + " of " + t.vg() + "/" + t.lv() + " @" + t.mountpoint();
        taken = ec2.take(t, description, setTags, l);
        SnapshotPlanner.requireCovered(t, taken.snapshots());
    }

    private void thaw() {
        if (freeze == null) {
            return;
        }
        thawProblem = freeze.thaw();
        if (thawProblem == null) {
            l.step("thawed " + t.mountpoint() + " after " + io.cryptvol.domain.Durations.precise(freeze.sentToThawed()));
        }
    }

    private void stopWatchdog() {
        if (watchdogPid == null || thawProblem != null) {
            return;
        }
        try {
            ExecResult r = ex.run(Watchdog.stop(watchdogPid));
            if (r.exitCode() == Watchdog.GONE) {
                watchdogFired = freeze != null;
            } else if (!r.ok()) {
                warnings.add("could not stop the watchdog (pid " + watchdogPid + "): " + r.err().strip()
                        + "; it will thaw " + t.mountpoint() + " (harmlessly) later");
            }
        } catch (RuntimeException e) {
            warnings.add("could not stop the watchdog (pid " + watchdogPid + "): " + e.getMessage());
        }
    }

    private void postHook() {
        if (!preRan || o.post() == null) {
            return;
        }
        try {
            l.step("post hook: " + o.post());
            ExecResult r = ex.run(SnapshotPlanner.hook("Post hook", o.post()));
            if (!r.ok()) {
                warnings.add("the post hook exited " + r.exitCode() + ": " + r.err().strip());
            }
        } catch (RuntimeException e) {
            warnings.add("the post hook did not run: " + e.getMessage());
        }
    }

    /** The one line that says what failed, what state the filesystem is in, and what exists now. */
    private CryptvolException failed(RuntimeException failure) {
        StringBuilder msg = new StringBuilder("snapshot failed: ");
        msg.append(failure != null ? failure.getMessage() : "the snapshots were started but the thaw was not");
        if (freeze == null) {
            msg.append("; nothing was frozen");
        } else if (thawProblem == null) {
            msg.append("; ").append(t.mountpoint()).append(" was thawed after ").append(io.cryptvol.domain.Durations.precise(freeze.window()));
        } else {
            long leftMs = Duration.ofNanos(watchdogStarted - System.nanoTime()).plus(o.watchdog()).toMillis();
            msg.append("; ").append(thawProblem).append(freeze.held() ? ": the host thaws by itself when the connection ends, and" : ":")
                    .append(" the watchdog (pid ").append(watchdogPid).append(") thaws ")
                    .append(t.mountpoint()).append(" at most ").append(o.watchdog().toSeconds()).append(" s after it started")
                    .append(leftMs > 0 ? " (in " + io.cryptvol.domain.Durations.precise(Duration.ofMillis(leftMs)) + ")" : " (it has by now)");
        }
        List<EbsSnapshot> snaps = taken == null ? List.of() : taken.snapshots();
        if (!snaps.isEmpty()) {
            msg.append("; snapshots ").append(String.join(", ", snaps.stream().map(EbsSnapshot::id).toList()))
                    .append(" of set ").append(setId).append(" exist ('snapshots delete ").append(setId).append("')");
        }
        if (!warnings.isEmpty()) {
            msg.append("; ").append(String.join("; ", warnings));
        }
        return new CryptvolException(msg.toString(), ExitCode.FAILED, failure);
    }
}

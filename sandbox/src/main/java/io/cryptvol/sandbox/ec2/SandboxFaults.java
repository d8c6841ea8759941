package io.cryptvol.sandbox.ec2;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection for the sandbox EC2 endpoint. Thread-safe; every method returns {@code this} so
 * faults can be chained. Action names are EC2's ("CreateVolume"); {@link #ANY} matches every action.
 */
public final class SandboxFaults {
    public static final String ANY = "*";

    private record Failure(String code, String message) {
    }

    private volatile Duration latency = Duration.ZERO;
    private final Map<String, Duration> actionLatency = new ConcurrentHashMap<>();
    private final Map<String, Deque<Failure>> failNext = new HashMap<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final Set<String> stuckVolumes = ConcurrentHashMap.newKeySet();
    private final AtomicInteger stickNextAttachments = new AtomicInteger();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> lastParameters = new ConcurrentHashMap<>();
    private volatile boolean snapshotsHeld;

    /** Added to every call (before it is handled), like a slow network or a busy endpoint. */
    public SandboxFaults latency(Duration perCall) {
        this.latency = perCall;
        return this;
    }

    /** Added to every call of one action, on top of {@link #latency(Duration)}. */
    public SandboxFaults latency(String action, Duration perCall) {
        actionLatency.put(action, perCall);
        return this;
    }

    /** The next {@code times} calls of {@code action} fail with {@code code} (EC2's message and status for it). */
    public SandboxFaults failNext(String action, int times, String code) {
        return failNext(action, times, code, null);
    }

    public synchronized SandboxFaults failNext(String action, int times, String code, String message) {
        Deque<Failure> q = failNext.computeIfAbsent(action, a -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            q.add(new Failure(code, message));
        }
        return this;
    }

    /** Every call of {@code action} answers UnauthorizedOperation until {@link #allow(String)}. */
    public SandboxFaults deny(String action) {
        denied.add(action);
        return this;
    }

    public SandboxFaults allow(String action) {
        denied.remove(action);
        return this;
    }

    /** This volume's next attachment stays "attaching" for ever (the disk is never plugged in). */
    public SandboxFaults stickAttaching(String volumeId) {
        stuckVolumes.add(volumeId);
        return this;
    }

    /** The next {@code n} attachments, whatever the volume, stay "attaching" for ever. */
    public SandboxFaults stickNextAttachments(int n) {
        stickNextAttachments.addAndGet(n);
        return this;
    }

    /**
     * Snapshots stay "pending" (progress below 100 %) until {@link #releaseSnapshots()}, however long their
     * timing says they take: a test sees them pending without guessing how fast the machine is.
     */
    public SandboxFaults holdSnapshots() {
        snapshotsHeld = true;
        return this;
    }

    /** Held snapshots complete (at once when their time is up). */
    public SandboxFaults releaseSnapshots() {
        snapshotsHeld = false;
        return this;
    }

    boolean snapshotsHeld() {
        return snapshotsHeld;
    }

    /** How many requests of this action reached the endpoint (failed ones and retries included). */
    public int calls(String action) {
        AtomicInteger n = calls.get(action);
        return n == null ? 0 : n.get();
    }

    /**
     * The parameters of the last request of this action that reached the endpoint (what the client really
     * sent, e.g. whether DetachVolume named its InstanceId), or an empty map.
     */
    public Map<String, String> lastParameters(String action) {
        return lastParameters.getOrDefault(action, Map.of());
    }

    public Map<String, Integer> calls() {
        Map<String, Integer> out = new HashMap<>();
        calls.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Clears every fault and the call counts. */
    public synchronized SandboxFaults reset() {
        latency = Duration.ZERO;
        actionLatency.clear();
        failNext.clear();
        denied.clear();
        stuckVolumes.clear();
        stickNextAttachments.set(0);
        snapshotsHeld = false;
        calls.clear();
        lastParameters.clear();
        return this;
    }

    // ---- used by the server ----

    void beforeCall(String action, Map<String, String> parameters) {
        calls.computeIfAbsent(action, a -> new AtomicInteger()).incrementAndGet();
        lastParameters.put(action, Map.copyOf(parameters));
        long ms = latency.toMillis() + actionLatency.getOrDefault(action, Duration.ZERO).toMillis();
        if (ms > 0) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (denied.contains(action) || denied.contains(ANY)) {
            throw new Ec2Error("UnauthorizedOperation", Ec2Error.unauthorizedMessage(action));
        }
        Failure f = nextFailure(action);
        if (f != null) {
            throw new Ec2Error(f.code(), f.message() != null ? f.message() : Ec2Error.defaultMessage(f.code(), action));
        }
    }

    private synchronized Failure nextFailure(String action) {
        for (String key : new String[] {action, ANY}) {
            Deque<Failure> q = failNext.get(key);
            if (q != null && !q.isEmpty()) {
                return q.poll();
            }
        }
        return null;
    }

    boolean takeStuck(String volumeId) {
        if (stuckVolumes.remove(volumeId)) {
            return true;
        }
        return stickNextAttachments.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }
}

package io.cryptvol.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One script on many hosts: at most {@code maxConcurrency} at a time; once more than {@code maxErrors} hosts have
 * failed, no further host is started (those already running finish), as SSM's MaxConcurrency and MaxErrors do.
 * Hosts start in the order given. Each host's run ({@link HostRunner}) is independent of the others.
 */
public final class FleetRun {

    /** A host of the fleet: its name in the summary and the target a replay connects to. */
    public record Host(String name, String target) {
    }

    public enum State { OK, FAILED, NOT_STARTED }

    /**
     * How one host's run ended.
     *
     * @param where  FILE:LINE of the failing line, or null
     * @param reason the failure's one line, or null
     */
    public record Outcome(Host host, State state, int exitCode, Duration took, String where, String reason, Path log) {
    }

    /** Runs the script on one host, writing its log; never throws for a failing script (that is an outcome). */
    @FunctionalInterface
    public interface HostRunner {
        Outcome run(Host host) throws Exception;
    }

    /** What the fleet did: one outcome per host, in the order given, and whether --max-errors stopped it. */
    public record Result(List<Outcome> outcomes, boolean maxErrorsExceeded) {
        public long failed() {
            return outcomes.stream().filter(o -> o.state() == State.FAILED).count();
        }

        public long notStarted() {
            return outcomes.stream().filter(o -> o.state() == State.NOT_STARTED).count();
        }
    }

    private FleetRun() {
    }

    public static Result run(List<Host> hosts, int maxConcurrency, int maxErrors, HostRunner runner) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("maxConcurrency < 1");
        }
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(maxConcurrency, Math.max(1, hosts.size())), r -> {
            Thread t = new Thread(r, "fleet-host");
            t.setDaemon(true);
            return t;
        });
        List<Future<Outcome>> futures = new ArrayList<>();
        try {
            for (Host h : hosts) {
                futures.add(pool.submit(() -> {
                    if (errors.get() > maxErrors) {
                        return new Outcome(h, State.NOT_STARTED, -1, Duration.ZERO, null,
                                "not started: more than " + maxErrors + " host" + (maxErrors == 1 ? "" : "s") + " failed", null);
                    }
                    long t0 = System.nanoTime();
                    Outcome o;
                    try {
                        o = runner.run(h);
                    } catch (Exception e) {
                        o = new Outcome(h, State.FAILED, -1, Duration.ofNanos(System.nanoTime() - t0), null,
                                String.valueOf(e.getMessage()), null);
                    }
                    if (o.state() == State.FAILED) {
                        errors.incrementAndGet();
                    }
                    return o;
                }));
            }
            List<Outcome> out = new ArrayList<>();
            for (Future<Outcome> f : futures) {
                try {
                    out.add(f.get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
            return new Result(out, errors.get() > maxErrors);
        } finally {
            pool.shutdownNow();
        }
    }
}

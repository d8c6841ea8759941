package io.cryptvol.shell;

import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepCommand;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A progress bar for a long zero fill (sanitize): while dd runs, a second read-only command polls the
 * device-mapper target's written sectors ({@code /sys/dev/block/MAJ:MIN/stat}, field 7) and prints bytes,
 * throughput and ETA. Each poll is a process on the host, and on a small instance that competes with the
 * fill for the CPU (the cipher runs there), so polls are spaced by at least {@link #MIN_INTERVAL} and at
 * least {@link #COST_FACTOR} times what the last poll took: progress costs at most about 1/COST_FACTOR of
 * the fill's time. After the first poll only the counter file is read ({@code cat}), not dmsetup.
 */
final class WipeProgress {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "wipe-progress");
        t.setDaemon(true);
        return t;
    });
    private final HostExecutor ex;
    private final Ui ui;
    private final String mapping;
    private final long total;
    private final long t0 = System.nanoTime();
    static final long MIN_INTERVAL_MS = 2000;
    static final int COST_FACTOR = 25;
    private Long baseline;
    private String statFile;
    private volatile boolean printed;

    private WipeProgress(HostExecutor ex, Ui ui, String mapping, long total) {
        this.ex = ex;
        this.ui = ui;
        this.mapping = mapping;
        this.total = total;
    }

    /** Starts polling when the step writes zeros through a /dev/mapper device; else null. */
    static WipeProgress startIfWipe(HostExecutor ex, PlanStep step, Ui ui) {
        if (step.kind() != StepKind.WIPE_DEVICE || !ex.changesHost()) {
            return null;
        }
        for (StepCommand c : step.commands()) {
            Optional<long[]> dummy = Optional.empty();
            String of = null;
            long count = -1;
            for (String a : c.command().argv()) {
                if (a.startsWith("of=/dev/mapper/")) {
                    of = a.substring("of=/dev/mapper/".length());
                } else if (a.startsWith("count=")) {
                    count = Long.parseLong(a.substring(6));
                }
            }
            if (c.command().argv().get(0).equals("dd") && of != null && count > 0) {
                WipeProgress p = new WipeProgress(ex, ui, of, count);
                p.timer.schedule(p::poll, MIN_INTERVAL_MS, TimeUnit.MILLISECONDS);
                return p;
            }
        }
        return null;
    }

    /** How long to wait before the next poll, given what the last one took. */
    static long nextDelayMs(long lastPollMs) {
        return Math.max(MIN_INTERVAL_MS, COST_FACTOR * lastPollMs);
    }

    private void poll() {
        long t0 = System.nanoTime();
        try {
            pollOnce();
        } finally {
            long took = (System.nanoTime() - t0) / 1_000_000;
            if (!timer.isShutdown()) {
                try {
                    timer.schedule(this::poll, nextDelayMs(took), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException ignored) {
                    // stopped meanwhile
                }
            }
        }
    }

    private void pollOnce() {
        try {
            ExecResult r = ex.run(statFile == null ? io.cryptvol.domain.cmd.Wipe.writtenSectors(mapping)
                    : io.cryptvol.domain.cmd.Wipe.writtenSectorsFrom(mapping, statFile));
            if (!r.ok() || r.out().isBlank()) {
                return;
            }
            String[] f = r.out().strip().split("\\s+");
            if (statFile == null && f.length >= 2) {
                statFile = "/sys/dev/block/" + f[0] + ":" + f[1] + "/stat";
            }
            long sectors = Long.parseLong(statFile != null && f.length > 6 ? f[6] : f[f.length - 1]);
            if (baseline == null) {
                baseline = 0L; // the mapping was opened by this step: everything written is the fill
            }
            long done = Math.min(total, (sectors - baseline) * 512);
            double secs = (System.nanoTime() - t0) / 1e9;
            ui.progressPart("\n" + line(done, total, secs));
            printed = true;
        } catch (RuntimeException ignored) {
            // progress is best effort; the fill itself reports failures
        }
    }

    /** "[#########-----------]  45%  460 MiB / 1 GiB  115.0 MiB/s  ETA 5 s". */
    static String line(long done, long total, double secs) {
        int width = 24;
        double f = total == 0 ? 1 : (double) done / total;
        int filled = (int) Math.round(f * width);
        double rate = secs > 0 ? done / secs : 0;
        String eta = rate > 0 ? String.format(Locale.ROOT, "ETA %s", duration((total - done) / rate)) : "ETA ?";
        return "   [" + "#".repeat(filled) + "-".repeat(width - filled) + "] "
                + String.format(Locale.ROOT, "%3d%%  %s / %s  %s/s  %s", (int) (f * 100), Sizes.human(done),
                Sizes.human(total), Sizes.human((long) rate), eta);
    }

    static String duration(double s) {
        long x = Math.round(s);
        return x >= 3600 ? x / 3600 + " h " + (x % 3600) / 60 + " min" : x >= 60 ? x / 60 + " min " + x % 60 + " s"
                : x + " s";
    }

    void stop() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (printed) {
            ui.progressPart("\n   ");
        }
    }
}

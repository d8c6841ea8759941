package io.cryptvol.bench;

import io.cryptvol.session.Inventory;
import io.cryptvol.shell.CommandLineCompletion;
import io.cryptvol.shell.ShellHarness;
import org.springframework.shell.CompletionContext;
import org.springframework.shell.Shell;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A figure, not a test: Tab completion latency from the cached inventory, in process, through Spring
 * Shell's own completion ({@link Shell#complete}, what JLine's completer calls at the prompt) and through
 * the command-line path ({@code cryptvol __complete}, what bash completion calls, minus JVM start), for
 * {@code use vg <TAB>} and {@code pv create <TAB>} with 200 VGs and 500 devices in the inventory. The
 * baseline is completing a command name ({@code ver<TAB>}), which reads no inventory.
 * A careful loop rather than JMH: warm-up, then the median of 7 batches of 200 calls each.
 */
public final class CompletionBench {
    static final int BATCHES = 7;
    static final int PER_BATCH = 200;

    public static void main(String[] args) throws Exception {
        Path home = Files.createTempDirectory("cryptvol-bench-home");
        try (ShellHarness h = new ShellHarness(home, Map.of())) {
            Inventory inv = h.bean(Inventory.class);
            List<String> vgs = new ArrayList<>();
            List<String> devs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                vgs.add("vg" + i);
            }
            for (int i = 0; i < 500; i++) {
                devs.add("/dev/nvme" + i + "n1");
            }
            inv.put("vg", vgs);
            inv.put("device", devs);
            Shell shell = h.bean(Shell.class);
            CommandLineCompletion cli = h.bean(CommandLineCompletion.class);

            Supplier<Integer> base = () -> shell.complete(ctx(List.of("ver"))).size();
            Supplier<Integer> useVg = () -> shell.complete(ctx(List.of("use", "vg", ""))).size();
            Supplier<Integer> pvCreate = () -> shell.complete(ctx(List.of("pv", "create", ""))).size();
            Supplier<Integer> cliVg = () -> cli.complete(List.of("use", "vg", "")).size();
            check("use vg <TAB>", useVg.get(), 200);
            check("pv create <TAB>", pvCreate.get(), 500);

            BenchOut out = new BenchOut("completion");

            figure(out, "Tab: use vg <TAB> (200 VGs), Spring Shell", useVg, base);
            figure(out, "Tab: pv create <TAB> (500 devices)", pvCreate, base);
            figure(out, "Tab: use vg <TAB>, __complete path", cliVg, base);
            out.write();
        }
    }

    static CompletionContext ctx(List<String> words) {
        return new CompletionContext(words, words.size() - 1, words.get(words.size() - 1).length(), null, null);
    }

    static void check(String what, int got, int atLeast) {
        if (got < atLeast) {
            throw new IllegalStateException(what + " gave " + got + " proposals, expected at least " + atLeast);
        }
    }

    static void figure(BenchOut out, String name, Supplier<Integer> s, Supplier<Integer> base) {
        List<Double> v = new ArrayList<>();
        List<Double> bs = new ArrayList<>();
        millis(s);
        millis(base);
        for (int i = 0; i < BATCHES; i++) {
            v.add(millis(s));
            bs.add(millis(base));
        }
        double value = BenchOut.median(v);
        double baseline = BenchOut.median(bs);
        out.figure(name, "ms", value, "ver<TAB> (command name)", baseline, value / baseline, "<= 20 ms", value <= 20,
                BATCHES, "per call, in process");
    }

    /** Mean milliseconds per call over one batch. */
    static double millis(Supplier<Integer> s) {
        long sink = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < PER_BATCH; i++) {
            sink += s.get();
        }
        double ms = (System.nanoTime() - t0) / 1e6 / PER_BATCH;
        if (sink < 0) {
            System.out.println(sink);
        }
        return ms;
    }
}

package io.cryptvol.bench;

import io.cryptvol.session.Inventory;
import io.cryptvol.shell.CommandLineCompletion;
import io.cryptvol.shell.ShellHarness;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.springframework.shell.CompletionContext;
import org.springframework.shell.Shell;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A figure, not a test: Tab completion latency from the cached inventory, in process (JMH), through Spring
 * Shell's own completion ({@link Shell#complete}, what JLine's completer calls at the prompt) and through
 * the command-line path ({@code cryptvol __complete}, what bash completion calls, minus JVM start), for
 * {@code use vg <TAB>} and {@code pv create <TAB>} with 200 VGs and 500 devices in the inventory. The
 * baseline is completing a command name ({@code ver<TAB>}), which reads no inventory, measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dlogging.level.root=WARN"})
public class CompletionBench {
    private Path home;
    private ShellHarness harness;
    private Shell shell;
    private CommandLineCompletion cli;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        home = Files.createTempDirectory("cryptvol-bench-home");
        harness = new ShellHarness(home, Map.of());
        Inventory inv = harness.bean(Inventory.class);
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
        shell = harness.bean(Shell.class);
        cli = harness.bean(CommandLineCompletion.class);
        check("use vg <TAB>", useVg(), 200);
        check("pv create <TAB>", pvCreate(), 500);
        check("use vg <TAB> (__complete)", useVgCommandLine(), 200);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        harness.close();
        try (var files = Files.walk(home)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public int commandName() {
        return shell.complete(ctx(List.of("ver"))).size();
    }

    @Benchmark
    public int useVg() {
        return shell.complete(ctx(List.of("use", "vg", ""))).size();
    }

    @Benchmark
    public int pvCreate() {
        return shell.complete(ctx(List.of("pv", "create", ""))).size();
    }

    @Benchmark
    public int useVgCommandLine() {
        return cli.complete(List.of("use", "vg", "")).size();
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(CompletionBench.class.getName() + "\\.")
                .jvmArgsPrepend("-Dcryptvol.root=" + System.getProperty("cryptvol.root", "."))
                .build()).run();
        double base = score(results, "commandName");
        BenchOut out = new BenchOut("completion");
        figure(out, "Tab: use vg <TAB> (200 VGs), Spring Shell", score(results, "useVg"), base);
        figure(out, "Tab: pv create <TAB> (500 devices)", score(results, "pvCreate"), base);
        figure(out, "Tab: use vg <TAB>, __complete path", score(results, "useVgCommandLine"), base);
        out.write();
    }

    /** JMH's mean time per call, in milliseconds. */
    static double score(Collection<RunResult> results, String method) {
        return results.stream().filter(r -> r.getParams().getBenchmark().endsWith("." + method)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no JMH result for " + method))
                .getPrimaryResult().getScore() / 1000.0;
    }

    static void figure(BenchOut out, String name, double ms, double baseMs) {
        out.figure(name, "ms", ms, "ver<TAB> (command name)", baseMs, ms / baseMs, "<= 20 ms", ms <= 20,
                5, "JMH average time per call, in process (1 fork, 3 warm-up + 5 measured 1 s iterations)");
    }

    static CompletionContext ctx(List<String> words) {
        return new CompletionContext(words, words.size() - 1, words.get(words.size() - 1).length(), null, null);
    }

    static void check(String what, int got, int atLeast) {
        if (got < atLeast) {
            throw new IllegalStateException(what + " gave " + got + " proposals, expected at least " + atLeast);
        }
    }
}

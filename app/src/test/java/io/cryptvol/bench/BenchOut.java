package io.cryptvol.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a bench main reports: figures (a value against its baseline measured in the same run, each the
 * median of several runs), printed as lines and written as JSON to target/bench/NAME.json for
 * scripts/bench/run to tabulate. Not a test: nothing here runs under surefire.
 */
public final class BenchOut {
    private final String name;
    private final List<Map<String, Object>> figures = new ArrayList<>();

    public BenchOut(String name) {
        this.name = name;
    }

    public static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * One figure. {@code ratio} is value/baseline (or the reverse where the target says so, e.g. throughput);
     * {@code pass} compares with the target as the issue states it.
     */
    public void figure(String figure, String unit, double value, String baselineName, double baseline, double ratio,
                       String target, boolean pass, int runs, String note) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("figure", figure);
        m.put("unit", unit);
        m.put("value", round(value));
        m.put("baseline", baselineName);
        m.put("baselineValue", round(baseline));
        m.put("ratio", round(ratio));
        m.put("target", target);
        m.put("pass", pass);
        m.put("runs", runs);
        m.put("load", loadAverage());
        if (note != null) {
            m.put("note", note);
        }
        figures.add(m);
        try {
            write(); // after every figure: a later failure keeps what was measured
        } catch (IOException e) {
            System.err.println("cannot write the bench JSON: " + e);
        }
        System.out.printf(Locale.ROOT, "%-44s %10.2f %-4s vs %-28s %10.2f  ratio %6.2f  target %-22s %s  (median of %d, load %s)%s%n",
                figure, value, unit, baselineName, baseline, ratio, target, pass ? "PASS" : "MISS", runs, loadAverage(),
                note == null ? "" : "  " + note);
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1000) / 1000.0 : -1;
    }

    /** Writes target/bench/NAME.json (or under -Dbench.out=DIR). */
    public void write() throws IOException {
        Path dir = Path.of(System.getProperty("bench.out", "target/bench"));
        Files.createDirectories(dir);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("bench", name);
        doc.put("java", System.getProperty("java.version"));
        doc.put("cpus", Runtime.getRuntime().availableProcessors());
        doc.put("figures", figures);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(name + ".json").toFile(), doc);
    }
}

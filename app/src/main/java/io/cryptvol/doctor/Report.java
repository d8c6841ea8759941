package io.cryptvol.doctor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code doctor} found on one target: every check's lines, in the order of {@link Doctor#IDS}.
 * Failing is what sets the exit code; a warning does not.
 */
public record Report(String target, List<Check> checks) {

    public Report {
        checks = List.copyOf(checks);
    }

    public long count(Check.Status s) {
        return checks.stream().filter(c -> c.status() == s).count();
    }

    public boolean failed() {
        return count(Check.Status.FAIL) > 0;
    }

    /** "9 ok, 1 warning, 2 failed, 1 skipped". */
    public String summary() {
        long w = count(Check.Status.WARN);
        return count(Check.Status.OK) + " ok, " + w + " warning" + (w == 1 ? "" : "s") + ", " + count(Check.Status.FAIL)
                + " failed, " + count(Check.Status.SKIPPED) + " skipped";
    }

    /**
     * The JSON shape of {@code doctor --output json} (stable field names): {@code target}, {@code ok} (no check
     * failed), {@code counts} {ok, warn, fail, skipped}, {@code checks} [{id, subject, status, message, fix}].
     */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", target);
        m.put("ok", !failed());
        Map<String, Object> counts = new LinkedHashMap<>();
        for (Check.Status s : Check.Status.values()) {
            counts.put(s.word(), count(s));
        }
        m.put("counts", counts);
        m.put("checks", checks.stream().map(c -> {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", c.id());
            r.put("subject", c.subject());
            r.put("status", c.status().word());
            r.put("message", c.message());
            r.put("fix", c.fix());
            return r;
        }).toList());
        return m;
    }
}

package io.cryptvol.snapshot;

import io.cryptvol.domain.ControlChars;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A VG's snapshot copy policy: the regions its newest complete set must have a completed copy in, and how old that set
 * may be. Kept as tags on the VG's EBS volumes ({@link #COPY_TO}, {@link #MAX_AGE}), so that it travels with the
 * estate: every machine cryptvol runs on, and {@code doctor --all}, reads the same policy from EC2, and it goes away
 * with the volumes. Pure: parsing and checking of the tag values, which come from EC2 and are checked like typed input.
 *
 * @param regions the destination regions, in the order given, each once
 * @param maxAge  how old the newest complete set may be (null: doctor's default or --max-age)
 */
public record CopyPolicy(List<String> regions, Duration maxAge) {
    public static final String COPY_TO = "cryptvol:copy-to";
    public static final String MAX_AGE = "cryptvol:copy-max-age";
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]{2,12}-\\d{1,2}");

    public CopyPolicy {
        regions = List.copyOf(regions);
    }

    /** "eu-west-1,us-west-2" into regions: each checked, none twice; a one-line reason otherwise. */
    public static List<String> regions(String csv) {
        if (csv == null || csv.isBlank()) {
            throw new IllegalArgumentException("no region given (e.g. --copy-to eu-west-1,us-west-2)");
        }
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String r : csv.split(",", -1)) {
            String s = r.strip();
            if (!REGION.matcher(s).matches()) {
                throw new IllegalArgumentException("'" + ControlChars.oneLine(s) + "' is not an AWS region (e.g. eu-west-1)");
            }
            if (!out.add(s)) {
                throw new IllegalArgumentException("region " + s + " is given twice");
            }
        }
        if (out.size() > 8) {
            throw new IllegalArgumentException("at most 8 regions, not " + out.size());
        }
        return List.copyOf(out);
    }

    /** An age as {@link io.cryptvol.domain.Durations#parseAge} reads it; a one-line reason otherwise. */
    public static Duration age(String s) {
        return io.cryptvol.domain.Durations.parseAge(s).orElseThrow(() -> new IllegalArgumentException("'"
                + ControlChars.oneLine(s) + "' is not an age (e.g. 24h, 2d, 90m)"));
    }

    /** The age as the tag holds it: the largest whole unit. */
    public static String ageTag(Duration d) {
        long s = d.toSeconds();
        if (s % 86400 == 0) {
            return s / 86400 + "d";
        }
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }

    /** The tags that hold this policy. */
    public Map<String, String> tags() {
        java.util.Map<String, String> t = new java.util.LinkedHashMap<>();
        t.put(COPY_TO, String.join(",", regions));
        if (maxAge != null) {
            t.put(MAX_AGE, ageTag(maxAge));
        }
        return t;
    }

    /**
     * The policy a VG's volumes carry, read from each volume's tags: empty when none carries {@link #COPY_TO}; a
     * {@link Read} with a problem when the values do not parse or the volumes disagree (a policy half-set by hand).
     */
    public static Optional<Read> of(List<Map<String, String>> volumeTags) {
        List<String> copy = new ArrayList<>();
        List<String> age = new ArrayList<>();
        for (Map<String, String> t : volumeTags) {
            copy.add(t.get(COPY_TO));
            age.add(t.get(MAX_AGE));
        }
        if (copy.stream().allMatch(c -> c == null)) {
            return Optional.empty();
        }
        if (copy.stream().distinct().count() > 1 || age.stream().distinct().count() > 1) {
            return Optional.of(new Read(null, "the VG's volumes disagree on " + COPY_TO + "/" + MAX_AGE
                    + " (set it again: snapshots policy set)"));
        }
        try {
            return Optional.of(new Read(new CopyPolicy(regions(copy.get(0)), age.get(0) == null ? null : age(age.get(0))), null));
        } catch (IllegalArgumentException e) {
            return Optional.of(new Read(null, "tag " + COPY_TO + "/" + MAX_AGE + ": " + e.getMessage()));
        }
    }

    /** A policy as read from EC2, or why it could not be read (one line, values escaped). */
    public record Read(CopyPolicy policy, String problem) {
    }

    /** "copies to eu-west-1, us-west-2; newest complete set at most 24h old". */
    public String describe() {
        return "copies to " + String.join(", ", regions) + (maxAge == null ? "" : "; newest complete set at most "
                + ageTag(maxAge) + " old");
    }
}

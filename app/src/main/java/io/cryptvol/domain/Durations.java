package io.cryptvol.domain;

import java.time.Duration;
import java.util.Locale;

/** How cryptvol writes a duration for a person to read: the one place (progress, results, timeouts in messages). */
public final class Durations {
    private Durations() {
    }

    /** What something took, to the tenth of a second: "1.2 s". */
    public static String took(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toNanos() / 1e9);
    }

    /** A short window, to the hundredth of a second: "0.28 s" (a snapshot's freeze window). */
    public static String precise(Duration d) {
        return String.format(Locale.ROOT, "%.2f s", d.toNanos() / 1e9);
    }

    /** A configured time as it was most likely given: "60 s", "500 ms". */
    public static String setting(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}

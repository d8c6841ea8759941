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

    /** An age or a limit in whole units, the two largest that matter: "3 d 4 h", "5 h 12 min", "40 s". */
    public static String age(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s >= 86400) {
            return s / 86400 + " d" + (s % 86400 / 3600 == 0 ? "" : " " + s % 86400 / 3600 + " h");
        }
        if (s >= 3600) {
            return s / 3600 + " h" + (s % 3600 / 60 == 0 ? "" : " " + s % 3600 / 60 + " min");
        }
        if (s >= 60) {
            return s / 60 + " min";
        }
        return s + " s";
    }
}

package io.cryptvol.domain;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** (duration, took, precise, setting): the one way a duration is written for a person. */
class DurationsTest {
    @Test
    void everyForm() {
        Object[][] rows = {
                {Duration.ofMillis(1234), "1.2 s", "1.23 s", "1234 ms"},
                {Duration.ofMillis(280), "0.3 s", "0.28 s", "280 ms"},
                {Duration.ofSeconds(60), "60.0 s", "60.00 s", "60 s"},
                {Duration.ofMinutes(2), "120.0 s", "120.00 s", "120 s"},
                {Duration.ofNanos(1_049_999_999L), "1.0 s", "1.05 s", "1049 ms"},
                {Duration.ZERO, "0.0 s", "0.00 s", "0 s"},
        };
        for (Object[] r : rows) {
            Duration d = (Duration) r[0];
            assertThat(Durations.took(d)).as("took " + d).isEqualTo(r[1]);
            assertThat(Durations.precise(d)).as("precise " + d).isEqualTo(r[2]);
            assertThat(Durations.setting(d)).as("setting " + d).isEqualTo(r[3]);
        }
    }
}

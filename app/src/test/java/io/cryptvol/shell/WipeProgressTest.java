package io.cryptvol.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The sanitize progress line and how often it polls (rows moved here from StageSupportTest). */
class WipeProgressTest {

    @Test
    void wipeProgressLine() {
        assertThat(WipeProgress.line(512L << 20, 1L << 30, 4.0))
                .isEqualTo("   [############------------]  50%  512 MiB / 1 GiB  128 MiB/s  ETA 4 s");
        assertThat(WipeProgress.duration(3725)).isEqualTo("1 h 2 min");
    }

    @ParameterizedTest(name = "a poll of {0} ms → next in {1} ms")
    @CsvSource({"5, 2000", "80, 2000", "400, 10000"}) // a slow guest: 400 ms a poll, one per 10 s (4 %)
    void pollsLessOftenWhenAPollIsExpensive(long pollMs, long nextMs) {
        assertThat(WipeProgress.nextDelayMs(pollMs)).isEqualTo(nextMs);
    }
}

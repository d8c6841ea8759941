package io.cryptvol.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SudoTest {
    @ParameterizedTest(name = "exit {0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "1   | sudo: a password is required                                  | sudo needs a password on h",
            "1   | admin is not in the sudoers file.  This incident will be reported.| ",
            "1   | sudo: admin is not in the sudoers file.                         | sudo refused to run pvcreate as root on h",
            "127 | sh: 1: sudo: not found                                          | sudo is not installed on h",
            "127 | bash: line 1: sudo: command not found                           | sudo is not installed on h",
            "1   | Device /dev/x excluded by a filter.                             | ",
            "5   | sudo: a password is required                                    | ",
            "0   |                                                                 | ",
    })
    void tellsSudoRefusalsFromTheCommandsOwnFailures(int exit, String stderr, String expectedStart) {
        String refusal = Sudo.refusal(exit, stderr, "h", "admin", List.of("pvcreate", "/dev/x"));
        if (expectedStart == null) {
            assertThat(refusal).isNull();
        } else {
            assertThat(refusal).startsWith(expectedStart).doesNotContain("\n");
        }
    }

    @ParameterizedTest
    @CsvSource({"500,500ms", "5000,5s", "1500,1.5s", "600000,10min"})
    void formatsTimeouts(long millis, String expected) {
        assertThat(Sudo.format(Duration.ofMillis(millis))).isEqualTo(expected);
    }
}

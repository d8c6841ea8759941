package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.plan.Inputs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Option values as typed: sizes, file systems, device lists. */
class SizesParseTest {

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({"4K, 4096", "4k, 4096", "64KiB, 65536", "1M, 1048576", "1MiB, 1048576", "2G, 2147483648", "4096, 4096",
            "' 8K ', 8192", "512B, 512"})
    void sizes(String typed, long bytes) {
        assertThat(Sizes.parse(typed)).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "{0} is not a size")
    @ValueSource(strings = {"big", "4T", "K", "-", "1.5M", ""})
    void notSizes(String typed) {
        assertThatThrownBy(() -> Sizes.parse(typed)).isInstanceOfSatisfying(CryptvolException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE.code());
            assertThat(e.getMessage()).startsWith("not a size: '" + typed + "'");
        });
    }

    static Stream<Arguments> deviceLists() {
        return Stream.of(
                arguments("nvme1n1,/dev/nvme2n1 nvme3n1", List.of("/dev/nvme1n1", "/dev/nvme2n1", "/dev/nvme3n1")),
                arguments("  nvme1n1 ,, nvme2n1  ", List.of("/dev/nvme1n1", "/dev/nvme2n1")),
                arguments("/dev/mapper/x", List.of("/dev/mapper/x")),
                arguments("", List.of()),
                arguments(null, List.of()));
    }

    @ParameterizedTest(name = "''{0}'' → {1}")
    @MethodSource("deviceLists")
    void deviceLists(String typed, List<String> paths) {
        assertThat(Inputs.deviceList(typed)).isEqualTo(paths);
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(nullValues = "null", value = {"null, XFS", "xfs, XFS", "EXT4, EXT4", "btrfs, null"})
    void fileSystems(String typed, String fs) {
        if (fs == null) {
            assertThatThrownBy(() -> FsType.parse(typed)).isInstanceOfSatisfying(CryptvolException.class,
                    e -> assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE.code()));
        } else {
            assertThat(FsType.parse(typed)).isEqualTo(FsType.valueOf(fs));
        }
    }
}

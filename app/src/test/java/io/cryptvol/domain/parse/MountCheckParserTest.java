package io.cryptvol.domain.parse;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class MountCheckParserTest {
    static final long GIB = 1L << 30;

    static Stream<Arguments> outputs() {
        return Stream.of(
                arguments("xfs, grown", "mount /dev/mapper/m 1069547520\ndevice 1073741824\nxfsdata 4096 262144\nwrite ok\n",
                        new MountCheckParser.Result("/dev/mapper/m", 1069547520L, GIB, GIB, true), false),
                arguments("xfs smaller than its device", "mount /dev/mapper/m 1069547520\ndevice " + 2 * GIB
                                + "\nxfsdata 4096 262144\nwrite ok\n",
                        new MountCheckParser.Result("/dev/mapper/m", 1069547520L, 2 * GIB, GIB, true), true),
                arguments("ext4 (no xfs_info)", "mount /dev/mapper/m 1000\ndevice 2000\nxfsdata \nwrite ok\n",
                        new MountCheckParser.Result("/dev/mapper/m", 1000, 2000, -1, true), false),
                arguments("not mounted, not writable", "mount \ndevice \nxfsdata \nwrite failed\n",
                        new MountCheckParser.Result(null, -1, -1, -1, false), false),
                arguments("garbage numbers", "mount /dev/mapper/m x1\ndevice $(rm)\nxfsdata a b\nwrite ok\n",
                        new MountCheckParser.Result("/dev/mapper/m", -1, -1, -1, true), false),
                arguments("nothing", "", new MountCheckParser.Result(null, -1, -1, -1, false), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outputs")
    void parses(String name, String out, MountCheckParser.Result expected, boolean smaller) {
        MountCheckParser.Result r = MountCheckParser.parse(out);
        assertThat(r).isEqualTo(expected);
        assertThat(r.filesystemSmallerThanDevice()).isEqualTo(smaller);
    }
}

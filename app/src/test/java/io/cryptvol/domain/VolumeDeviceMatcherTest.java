package io.cryptvol.domain;

import io.cryptvol.domain.VolumeDeviceMatcher.HostDisk;
import io.cryptvol.domain.VolumeDeviceMatcher.Method;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class VolumeDeviceMatcherTest {
    static final String VOL = "vol-0abc123def4567890";
    static final String OTHER = "vol-0fff000111222333a";

    static HostDisk d(String path, String serial, String... links) {
        return new HostDisk(path, serial, List.of(links));
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("nitro serial", "/dev/sdf",
                        List.of(d("/dev/nvme0n1", OTHER.replace("-", "")), d("/dev/nvme1n1", "vol0abc123def4567890")),
                        "/dev/nvme1n1", Method.NVME_SERIAL),
                Arguments.of("serial with padding and upper case", null,
                        List.of(d("/dev/nvme2n1", "  VOL0ABC123DEF4567890  ")), "/dev/nvme2n1", Method.NVME_SERIAL),
                Arguments.of("serial with the dash", null,
                        List.of(d("/dev/nvme3n1", VOL)), "/dev/nvme3n1", Method.NVME_SERIAL),
                Arguments.of("serial wins over the attach name", "/dev/sdf",
                        List.of(d("/dev/xvdf", null), d("/dev/nvme1n1", "vol0abc123def4567890")),
                        "/dev/nvme1n1", Method.NVME_SERIAL),
                Arguments.of("by-id link when lsblk has no serial", "/dev/sdg",
                        List.of(d("/dev/nvme4n1", null,
                                "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc123def4567890")),
                        "/dev/nvme4n1", Method.BY_ID_LINK),
                Arguments.of("by-id link for namespace 1", null,
                        List.of(d("/dev/nvme4n1", "", "nvme-Amazon_Elastic_Block_Store_vol0abc123def4567890_1")),
                        "/dev/nvme4n1", Method.BY_ID_LINK),
                Arguments.of("xen: sdf shows as xvdf", "/dev/sdf",
                        List.of(d("/dev/xvda", null), d("/dev/xvdf", null)), "/dev/xvdf", Method.XEN_NAME),
                Arguments.of("xen: attached as xvdg", "/dev/xvdg",
                        List.of(d("/dev/xvdg", null)), "/dev/xvdg", Method.XEN_NAME),
                Arguments.of("old kernel keeps sdf", "/dev/sdf",
                        List.of(d("/dev/sda", null), d("/dev/sdf", null)), "/dev/sdf", Method.ATTACH_NAME),
                Arguments.of("name of a disk that is another volume is no match", "/dev/sdf",
                        List.of(d("/dev/xvdf", "vol0fff000111222333a")), null, null),
                Arguments.of("nothing matches", "/dev/sdh",
                        List.of(d("/dev/nvme1n1", "vol0fff000111222333a"), d("/dev/xvdf", null)), null, null),
                Arguments.of("no attach name, no serial: no guess", null,
                        List.of(d("/dev/xvdf", null)), null, null),
                Arguments.of("empty host", "/dev/sdf", List.of(), null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matches(String name, String attachedAs, List<HostDisk> disks, String expectedPath, Method expectedMethod) {
        Optional<VolumeDeviceMatcher.Match> m = VolumeDeviceMatcher.match(VOL, attachedAs, disks);
        if (expectedPath == null) {
            assertThat(m).isEmpty();
        } else {
            assertThat(m).hasValueSatisfying(x -> {
                assertThat(x.devicePath()).isEqualTo(expectedPath);
                assertThat(x.method()).isEqualTo(expectedMethod);
                assertThat(x.volumeId()).isEqualTo(VOL);
            });
        }
    }

    @org.junit.jupiter.api.Test
    void serialOfDropsTheDash() {
        assertThat(VolumeDeviceMatcher.serialOf("vol-0ABC")).isEqualTo("vol0abc");
    }
}

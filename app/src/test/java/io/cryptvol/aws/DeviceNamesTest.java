package io.cryptvol.aws;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DeviceNamesTest {
    @Test
    void skipsNamesInUseInEitherSpelling() {
        assertThat(DeviceNames.free(List.of("/dev/xvda", "/dev/sdf", "/dev/xvdg", "sdi"), 3))
                .containsExactly("/dev/sdh", "/dev/sdj", "/dev/sdk");
        assertThat(DeviceNames.free(List.of(), 25)).hasSize(21).startsWith("/dev/sdf").endsWith("/dev/sdz");
        assertThat(DeviceNames.free(List.of(), 11)).endsWith("/dev/sdp"); // the recommended names come first
        assertThat(io.cryptvol.domain.VolumeDeviceMatcher.attachmentPoint("/dev/xvdf")).isEqualTo("f");
    }

    /** (device name, attachment point): the one rule the allocator, the gateway and the device matcher share. */
    @Test
    void attachmentPoints() {
        String[][] rows = {{"/dev/xvdf", "f"}, {"xvdg", "g"}, {"/dev/sdh", "h"}, {"sdi", "i"}, {"/dev/sdba", "ba"},
                {"nvme1n1", "nvme1n1"}, {"/dev/nvme2n1", "nvme2n1"}};
        for (String[] r : rows) {
            assertThat(io.cryptvol.domain.VolumeDeviceMatcher.attachmentPoint(r[0])).as(r[0]).isEqualTo(r[1]);
        }
    }
}

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
        assertThat(DeviceNames.attachmentPoint("/dev/xvdf")).isEqualTo("f");
    }
}

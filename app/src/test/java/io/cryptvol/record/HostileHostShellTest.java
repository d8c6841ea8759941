package io.cryptvol.record;

import io.cryptvol.domain.ControlChars;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;

import io.cryptvol.shell.ShellHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host whose device model, label and mountpoint hold terminal control sequences (a title change, a
 * screen clear, a carriage return that hides what precedes it, a bidi override, a C1 CSI). Whatever the
 * shell shows of them, in tables, plans, refusals and errors, holds no raw control character; JSON output
 * stays valid and carries the values exactly.
 */
class HostileHostShellTest {
    static final String MODEL = "Amazon\u001b]0;PWNED\u0007 EBS\u001b[2J";
    static final String LABEL = "data\rroot ok\u009b6n";
    static final String MOUNTPOINT = "/mnt/\u202Egnp.exe\u001b[8m";
    static volatile FixtureHost host;

    @TempDir
    Path home;
    ShellHarness shell;

    static class HostConfig {
        @Bean
        @Primary
        HostAccess hostileHostAccess(SessionContext ctx, SessionMode mode) {
            return new HostAccess(ctx, (target, acceptNew) -> mode.guard(host));
        }
    }

    @BeforeEach
    void start() throws Exception {
        HostState blank = FixtureHost.disks(List.of("vol0123456789abcdef1", "vol0123456789abcdef2"), 1L << 30);
        List<BlockDevice> devices = new ArrayList<>();
        for (BlockDevice d : blank.devices()) {
            devices.add(d.path().equals("/dev/nvme1n1")
                    ? new BlockDevice(d.name(), d.path(), d.sizeBytes(), d.serial(), MODEL, DeviceType.DISK, "xfs",
                    "0b1c2d3e-0000-4000-8000-000000000001", LABEL, List.of(MOUNTPOINT), null, List.of())
                    : d);
        }
        host = new FixtureHost(blank.withDevices(devices)
                .withMounts(List.of(new Mount("/dev/nvme1n1", MOUNTPOINT, "xfs", List.of("rw")))));
        shell = new ShellHarness(home, Map.of(), HostConfig.class);
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    static void assertNoRawControl(String screen) {
        assertThat(screen.codePoints().filter(c -> c != '\n' && ControlChars.isControl(c)).toArray())
                .as("raw control characters on the screen:%n%s", screen).isEmpty();
    }

    @Test
    void devicesTableShowsTheValuesEscaped() throws Exception {
        String screen = shell.type("devices");
        assertNoRawControl(screen);
        assertThat(screen).contains("Amazon\\e]0;PWNED\\a EBS\\e[2J").contains("/mnt/\\u{202e}gnp.exe\\e[8m");
    }

    @Test
    void devicesJsonIsValidAndCarriesTheValuesExactly() throws Exception {
        String screen = shell.type("devices --output json");
        assertNoRawControl(screen);
        JsonNode json = new ObjectMapper().readTree(screen);
        JsonNode d = null;
        for (JsonNode n : json) {
            if ("/dev/nvme1n1".equals(n.path("path").asText())) {
                d = n;
            }
        }
        assertThat(d).as(screen).isNotNull();
        assertThat(d.path("model").asText()).isEqualTo(MODEL);
        assertThat(d.path("mountpoints").get(0).asText()).isEqualTo(MOUNTPOINT);
        assertThat(screen).contains("/mnt/\\u202egnp.exe\\u001B[8m");
    }

    @Test
    void aPlanOrRefusalAboutTheHostileDeviceShowsItEscaped() throws Exception {
        String screen = shell.type("pv create /dev/nvme1n1 /dev/nvme2n1 --dry-run");
        assertNoRawControl(screen);
        assertThat(screen).contains("refused").contains("/mnt/\\u{202e}gnp.exe\\e[8m");
        screen = shell.type("umount '" + MOUNTPOINT + "' --dry-run");
        assertNoRawControl(screen);
        assertThat(screen).contains("/mnt/\\u{202e}gnp.exe\\e[8m");
    }
}

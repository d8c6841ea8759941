package io.cryptvol.domain.cmd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The unattended unlock's boot files (#18): the unit's bounds and order, instance names, the script's syntax. */
class UnlockUnitTest {

    @Test
    void theUnitIsBoundedOrderedAfterTheNetworkAndHoldsNothingTheBootNeeds() {
        String u = UnlockUnit.unitText();
        assertThat(u).contains("After=network-online.target", "Wants=network-online.target", "Type=oneshot",
                "TimeoutStartSec=120", "WantedBy=multi-user.target", "ExecStart=/bin/sh /etc/cryptvol/cryptvol-unlock %I",
                "ConditionPathExists=/etc/cryptvol/unlock.d/%I.conf", "EnvironmentFile=-/etc/cryptvol/aws.env");
        assertThat(u).doesNotContain("Before=", "RequiredBy=", "Requires=", "local-fs.target");
    }

    @ParameterizedTest
    @CsvSource({"vmap, cryptvol-unlock@vmap.service", "my-map, cryptvol-unlock@my\\x2dmap.service",
            "a+b.c, cryptvol-unlock@a\\x2bb.c.service", ".x, cryptvol-unlock@\\x2ex.service"})
    void instanceNamesAreEscapedAsSystemdEscapeDoes(String mapping, String unit) {
        assertThat(UnlockUnit.unitName(mapping)).isEqualTo(unit);
    }

    @Test
    void theScriptParsesAndNeverPutsTheKeyInAFileAnArgumentOrTheEnvironment() throws Exception {
        String s = UnlockUnit.scriptText();
        Path f = Files.createTempFile("cryptvol-unlock", ".sh");
        try {
            Files.writeString(f, s);
            Process p = new ProcessBuilder("sh", "-n", f.toString()).redirectErrorStream(true).start();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
            assertThat(p.exitValue()).isZero();
        } finally {
            Files.deleteIfExists(f);
        }
        // the plaintext goes from aws's stdout through base64 -d into cryptsetup's stdin, nowhere else
        assertThat(s).contains("--query Plaintext --output text 2>\"$err\" \\\n")
                .contains("| base64 -d 2>/dev/null | cryptsetup open --type luks2 --key-slot \"$slot\" --key-file - \"$dev\" \"$m\"");
        assertThat(s).doesNotContain("Plaintext=", "tee ", "--debug", "set -x").doesNotContainPattern("(?m)^\\s*export ");
        assertThat(UnlockUnit.confText("0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0", 3))
                .endsWith("LUKS_UUID=0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\nTOKEN_ID=3\n");
    }
}

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

    static final String ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    /**
     * The script's checks of the token's values, run by sh on this machine in 150 MB of address space (a small
     * instance's share): a valid token passes, each hostile value is refused with its own line. A bounded repetition
     * such as {@code {4,8192}} in a grep -E pattern needs hundreds of MiB and got the unit OOM-killed at boot.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a valid token                  | ARN       | us-east-1  | 240  | 2   | kvg       | valid",
            "a ciphertext of 8192 chars     | ARN       | us-east-1  | 8192 | 2   | kvg       | valid",
            "a ciphertext of 8193 chars     | ARN       | us-east-1  | 8193 | 2   | kvg       | locked: token 0: bad ciphertext",
            "a key id with a command        | $(reboot) | us-east-1  | 240  | 2   | kvg       | locked: token 0: bad KMS key id",
            "a region with a semicolon      | ARN       | us-east-1;x | 240 | 2  | kvg       | locked: token 0: bad region",
            "a three-digit key slot         | ARN       | us-east-1  | 240  | 123 | kvg       | locked: token 0: bad key slot",
            "a VG with a space              | ARN       | us-east-1  | 240  | 2   | 'k vg'    | locked: token 0: bad VG in its context",
    })
    void theTokenChecksRefuseHostileValuesInLittleMemory(String name, String key, String region, int ctChars, String slot,
                                                          String vg, String expected) throws Exception {
        java.util.List<String> lines = UnlockUnit.scriptText().lines().map(String::strip).toList();
        StringBuilder sh = new StringBuilder("tid=0\nlocked() { echo \"locked: $*\"; exit 1; }\n"
                + "key=$1; region=$2; ct=$3; slot=$4; cvg=$5\n");
        lines.stream().filter(l -> l.startsWith("ok() {") || l.startsWith("ok '")).forEach(l -> sh.append(l).append('\n'));
        assertThat(sh.toString().lines().filter(l -> l.startsWith("ok '")).count()).isEqualTo(5);
        sh.append("echo valid\n");
        Path f = Files.createTempFile("cryptvol-unlock-checks", ".sh");
        try {
            Files.writeString(f, sh);
            String ct = "QUJD".repeat(ctChars / 4 + 1).substring(0, ctChars);
            Process p = new ProcessBuilder("bash", "-c", "ulimit -v 150000 && exec sh \"$@\"", "bash", f.toString(),
                    key.equals("ARN") ? ARN : key, region, ct, slot, vg).redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip()).isEqualTo(expected);
        } finally {
            Files.deleteIfExists(f);
        }
    }
}

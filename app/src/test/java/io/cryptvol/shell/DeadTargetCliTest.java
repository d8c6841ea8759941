package io.cryptvol.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A saved context whose target is gone (here: the sandbox instance an older cryptvol left in the session's
 * file, its key deleted with the sandbox): a command that needs the target gives one line on stderr that
 * says what is gone and how to go on; commands that do not need it work. A separate JVM per run, as a user
 * starts it.
 */
class DeadTargetCliTest {
    @TempDir
    Path home;

    CliRun cryptvol(String... args) throws Exception {
        return CliRun.cryptvol(home, Map.of("CRYPTVOL_HOME", home.resolve("cryptvol").toString(), "NO_COLOR", "1"), args);
    }

    @Test
    void aGoneSandboxTargetIsOneLineAndOtherCommandsStillWork() throws Exception {
        Path config = Files.createDirectories(home.resolve("cryptvol/config"));
        Path key = home.resolve("cryptvol/state/sandbox/instance/id_ecdsa");
        Files.writeString(config.resolve("context.json"), """
                {"version":1,"target":"ssh","user":"root","host":"127.0.0.1","port":46649,
                 "identityFile":"%s","knownHosts":"%s","instanceId":"i-0123456789abcdef0","vg":"myvg"}
                """.formatted(key, key.resolveSibling("known_hosts")));

        CliRun devices = cryptvol("devices");
        assertThat(devices.exitCode()).isEqualTo(1);
        // one line in all (the shell's command errors go to its terminal, like every command error today)
        assertThat((devices.stdout() + devices.stderr()).lines().toList()).singleElement().asString()
                .startsWith("error: the target ")
                .contains("root@127.0.0.1:46649 was the sandbox, which is not running")
                .contains("'sandbox start' (or scripts/cryptvol --sandbox)").contains("'connect local'");

        for (String[] args : List.of(new String[] {"keys", "list"}, new String[] {"aws", "show"},
                new String[] {"context"}, new String[] {"help"})) {
            CliRun r = cryptvol(args);
            assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.stderr()).isZero();
            assertThat(r.stderr()).as(String.join(" ", args)).isEmpty();
            if (args[0].equals("context")) {
                assertThat(r.stdout()).contains("root@127.0.0.1:46649").contains("myvg");
            }
            if (args[0].equals("help")) {
                assertThat(r.stdout()).contains("sandbox reboot");
            }
        }
    }
}

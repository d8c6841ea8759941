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

    record Run(int exitCode, String stdout, String stderr) {
    }

    Run cryptvol(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", VolumeCliTest.productClasspath(),
                "io.cryptvol.CryptvolApplication"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", home.toString());
        env.put("CRYPTVOL_HOME", home.resolve("cryptvol").toString());
        env.put("NO_COLOR", "1");
        env.put("LANG", "C.UTF-8");
        Path out = home.resolve("out.txt");
        Path err = home.resolve("err.txt");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("cryptvol " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void aGoneSandboxTargetIsOneLineAndOtherCommandsStillWork() throws Exception {
        Path config = Files.createDirectories(home.resolve("cryptvol/config"));
        Path key = home.resolve("cryptvol/state/sandbox/instance/id_ecdsa");
        Files.writeString(config.resolve("context.json"), """
                {"version":1,"target":"ssh","user":"root","host":"127.0.0.1","port":46649,
                 "identityFile":"%s","knownHosts":"%s","instanceId":"i-0123456789abcdef0","vg":"myvg"}
                """.formatted(key, key.resolveSibling("known_hosts")));

        Run devices = cryptvol("devices");
        assertThat(devices.exitCode()).isEqualTo(1);
        // one line in all (the shell's command errors go to its terminal, like every command error today)
        assertThat((devices.stdout() + devices.stderr()).lines().toList()).singleElement().asString()
                .startsWith("error: the target ")
                .contains("root@127.0.0.1:46649 was the sandbox, which is not running")
                .contains("'sandbox start' (or scripts/cryptvol --sandbox)").contains("'connect local'");

        for (String[] args : List.of(new String[] {"keys", "list"}, new String[] {"aws", "show"},
                new String[] {"context"}, new String[] {"help"})) {
            Run r = cryptvol(args);
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

package io.cryptvol.shell;

import io.cryptvol.sandbox.RecordingDiskHost;
import io.cryptvol.sandbox.ec2.SandboxEc2Server;
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
 * cryptvol as a user starts it: a separate JVM, one command per run, with an environment that holds
 * no AWS configuration at all (no AWS_* variables, a HOME without ~/.aws).
 */
class VolumeCliTest {
    @TempDir
    Path home;

    CliRun cryptvol(Map<String, String> extraEnv, String... args) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("CRYPTVOL_HOME", home.resolve("cryptvol").toString(),
                "NO_COLOR", "1"));
        env.putAll(extraEnv);
        return CliRun.cryptvol(home, env, args);
    }

    /** The test JVM's class path without the test classes (whose @Configuration classes the app would scan). */
    static String productClasspath() throws Exception {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.endsWith(".jar") && p.getFileName().toString().startsWith("surefire")) {
                // surefire's manifest-only jar: its Class-Path names the real entries
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(p.toFile())) {
                    String cp = jar.getManifest().getMainAttributes().getValue("Class-Path");
                    for (String u : cp == null ? new String[0] : cp.trim().split("\\s+")) {
                        out.add(Path.of(p.getParent().toUri().resolve(u)).toString());
                    }
                }
            } else {
                out.add(e);
            }
        }
        return String.join(File.pathSeparator, out.stream()
                .filter(e -> !e.replace('\\', '/').replaceAll("/$", "").endsWith("/test-classes")).toList());
    }

    @Test
    void startsAndListsDevicesWithNoAwsConfigurationAtAll() throws Exception {
        CliRun r = cryptvol(Map.of(), "devices");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("DEVICE").contains("SIZE");
        assertThat(r.errorLines()).isEmpty();

        r = cryptvol(Map.of(), "aws", "show");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).containsPattern("region\\s+\\(SDK region chain\\)").containsPattern("clientStarted\\s+false");
    }

    /** {@code --version} answers without starting the shell, with exactly what the shell's {@code version} prints. */
    @Test
    void versionFlagPrintsWhatTheVersionCommandPrints() throws Exception {
        CliRun flag = cryptvol(Map.of(), "--version");
        CliRun command = cryptvol(Map.of(), "version");
        assertThat(flag.exitCode()).as(flag.toString()).isZero();
        assertThat(command.exitCode()).as(command.toString()).isZero();
        assertThat(flag.stdout()).matches("cryptvol \\S+ \\(Java \\d+\\)\n");
        assertThat(command.stdout()).contains(flag.stdout().strip());
        assertThat(cryptvol(Map.of(), "-V").stdout()).isEqualTo(flag.stdout());
    }

    @Test
    void aPermissionErrorIsOneLineAndANonZeroExit(@TempDir Path data) throws Exception {
        try (SandboxEc2Server server = SandboxEc2Server.builder().dataDir(data).build().start()) {
            String instance = server.addInstance("us-east-1a", new RecordingDiskHost());
            String endpoint = server.endpoint().toString();
            CliRun r = cryptvol(Map.of("CRYPTVOL_EC2_SANDBOX", "1"), "--endpoint", endpoint, "use", "instance", instance);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout()).contains("using instance " + instance);

            server.faults().deny("CreateVolume");
            r = cryptvol(Map.of("CRYPTVOL_EC2_ENDPOINT", endpoint, "CRYPTVOL_EC2_SANDBOX", "1"), "volumes", "create", "--count", "2", "--size", "1", "--yes");
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            assertThat(r.errorLines()).as(r.toString()).hasSize(1);
            assertThat(r.errorLines().get(0)).startsWith("error: not allowed: ec2:CreateVolume — check the IAM policy of ");
            assertThat(r.stdout() + r.stderr()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}

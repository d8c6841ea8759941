package io.cryptvol.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The product without the sandbox jar (as {@code java -jar cryptvol.jar} alone runs it): it starts and works,
 * and every way into the sandbox fails with one clear line and exit code 1, nothing on stdout.
 */
class SandboxAbsentCliTest {
    @TempDir
    Path home;

    /** The product's class path with every entry that holds the sandbox's classes taken out. */
    static String withoutSandbox() throws Exception {
        List<String> kept = Arrays.stream(VolumeCliTest.productClasspath().split(File.pathSeparator))
                .filter(e -> !holdsSandbox(Path.of(e))).toList();
        assertThat(kept).hasSizeLessThan(VolumeCliTest.productClasspath().split(File.pathSeparator).length);
        return String.join(File.pathSeparator, kept);
    }

    private static boolean holdsSandbox(Path entry) {
        String cls = SandboxPresence.MARKER_CLASS.replace('.', '/') + ".class";
        if (Files.isDirectory(entry)) {
            return Files.exists(entry.resolve(cls));
        }
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entry.toFile())) {
            return jar.getEntry(cls) != null;
        } catch (Exception e) {
            return false;
        }
    }

    CliRun cryptvol(String... args) throws Exception {
        return CliRun.cryptvol(withoutSandbox(), home,
                Map.of("CRYPTVOL_HOME", home.resolve("cryptvol").toString(), "NO_COLOR", "1"), args);
    }

    static Stream<Arguments> waysIn() {
        return Stream.of(
                Arguments.of((Object) new String[] {"sandbox", "status"}),
                Arguments.of((Object) new String[] {"sandbox", "start"}),
                Arguments.of((Object) new String[] {"sandbox", "reset", "--yes"}),
                Arguments.of((Object) new String[] {"--sandbox", "help"}),
                Arguments.of((Object) new String[] {"replay", "SCRIPT", "--rehearse-only"}));
    }

    @ParameterizedTest
    @MethodSource("waysIn")
    void eachWayIntoTheSandboxSaysOneLine(String[] args) throws Exception {
        Path script = home.resolve("s.cvsh");
        Files.writeString(script, "devices\n");
        String[] a = Arrays.stream(args).map(w -> w.equals("SCRIPT") ? script.toString() : w).toArray(String[]::new);
        CliRun r = cryptvol(a);
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.errorLines()).as(r.toString()).hasSize(1);
        // replay says where it stopped first ("rehearsal on the sandbox failed …: "), the others just the line
        assertThat(r.errorLines().get(0)).as(r.toString()).endsWith(": " + SandboxPresence.MISSING)
                .startsWith(args[0].equals("replay") ? "error: rehearsal on the sandbox failed" : "error: the sandbox is not installed");
        assertThat(r.stderr()).as(r.toString()).doesNotContain("Exception").doesNotContain("\tat ");
        if (!args[0].equals("replay")) {
            assertThat(r.stdout()).as(r.toString()).isEmpty();
        }
    }

    @Test
    void theProductAloneStartsAndWorks() throws Exception {
        CliRun r = cryptvol("help");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stdout()).contains("sandbox start").contains("devices");
        assertThat(r.errorLines()).isEmpty();
        CliRun v = cryptvol("--version");
        assertThat(v.exitCode()).as(v.toString()).isZero();
        assertThat(v.stdout()).startsWith("cryptvol ");
    }
}

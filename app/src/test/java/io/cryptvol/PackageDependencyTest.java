package io.cryptvol;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The package layering, read from the sources: a package names nothing (import or fully qualified name) from the
 * packages it must not depend on. Cycles come back one convenient import at a time; this catches the first.
 */
class PackageDependencyTest {
    private static final Path MAIN = Path.of("app/src/main/java/io/cryptvol"); // tests run from the checkout root

    static Stream<Arguments> rules() {
        return Stream.of(
                arguments("record", List.of("shell")),
                arguments("ui", List.of("shell", "record", "exec", "aws", "sandbox")),
                arguments("session", List.of("shell", "record")),
                arguments("domain", List.of("exec", "shell", "record", "session", "aws", "sandbox")),
                arguments("exec", List.of("shell", "record")),
                arguments("keys", List.of("shell", "record")),
                arguments("host", List.of("shell", "record")));
    }

    /** What a class in shell/ must not do itself: it parses, calls the services and renders. */
    static Stream<Arguments> shellRules() {
        return Stream.of(
                arguments("asks the dry-run switch", ".dryRun()"),
                arguments("builds a host command line", "HostCommand.of("),
                arguments("builds a read-only host command line", "HostCommand.query("),
                arguments("makes a host command", "new HostCommand("),
                arguments("calls EC2 itself", "Ec2Client"));
    }

    @ParameterizedTest(name = "no class in shell/ {0}")
    @MethodSource("shellRules")
    void shellOnlyParsesCallsAndRenders(String what, String needle) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(MAIN.resolve("shell"))) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String l = lines.get(i).strip();
                    if (!l.startsWith("*") && !l.startsWith("//") && !l.startsWith("/*") && l.contains(needle)) {
                        found.add(MAIN.relativize(f) + ":" + (i + 1) + ": " + l);
                    }
                }
            }
        }
        assertThat(found).as("shell/ " + what).isEmpty();
    }

    @ParameterizedTest(name = "{0} names nothing from {1}")
    @MethodSource("rules")
    void packageDoesNotReachInto(String pkg, List<String> forbidden) throws IOException {
        Path dir = MAIN.resolve(pkg);
        assertThat(dir).isDirectory();
        List<String> found = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                for (String other : forbidden) {
                    if (lines.get(i).contains("io.cryptvol." + other + ".")) {
                        found.add(MAIN.relativize(f) + ":" + (i + 1) + " names io.cryptvol." + other);
                    }
                }
            }
        }
        assertThat(found).isEmpty();
    }
}

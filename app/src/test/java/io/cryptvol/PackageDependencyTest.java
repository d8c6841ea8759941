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
    private static final Path MAIN = Path.of("src/main/java/io/cryptvol");

    static Stream<Arguments> rules() {
        return Stream.of(
                arguments("record", List.of("shell")),
                arguments("ui", List.of("shell", "record", "exec", "aws", "sandbox")),
                arguments("session", List.of("shell", "record")),
                arguments("domain", List.of("exec", "shell", "record", "session", "aws", "sandbox")));
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

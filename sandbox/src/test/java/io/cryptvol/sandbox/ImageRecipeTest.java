package io.cryptvol.sandbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image recipe as the sandbox jar ships it: every file of {@code src/main/testvm} (the recipe's sources,
 * which scripts/testvm links to) is a resource, byte for byte, and extracts into a directory named by its contents
 * with the scripts executable. Byte-equal files give build.sh the same image key, so the cached image is found.
 */
class ImageRecipeTest {
    static final Path SOURCES = Path.of("src", "main", "testvm");

    @TempDir
    Path cache;

    static Map<String, byte[]> sources() throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(SOURCES)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                out.put(SOURCES.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    void theJarShipsEveryRecipeFileByteForByte() throws Exception {
        Map<String, byte[]> shipped = ImageRecipe.files();
        Map<String, byte[]> sources = sources();
        assertThat(shipped.keySet()).containsExactlyElementsOf(sources.keySet())
                .contains("build.sh", "init", "lvm-local.conf", "deps.sh", "systemd/cryptvol-instance.service");
        sources.forEach((name, bytes) -> assertThat(shipped.get(name)).as(name).isEqualTo(bytes));
    }

    @Test
    void extractsOnceIntoADirectoryNamedByItsContentsWithTheScriptsExecutable() throws Exception {
        Map<String, byte[]> files = ImageRecipe.files();
        Path dir = ImageRecipe.extract(files, cache);
        assertThat(dir.getFileName().toString()).isEqualTo(ImageRecipe.hash(files)).matches("[0-9a-f]{16}");
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            assertThat(Files.readAllBytes(p)).as(e.getKey()).isEqualTo(e.getValue());
            boolean script = e.getKey().endsWith(".sh") || e.getKey().equals("init");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(e.getKey())
                    .isEqualTo(script ? "rwxr-xr-x" : "rw-r--r--");
        }
        long before = Files.getLastModifiedTime(dir.resolve("build.sh")).toMillis();
        Files.setLastModifiedTime(dir.resolve("build.sh"), java.nio.file.attribute.FileTime.fromMillis(before - 60_000));
        assertThat(ImageRecipe.extract(files, cache)).isEqualTo(dir);
        assertThat(Files.getLastModifiedTime(dir.resolve("build.sh")).toMillis()).as("not written again")
                .isEqualTo(before - 60_000);
        try (Stream<Path> s = Files.list(cache)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(dir.getFileName().toString());
        }
    }

    /** Rows: the change made to a one-file recipe {build.sh: "echo a"}, and whether its directory stays the same. */
    @ParameterizedTest
    @CsvSource({
            "build.sh, echo a,  true",
            "build.sh, echo b,  false",
            "build2.sh, echo a, false",
            "build.sh, 'echo a ', false",
    })
    void theDirectoryChangesWithAnyPathOrByte(String name, String content, boolean same) {
        String base = ImageRecipe.hash(Map.of("build.sh", "echo a".getBytes()));
        assertThat(ImageRecipe.hash(Map.of(name, content.getBytes())).equals(base)).isEqualTo(same);
    }

    @Test
    void anEntryOutsideTheRecipeDirectoryIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageRecipe.extract(
                        Map.of("build.sh", new byte[0], "../evil.sh", new byte[0]), cache))
                .hasMessageContaining("outside its directory");
        assertThat(cache.getParent().resolve("evil.sh")).doesNotExist();
    }

    /**
     * Issue 17 item 13: the cache root is where build.sh puts it, {@code ${CRYPTVOL_CACHE:-$HOME/.cache/cryptvol}}:
     * HOME as set wins over the passwd entry ("-" = unset).
     */
    @ParameterizedTest
    @CsvSource({
            "-,       /tmp/x,   /tmp/x/.cache/cryptvol",
            "/c,      /tmp/x,   /c",
            "'',      /tmp/x,   /tmp/x/.cache/cryptvol",
            "-,       -,        /passwd/.cache/cryptvol",
            "-,       rel/home, /passwd/.cache/cryptvol",
    })
    void theCacheRootFollowsHomeAsBuildShDoes(String cryptvolCache, String home, String expected) {
        Map<String, String> env = new TreeMap<>();
        if (!"-".equals(cryptvolCache)) {
            env.put("CRYPTVOL_CACHE", cryptvolCache);
        }
        if (!"-".equals(home)) {
            env.put("HOME", home);
        }
        assertThat(ImageRecipe.cacheRoot(env::get, "/passwd")).isEqualTo(Path.of(expected));
    }
}

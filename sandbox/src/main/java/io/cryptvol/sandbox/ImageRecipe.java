package io.cryptvol.sandbox;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.cryptvol.CryptvolException;

/**
 * The test instance's image recipe (build.sh, init, the systemd units, ...) as this jar ships it: resources under
 * {@code io/cryptvol/sandbox/testvm/} (sources in {@code sandbox/src/main/testvm}, which {@code scripts/testvm}
 * links to). {@link #buildScript()} extracts the recipe into the cache, one directory per content hash
 * ({@code <cache>/recipe/<hash>/}), so a built jar builds the image without the repository checkout. build.sh keys
 * the image by the contents of its files (not their place), so the extracted copy finds the same cached image.
 */
public final class ImageRecipe {
    /** The recipe's resource directory, relative to this class's package. */
    static final String RESOURCE_DIR = "testvm";
    private static final String MARKER = RESOURCE_DIR + "/build.sh";

    private ImageRecipe() {
    }

    /**
     * The cache root build.sh uses too: {@code CRYPTVOL_CACHE}, else {@code $HOME/.cache/cryptvol} ({@code $HOME}
     * as the shell has it, as build.sh reads it; the passwd entry only when HOME is unset or not absolute).
     */
    static Path cacheRoot() {
        return cacheRoot(System::getenv, System.getProperty("user.home"));
    }

    static Path cacheRoot(java.util.function.UnaryOperator<String> env, String passwdHome) {
        String cache = env.apply("CRYPTVOL_CACHE");
        if (cache != null && !cache.isBlank()) {
            return Path.of(cache);
        }
        String home = env.apply("HOME");
        return (home != null && !home.isBlank() && Path.of(home).isAbsolute() ? Path.of(home) : Path.of(passwdHome))
                .resolve(".cache").resolve("cryptvol");
    }

    /** build.sh of the shipped recipe, extracted into the cache (first use of these contents) or found there. */
    public static Path buildScript() {
        return extract(files(), cacheRoot().resolve("recipe")).resolve("build.sh");
    }

    /** The shipped recipe: path relative to the recipe directory → contents, in path order. */
    static Map<String, byte[]> files() {
        URL marker = ImageRecipe.class.getResource(MARKER);
        if (marker == null) {
            throw new CryptvolException("the test instance's image recipe is missing from the sandbox jar ("
                    + MARKER + " not found)");
        }
        try {
            URI uri = marker.toURI();
            if ("jar".equals(uri.getScheme())) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                return read(fs.provider().getPath(uri).getParent());
            }
            return read(Path.of(uri).getParent());
        } catch (IOException | URISyntaxException e) {
            throw new CryptvolException("cannot read the test instance's image recipe: " + e.getMessage(), e);
        }
    }

    private static Map<String, byte[]> read(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
                out.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        }
        return out;
    }

    /** The recipe's identity: SHA-256 over every path and its contents, 16 hex digits (as build.sh's image key). */
    static String hash(Map<String, byte[]> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : new TreeMap<>(files).entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(Long.toString(e.getValue().length).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(e.getValue());
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes {@code files} to {@code root/<hash>/} unless that directory is there already (the same contents):
     * into a temporary directory first, renamed into place, so a half-written recipe is never used. Scripts
     * ({@code *.sh}, {@code init}) get mode 0755, the rest 0644.
     */
    static Path extract(Map<String, byte[]> files, Path root) {
        Path dir = root.resolve(hash(files));
        if (Files.isRegularFile(dir.resolve("build.sh"))) {
            return dir;
        }
        Path tmp = null;
        try {
            Files.createDirectories(root);
            tmp = Files.createTempDirectory(root, ".extract-");
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                Path target = tmp.resolve(e.getKey()).normalize();
                if (!target.startsWith(tmp)) {
                    throw new CryptvolException("image recipe entry outside its directory: " + e.getKey());
                }
                Files.createDirectories(target.getParent());
                Files.write(target, e.getValue());
                String name = target.getFileName().toString();
                boolean script = name.endsWith(".sh") || name.equals("init");
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(script ? "rwxr-xr-x" : "rw-r--r--"));
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isRegularFile(dir.resolve("build.sh"))) {
                    throw raced;
                }
                // another process extracted the same contents meanwhile
            }
            return dir;
        } catch (IOException e) {
            throw new CryptvolException("cannot extract the test instance's image recipe into " + root + ": "
                    + e.getMessage(), e);
        } finally {
            if (tmp != null && Files.exists(tmp)) {
                try (Stream<Path> s = Files.walk(tmp)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // a leftover temporary directory is harmless
                }
            }
        }
    }
}

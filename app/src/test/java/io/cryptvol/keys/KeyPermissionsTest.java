package io.cryptvol.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Loose modes of the key store are found and repaired; symlinks are reported and never followed. */
class KeyPermissionsTest {
    @TempDir
    Path tmp;

    private KeyStore store() {
        return new KeyStore(tmp.resolve("keys"), tmp.resolve("keys.json"));
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    /** dir mode, key file mode → the problems found (";"-separated), and the modes after fix. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "rwx------ | rw------- | ''",
            "rwxr-xr-x | rw------- | the key directory has mode 0755, should be 0700",
            "rwx------ | rw-r--r-- | a: the key file has mode 0644, should be 0600",
            "rwxr-xr-x | rw-r--r-- | the key directory has mode 0755, should be 0700;a: the key file has mode 0644, should be 0600",
            "rwx--x--x | rw-rw-rw- | the key directory has mode 0711, should be 0700;a: the key file has mode 0666, should be 0600",
            "rwx------ | r-------- | a: the key file has mode 0400, should be 0600",
    })
    void looseModesAreFoundAndFixed(String dirMode, String fileMode, String expected) throws Exception {
        KeyStore store = store();
        store.generate(List.of("a"), 64);
        Files.setPosixFilePermissions(store.keyFile("a"), PosixFilePermissions.fromString(fileMode));
        Files.setPosixFilePermissions(store.dir(), PosixFilePermissions.fromString(dirMode));
        KeyPermissions perms = new KeyPermissions(store.dir());

        List<String> found = perms.check(null).stream()
                .map(p -> (p.keyName() == null ? "" : p.keyName() + ": ") + p.describe()).toList();
        assertThat(found).containsExactlyElementsOf(expected.isEmpty() ? List.of() : List.of(expected.split(";")));

        List<KeyPermissions.Outcome> fixed = perms.fix(null);
        assertThat(fixed).hasSize(found.size()).allMatch(KeyPermissions.Outcome::fixed);
        assertThat(perms.check(null)).isEmpty();
        assertThat(mode(store.dir())).isEqualTo("rwx------");
        assertThat(mode(store.keyFile("a"))).isEqualTo("rw-------");
    }

    @Test
    void aSymlinkedKeyIsReportedAndNotFollowedByFix() throws Exception {
        KeyStore store = store();
        store.generate(List.of("a"), 64);
        Path elsewhere = Files.writeString(tmp.resolve("elsewhere.key"), "not a key");
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(store.dir().resolve("b.key"), elsewhere);
        KeyPermissions perms = new KeyPermissions(store.dir());

        List<KeyPermissions.Problem> found = perms.check(null);
        assertThat(found).singleElement().satisfies(p -> {
            assertThat(p.keyName()).isEqualTo("b");
            assertThat(p.describe()).contains("symbolic link");
            assertThat(p.fixable()).isFalse();
        });
        assertThat(perms.fix(null)).singleElement().satisfies(o -> assertThat(o.fixed()).isFalse());
        assertThat(mode(elsewhere)).isEqualTo("rw-r--r--"); // the link's target was not touched
        assertThat(perms.check("a")).isEmpty(); // by name: only that key (and the directory)
        assertThat(perms.check("b")).hasSize(1);
    }

    @Test
    void aSymlinkedKeyDirectoryIsReportedAndNotFollowed() throws Exception {
        Path real = Files.createDirectory(tmp.resolve("real"));
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path link = Files.createSymbolicLink(tmp.resolve("keys"), real);
        KeyPermissions perms = new KeyPermissions(link);
        assertThat(perms.check(null)).singleElement().satisfies(p -> assertThat(p.fixable()).isFalse());
        perms.fix(null);
        assertThat(mode(real)).isEqualTo("rwxr-xr-x");
    }

    /** Runs as root (as here and in CI): a key file handed to another user (nobody, 65534) is reported, not "fixed". */
    @Test
    void aKeyOwnedBySomeoneElseIsReported() throws Exception {
        assertThat(KeyPermissions.myUid()).as("this test gives a file away and must run as root").isZero();
        KeyStore store = store();
        store.generate(List.of("a"), 64);
        Files.setAttribute(store.keyFile("a"), "unix:uid", 65534);
        KeyPermissions perms = new KeyPermissions(store.dir());
        assertThat(perms.check(null)).singleElement().satisfies(p -> {
            assertThat(p.describe()).contains("is owned by").contains("not by the user running cryptvol");
            assertThat(p.fixable()).isFalse();
        });
        assertThat(perms.fix(null)).noneMatch(KeyPermissions.Outcome::fixed);
    }

    @Test
    void octalModes() {
        assertThat(KeyPermissions.octal(PosixFilePermissions.fromString("rwx------"))).isEqualTo("0700");
        assertThat(KeyPermissions.octal(PosixFilePermissions.fromString("rw-r--r--"))).isEqualTo("0644");
        assertThat(KeyPermissions.octal(PosixFilePermissions.fromString("---------"))).isEqualTo("0000");
        assertThat(KeyPermissions.octal(PosixFilePermissions.fromString("rwxrwxrwx"))).isEqualTo("0777");
    }
}

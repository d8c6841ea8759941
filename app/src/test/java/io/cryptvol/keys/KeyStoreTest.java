package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyStoreTest {
    @TempDir
    Path home;
    KeyStore store;

    @BeforeEach
    void open() {
        store = new KeyStore(home.resolve("config/keys"), home.resolve("config/keys.json"));
    }

    @Test
    void generatesRandomKeysOf4KiBIn0600FilesInA0700Directory() throws Exception {
        List<KeyInfo> made = store.generate(List.of("data-key-1", "data-key-2"), KeyStore.DEFAULT_SIZE);
        assertThat(made).extracting(KeyInfo::name).containsExactly("data-key-1", "data-key-2");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.dir()))).isEqualTo("rwx------");
        for (String n : List.of("data-key-1", "data-key-2")) {
            Path f = store.keyFile(n);
            assertThat(f.getFileName().toString()).isEqualTo(n + ".key");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
            assertThat(Files.size(f)).isEqualTo(4096);
        }
        byte[] a = store.read("data-key-1");
        byte[] b = store.read("data-key-2");
        assertThat(a).isNotEqualTo(b);
        assertThat(a).isNotEqualTo(new byte[4096]);
        assertThat(made.get(0).sha256()).isEqualTo(KeyStore.sha256(a)).hasSize(64);
        assertThat(made.get(0).fingerprint()).isEqualTo(made.get(0).sha256().substring(0, 16));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.metadataFile()))).isEqualTo("rw-------");
        Arrays.fill(a, (byte) 0);
        Arrays.fill(b, (byte) 0);
    }

    @Test
    void honoursTheSizeAndRefusesAbsurdOnes() throws Exception {
        store.generate(List.of("small"), 64);
        assertThat(store.read("small")).hasSize(64);
        assertThat(store.require("small").size()).isEqualTo(64);
        assertThatThrownBy(() -> store.generate(List.of("tiny"), 8)).isInstanceOf(CryptvolException.class)
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> store.generate(List.of(), 4096)).hasMessageContaining("keys generate data-key-1 data-key-2");
    }

    @Test
    void neverOverwritesAKeyAndWritesNothingWhenAnyNameIsTaken() throws Exception {
        store.generate(List.of("a"), 4096);
        byte[] before = store.read("a");
        assertThatThrownBy(() -> store.generate(List.of("b", "a"), 4096))
                .isInstanceOf(CryptvolException.class)
                .hasMessageContaining("key 'a' already exists: refusing to overwrite it");
        assertThat(store.read("a")).isEqualTo(before);
        assertThat(store.exists("b")).isFalse();
        assertThatThrownBy(() -> store.generate(List.of("c", "c"), 4096)).hasMessageContaining("given twice");
        Path other = home.resolve("other.key");
        Files.write(other, new byte[100]);
        assertThatThrownBy(() -> store.importKey("a", other)).hasMessageContaining("already exists");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "../x", "a/b", "/etc/passwd", ".hidden", "-rf", "a b", "a\nb", "ké",
            "x;rm", "$(id)", "a*", "0123456789012345678901234567890123456789012345678901234567890123456789"})
    void refusesBadNames(String name) {
        assertThatThrownBy(() -> store.generate(List.of(name), 64))
                .isInstanceOf(CryptvolException.class)
                .hasMessageStartingWith("not a valid key name")
                .satisfies(e -> assertThat(((CryptvolException) e).exitCode()).isEqualTo(2));
        assertThat(KeyStore.isValidName(name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "data-key-1", "k.v2", "A_B", "0"})
    void acceptsGoodNames(String name) {
        assertThat(KeyStore.validateName(name)).isEqualTo(name);
    }

    @Test
    void unknownKeyIsAUsageError() {
        assertThatThrownBy(() -> store.read("nope"))
                .isInstanceOf(CryptvolException.class)
                .hasMessage("unknown key 'nope': see 'keys list'")
                .satisfies(e -> assertThat(((CryptvolException) e).exitCode()).isEqualTo(2));
    }

    @Test
    void listsKeysWithFingerprintsAndRecordsKeysDroppedInByHand() throws Exception {
        store.generate(List.of("b", "a"), 128);
        Files.write(store.dir().resolve("seed.key"), new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
        Files.writeString(store.dir().resolve("notes.txt"), "not a key");
        List<KeyInfo> keys = store.list();
        assertThat(keys).extracting(KeyInfo::name).containsExactly("a", "b", "seed");
        assertThat(keys.get(2).size()).isEqualTo(32);
        assertThat(store.names()).containsExactly("a", "b", "seed");
        assertThat(keys).allSatisfy(k -> assertThat(k.needsBackups()).isTrue());
        assertThat(keys.get(0).backupSummary()).isEqualTo("0 (0 verified)");
    }

    @Test
    void importCopiesAnExistingKeyFile() throws Exception {
        Path seed = home.resolve("seed-key");
        byte[] bytes = new byte[4096];
        new java.security.SecureRandom().nextBytes(bytes);
        Files.write(seed, bytes);
        KeyInfo k = store.importKey("old-key-1", seed);
        assertThat(k.sha256()).isEqualTo(KeyStore.sha256(bytes));
        assertThat(store.read("old-key-1")).isEqualTo(bytes);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.keyFile("old-key-1")))).isEqualTo("rw-------");
    }

    @Test
    void aSymlinkInThePlaceOfAKeyIsNotFollowed() throws Exception {
        store.generate(List.of("a"), 64);
        Path elsewhere = Files.writeString(home.resolve("elsewhere"), "x".repeat(64));
        Files.createSymbolicLink(store.dir().resolve("b.key"), elsewhere);
        assertThat(store.names()).containsExactly("a");
        assertThatThrownBy(() -> store.read("b")).hasMessageContaining("not a regular file");
    }

    @Test
    void aLooseKeyDirectoryIsTightened() throws Exception {
        Files.createDirectories(store.dir());
        Files.setPosixFilePermissions(store.dir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        store.generate(List.of("a"), 64);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.dir()))).isEqualTo("rwx------");
    }

    @Test
    void metadataAndToStringHoldNoKeyBytes() throws Exception {
        store.generate(List.of("a"), 256);
        byte[] key = store.read("a");
        String meta = Files.readString(store.metadataFile());
        assertThat(meta).contains("\"a\"").contains(KeyStore.sha256(key));
        LeakScan.assertNoLeak(List.of(key), List.of(store.metadataFile()));
        assertThat(store.require("a").toString()).doesNotContain(java.util.HexFormat.of().formatHex(key));
    }
}

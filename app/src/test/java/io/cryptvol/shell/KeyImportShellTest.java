package io.cryptvol.shell;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.keys.KeyInfo;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.session.Inventory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keys import NAME --from PATH} as a user types it: the copy, its provenance, shredding, refusals. */
class KeyImportShellTest {
    static final SecureRandom RANDOM = new SecureRandom();
    @TempDir
    Path home;
    @TempDir
    Path old;
    ShellHarness shell;

    @BeforeEach
    void start() throws Exception {
        shell = new ShellHarness(home, Map.of());
    }

    @AfterEach
    void stop() {
        shell.close();
    }

    /** A key file as the seed made it: dd if=/dev/urandom bs=4096 count=1, left world-readable. */
    Path ddKey(String name, String mode) throws Exception {
        byte[] b = new byte[4096];
        RANDOM.nextBytes(b);
        Path p = old.resolve(name);
        Files.write(p, b);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    @Test
    void importCopiesTheKeyRecordsWhereItCameFromAndShredsTheSourceWhenAsked() throws Exception {
        Path k1 = ddKey("keyfile1", "rw-r--r--");
        Path k2 = ddKey("keyfile2", "rw-------");
        byte[] bytes1 = Files.readAllBytes(k1);

        String out = shell.type("keys import data-key-1 --from " + k1);
        assertThat(out).contains("✔ imported " + k1 + " as key 'data-key-1' (4096 bytes, fingerprint "
                        + KeyStore.shortFingerprint(KeyStore.sha256(bytes1)))
                .contains("warning: the source was readable by every user (rw-r--r--)")
                .contains("warning: key 'data-key-1' has 0 verified backups");
        KeyStore store = shell.bean(KeyStore.class);
        assertThat(store.read("data-key-1")).isEqualTo(bytes1);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.keyFile("data-key-1"))))
                .isEqualTo("rw-------");
        assertThat(Files.exists(k1)).as("the source is kept without --shred-source").isTrue();
        KeyInfo info = store.require("data-key-1");
        assertThat(info.provenance().path()).isEqualTo(k1.toString());
        assertThat(info.provenance().mode()).isEqualTo("rw-r--r--");
        assertThat(info.provenance().sourceShredded()).isFalse();
        assertThat(shell.bean(Inventory.class).get("key")).contains("data-key-1");

        out = shell.type("keys import data-key-2 --from " + k2 + " --shred-source --yes");
        assertThat(out).contains("✔ imported " + k2 + " as key 'data-key-2'").doesNotContain("readable by")
                .contains("✔ shredded " + k2 + " (checked: it is gone)");
        assertThat(Files.exists(k2)).isFalse();
        assertThat(store.require("data-key-2").provenance().sourceShredded()).isTrue();

        JsonNode json = new ObjectMapper().readTree(shell.type("keys list -o json"));
        assertThat(json.get(0).path("importedFrom").path("path").asText()).isEqualTo(k1.toString());
        assertThat(json.get(1).path("importedFrom").path("sourceShredded").asBoolean()).isTrue();
        assertThat(Files.readString(store.metadataFile())).doesNotContain(java.util.HexFormat.of().formatHex(bytes1));
    }

    @Test
    void aDryRunChecksButImportsNothingAndTheSameKeyTwiceIsRefused() throws Exception {
        Path k1 = ddKey("keyfile1", "rw-------");
        String out = shell.type("keys import k --from " + k1 + " --shred-source --dry-run");
        assertThat(out).contains("would import " + k1 + " as key 'k'").contains("dry run: no key was imported");
        assertThat(shell.bean(KeyStore.class).exists("k")).isFalse();
        assertThat(Files.exists(k1)).isTrue();

        assertThat(shell.type("keys import k --from " + k1)).contains("✔ imported");
        out = shell.type("keys import k-again --from " + k1);
        assertThat(out).contains("error: " + k1 + " holds the same key as 'k'");
        assertThat(shell.bean(KeyStore.class).exists("k-again")).isFalse();
        assertThat(shell.type("keys import k --from " + k1)).contains("error: key 'k' already exists: refusing to overwrite it");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a symlink to a key file | link    | it is a symbolic link (to ",
            "a directory             | dir     | not a regular file (a directory)",
            "a FIFO                  | fifo    | not a regular file (a device, FIFO or socket)",
            "an empty file           | empty   | 0 bytes is not a key file's size",
            "a file too large        | large   | 1048577 bytes is not a key file's size",
            "no such file            | missing | no such file",
    })
    void hostileOrWrongSourcesAreRefusedAndNothingIsStored(String what, String kind, String message) throws Exception {
        Path good = ddKey("real", "rw-------");
        Path src = old.resolve("src-" + kind);
        switch (kind) {
            case "link" -> Files.createSymbolicLink(src, good);
            case "dir" -> Files.createDirectory(src);
            case "fifo" -> new ProcessBuilder("mkfifo", src.toString()).start().waitFor();
            case "empty" -> Files.createFile(src);
            case "large" -> Files.write(src, new byte[KeyStore.MAX_SIZE + 1]);
            default -> {
            }
        }
        String out = shell.type("keys import x --from " + src + " --shred-source --yes");
        assertThat(out).as(what).contains("error: ").contains(message);
        assertThat(shell.bean(KeyStore.class).exists("x")).isFalse();
        assertThat(Files.exists(good)).isTrue();
    }
}

package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Issue 14 item 12: `keys backup --to` a place that cannot hold a backup says what is wrong in one line a
 * person reads (not "does not exist" for a file, not a NoSuchFileException), and writes nothing.
 */
class BackupTargetTest {
    @TempDir
    Path tmp;

    /** --to (relative ones are made under the temp dir; "FILE" is a regular file there) → the message. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "FILE          | {to} is not a directory: give the directory to copy the key into",
            "missing/dir   | backup directory {to} does not exist (is the drive mounted?)",
            "/proc         | /proc is on a proc file system, not a disk: back up to a mounted drive",
            "/proc/self    | /proc/self is on a proc file system, not a disk: back up to a mounted drive",
            "/sys          | /sys is on a sysfs file system, not a disk: back up to a mounted drive",
            "/dev/null     | /dev/null is not a directory: give the directory to copy the key into",
            "KEYDIR        | that is the key directory itself: back up to another disk or machine",
    })
    void aBadBackupTargetIsOneHumanLineAndWritesNothing(String to, String expected) throws Exception {
        KeyStore store = new KeyStore(tmp.resolve("keys"), tmp.resolve("keys.json"));
        store.generate(List.of("k"), 64);
        Files.writeString(tmp.resolve("FILE"), "not a directory");
        Path target = switch (to) {
            case "KEYDIR" -> store.dir();
            default -> to.startsWith("/") ? Path.of(to) : tmp.resolve(to);
        };
        CryptvolException e = catchThrowableOfType(() -> store.backup("k", target), CryptvolException.class);
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).isEqualTo(expected.replace("{to}", target.toString()));
        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(store.require("k").backups()).isEmpty();
        assertThat(Files.readString(tmp.resolve("FILE"))).isEqualTo("not a directory");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "access  | permission denied",
            "nofile  | the file could not be created there (no such file or directory)",
            "readonly| Read-only file system",
            "other   | disk on fire",
    })
    void ioFailuresReadAsPlainReasons(String kind, String expected) {
        java.io.IOException e = switch (kind) {
            case "access" -> new java.nio.file.AccessDeniedException("/x/.k.key123.tmp");
            case "nofile" -> new java.nio.file.NoSuchFileException("/proc/.k.key123.tmp");
            case "readonly" -> new java.nio.file.FileSystemException("/mnt/ro/.k.key.tmp", null, "Read-only file system");
            default -> new java.io.IOException("disk on fire");
        };
        assertThat(KeyStore.reason(e)).isEqualTo(expected);
    }
}

package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackupTest {
    @TempDir
    Path home;
    @TempDir
    Path usb1;
    @TempDir
    Path usb2;
    KeyStore store;

    @BeforeEach
    void open() {
        store = new KeyStore(home.resolve("config/keys"), home.resolve("config/keys.json"));
        store.generate(List.of("k1", "k2"), 4096);
    }

    @Test
    void backupCopiesVerifiesAndRecords() throws Exception {
        KeyInfo k = store.backup("k1", usb1);
        Path copy = usb1.resolve("k1.key");
        assertThat(Files.readAllBytes(copy)).isEqualTo(store.read("k1"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
        assertThat(k.backups()).singleElement().satisfies(b -> {
            assertThat(b.location()).isEqualTo(copy.toString());
            assertThat(b.verified()).isTrue();
            assertThat(b.verifiedAt()).isNotNull();
        });
        assertThat(k.needsBackups()).isTrue();
        k = store.backup("k1", usb2);
        assertThat(k.backupSummary()).isEqualTo("2 (2 verified)");
        assertThat(k.needsBackups()).isFalse();
        // recorded across instances
        KeyStore again = new KeyStore(home.resolve("config/keys"), home.resolve("config/keys.json"));
        assertThat(again.require("k1").verifiedBackups()).isEqualTo(2);
        assertThat(again.require("k2").verifiedBackups()).isZero();
        // no temp files left behind in the backup directory
        try (var s = Files.list(usb1)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("k1.key");
        }
    }

    @Test
    void backingUpAgainToTheSamePlaceIsIdempotent() {
        store.backup("k1", usb1);
        KeyInfo k = store.backup("k1", usb1);
        assertThat(k.backups()).hasSize(1);
    }

    @Test
    void refusesToOverwriteADifferentFileOfTheSameName() throws Exception {
        Files.write(usb1.resolve("k1.key"), new byte[]{9, 9, 9});
        assertThatThrownBy(() -> store.backup("k1", usb1))
                .isInstanceOf(CryptvolException.class)
                .hasMessageContaining("already exists and holds different bytes: refusing to overwrite it");
        assertThat(Files.readAllBytes(usb1.resolve("k1.key"))).containsExactly(9, 9, 9);
        assertThat(store.require("k1").backups()).isEmpty();
    }

    @Test
    void refusesAMissingDirectoryAndTheKeyDirectoryItself() {
        assertThatThrownBy(() -> store.backup("k1", usb1.resolve("not-mounted")))
                .hasMessageContaining("does not exist (is the drive mounted?)");
        assertThatThrownBy(() -> store.backup("k1", store.dir())).hasMessageContaining("key directory itself");
        assertThatThrownBy(() -> store.backup("nope", usb1)).hasMessage("unknown key 'nope': see 'keys list'");
    }

    @Test
    void verifyFindsATamperedAndAMissingBackup() throws Exception {
        store.backup("k1", usb1);
        store.backup("k1", usb2);
        assertThat(store.verify("k1")).extracting(BackupCheck::status)
                .containsExactly(BackupCheck.Status.OK, BackupCheck.Status.OK, BackupCheck.Status.OK);

        byte[] b = Files.readAllBytes(usb1.resolve("k1.key"));
        b[100] ^= 1;
        Files.write(usb1.resolve("k1.key"), b);
        Files.delete(usb2.resolve("k1.key"));

        List<BackupCheck> checks = store.verify("k1");
        assertThat(checks).extracting(BackupCheck::location, BackupCheck::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple(store.keyFile("k1").toString(), BackupCheck.Status.OK),
                org.assertj.core.groups.Tuple.tuple(usb1.resolve("k1.key").toString(), BackupCheck.Status.MISMATCH),
                org.assertj.core.groups.Tuple.tuple(usb2.resolve("k1.key").toString(), BackupCheck.Status.MISSING));
        KeyInfo k = store.require("k1");
        assertThat(k.backupSummary()).isEqualTo("2 (0 verified)");
        assertThat(k.needsBackups()).isTrue();
    }

    @Test
    void verifyNoticesADamagedKeyFileAndBackupThenRefuses() throws Exception {
        store.backup("k1", usb1);
        byte[] b = store.read("k1");
        b[0] ^= 1;
        Files.write(store.keyFile("k1"), b);
        assertThat(store.verify("k1").get(0).status()).isEqualTo(BackupCheck.Status.MISMATCH);
        assertThatThrownBy(() -> store.backup("k1", usb2)).hasMessageContaining("no longer matches its recorded fingerprint");
    }

    @Test
    void aKeyWhoseFileIsGoneIsReportedMissingWithItsBackups() throws Exception {
        store.backup("k2", usb1);
        Files.delete(store.keyFile("k2"));
        assertThat(store.missing()).extracting(KeyInfo::name).containsExactly("k2");
        assertThat(store.list()).extracting(KeyInfo::name).containsExactly("k1");
        assertThat(store.verifyAll()).filteredOn(c -> c.keyName().equals("k2")).extracting(BackupCheck::status)
                .containsExactly(BackupCheck.Status.MISSING, BackupCheck.Status.OK);
    }

    @Test
    void shredBackupsScrubsReachableCopiesAndKeepsUnreachableOnesRecorded() throws Exception {
        store.backup("k1", usb1);
        Path mnt = usb2.resolve("stick");
        Files.createDirectories(mnt);
        store.backup("k1", mnt);
        // the stick is unmounted
        Files.delete(mnt.resolve("k1.key"));
        Files.delete(mnt);
        List<KeyStore.ShredOutcome> out = store.shredBackups("k1");
        assertThat(out).extracting(KeyStore.ShredOutcome::shredded).containsExactly(true, false);
        assertThat(out.get(1).note()).contains("not reachable now");
        assertThat(usb1.resolve("k1.key")).doesNotExist();
        assertThat(store.require("k1").backups()).extracting(Backup::location).containsExactly(mnt.resolve("k1.key").toString());
        assertThat(store.exists("k1")).isTrue();
        assertThatThrownBy(() -> store.retire("k1")).hasMessageContaining("could not be scrubbed");
        assertThat(store.exists("k1")).isTrue();

        Files.createDirectories(mnt);
        List<KeyStore.ShredOutcome> retired = store.retire("k1");
        assertThat(retired).allMatch(KeyStore.ShredOutcome::shredded);
        assertThat(store.exists("k1")).isFalse();
        assertThat(store.missing()).isEmpty();
    }
}

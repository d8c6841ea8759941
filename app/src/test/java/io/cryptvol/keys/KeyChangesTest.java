package io.cryptvol.keys;

import io.cryptvol.session.SessionMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The key store's changes under the one dry-run switch: the command's flag and the session's dry run alike. */
class KeyChangesTest {
    @TempDir
    Path home;

    @ParameterizedTest(name = "--dry-run {0}, session dry run {1} → planned {2}")
    @CsvSource({"false,false,false", "true,false,true", "false,true,true", "true,true,true"})
    void aDryRunWritesNoKeyNoBackupAndRepairsNoMode(boolean flag, boolean session, boolean planned) throws Exception {
        SessionMode mode = new SessionMode();
        KeyStore store = new KeyStore(home.resolve("keys"), home.resolve("keys.json"));
        KeyChanges changes = new KeyChanges(store, mode);
        Path backups = Files.createDirectories(home.resolve("usb"));
        store.generate(List.of("old"), 64);
        Path oldKey = store.dir().resolve("old" + KeyStore.SUFFIX);
        Files.setPosixFilePermissions(oldKey, PosixFilePermissions.fromString("rw-r--r--"));
        try (var s = mode.enter(session)) {
            KeyChanges.Generation g = changes.generate(List.of("k1", "k2"), 64, flag);
            assertThat(g.planned()).isEqualTo(planned);
            assertThat(g.made()).hasSize(planned ? 0 : 2);
            // in a session's dry run a key planned by an earlier line may be backed up (planned) although it does not
            // exist; a command's own --dry-run ends with the command, and so does what it planned
            String name = flag && !session ? "old" : "k1";
            KeyChanges.BackupCopy copy = changes.backup(name, backups, flag);
            assertThat(copy.planned()).isEqualTo(planned);
            assertThat(copy.file()).isEqualTo(backups.resolve(name + KeyStore.SUFFIX));
            KeyChanges.Repair repair = changes.permissions(null, true);
            assertThat(repair.planned()).isEqualTo(session);
            assertThat(repair.repaired()).hasSize(session ? 0 : 1);
            assertThat(mode.dryRun()).as("the command's flag ends with the call").isEqualTo(session);
        }
        assertThat(Files.exists(store.dir().resolve("k1" + KeyStore.SUFFIX))).isEqualTo(!planned);
        try (var copies = Files.list(backups)) {
            assertThat(copies.toList()).hasSize(planned ? 0 : 1);
        }
        assertThat(store.list()).extracting(KeyInfo::name).hasSize(planned ? 1 : 3);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(oldKey)))
                .isEqualTo(session ? "rw-r--r--" : "rw-------");
    }
}

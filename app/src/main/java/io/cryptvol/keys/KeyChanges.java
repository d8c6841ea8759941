package io.cryptvol.keys;

import io.cryptvol.session.SessionMode;

import java.nio.file.Path;
import java.util.List;

/**
 * The key store's changes under the one dry-run switch: generating, backing up and repairing permissions. In a dry
 * run (the command's {@code --dry-run} or the session's) each is checked as it would be and answered with what it
 * would do; nothing is written. The commands render the answer and never ask the switch themselves.
 */
public final class KeyChanges {
    private final KeyStore store;
    private final SessionMode mode;

    public KeyChanges(KeyStore store, SessionMode mode) {
        this.store = store;
        this.mode = mode;
    }

    /** Keys generated, or ({@code planned}) the names checked and not generated. */
    public record Generation(boolean planned, List<String> names, List<KeyInfo> made) {
    }

    /** A backup made ({@code key} with its backups), or ({@code planned}) the file it would be copied to. */
    public record BackupCopy(boolean planned, Path file, KeyInfo key) {
    }

    /** Permission repairs done; in a dry run none are, and {@code loose} is what a repair would look at. */
    public record Repair(boolean planned, List<KeyPermissions.Outcome> repaired, List<KeyPermissions.Problem> loose) {
    }

    /** A key imported, or ({@code planned}) the source checked and what importing it would store. */
    public record Import(boolean planned, KeyStore.Imported imported) {
    }

    public Import importKey(String name, Path source, boolean dryRun) {
        try (var s = mode.enter(dryRun)) {
            if (mode.on()) {
                KeyStore.Imported would = store.checkImport(name, source);
                mode.planKey(name); // later lines of a replay --dry-run may name it
                return new Import(true, would);
            }
        }
        return new Import(false, store.importFile(name, source));
    }

    public Generation generate(List<String> names, int size, boolean dryRun) {
        try (var s = mode.enter(dryRun)) {
            if (mode.on()) {
                store.checkGenerate(names, size);
                names.forEach(mode::planKey); // later lines of a replay --dry-run may name it
                return new Generation(true, List.copyOf(names), List.of());
            }
        }
        return new Generation(false, List.copyOf(names), store.generate(names, size));
    }

    public BackupCopy backup(String name, Path to, boolean dryRun) {
        try (var s = mode.enter(dryRun)) {
            if (mode.on()) {
                if (!mode.keyPlanned(name)) {
                    store.require(name);
                }
                return new BackupCopy(true, store.backupFile(name, to), null);
            }
        }
        KeyInfo k = store.backup(name, to);
        return new BackupCopy(false, to.toAbsolutePath().normalize().resolve(name + KeyStore.SUFFIX), k);
    }

    /** {@code keys verify}: with {@code fix} outside a dry run, the loose modes are repaired first. */
    public Repair permissions(String name, boolean fix) {
        KeyPermissions permissions = new KeyPermissions(store.dir());
        if (fix && !mode.on()) {
            List<KeyPermissions.Outcome> repaired = permissions.fix(name);
            return new Repair(false, repaired,
                    repaired.stream().filter(o -> !o.fixed()).map(KeyPermissions.Outcome::problem).toList());
        }
        return new Repair(fix, List.of(), permissions.check(name));
    }
}

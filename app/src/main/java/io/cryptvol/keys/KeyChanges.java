package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.model.S3Url;
import io.cryptvol.domain.plan.Inputs;
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

    /** A copy put in S3 ({@code backup} with the key's backups), or ({@code planned}) where it would go. */
    public record S3Copy(boolean planned, KeyStore.S3Backup backup) {
    }

    /**
     * {@code keys backup NAME --to s3://BUCKET/PREFIX [--kms-key-id ID]}: the values checked first
     * ({@link Inputs#s3Url}, {@link Inputs#kmsKeyId}); in a dry run the key and the bucket (there, usable, private)
     * are checked, and nothing is put.
     */
    public S3Copy backupToS3(String name, String url, String kmsKeyId, boolean dryRun) {
        Inputs.Checked where = Inputs.s3Url(url);
        if (!where.ok()) {
            throw new CryptvolException(where.refusal().line(), ExitCode.USAGE, null);
        }
        if (kmsKeyId != null) {
            Inputs.kmsKeyId(kmsKeyId).ifPresent(r -> {
                throw new CryptvolException(r.line(), ExitCode.USAGE, null);
            });
        }
        KeyStore.validateName(name);
        S3Url to = S3Url.parse(where.value());
        try (var s = mode.enter(dryRun)) {
            if (mode.on()) {
                return new S3Copy(true, store.checkS3Backup(name, to, mode.keyPlanned(name)));
            }
        }
        return new S3Copy(false, store.backupToS3(name, to, kmsKeyId));
    }

    /** The header backups of the volumes key {@code name} opens, put where its S3 copy went (after {@link #backupToS3}). */
    public java.util.List<HeaderBackups.Backup> headersToS3(String name, String url, String kmsKeyId) {
        return store.backupHeadersToS3(name, S3Url.parse(url), kmsKeyId);
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

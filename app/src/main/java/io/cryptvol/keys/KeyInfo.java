package io.cryptvol.keys;

import java.time.Instant;
import java.util.List;

/**
 * What is known about a key, without its bytes.
 *
 * @param name    the key's name (file NAME.key in the key directory)
 * @param size    length in bytes
 * @param sha256  SHA-256 of the key bytes, lower-case hex (a fingerprint, not the key)
 * @param created when it was generated or imported
 * @param backups recorded backup copies
 * @param enrollments the volumes (LUKS UUID and slot) this key is known to open
 * @param provenance  where an imported key came from; null for a generated key
 */
public record KeyInfo(String name, int size, String sha256, Instant created, List<Backup> backups,
                      List<Enrollment> enrollments, Provenance provenance) {

    /** Backups a person should keep at least this many of (a lost key is a lost volume). */
    public static final int MIN_VERIFIED_BACKUPS = 2;

    public KeyInfo {
        backups = backups == null ? List.of() : List.copyOf(backups);
        enrollments = enrollments == null ? List.of() : List.copyOf(enrollments);
    }

    public KeyInfo(String name, int size, String sha256, Instant created, List<Backup> backups) {
        this(name, size, sha256, created, backups, List.of(), null);
    }

    public KeyInfo(String name, int size, String sha256, Instant created, List<Backup> backups,
                   List<Enrollment> enrollments) {
        this(name, size, sha256, created, backups, enrollments, null);
    }

    /** Whether this key is recorded as opening the volume with this LUKS UUID. */
    public boolean opens(String luksUuid) {
        return luksUuid != null && enrollments.stream().anyMatch(e -> luksUuid.equalsIgnoreCase(e.luksUuid()));
    }

    /** First 16 hex digits of the SHA-256, in groups of four: "1a2b:3c4d:5e6f:7a8b". */
    public String fingerprint() {
        return KeyStore.shortFingerprint(sha256);
    }

    public long verifiedBackups() {
        return backups.stream().filter(Backup::verified).count();
    }

    public boolean needsBackups() {
        return verifiedBackups() < MIN_VERIFIED_BACKUPS;
    }

    /** Backups in S3 (location {@code s3://bucket/key}): off this machine. */
    public long s3Backups() {
        return backups.stream().filter(b -> io.cryptvol.domain.model.S3Url.isS3(b.location())).count();
    }

    /** "2 (2 verified)", or "2 (2 verified, 1 in S3)". */
    public String backupSummary() {
        long s3 = s3Backups();
        return backups.size() + " (" + verifiedBackups() + " verified" + (s3 > 0 ? ", " + s3 + " in S3" : "") + ")";
    }

    KeyInfo withBackups(List<Backup> b) {
        return new KeyInfo(name, size, sha256, created, b, enrollments, provenance);
    }

    KeyInfo withEnrollments(List<Enrollment> e) {
        return new KeyInfo(name, size, sha256, created, backups, e, provenance);
    }

    KeyInfo withProvenance(Provenance p) {
        return new KeyInfo(name, size, sha256, created, backups, enrollments, p);
    }
}

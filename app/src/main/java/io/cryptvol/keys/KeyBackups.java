package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.model.S3Url;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Backup copies of keys on other disks and in S3 ({@link S3Copies}): where a copy goes, writing it (0600, flushed, read back and compared),
 * checking every recorded copy, and shredding them. The key bytes come from the {@link KeyDirectory}, the record
 * of each copy goes to the {@link KeyMetadata}.
 */
final class KeyBackups {
    /** Kernel file systems that hold no files of ours: a backup there is lost or refused. */
    private static final Set<String> VIRTUAL_FILE_SYSTEMS = Set.of("proc", "sysfs", "devtmpfs", "devpts", "cgroup",
            "cgroup2", "debugfs", "tracefs", "securityfs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs",
            "efivarfs", "binfmt_misc", "autofs", "rpc_pipefs", "nsfs");

    private final KeyDirectory keys;
    private final KeyMetadata meta;

    KeyBackups(KeyDirectory keys, KeyMetadata meta) {
        this.keys = keys;
        this.meta = meta;
    }

    Path backupFile(String name, Path targetDir) {
        Path to = targetDir.toAbsolutePath().normalize();
        if (!Files.exists(to)) {
            throw new CryptvolException("backup directory " + to + " does not exist (is the drive mounted?)", ExitCode.USAGE, null);
        }
        if (!Files.isDirectory(to)) {
            throw new CryptvolException(to + " is not a directory: give the directory to copy the key into", ExitCode.USAGE, null);
        }
        String fs = fileSystemType(to);
        if (fs != null && VIRTUAL_FILE_SYSTEMS.contains(fs)) {
            throw new CryptvolException(to + " is on a " + fs + " file system, not a disk: back up to a mounted drive", ExitCode.USAGE, null);
        }
        if (sameDir(to, keys.dir())) {
            throw new CryptvolException("that is the key directory itself: back up to another disk or machine", ExitCode.USAGE, null);
        }
        return to.resolve(name + KeyDirectory.SUFFIX);
    }

    KeyInfo backup(KeyInfo info, Path targetDir, Instant now) {
        String name = info.name();
        Path copy = backupFile(name, targetDir);
        Path to = copy.getParent();
        byte[] key = keys.read(name);
        try {
            String expected = unchanged(info, key);
            if (Files.exists(copy, LinkOption.NOFOLLOW_LINKS)) {
                if (!expected.equals(sha256Of(copy))) {
                    throw new CryptvolException(copy + " already exists and holds different bytes: refusing to overwrite "
                            + "it (it may be another key); choose another directory", ExitCode.FAILED, null);
                }
            } else {
                writeNew(to, copy, key);
            }
            return record(info, copy.toString(), expected.equals(sha256Of(copy)), now);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** The key's bytes still match its recorded fingerprint (else nothing is copied); returns their SHA-256. */
    private static String unchanged(KeyInfo info, byte[] key) {
        String sha = KeyStore.sha256(key);
        if (!sha.equals(info.sha256())) {
            throw new CryptvolException("key '" + info.name() + "' no longer matches its recorded fingerprint "
                    + KeyStore.shortFingerprint(info.sha256()) + "; run 'keys verify " + info.name() + "' before backing it up", ExitCode.FAILED, null);
        }
        return sha;
    }

    /** Records the copy at {@code location} (replacing an earlier record of it), then refuses one that did not verify. */
    private KeyInfo record(KeyInfo info, String location, boolean ok, Instant now) {
        List<Backup> backups = new ArrayList<>(info.backups());
        backups.removeIf(b -> b.location().equals(location));
        Instant created = info.backups().stream().filter(b -> b.location().equals(location))
                .map(Backup::created).findFirst().orElse(now);
        backups.add(new Backup(location, created, ok, now));
        KeyInfo updated = info.withBackups(backups);
        meta.put(updated);
        if (!ok) {
            throw new CryptvolException("backup of '" + info.name() + "' to " + location + " could not be verified: "
                    + "the copy read back differs from the key", ExitCode.FAILED, null);
        }
        return updated;
    }

    /**
     * Copies the key to S3 ({@code to}, object {@code NAME.key} under its prefix) with SSE-KMS, read back and compared,
     * and records it as a backup at {@code s3://bucket/key}. The bucket is checked first (it must be private); the
     * key bytes are read only after that.
     */
    KeyStore.S3Backup backupToS3(KeyInfo info, S3Url to, String kmsKeyId, S3Copies s3, Instant now) {
        String name = info.name();
        Optional<String> bucketKey = s3.checkPrivate(to.bucket());
        byte[] key = keys.read(name);
        try {
            unchanged(info, key);
            S3Copies.Stored st = s3.put(to.bucket(), to.key(name + KeyDirectory.SUFFIX), key, kmsKeyId);
            KeyInfo updated = record(info, st.location(), st.verified(), now);
            String usedKey = st.kmsKeyId() != null ? st.kmsKeyId() : kmsKeyId != null ? kmsKeyId : bucketKey.orElse(null);
            return new KeyStore.S3Backup(updated, st.location(), usedKey, st.existed());
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    List<BackupCheck> verify(KeyInfo info, Instant now, S3Copies s3) {
        String name = info.name();
        List<BackupCheck> checks = new ArrayList<>();
        checks.add(new BackupCheck(name, keys.file(name).toString(), check(keys.file(name), info.sha256())));
        List<Backup> updated = new ArrayList<>();
        for (Backup b : info.backups()) {
            BackupCheck.Status s = S3Url.isS3(b.location())
                    ? (s3 == null ? BackupCheck.Status.UNREADABLE : s3.check(b.location(), info.sha256()))
                    : check(Path.of(b.location()), info.sha256());
            checks.add(new BackupCheck(name, b.location(), s));
            updated.add(b.checked(s == BackupCheck.Status.OK, now));
        }
        meta.put(info.withBackups(updated));
        return checks;
    }

    List<KeyStore.ShredOutcome> shred(KeyInfo info, S3Copies s3) {
        List<KeyStore.ShredOutcome> out = new ArrayList<>();
        List<Backup> kept = new ArrayList<>();
        for (Backup b : info.backups()) {
            if (S3Url.isS3(b.location())) {
                KeyStore.ShredOutcome o = s3 == null ? new KeyStore.ShredOutcome(b.location(), false,
                        "S3 is not available in this session") : s3.delete(b.location());
                out.add(o);
                if (!o.shredded()) {
                    kept.add(b);
                }
                continue;
            }
            Path p = Path.of(b.location());
            try {
                if (Shredder.shred(p)) {
                    out.add(new KeyStore.ShredOutcome(b.location(), true, "shredded"));
                } else if (p.getParent() != null && Files.isDirectory(p.getParent())) {
                    out.add(new KeyStore.ShredOutcome(b.location(), true, "already gone"));
                } else {
                    out.add(new KeyStore.ShredOutcome(b.location(), false, "not reachable now (mount " + p.getParent() + ")"));
                    kept.add(b);
                }
            } catch (IOException e) {
                out.add(new KeyStore.ShredOutcome(b.location(), false, "failed: " + e.getClass().getSimpleName()));
                kept.add(b);
            }
        }
        meta.put(info.withBackups(kept));
        return out;
    }

    /** An I/O failure as a person reads it: "permission denied", "Read-only file system", not an exception class. */
    static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "the file could not be created there (no such file or directory)";
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String fileSystemType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return null;
        }
    }

    private static BackupCheck.Status check(Path file, String expected) {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return BackupCheck.Status.MISSING;
        }
        try {
            return expected.equals(sha256Of(file)) ? BackupCheck.Status.OK : BackupCheck.Status.MISMATCH;
        } catch (CryptvolException e) {
            return BackupCheck.Status.UNREADABLE;
        }
    }

    static String sha256Of(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CryptvolException("cannot read " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
        try {
            return KeyStore.sha256(b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    private static void writeNew(Path targetDir, Path copy, byte[] key) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(targetDir, "." + copy.getFileName(), ".tmp", KeyDirectory.perms(KeyDirectory.FILE_PERMS));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(key);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, copy, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, copy);
            }
            tmp = null;
            trySetPerms(copy);
        } catch (FileAlreadyExistsException e) {
            throw new CryptvolException(copy + " appeared while writing it: refusing to overwrite it", ExitCode.FAILED, null);
        } catch (IOException e) {
            throw new CryptvolException("cannot write the backup " + copy + ": " + reason(e), ExitCode.FAILED, null);
        } finally {
            if (tmp != null) {
                try {
                    Shredder.shred(tmp);
                } catch (IOException ignored) {
                    // best effort: a half-written temp copy
                }
            }
        }
    }

    private static boolean sameDir(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.equals(b);
        }
    }

    /** For backups on file systems without POSIX modes (vfat sticks): the mount options decide. */
    private static void trySetPerms(Path p) {
        try {
            Files.setPosixFilePermissions(p, KeyDirectory.FILE_PERMS);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported there
        }
    }
}

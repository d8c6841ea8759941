package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.session.Dirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The keys, on the user's machine: the façade over the key files ({@link KeyDirectory}: one {@code NAME.key} per
 * key, 0600, in a 0700 directory), their metadata ({@link KeyMetadata}: name, size, SHA-256, created, backups,
 * enrollments, provenance; never key bytes) and their backups ({@link KeyBackups}); shredding goes through
 * {@link Shredder}. Keys are never generated on, or read from, a remote instance.
 *
 * <p>A key is never overwritten (a lost key is a lost volume): generating or importing an existing name, or
 * backing up onto a different file of the same name, is refused. Bytes returned by {@link #read} belong to the
 * caller, who zeroes them after use. Messages name keys and paths, never bytes.
 */
public final class KeyStore {
    public static final int DEFAULT_SIZE = 4096;
    public static final int MIN_SIZE = 32;
    /** cryptsetup's own key file limit is 8 MiB; a key this size is already absurd. */
    public static final int MAX_SIZE = 1 << 20;
    public static final String SUFFIX = KeyDirectory.SUFFIX;

    /** This store's own parts; {@link #divert} swaps in a rehearsal's throwaway ones and puts these back. */
    private final Parts own;
    private volatile KeyDirectory files;
    private volatile KeyMetadata meta;
    private volatile KeyBackups backups;
    private volatile HeaderBackups headers;
    private final SecureRandom random;
    private final Clock clock;
    private volatile S3Copies s3;

    /**
     * @param dir      the key directory (created 0700 when missing; tightened to 0700 when looser)
     * @param metadata the metadata file (JSON, 0600); keep it outside {@code dir}
     */
    public KeyStore(Path dir, Path metadata) {
        this(dir, metadata, new SecureRandom(), Clock.systemUTC());
    }

    KeyStore(Path dir, Path metadata, SecureRandom random, Clock clock) {
        this.own = Parts.of(dir, metadata);
        use(own);
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
    }

    /** {@code Dirs.config()/keys} and {@code Dirs.config()/keys.json}. */
    public static KeyStore inConfigDir() {
        return new KeyStore(Dirs.config().resolve("keys"), Dirs.config().resolve("keys.json"));
    }

    public Path dir() {
        return files.dir();
    }

    /**
     * The key files, their metadata and backups of one directory, and the LUKS header backups kept beside them
     * ({@code headers/} and {@code headers.json} next to the metadata file).
     */
    private record Parts(KeyDirectory files, KeyMetadata meta, KeyBackups backups, HeaderBackups headers) {
        static Parts of(Path dir, Path metadata) {
            KeyDirectory f = new KeyDirectory(dir);
            KeyMetadata m = new KeyMetadata(metadata, f.dir());
            Path abs = metadata.toAbsolutePath();
            return new Parts(f, m, new KeyBackups(f, m),
                    new HeaderBackups(abs.resolveSibling("headers"), abs.resolveSibling("headers.json")));
        }
    }

    private void use(Parts p) {
        files = p.files();
        meta = p.meta();
        backups = p.backups();
        headers = p.headers();
    }

    /** The LUKS header backups kept with the keys (a rehearsal's throwaway ones while it runs). */
    public HeaderBackups headers() {
        return headers;
    }

    /**
     * Copies the header backups of every volume key {@code name} is recorded as opening into {@code targetDir} (the
     * place its key backup went), each read back and compared; returns them.
     */
    public synchronized List<HeaderBackups.Backup> backupHeaders(String name, Path targetDir) {
        KeyInfo k = require(name);
        List<String> uuids = k.enrollments().stream().map(Enrollment::luksUuid).filter(Objects::nonNull).distinct().toList();
        return uuids.isEmpty() ? List.of() : headers.copyTo(uuids, targetDir, now());
    }

    /**
     * From now on every key goes to and comes from {@code otherDir}, its metadata {@code otherMetadata} (a
     * rehearsal's throwaway store), and this store's own directory and file stay as they are; {@code null}
     * puts them back.
     */
    public synchronized void divert(Path otherDir, Path otherMetadata) {
        use(otherDir == null ? own : Parts.of(otherDir, otherMetadata));
    }

    public Path metadataFile() {
        return meta.file();
    }

    /** The file of a key (whether or not it exists). */
    public Path keyFile(String name) {
        return files.file(name);
    }

    // ---- names -----------------------------------------------------------------------------------------

    /** Letters, digits, '.', '_' and '-', 1–64 characters, not starting with '.' or '-'. */
    public static String validateName(String name) {
        return KeyDirectory.validateName(name);
    }

    public static boolean isValidName(String name) {
        return KeyDirectory.isValidName(name);
    }

    // ---- generate, import, read ---------------------------------------------------------------------------

    /**
     * Generates one key of {@code size} random bytes per name. All names are checked first: when any is
     * invalid, repeated or already a key, nothing is written.
     */
    public synchronized List<KeyInfo> generate(List<String> names, int size) {
        checkGenerate(names, size);
        List<KeyInfo> made = new ArrayList<>();
        for (String name : names) {
            byte[] key = new byte[size];
            try {
                random.nextBytes(key);
                made.add(store(name, key, null));
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }
        return made;
    }

    /** The checks of {@link #generate} without generating anything (for a dry run). */
    public synchronized void checkGenerate(List<String> names, int size) {
        if (names == null || names.isEmpty()) {
            throw new CryptvolException("name the keys to generate, e.g. 'keys generate data-key-1 data-key-2'", ExitCode.USAGE, null);
        }
        checkSize(size);
        checkNewNames(names);
    }

    /** What importing a key file did (or, for {@link #checkImport}, would do). */
    public record Imported(KeyInfo key, String source, List<String> notes) {
    }

    /** Copies an existing key file (say from the seed procedure) into the store under {@code name}. */
    public synchronized KeyInfo importKey(String name, Path file) {
        return importFile(name, file).key();
    }

    /**
     * Copies a key file into the store under {@code name} (0600, SHA-256) and records where it came from. The
     * source is checked first ({@link ImportSource}); a key whose bytes the store holds already under another name
     * is refused (one key, one name).
     */
    public synchronized Imported importFile(String name, Path file) {
        checkNewNames(List.of(name));
        ImportSource src = ImportSource.read(file, MIN_SIZE, MAX_SIZE);
        try {
            refuseDuplicate(src);
            Provenance p = new Provenance(src.path().toString(), src.mode(), src.owner(), now(), false);
            return new Imported(store(name, src.bytes(), p), src.shown(), src.notes());
        } finally {
            src.wipe();
        }
    }

    /** The checks of {@link #importFile} without storing anything (for a dry run). */
    public synchronized Imported checkImport(String name, Path file) {
        checkNewNames(List.of(name));
        ImportSource src = ImportSource.read(file, MIN_SIZE, MAX_SIZE);
        try {
            refuseDuplicate(src);
            return new Imported(new KeyInfo(name, src.bytes().length, sha256(src.bytes()), null, List.of()),
                    src.shown(), src.notes());
        } finally {
            src.wipe();
        }
    }

    /**
     * Shreds the file {@code name} was imported from, after checking that it still holds exactly the key (a file
     * swapped in since is not touched), then checks that it is gone and records that.
     */
    public synchronized KeyInfo shredImportSource(String name) {
        KeyInfo k = require(name);
        Provenance p = k.provenance();
        if (p == null) {
            throw new CryptvolException("key '" + name + "' was not imported from a file: nothing to shred", ExitCode.USAGE, null);
        }
        Path src = Path.of(p.path());
        String shown = io.cryptvol.domain.ControlChars.escape(p.path());
        if (Files.exists(src, LinkOption.NOFOLLOW_LINKS)) {
            ImportSource now = ImportSource.read(src, MIN_SIZE, MAX_SIZE);
            try {
                if (!sha256(now.bytes()).equals(k.sha256())) {
                    throw new CryptvolException(shown + " no longer holds key '" + name + "': not shredding it", ExitCode.FAILED, null);
                }
            } finally {
                now.wipe();
            }
            try {
                Shredder.shred(src);
            } catch (IOException e) {
                throw new CryptvolException("cannot shred " + shown + ": " + KeyBackups.reason(e), ExitCode.FAILED, null);
            }
        }
        if (Files.exists(src, LinkOption.NOFOLLOW_LINKS)) {
            throw new CryptvolException(shown + " is still there after shredding it", ExitCode.FAILED, null);
        }
        KeyInfo updated = k.withProvenance(p.withSourceShredded());
        meta.put(updated);
        return updated;
    }

    public boolean exists(String name) {
        return files.exists(name);
    }

    /** The key's bytes; the caller zeroes them after use. Unknown key → exit code 2. */
    public byte[] read(String name) {
        return files.read(name);
    }

    // ---- listing ------------------------------------------------------------------------------------------

    /** Names of the keys in the key directory (a local listing: fast enough for Tab completion). */
    public List<String> names() {
        return files.names();
    }

    /** Every key in the directory with its metadata (keys dropped in by hand are recorded on first sight). */
    public synchronized List<KeyInfo> list() {
        Map<String, KeyInfo> all = meta.load();
        List<KeyInfo> out = new ArrayList<>();
        boolean changed = false;
        for (String n : names()) {
            KeyInfo k = all.get(n);
            if (k == null) {
                k = describeUnrecorded(n);
                all.put(n, k);
                changed = true;
            }
            out.add(k);
        }
        if (changed) {
            meta.save(all);
        }
        return out;
    }

    /** {@link #list()} for a read-only look ({@code doctor}): keys dropped in by hand are described, not recorded. */
    public synchronized List<KeyInfo> listUnchanged() {
        Map<String, KeyInfo> all = meta.load();
        return names().stream().map(n -> all.containsKey(n) ? all.get(n) : describeUnrecorded(n)).toList();
    }

    /**
     * Records that key {@code name} opens slot {@code slot} of the LUKS volume {@code luksUuid} (metadata only).
     * A previous record of the same slot, under any key, is replaced: a slot holds one key.
     */
    public synchronized KeyInfo recordEnrollment(String name, String luksUuid, int slot, String label) {
        KeyInfo k = require(name);
        return meta.enroll(k, new Enrollment(luksUuid, slot, label, clock.instant()));
    }

    /** Forgets slot {@code slot} of {@code luksUuid} (the slot was killed or the volume re-formatted). */
    public synchronized void forgetEnrollment(String luksUuid, int slot) {
        meta.forget(new Enrollment(luksUuid, slot, null, null));
    }

    /** The keys recorded as opening the LUKS volume {@code luksUuid}, in name order. */
    public synchronized List<KeyInfo> keysFor(String luksUuid) {
        return meta.load().values().stream().filter(k -> k.opens(luksUuid)).toList();
    }

    /** Keys the metadata knows but whose file is gone from the key directory: restore them from a backup. */
    public synchronized List<KeyInfo> missing() {
        List<String> present = names();
        return meta.load().values().stream().filter(k -> !present.contains(k.name())).toList();
    }

    public synchronized Optional<KeyInfo> info(String name) {
        validateName(name);
        if (!exists(name)) {
            return Optional.empty();
        }
        KeyInfo k = meta.get(name);
        if (k == null) {
            k = describeUnrecorded(name);
            meta.put(k);
        }
        return Optional.of(k);
    }

    public KeyInfo require(String name) {
        return info(name).orElseThrow(() -> new CryptvolException("unknown key '" + name + "': see 'keys list'", ExitCode.USAGE, null));
    }

    // ---- backups ------------------------------------------------------------------------------------------

    /**
     * Where {@link #backup} would write {@code name}'s copy: {@code targetDir/NAME.key}. Checks the directory
     * first (it must exist and not be the key directory); the key itself is not checked.
     */
    public Path backupFile(String name, Path targetDir) {
        return backups.backupFile(name, targetDir);
    }

    /**
     * Copies the key to {@code targetDir/NAME.key} (0600), flushes it, reads it back and compares SHA-256, and
     * records the backup with the result. The directory must exist (a missing mount point is not silently
     * created). A file of that name with the same bytes counts as the backup; with other bytes it is refused.
     * The read-back may be served from the page cache: it proves what the file system was given.
     */
    public synchronized KeyInfo backup(String name, Path targetDir) {
        return backups.backup(require(name), targetDir, now());
    }

    /** Where S3 copies are put, checked and deleted (the shell's wiring sets it; without it they cannot be reached). */
    public void s3(S3Copies copies) {
        this.s3 = copies;
    }

    /** Where S3 copies are checked, or null when this session has no S3. */
    S3Copies s3OrNull() {
        return s3;
    }

    private S3Copies requireS3() {
        S3Copies c = s3;
        if (c == null) {
            throw new CryptvolException("S3 is not available in this session", ExitCode.FAILED, null);
        }
        return c;
    }

    /** A key copied to S3: the key with its backups, the copy's {@code s3://bucket/key}, and the KMS key S3 used. */
    public record S3Backup(KeyInfo key, String location, String kmsKeyId, boolean existed) {
    }

    /**
     * The checks of {@link #backupToS3} without writing (a dry run): the key exists, the bucket is there, usable and
     * private. Returns where the copy would go and the bucket's default KMS key (when it has one).
     */
    public synchronized S3Backup checkS3Backup(String name, io.cryptvol.domain.model.S3Url to, boolean keyPlanned) {
        KeyInfo k = keyPlanned ? null : require(name);
        Optional<String> bucketKey = requireS3().checkPrivate(to.bucket());
        return new S3Backup(k, to.location(name + SUFFIX), bucketKey.orElse(null), false);
    }

    /**
     * Copies the key to S3 under {@code to}'s prefix as {@code NAME.key}: the bucket must be private; SSE-KMS with
     * {@code kmsKeyId} (null: the bucket's default); never over other bytes; read back and compared; recorded as a
     * backup at {@code s3://bucket/key}.
     */
    public synchronized S3Backup backupToS3(String name, io.cryptvol.domain.model.S3Url to, String kmsKeyId) {
        return backups.backupToS3(require(name), to, kmsKeyId, requireS3(), now());
    }

    /** {@link #backupHeaders} to S3: the header backups of the volumes key {@code name} opens, under {@code to}. */
    public synchronized List<HeaderBackups.Backup> backupHeadersToS3(String name, io.cryptvol.domain.model.S3Url to,
                                                                    String kmsKeyId) {
        KeyInfo k = require(name);
        List<String> uuids = k.enrollments().stream().map(Enrollment::luksUuid).filter(Objects::nonNull).distinct().toList();
        return uuids.isEmpty() ? List.of() : headers.copyToS3(uuids, to, kmsKeyId, requireS3(), now());
    }

    /** Checks one key: its own file against its recorded fingerprint, then every recorded backup (S3 copies too). */
    public synchronized List<BackupCheck> verify(String name) {
        KeyInfo info = meta.get(validateName(name));
        if (info == null) {
            info = require(name);
        }
        return backups.verify(info, now(), s3);
    }

    /** {@link #verify(String)} for every key in the directory and every recorded key whose file is missing. */
    public synchronized List<BackupCheck> verifyAll() {
        Set<String> all = new LinkedHashSet<>();
        list().forEach(k -> all.add(k.name()));
        missing().forEach(k -> all.add(k.name()));
        List<BackupCheck> out = new ArrayList<>();
        all.forEach(n -> out.addAll(verify(n)));
        return out;
    }

    /** What happened to one copy when shredding. */
    public record ShredOutcome(String location, boolean shredded, String note) {
    }

    /**
     * Shreds every recorded backup copy of a key (a retired key: its volume no longer accepts it). Copies that
     * cannot be reached (drive not mounted) stay recorded and are reported. The key itself is kept.
     */
    public synchronized List<ShredOutcome> shredBackups(String name) {
        KeyInfo info = meta.get(validateName(name));
        if (info == null) {
            info = require(name);
        }
        return backups.shred(info, s3);
    }

    /**
     * Retires a key for good: shreds every backup, then (only when none is left unreachable) the key file, and
     * forgets it. Refused while a backup could not be scrubbed, so that no copy is forgotten.
     */
    public synchronized List<ShredOutcome> retire(String name) {
        List<ShredOutcome> out = new ArrayList<>(shredBackups(name));
        if (out.stream().anyMatch(o -> !o.shredded())) {
            throw new CryptvolException("key '" + name + "' kept: " + out.stream().filter(o -> !o.shredded()).count()
                    + " backup(s) could not be scrubbed; mount them and run 'keys shred " + name + " --retire --yes' again", ExitCode.FAILED, null);
        }
        boolean was = files.shred(name);
        out.add(new ShredOutcome(keyFile(name).toString(), true, was ? "shredded" : "already gone"));
        meta.remove(name);
        return out;
    }

    // ---- fingerprints -------------------------------------------------------------------------------------

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "1a2b3c4d5e6f7a8b": the first 16 hex digits of a SHA-256. */
    public static String shortFingerprint(String sha256Hex) {
        return sha256Hex == null ? "?" : sha256Hex.substring(0, Math.min(16, sha256Hex.length()));
    }

    /** An I/O failure as a person reads it: "permission denied", "Read-only file system", not an exception class. */
    static String reason(IOException e) {
        return KeyBackups.reason(e);
    }

    // ---- internals ----------------------------------------------------------------------------------------

    private static void checkSize(int size) {
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new CryptvolException("key size " + size + " bytes is out of range (" + MIN_SIZE + "–" + MAX_SIZE
                    + "; the usual is " + DEFAULT_SIZE + ")", ExitCode.USAGE, null);
        }
    }

    private void checkNewNames(List<String> names) {
        Set<String> seen = new LinkedHashSet<>();
        for (String n : names) {
            validateName(n);
            if (!seen.add(n)) {
                throw new CryptvolException("key name '" + n + "' given twice", ExitCode.USAGE, null);
            }
            if (files.taken(n)) {
                throw new CryptvolException("key '" + n + "' already exists: refusing to overwrite it (a lost key is a "
                        + "lost volume); choose another name", ExitCode.FAILED, null);
            }
        }
    }

    private void refuseDuplicate(ImportSource src) {
        String sha = sha256(src.bytes());
        for (KeyInfo k : list()) {
            if (sha.equals(k.sha256())) {
                throw new CryptvolException(src.shown() + " holds the same key as '" + k.name()
                        + "' (fingerprint " + k.fingerprint() + "): it is in the store already", ExitCode.FAILED, null);
            }
        }
    }

    private KeyInfo store(String name, byte[] key, Provenance provenance) {
        files.writeNew(name, key);
        KeyInfo info = new KeyInfo(name, key.length, sha256(key), now(), List.of(), List.of(), provenance);
        meta.put(info);
        return info;
    }

    private KeyInfo describeUnrecorded(String name) {
        byte[] key = read(name);
        try {
            return new KeyInfo(name, key.length, sha256(key), files.modified(name, now()), List.of());
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "KeyStore[" + dir() + "]";
    }
}

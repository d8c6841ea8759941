package io.cryptvol.keys;

import io.cryptvol.ExitCode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cryptvol.CryptvolException;
import io.cryptvol.session.Dirs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The keys, on the user's machine: one file {@code NAME.key} per key (0600, raw random bytes) in a 0700
 * directory, and a metadata file beside that directory (name, size, SHA-256, created, backups) that never
 * holds key bytes. Keys are never generated on, or read from, a remote instance.
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
    public static final String SUFFIX = ".key";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,63}");
    private static final Set<PosixFilePermission> DIR_PERMS = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_PERMS = PosixFilePermissions.fromString("rw-------");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Path metadata;
    private final SecureRandom random;
    private final Clock clock;

    /**
     * @param dir      the key directory (created 0700 when missing; tightened to 0700 when looser)
     * @param metadata the metadata file (JSON, 0600); keep it outside {@code dir}
     */
    public KeyStore(Path dir, Path metadata) {
        this(dir, metadata, new SecureRandom(), Clock.systemUTC());
    }

    KeyStore(Path dir, Path metadata, SecureRandom random, Clock clock) {
        this.dir = dir.toAbsolutePath().normalize();
        this.metadata = metadata.toAbsolutePath().normalize();
        this.random = Objects.requireNonNull(random);
        this.clock = Objects.requireNonNull(clock);
    }

    /** {@code Dirs.config()/keys} and {@code Dirs.config()/keys.json}. */
    public static KeyStore inConfigDir() {
        return new KeyStore(Dirs.config().resolve("keys"), Dirs.config().resolve("keys.json"));
    }

    public Path dir() {
        return dir;
    }

    public Path metadataFile() {
        return metadata;
    }

    /** The file of a key (whether or not it exists). */
    public Path keyFile(String name) {
        return dir.resolve(validateName(name) + SUFFIX);
    }

    // ---- names -----------------------------------------------------------------------------------------

    /** Letters, digits, '.', '_' and '-', 1–64 characters, not starting with '.' or '-'. */
    public static String validateName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new CryptvolException("not a valid key name: '" + name + "' (letters, digits, '.', '_' and '-', "
                    + "at most 64, not starting with '.' or '-')", ExitCode.USAGE, null);
        }
        return name;
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
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
                made.add(store(name, key));
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        }
        return made;
    }

    /**
     * Where {@link #backup} would write {@code name}'s copy: {@code targetDir/NAME.key}. Checks the directory
     * first (it must exist and not be the key directory); the key itself is not checked.
     */
    public Path backupFile(String name, Path targetDir) {
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
        if (sameDir(to, dir)) {
            throw new CryptvolException("that is the key directory itself: back up to another disk or machine", ExitCode.USAGE, null);
        }
        return to.resolve(name + SUFFIX);
    }

    /** Kernel file systems that hold no files of ours: a backup there is lost or refused. */
    private static final Set<String> VIRTUAL_FILE_SYSTEMS = Set.of("proc", "sysfs", "devtmpfs", "devpts", "cgroup",
            "cgroup2", "debugfs", "tracefs", "securityfs", "pstore", "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs",
            "efivarfs", "binfmt_misc", "autofs", "rpc_pipefs", "nsfs");

    private static String fileSystemType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return null;
        }
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

    /** The checks of {@link #generate} without generating anything (for a dry run). */
    public synchronized void checkGenerate(List<String> names, int size) {
        if (names == null || names.isEmpty()) {
            throw new CryptvolException("name the keys to generate, e.g. 'keys generate data-key-1 data-key-2'", ExitCode.USAGE, null);
        }
        checkSize(size);
        checkNewNames(names);
    }

    /** Copies an existing key file (say from the seed procedure) into the store under {@code name}. */
    public synchronized KeyInfo importKey(String name, Path file) {
        checkNewNames(List.of(name));
        if (!Files.isRegularFile(file)) {
            throw new CryptvolException("cannot import " + file + ": not a regular file", ExitCode.USAGE, null);
        }
        byte[] key;
        try {
            key = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CryptvolException("cannot read " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
        try {
            checkSize(key.length);
            return store(name, key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    public boolean exists(String name) {
        return isValidName(name) && Files.isRegularFile(dir.resolve(name + SUFFIX), LinkOption.NOFOLLOW_LINKS);
    }

    /** The key's bytes; the caller zeroes them after use. Unknown key → exit code 2. */
    public byte[] read(String name) {
        Path file = keyFile(name);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new CryptvolException("key file " + file + " is not a regular file; refusing to read it", ExitCode.FAILED, null);
            }
            throw new CryptvolException("unknown key '" + name + "': see 'keys list'", ExitCode.USAGE, null);
        }
        try (var in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) { // a symlink swapped in is refused
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CryptvolException("cannot read key '" + name + "' (" + file + "): "
                    + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
    }

    // ---- listing ------------------------------------------------------------------------------------------

    /** Names of the keys in the key directory (a local listing: fast enough for Tab completion). */
    public List<String> names() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                String n = f.substring(0, f.length() - SUFFIX.length());
                if (isValidName(n) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        out.sort(null);
        return out;
    }

    /** Every key in the directory with its metadata (keys dropped in by hand are recorded on first sight). */
    public synchronized List<KeyInfo> list() {
        Map<String, KeyInfo> meta = loadMeta();
        List<KeyInfo> out = new ArrayList<>();
        boolean changed = false;
        for (String n : names()) {
            KeyInfo k = meta.get(n);
            if (k == null) {
                k = describeUnrecorded(n);
                meta.put(n, k);
                changed = true;
            }
            out.add(k);
        }
        if (changed) {
            saveMeta(meta);
        }
        return out;
    }

    /** Keys the metadata knows but whose file is gone from the key directory: restore them from a backup. */
    /**
     * Records that key {@code name} opens slot {@code slot} of the LUKS volume {@code luksUuid} (metadata only).
     * A previous record of the same slot, under any key, is replaced: a slot holds one key.
     */
    public synchronized KeyInfo recordEnrollment(String name, String luksUuid, int slot, String label) {
        KeyInfo k = require(name);
        Enrollment e = new Enrollment(luksUuid, slot, label, clock.instant());
        Map<String, KeyInfo> meta = loadMeta();
        for (Map.Entry<String, KeyInfo> m : meta.entrySet()) {
            List<Enrollment> kept = m.getValue().enrollments().stream().filter(x -> !x.sameSlot(e)).toList();
            if (kept.size() != m.getValue().enrollments().size()) {
                m.setValue(m.getValue().withEnrollments(kept));
            }
        }
        KeyInfo cur = meta.getOrDefault(name, k);
        List<Enrollment> all = new ArrayList<>(cur.enrollments());
        all.add(e);
        KeyInfo updated = cur.withEnrollments(all);
        meta.put(name, updated);
        saveMeta(meta);
        return updated;
    }

    /** Forgets slot {@code slot} of {@code luksUuid} (the slot was killed or the volume re-formatted). */
    public synchronized void forgetEnrollment(String luksUuid, int slot) {
        Enrollment e = new Enrollment(luksUuid, slot, null, null);
        Map<String, KeyInfo> meta = loadMeta();
        meta.replaceAll((n, k) -> k.withEnrollments(k.enrollments().stream().filter(x -> !x.sameSlot(e)).toList()));
        saveMeta(meta);
    }

    /** The keys recorded as opening the LUKS volume {@code luksUuid}, in name order. */
    public synchronized List<KeyInfo> keysFor(String luksUuid) {
        return loadMeta().values().stream().filter(k -> k.opens(luksUuid)).toList();
    }

    public synchronized List<KeyInfo> missing() {
        List<String> present = names();
        return loadMeta().values().stream().filter(k -> !present.contains(k.name())).toList();
    }

    public synchronized Optional<KeyInfo> info(String name) {
        validateName(name);
        if (!exists(name)) {
            return Optional.empty();
        }
        Map<String, KeyInfo> meta = loadMeta();
        KeyInfo k = meta.get(name);
        if (k == null) {
            k = describeUnrecorded(name);
            meta.put(name, k);
            saveMeta(meta);
        }
        return Optional.of(k);
    }

    public KeyInfo require(String name) {
        return info(name).orElseThrow(() -> new CryptvolException("unknown key '" + name + "': see 'keys list'", ExitCode.USAGE, null));
    }

    // ---- backups ------------------------------------------------------------------------------------------

    /**
     * Copies the key to {@code targetDir/NAME.key} (0600), flushes it, reads it back and compares SHA-256, and
     * records the backup with the result. The directory must exist (a missing mount point is not silently
     * created). A file of that name with the same bytes counts as the backup; with other bytes it is refused.
     * The read-back may be served from the page cache: it proves what the file system was given.
     */
    public synchronized KeyInfo backup(String name, Path targetDir) {
        KeyInfo info = require(name);
        Path copy = backupFile(name, targetDir);
        Path to = copy.getParent();
        byte[] key = read(name);
        try {
            String expected = sha256(key);
            if (!expected.equals(info.sha256())) {
                throw new CryptvolException("key '" + name + "' no longer matches its recorded fingerprint "
                        + shortFingerprint(info.sha256()) + "; run 'keys verify " + name + "' before backing it up", ExitCode.FAILED, null);
            }
            if (Files.exists(copy, LinkOption.NOFOLLOW_LINKS)) {
                if (!expected.equals(sha256Of(copy))) {
                    throw new CryptvolException(copy + " already exists and holds different bytes: refusing to overwrite "
                            + "it (it may be another key); choose another directory", ExitCode.FAILED, null);
                }
            } else {
                writeNew(to, copy, key);
            }
            boolean ok = expected.equals(sha256Of(copy));
            Instant now = now();
            List<Backup> backups = new ArrayList<>(info.backups());
            backups.removeIf(b -> b.location().equals(copy.toString()));
            Instant created = info.backups().stream().filter(b -> b.location().equals(copy.toString()))
                    .map(Backup::created).findFirst().orElse(now);
            backups.add(new Backup(copy.toString(), created, ok, now));
            KeyInfo updated = info.withBackups(backups);
            putMeta(updated);
            if (!ok) {
                throw new CryptvolException("backup of '" + name + "' to " + copy + " could not be verified: "
                        + "the copy read back differs from the key", ExitCode.FAILED, null);
            }
            return updated;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** Checks one key: its own file against its recorded fingerprint, then every recorded backup. */
    public synchronized List<BackupCheck> verify(String name) {
        KeyInfo info = loadMeta().get(validateName(name));
        if (info == null) {
            info = require(name);
        }
        List<BackupCheck> checks = new ArrayList<>();
        checks.add(new BackupCheck(name, keyFile(name).toString(), check(keyFile(name), info.sha256())));
        Instant now = now();
        List<Backup> updated = new ArrayList<>();
        for (Backup b : info.backups()) {
            BackupCheck.Status s = check(Path.of(b.location()), info.sha256());
            checks.add(new BackupCheck(name, b.location(), s));
            updated.add(b.checked(s == BackupCheck.Status.OK, now));
        }
        putMeta(info.withBackups(updated));
        return checks;
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
        KeyInfo info = loadMeta().get(validateName(name));
        if (info == null) {
            info = require(name);
        }
        List<ShredOutcome> out = new ArrayList<>();
        List<Backup> kept = new ArrayList<>();
        for (Backup b : info.backups()) {
            Path p = Path.of(b.location());
            try {
                if (Shredder.shred(p)) {
                    out.add(new ShredOutcome(b.location(), true, "shredded"));
                } else if (p.getParent() != null && Files.isDirectory(p.getParent())) {
                    out.add(new ShredOutcome(b.location(), true, "already gone"));
                } else {
                    out.add(new ShredOutcome(b.location(), false, "not reachable now (mount " + p.getParent() + ")"));
                    kept.add(b);
                }
            } catch (IOException e) {
                out.add(new ShredOutcome(b.location(), false, "failed: " + e.getClass().getSimpleName()));
                kept.add(b);
            }
        }
        putMeta(info.withBackups(kept));
        return out;
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
        Path file = keyFile(name);
        try {
            boolean was = Shredder.shred(file);
            out.add(new ShredOutcome(file.toString(), true, was ? "shredded" : "already gone"));
        } catch (IOException e) {
            throw new CryptvolException("cannot shred " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
        Map<String, KeyInfo> meta = loadMeta();
        meta.remove(name);
        saveMeta(meta);
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
            if (Files.exists(dir.resolve(n + SUFFIX), LinkOption.NOFOLLOW_LINKS)) {
                throw new CryptvolException("key '" + n + "' already exists: refusing to overwrite it (a lost key is a "
                        + "lost volume); choose another name", ExitCode.FAILED, null);
            }
        }
    }

    private KeyInfo store(String name, byte[] key) {
        ensureDir();
        Path file = dir.resolve(name + SUFFIX);
        try (FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                perms(FILE_PERMS))) {
            ByteBuffer buf = ByteBuffer.wrap(key);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (FileAlreadyExistsException e) {
            throw new CryptvolException("key '" + name + "' already exists: refusing to overwrite it", ExitCode.FAILED, null);
        } catch (IOException e) {
            throw new CryptvolException("cannot write key '" + name + "' to " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
        setPerms(file, FILE_PERMS);
        KeyInfo info = new KeyInfo(name, key.length, sha256(key), now(), List.of());
        putMeta(info);
        return info;
    }

    private KeyInfo describeUnrecorded(String name) {
        byte[] key = read(name);
        try {
            Instant created;
            try {
                created = Files.getLastModifiedTime(keyFile(name)).toInstant().truncatedTo(ChronoUnit.SECONDS);
            } catch (IOException e) {
                created = now();
            }
            return new KeyInfo(name, key.length, sha256(key), created, List.of());
        } finally {
            Arrays.fill(key, (byte) 0);
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

    private static String sha256Of(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CryptvolException("cannot read " + file + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
        try {
            return sha256(b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    private static void writeNew(Path targetDir, Path copy, byte[] key) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(targetDir, "." + copy.getFileName(), ".tmp", perms(FILE_PERMS));
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
            trySetPerms(copy, FILE_PERMS);
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

    private void ensureDir() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, perms(DIR_PERMS));
            }
            if (!Files.getPosixFilePermissions(dir).equals(DIR_PERMS)) {
                Files.setPosixFilePermissions(dir, DIR_PERMS);
            }
        } catch (IOException e) {
            throw new CryptvolException("cannot create the key directory " + dir + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    private static FileAttribute<Set<PosixFilePermission>> perms(Set<PosixFilePermission> p) {
        return PosixFilePermissions.asFileAttribute(p);
    }

    private static void setPerms(Path p, Set<PosixFilePermission> perms) {
        try {
            Files.setPosixFilePermissions(p, perms);
        } catch (IOException e) {
            throw new CryptvolException("cannot set permissions of " + p + ": " + e.getClass().getSimpleName(), ExitCode.FAILED, null);
        }
    }

    /** For backups on file systems without POSIX modes (vfat sticks): the mount options decide. */
    private static void trySetPerms(Path p, Set<PosixFilePermission> perms) {
        try {
            Files.setPosixFilePermissions(p, perms);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported there
        }
    }

    // ---- metadata (names, sizes, fingerprints, backups; never key bytes) -----------------------------------

    private void putMeta(KeyInfo k) {
        Map<String, KeyInfo> meta = loadMeta();
        meta.put(k.name(), k);
        saveMeta(meta);
    }

    private Map<String, KeyInfo> loadMeta() {
        Map<String, KeyInfo> out = new TreeMap<>();
        if (!Files.isRegularFile(metadata)) {
            return out;
        }
        try {
            JsonNode keys = JSON.readTree(metadata.toFile()).path("keys");
            for (Iterator<Map.Entry<String, JsonNode>> it = keys.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode n = e.getValue();
                List<Backup> backups = new ArrayList<>();
                for (JsonNode b : n.path("backups")) {
                    backups.add(new Backup(b.path("location").asText(), instant(b, "created"),
                            b.path("verified").asBoolean(false), instant(b, "verifiedAt")));
                }
                List<Enrollment> enrollments = new ArrayList<>();
                for (JsonNode en : n.path("enrollments")) {
                    enrollments.add(new Enrollment(en.path("luksUuid").asText(null), en.path("slot").asInt(-1),
                            en.path("label").asText(null), instant(en, "recorded")));
                }
                out.put(e.getKey(), new KeyInfo(e.getKey(), n.path("size").asInt(), n.path("sha256").asText(null),
                        instant(n, "created"), backups, enrollments));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new CryptvolException("cannot read the key metadata " + metadata + ": " + e.getClass().getSimpleName()
                    + " (fix or move the file; the keys themselves are in " + dir + ")", ExitCode.FAILED, null);
        }
    }

    private void saveMeta(Map<String, KeyInfo> meta) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", 1);
        ObjectNode keys = root.putObject("keys");
        for (KeyInfo k : meta.values()) {
            ObjectNode n = keys.putObject(k.name());
            n.put("size", k.size());
            n.put("sha256", k.sha256());
            n.put("created", str(k.created()));
            ArrayNode bs = n.putArray("backups");
            for (Backup b : k.backups()) {
                ObjectNode bn = bs.addObject();
                bn.put("location", b.location());
                bn.put("created", str(b.created()));
                bn.put("verified", b.verified());
                bn.put("verifiedAt", str(b.verifiedAt()));
            }
            ArrayNode es = n.putArray("enrollments");
            for (Enrollment en : k.enrollments()) {
                ObjectNode o = es.addObject();
                o.put("luksUuid", en.luksUuid());
                o.put("slot", en.slot());
                o.put("label", en.label());
                o.put("recorded", str(en.recorded()));
            }
        }
        JsonFiles.writePrivate(metadata, root);
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }

    private static Instant instant(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : Instant.parse(v.asText());
    }

    @Override
    public String toString() {
        return "KeyStore[" + dir + "]";
    }
}

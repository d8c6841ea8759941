package io.cryptvol.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.domain.parse.HeaderDigests;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * LUKS header backups in the key store: one file per backup, {@code UUID_YYYYMMDDTHHMMSSZ.luksheader} (0600, in a
 * 0700 directory next to the key directory), never overwritten, and a record of each in {@code headers.json} (0600):
 * the UUID, LUKS version, the device and host it was taken from, when, its size and SHA-256, and every verified copy
 * made of it ({@code keys backup}). Metadata only: the header bytes are in the file alone. A file whose bytes no
 * longer match the SHA-256 recorded is refused wherever it is read.
 */
public final class HeaderBackups {
    public static final String SUFFIX = ".luksheader";
    /** A LUKS2 header with the largest metadata and key slot areas cryptsetup makes stays well below this. */
    public static final int MAX_SIZE = 64 << 20;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern FILE = Pattern.compile("[0-9a-f-]{36}_\\d{8}T\\d{6}Z(-\\d{1,3})?\\" + SUFFIX);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One verified copy of a backup elsewhere. */
    public record Copy(String path, Instant at) {
    }

    /** One header backup, as recorded. */
    public record Backup(String file, String uuid, int version, String device, String target, Instant taken, long size,
                         String sha256, List<Copy> copies) {
        public Backup {
            copies = copies == null ? List.of() : List.copyOf(copies);
        }

        public String fingerprint() {
            return KeyStore.shortFingerprint(sha256);
        }
    }

    private final Path dir;
    private final Path metadata;

    public HeaderBackups(Path dir, Path metadata) {
        this.dir = dir.toAbsolutePath().normalize();
        this.metadata = metadata;
    }

    public Path dir() {
        return dir;
    }

    /** "UUID_20261130T213000Z.luksheader" (then "-2", "-3"… when that second has one already). */
    static String fileName(String uuid, Instant taken, int n) {
        String u = HeaderDigests.uuid(uuid);
        if (u == null) {
            throw new CryptvolException("not a LUKS UUID: '" + ControlChars.escape(String.valueOf(uuid)) + "'", ExitCode.FAILED, null);
        }
        return u + "_" + STAMP.format(taken) + (n > 1 ? "-" + n : "") + SUFFIX;
    }

    /**
     * Stores a header backup copied from {@code target}'s {@code device}. Refuses bytes that are not a LUKS header
     * or whose SHA-256 differs from {@code expectedSha256} (what the host computed). Returns the record.
     */
    public synchronized Backup add(byte[] header, String expectedSha256, String device, String target, Instant now) {
        String sha = KeyStore.sha256(header);
        if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha)) {
            throw new CryptvolException("the header backup of " + ControlChars.escape(device) + " arrived with SHA-256 "
                    + KeyStore.shortFingerprint(sha) + "…, the host computed " + KeyStore.shortFingerprint(expectedSha256)
                    + "…: not stored", ExitCode.FAILED, null);
        }
        if (header.length > MAX_SIZE) {
            throw new CryptvolException("the header backup of " + ControlChars.escape(device) + " is " + header.length
                    + " bytes: too large for a LUKS header", ExitCode.FAILED, null);
        }
        Optional<String> uuid = HeaderDigests.uuidOf(header);
        if (uuid.isEmpty()) {
            throw new CryptvolException("the header backup of " + ControlChars.escape(device) + " is not a LUKS header",
                    ExitCode.FAILED, null);
        }
        Instant taken = now.truncatedTo(ChronoUnit.SECONDS);
        ensureDir();
        for (int n = 1; n < 1000; n++) {
            Path f = dir.resolve(fileName(uuid.get(), taken, n));
            try {
                writeNew(f, header);
            } catch (FileAlreadyExistsException e) {
                continue;
            } catch (IOException e) {
                throw new CryptvolException("cannot write " + f + ": " + KeyBackups.reason(e), ExitCode.FAILED, null);
            }
            byte[] back = readFile(f);
            if (!KeyStore.sha256(back).equals(sha)) {
                throw new CryptvolException(f + " reads back different bytes from what was written", ExitCode.FAILED, null);
            }
            Backup b = new Backup(f.getFileName().toString(), uuid.get(), HeaderDigests.versionOf(header), device, target,
                    taken, header.length, sha, List.of());
            List<Backup> all = new ArrayList<>(load());
            all.add(b);
            save(all);
            return b;
        }
        throw new CryptvolException("too many header backups of " + uuid.get() + " in one second", ExitCode.FAILED, null);
    }

    /** Every recorded backup, oldest first. */
    public synchronized List<Backup> list() {
        return load().stream().sorted(Comparator.comparing(Backup::taken)).toList(); // stable: as recorded within a second
    }

    /** The backups of one LUKS UUID, oldest first. */
    public List<Backup> of(String uuid) {
        return list().stream().filter(b -> b.uuid().equalsIgnoreCase(uuid)).toList();
    }

    /** A backup by its file name, or the newest of a LUKS UUID. */
    public Optional<Backup> find(String fileOrUuid) {
        if (fileOrUuid == null) {
            return Optional.empty();
        }
        List<Backup> all = list();
        Optional<Backup> byFile = all.stream().filter(b -> b.file().equals(fileOrUuid)).findFirst();
        if (byFile.isPresent()) {
            return byFile;
        }
        List<Backup> byUuid = all.stream().filter(b -> b.uuid().equalsIgnoreCase(fileOrUuid)).toList();
        return byUuid.isEmpty() ? Optional.empty() : Optional.of(byUuid.get(byUuid.size() - 1));
    }

    public Path file(Backup b) {
        if (!FILE.matcher(b.file()).matches()) {
            throw new CryptvolException("header backup record names '" + ControlChars.escape(b.file())
                    + "', not a header backup file: check " + metadata, ExitCode.FAILED, null);
        }
        return dir.resolve(b.file());
    }

    /**
     * The backup's bytes, checked against the SHA-256 recorded when it was taken: a file changed or damaged since
     * is refused.
     */
    public byte[] read(Backup b) {
        Path f = file(b);
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            throw new CryptvolException("header backup " + f + " is missing", ExitCode.FAILED, null);
        }
        byte[] bytes = readFile(f);
        String sha = KeyStore.sha256(bytes);
        if (!sha.equals(b.sha256())) {
            throw new CryptvolException("header backup " + f + ": its SHA-256 no longer matches (recorded "
                    + b.fingerprint() + "…, now " + KeyStore.shortFingerprint(sha) + "…): it was changed or damaged; "
                    + "not using it", ExitCode.FAILED, null);
        }
        return bytes;
    }

    /** One header backup file checked: the key store's own ({@code copy} false) or a recorded copy. */
    public record FileCheck(Backup backup, String location, boolean copy, BackupCheck.Status status) {
    }

    /**
     * Every backup's file in the key store and each recorded copy on a file system (a path; copies elsewhere, such as
     * S3, are checked where they are made), against the SHA-256 recorded when the backup was taken. Reads only.
     */
    public List<FileCheck> checkFiles() {
        return checkFiles(null);
    }

    /**
     * As {@link #checkFiles()}, and each {@code s3://} copy through {@code s3} (read back, SHA-256 compared); without
     * S3 in the session such a copy is reported unreadable, never silently passed over.
     */
    public List<FileCheck> checkFiles(S3Copies s3) {
        List<FileCheck> out = new ArrayList<>();
        for (Backup b : list()) {
            Path own;
            try {
                own = file(b);
            } catch (CryptvolException e) {
                out.add(new FileCheck(b, ControlChars.escape(b.file()), false, BackupCheck.Status.UNREADABLE));
                continue;
            }
            out.add(new FileCheck(b, own.toString(), false, check(own, b.sha256())));
            for (Copy c : b.copies()) {
                if (c.path().startsWith("/")) {
                    out.add(new FileCheck(b, c.path(), true, check(Path.of(c.path()), b.sha256())));
                } else if (io.cryptvol.domain.model.S3Url.isS3(c.path())) {
                    out.add(new FileCheck(b, ControlChars.escape(c.path()), true,
                            s3 == null ? BackupCheck.Status.UNREADABLE : s3.check(c.path(), b.sha256())));
                }
            }
        }
        return out;
    }

    private static BackupCheck.Status check(Path f, String sha256) {
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            return BackupCheck.Status.MISSING;
        }
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            return BackupCheck.Status.UNREADABLE; // a link or a directory where the file should be
        }
        try {
            return KeyStore.sha256(readFile(f)).equals(sha256) ? BackupCheck.Status.OK : BackupCheck.Status.MISMATCH;
        } catch (CryptvolException e) {
            return BackupCheck.Status.UNREADABLE;
        }
    }

    /**
     * Copies every backup of {@code uuids} into {@code targetDir} (0600, the same name), reads each back and compares
     * its SHA-256, and records the copy. A file there of the same name with the same bytes counts; other bytes are
     * refused. Returns the backups copied.
     */
    public synchronized List<Backup> copyTo(List<String> uuids, Path targetDir, Instant now) {
        return copyEach(uuids, now, (b, bytes) -> {
            Path to = targetDir.toAbsolutePath().normalize().resolve(b.file());
            try {
                if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
                    if (!KeyStore.sha256(readFile(to)).equals(b.sha256())) {
                        throw new CryptvolException(to + " exists with other bytes: not overwriting it", ExitCode.FAILED, null);
                    }
                } else {
                    writeNew(to, bytes);
                }
            } catch (IOException e) {
                throw new CryptvolException("cannot write " + to + ": " + KeyBackups.reason(e), ExitCode.FAILED, null);
            }
            if (!KeyStore.sha256(readFile(to)).equals(b.sha256())) {
                throw new CryptvolException(to + " reads back different bytes from the header backup", ExitCode.FAILED, null);
            }
            return to.toString();
        });
    }

    /**
     * {@link #copyTo} for S3: every backup of {@code uuids} put under {@code to}'s prefix with its file name, with
     * SSE-KMS, read back and compared ({@link S3Copies#put}), and recorded as a copy at {@code s3://bucket/key}.
     */
    public synchronized List<Backup> copyToS3(List<String> uuids, io.cryptvol.domain.model.S3Url to, String kmsKeyId,
                                              S3Copies s3, Instant now) {
        return copyEach(uuids, now, (b, bytes) -> {
            S3Copies.Stored st = s3.put(to.bucket(), to.key(b.file()), bytes, kmsKeyId);
            if (!st.verified()) {
                throw new CryptvolException(st.location() + " reads back different bytes from the header backup",
                        ExitCode.FAILED, null);
            }
            return st.location();
        });
    }

    /**
     * Copies every backup of {@code uuids} with {@code copy} (its bytes checked against the recorded SHA-256 first;
     * it returns where the verified copy is) and records each copy as soon as it is made.
     */
    private List<Backup> copyEach(List<String> uuids, Instant now, java.util.function.BiFunction<Backup, byte[], String> copy) {
        List<Backup> all = new ArrayList<>(load());
        List<Backup> done = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Backup b = all.get(i);
            if (uuids.stream().noneMatch(u -> u.equalsIgnoreCase(b.uuid()))) {
                continue;
            }
            String where = copy.apply(b, read(b));
            List<Copy> copies = new ArrayList<>(b.copies().stream().filter(c -> !c.path().equals(where)).toList());
            copies.add(new Copy(where, now.truncatedTo(ChronoUnit.SECONDS)));
            Backup updated = new Backup(b.file(), b.uuid(), b.version(), b.device(), b.target(), b.taken(), b.size(),
                    b.sha256(), copies);
            all.set(i, updated);
            done.add(updated);
            save(all);
        }
        return done;
    }

    // ---- files --------------------------------------------------------------------------------------------

    private void ensureDir() {
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(KeyDirectory.DIR_PERMS));
            }
            Files.setPosixFilePermissions(dir, KeyDirectory.DIR_PERMS);
        } catch (IOException e) {
            throw new CryptvolException("cannot create " + dir + ": " + KeyBackups.reason(e), ExitCode.FAILED, null);
        }
    }

    private static void writeNew(Path f, byte[] bytes) throws IOException {
        Files.createFile(f, PosixFilePermissions.asFileAttribute(KeyDirectory.FILE_PERMS));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
    }

    private static byte[] readFile(Path f) {
        try (var in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(MAX_SIZE + 1);
            if (b.length > MAX_SIZE) {
                throw new CryptvolException(f + " is larger than any LUKS header", ExitCode.FAILED, null);
            }
            return b;
        } catch (IOException e) {
            throw new CryptvolException("cannot read " + f + ": " + KeyBackups.reason(e), ExitCode.FAILED, null);
        }
    }

    private List<Backup> load() {
        if (!Files.exists(metadata)) {
            return List.of();
        }
        try {
            JsonNode root = JSON.readTree(metadata.toFile());
            List<Backup> out = new ArrayList<>();
            for (JsonNode n : root.path("headers")) {
                List<Copy> copies = new ArrayList<>();
                for (JsonNode c : n.path("copies")) {
                    copies.add(new Copy(c.path("path").asText(), Instant.parse(c.path("at").asText())));
                }
                out.add(new Backup(n.path("file").asText(), n.path("uuid").asText(), n.path("version").asInt(),
                        n.path("device").asText(null), n.path("target").asText(null), Instant.parse(n.path("taken").asText()),
                        n.path("size").asLong(), n.path("sha256").asText(), copies));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new CryptvolException("cannot read " + metadata + " (the record of the LUKS header backups): "
                    + e.getClass().getSimpleName() + "; repair or move it before going on", ExitCode.FAILED, null);
        }
    }

    private void save(List<Backup> all) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode arr = root.putArray("headers");
        for (Backup b : all) {
            ObjectNode n = arr.addObject();
            n.put("file", b.file());
            n.put("uuid", b.uuid());
            n.put("version", b.version());
            n.put("device", b.device());
            n.put("target", b.target());
            n.put("taken", b.taken().toString());
            n.put("size", b.size());
            n.put("sha256", b.sha256());
            ArrayNode cs = n.putArray("copies");
            for (Copy c : b.copies()) {
                cs.addObject().put("path", c.path()).put("at", c.at().toString());
            }
        }
        JsonFiles.writePrivate(metadata, root);
    }

    @Override
    public String toString() {
        return "HeaderBackups[" + dir + "]";
    }
}

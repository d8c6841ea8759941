package io.cryptvol.domain.plan;

import io.cryptvol.domain.ControlChars;

import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.cmd.LuksType;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.PathInfo;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one place every value from the user (or a script) is checked before it reaches a plan: names of
 * device-mapper mappings, VGs and LVs, mountpoints, fstab options, LUKS options, stripes. Pure: each check
 * returns the accepted (normalised) value or a {@link Refusal}; nothing throws. The planners call these
 * first, so a bad value is refused at plan time, before the first step (pvcreate) runs; the shell calls
 * the same checks to refuse a bad value before it even looks at the host.
 */
public final class Inputs {
    private Inputs() {
    }

    /** A value that passed (possibly normalised), or why it did not; {@code note} is a warning to show. */
    public record Checked(String value, Refusal refusal, String note) {
        static Checked ok(String value) {
            return new Checked(value, null, null);
        }

        static Checked no(Reason reason, String subject, String message) {
            return new Checked(null, Refusal.of(reason, subject, message), null);
        }

        public boolean ok() {
            return refusal == null;
        }

        public List<Refusal> refusals() {
            return refusal == null ? List.of() : List.of(refusal);
        }
    }

    // ---- names ---------------------------------------------------------------------------------------

    /** device-mapper's DM_NAME_LEN is 128 bytes with the terminating NUL. */
    public static final int DM_NAME_MAX = 127;
    private static final Pattern DM_NAME = Pattern.compile("[A-Za-z0-9_.+-]+");
    private static final Pattern LVM_NAME = Pattern.compile("[A-Za-z0-9+_.-]+");
    /** Substrings lvm2 keeps for its hidden sub-LVs (lib/metadata/lv_manip.c, apply_lvname_restrictions). */
    static final List<String> LVM_RESERVED_PARTS = List.of("_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig",
            "_imeta", "_iorig", "_mimage", "_mlog", "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata",
            "_vorigin");

    /**
     * A device-mapper name as cryptvol accepts it for {@code /dev/mapper/NAME}: 1..127 characters of
     * {@code A-Z a-z 0-9 _ . + -}, not starting with '-' (it would read as an option), not {@code .},
     * {@code ..} or {@code control} (/dev/mapper/control is the device-mapper's own node).
     */
    public static Optional<Refusal> mappingName(String name) {
        String why = null;
        if (name == null || name.isEmpty()) {
            why = "is empty";
        } else if (name.length() > DM_NAME_MAX) {
            why = "is longer than " + DM_NAME_MAX + " characters";
        } else if (!DM_NAME.matcher(name).matches()) {
            why = "may hold only letters, digits and _ . + -";
        } else if (name.startsWith("-")) {
            why = "must not start with '-'";
        } else if (name.equals(".") || name.equals("..")) {
            why = "is not a name";
        } else if (name.equals("control")) {
            why = "is the device-mapper's own node (/dev/mapper/control)";
        }
        return why == null ? Optional.empty()
                : Optional.of(Refusal.of(Reason.INVALID_NAME, "mapping " + shown(name), why));
    }

    /** A VG name by lvm2's rules (lvm(8), VALID NAMES). */
    public static Optional<Refusal> vgName(String name) {
        return lvmName("VG", name);
    }

    /** An LV name by lvm2's rules, including the names and parts it reserves for itself. */
    public static Optional<Refusal> lvName(String name) {
        Optional<Refusal> r = lvmName("LV", name);
        if (r.isPresent()) {
            return r;
        }
        String why = null;
        if (name.startsWith("snapshot") || name.startsWith("pvmove")) {
            why = "is reserved by LVM (names starting with 'snapshot' or 'pvmove')";
        } else {
            for (String part : LVM_RESERVED_PARTS) {
                if (name.contains(part)) {
                    why = "contains '" + part + "', which LVM reserves for its internal volumes";
                    break;
                }
            }
        }
        return why == null ? Optional.empty() : Optional.of(Refusal.of(Reason.INVALID_NAME, "LV " + shown(name), why));
    }

    private static Optional<Refusal> lvmName(String kind, String name) {
        String why = null;
        if (name == null || name.isEmpty()) {
            why = "is empty";
        } else if (name.length() > 127) {
            why = "is longer than 127 characters";
        } else if (!LVM_NAME.matcher(name).matches()) {
            why = "may hold only letters, digits and + _ . -";
        } else if (name.startsWith("-")) {
            why = "must not start with '-'";
        } else if (name.equals(".") || name.equals("..")) {
            why = "is not a name";
        }
        return why == null ? Optional.empty()
                : Optional.of(Refusal.of(Reason.INVALID_NAME, kind + " " + shown(name), why));
    }

    /**
     * A block device path as the user gives it: under /dev/, without whitespace, control or shell special
     * characters (whether it exists is the planners' question, from the host's answer).
     */
    /** "nvme1n1" → "/dev/nvme1n1"; a path stays as it is (and is checked by {@link #devicePath}). */
    public static String devPath(String d) {
        return d.startsWith("/") ? d : "/dev/" + d;
    }

    /** Devices from a comma/space separated list, as {@link #devPath}s; empty list when none. */
    public static List<String> deviceList(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(s.split("[,\\s]+")).filter(x -> !x.isBlank()).map(Inputs::devPath).toList();
    }

    public static Optional<Refusal> devicePath(String path) {
        String why = null;
        if (path == null || !path.startsWith("/dev/") || path.length() <= "/dev/".length()) {
            why = "is not a device path (/dev/...)";
        } else if (path.chars().anyMatch(c -> c <= 0x20 || c == 0x7f || SHELL_SPECIAL.indexOf(c) >= 0)) {
            why = "must not contain spaces, control or shell special characters";
        } else if (path.length() > PATH_MAX) {
            why = "is longer than " + PATH_MAX + " characters";
        }
        return why == null ? Optional.empty() : Optional.of(Refusal.of(Reason.INVALID_NAME, "device " + shown(path), why));
    }

    // ---- mountpoints ---------------------------------------------------------------------------------

    /**
     * Never a mountpoint, not even with --force: kernel and runtime filesystems (a volume mounted there hides
     * the kernel's interfaces, and /run is emptied at each boot).
     */
    static final List<String> NEVER = List.of("/proc", "/sys", "/dev", "/run");
    /**
     * Trees the OS owns: neither they nor anything below them without --force (an empty filesystem over /usr
     * or /etc breaks the host; /tmp and /var/tmp are cleaned by age, which would delete the volume's files).
     */
    static final List<String> SYSTEM_TREES = List.of("/bin", "/boot", "/efi", "/etc", "/lib", "/lib32", "/lib64",
            "/libx32", "/sbin", "/usr", "/tmp", "/var/tmp");
    /**
     * Directories that hold other things: not them without --force, but below them is where data volumes
     * usually go (/mnt/data, /srv/db, /var/lib/postgresql, /home/shared).
     */
    static final List<String> SYSTEM_DIRS = List.of("/home", "/media", "/mnt", "/opt", "/root", "/srv", "/var",
            "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/mail", "/var/backups", "/snap", "/lost+found");

    /**
     * Characters a new mountpoint may not hold: legal in a Linux path, but each breaks someone's script, a
     * systemd unit name or an fstab field, and none is needed for a data volume.
     */
    static final String SHELL_SPECIAL = "$`;|&<>()*?[]{}'\"\\!#";

    /** Linux PATH_MAX (with the NUL) and NAME_MAX. */
    private static final int PATH_MAX = 4095;
    private static final int NAME_MAX = 255;

    /**
     * An absolute path, normalised ({@code //}, {@code .}, {@code ..} and a trailing '/' resolved as the
     * kernel would), that is not {@code /}, not a kernel or runtime directory, and — unless {@code force} —
     * not a system directory. No whitespace or control characters (an fstab field and a prompt line must
     * stay one line), no shell special characters. The value returned is the normalised path.
     */
    public static Checked mountpoint(String raw, boolean force) {
        if (raw == null || raw.isEmpty()) {
            return Checked.no(Reason.INVALID_MOUNTPOINT, "mountpoint", "is empty");
        }
        String subject = "mountpoint " + shown(raw);
        if (!raw.startsWith("/")) {
            return Checked.no(Reason.INVALID_MOUNTPOINT, subject, "must be an absolute path");
        }
        if (raw.chars().anyMatch(c -> c < 0x20 || c == 0x7f || Character.isWhitespace(c) || Character.isSpaceChar(c))) {
            return Checked.no(Reason.INVALID_MOUNTPOINT, subject, "must not contain spaces or control characters");
        }
        for (int i = 0; i < raw.length(); i++) {
            if (SHELL_SPECIAL.indexOf(raw.charAt(i)) >= 0) {
                return Checked.no(Reason.INVALID_MOUNTPOINT, subject, "must not contain '" + raw.charAt(i) + "': a new "
                        + "mountpoint is a plain path (no shell or fstab special characters " + SHELL_SPECIAL + ")");
            }
        }
        if (raw.length() > PATH_MAX) {
            return Checked.no(Reason.INVALID_MOUNTPOINT, subject, "is longer than " + PATH_MAX + " characters");
        }
        String mp = normalisePath(raw);
        for (String part : mp.substring(1).split("/")) {
            if (part.length() > NAME_MAX) {
                return Checked.no(Reason.INVALID_MOUNTPOINT, subject, "has a component longer than " + NAME_MAX
                        + " characters");
            }
        }
        if (mp.equals("/")) {
            return Checked.no(Reason.SYSTEM_DIRECTORY, subject, raw.equals("/") ? "is the root filesystem"
                    : "resolves to /, the root filesystem");
        }
        String as = mp.equals(raw) ? "" : " (" + mp + ")";
        for (String d : NEVER) {
            if (atOrUnder(mp, d)) {
                return Checked.no(Reason.SYSTEM_DIRECTORY, subject, "is" + as + (mp.equals(d) ? "" : " under") + " " + d
                        + ", a kernel or runtime filesystem; choose a path such as /mnt/data");
            }
        }
        if (!force) {
            for (String d : SYSTEM_TREES) {
                if (atOrUnder(mp, d)) {
                    return Checked.no(Reason.SYSTEM_DIRECTORY, subject, "is" + as + (mp.equals(d) ? "" : " under") + " "
                            + d + ", which the system owns; choose a path such as /mnt/data (or --force)");
                }
            }
            if (SYSTEM_DIRS.contains(mp)) {
                return Checked.no(Reason.SYSTEM_DIRECTORY, subject, "is" + as + " a system directory: a volume mounted "
                        + "there hides what it holds; choose a directory below it, e.g. " + mp + "/data (or --force)");
            }
        }
        return Checked.ok(mp);
    }

    /**
     * {@code //a/./b/../c/} → {@code /a/c}; {@code /..} → {@code /}. Lexical, like {@code realpath -s}: no
     * symbolic link is followed (the host's answer about links comes from the observation). A value that
     * is not absolute comes back unchanged.
     */
    public static String normalisePath(String raw) {
        if (raw == null || !raw.startsWith("/")) {
            return raw;
        }
        Deque<String> parts = new ArrayDeque<>();
        for (String p : raw.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(p);
            }
        }
        return "/" + String.join("/", parts);
    }

    private static boolean atOrUnder(String path, String dir) {
        return path.equals(dir) || path.startsWith(dir + "/");
    }

    /**
     * What the host holds at the mountpoint, checked before anything changes: not a file, a device node or a
     * symbolic link, not below a file ({@code mkdir -p} would fail after every destructive step), and not a
     * directory with files in it (a mount would hide them) unless {@code force}. A mountpoint something is
     * mounted on already is the mount planners' business (MOUNTPOINT_BUSY, or this volume).
     */
    public static List<Refusal> mountpointOnHost(HostState h, String mountpoint, boolean force) {
        Optional<PathInfo> info = h.pathAt(mountpoint);
        if (info.isEmpty() || h.mountAt(mountpoint).isPresent()) {
            return List.of();
        }
        String subject = "mountpoint " + shown(mountpoint);
        return switch (info.get().kind()) {
            // DIRECTORY: an fstab mountpoint outside the observation's scope, as little known as one not observed
            case MISSING, EMPTY_DIRECTORY, DIRECTORY -> List.of();
            case NOT_A_DIRECTORY -> List.of(Refusal.of(Reason.MOUNTPOINT_NOT_DIRECTORY, subject,
                    "exists on the host and is not a directory"));
            case SYMLINK -> List.of(Refusal.of(Reason.MOUNTPOINT_NOT_DIRECTORY, subject,
                    "is a symbolic link on the host; give the directory it points to"));
            case BLOCKED -> List.of(Refusal.of(Reason.MOUNTPOINT_NOT_DIRECTORY, subject, "cannot be made: "
                    + (info.get().blocker() == null ? "a parent" : shown(info.get().blocker()))
                    + " is not a directory"));
            case NON_EMPTY_DIRECTORY -> force ? List.of() : List.of(Refusal.of(Reason.MOUNTPOINT_NOT_EMPTY, subject,
                    "is a directory with files in it; a mount would hide them: move them away, choose another "
                            + "mountpoint, or pass --force"));
        };
    }

    // ---- fstab options -------------------------------------------------------------------------------

    private static final Pattern OPTION = Pattern.compile("[A-Za-z0-9_.-]+(=[A-Za-z0-9_.:/+@-]+)?");
    /** How long a boot waits for the mapping of an {@code --auto} line before it goes on without it. */
    public static final String AUTO_DEVICE_TIMEOUT = "x-systemd.device-timeout=10s";

    /**
     * The options field of an fstab line: comma-separated {@code name} or {@code name=value}, nothing else
     * (no whitespace, which would start the dump and pass fields — cryptvol writes those as {@code 0 0} —
     * no '#', quotes, backslashes or control characters). {@code noauto} stays unless {@code auto} is asked
     * for: a boot must never wait for a key that only a human can give. With {@code auto}, {@code noauto} is
     * dropped and {@code nofail} and {@link #AUTO_DEVICE_TIMEOUT} are added, so a boot without the key
     * waits 10 s for the mapping and goes on; the note says so.
     */
    public static Checked mountOptions(String raw, boolean auto) {
        if (raw == null || raw.isBlank()) {
            return Checked.no(Reason.INVALID_MOUNT_OPTIONS, "mount options", "are empty");
        }
        String subject = "mount options " + shown(raw);
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isWhitespace(c)) {
                return Checked.no(Reason.INVALID_MOUNT_OPTIONS, subject, "must not contain spaces or control characters "
                        + "(cryptvol writes the fstab line's dump and pass fields itself, as 0 0)");
            }
            if (c == '#' || c == '"' || c == '\'' || c == '\\' || c == '`' || c == '$' || c == ';') {
                return Checked.no(Reason.INVALID_MOUNT_OPTIONS, subject, "must not contain '" + c + "'");
            }
        }
        Set<String> opts = new LinkedHashSet<>();
        for (String o : raw.split(",", -1)) {
            if (o.isEmpty()) {
                return Checked.no(Reason.INVALID_MOUNT_OPTIONS, subject, "have an empty option (',,' or a ',' at an end)");
            }
            if (!OPTION.matcher(o).matches()) {
                return Checked.no(Reason.INVALID_MOUNT_OPTIONS, subject, "option " + shown(o) + " is not name or "
                        + "name=value");
            }
            opts.add(o);
        }
        if (opts.contains("auto") && opts.contains("noauto")) {
            return Checked.no(Reason.INVALID_MOUNT_OPTIONS, subject, "give auto or noauto, not both");
        }
        if (!auto) {
            if (opts.contains("auto")) {
                return Checked.no(Reason.INVALID_MOUNT_OPTIONS, subject, "'auto' would make each boot wait for the "
                        + "encrypted mapping; pass --auto if that is what you want");
            }
            boolean added = opts.add("noauto");
            return new Checked(String.join(",", opts), null, added ? "noauto added to the options: the volume is "
                    + "mounted after an unlock, never by the boot (--auto to change that)" : null);
        }
        opts.remove("noauto");
        opts.remove("auto");
        opts.add("nofail");
        if (opts.stream().noneMatch(o -> o.startsWith("x-systemd.device-timeout="))) {
            opts.add(AUTO_DEVICE_TIMEOUT);
        }
        return new Checked(String.join(",", opts), null, "--auto: each boot now tries to mount this line; without "
                + "the key the mapping never appears, so the boot waits for it up to the device timeout and goes on "
                + "(nofail). Open it at boot with a crypttab line and a key the host can read, or keep noauto");
    }

    // ---- LUKS ----------------------------------------------------------------------------------------

    /**
     * The ciphers cryptvol formats with, in cryptsetup's cipher-chainmode-ivmode form, and the volume key
     * sizes (bits) each takes: XTS splits its key in two, so AES-128/256-XTS are 256 and 512 bits.
     */
    public record CipherSpec(String cipher, List<Integer> keyBits, boolean luks1) {
    }

    public static final List<CipherSpec> CIPHERS = List.of(
            new CipherSpec("aes-xts-plain64", List.of(256, 512), true),
            new CipherSpec("serpent-xts-plain64", List.of(256, 512), true),
            new CipherSpec("twofish-xts-plain64", List.of(256, 512), true),
            new CipherSpec("aes-cbc-essiv:sha256", List.of(128, 192, 256), true),
            new CipherSpec("serpent-cbc-essiv:sha256", List.of(128, 192, 256), true),
            new CipherSpec("twofish-cbc-essiv:sha256", List.of(128, 192, 256), true),
            // Adiantum: for CPUs without AES instructions; LUKS2 only here (cryptsetup's own advice)
            new CipherSpec("xchacha12,aes-adiantum-plain64", List.of(256), false),
            new CipherSpec("xchacha20,aes-adiantum-plain64", List.of(256), false));

    /** Header and key-slot hashes; sha1 and ripemd160 only for a LUKS1 header (the seed's format). */
    public static final Map<String, Boolean> HASHES_LUKS2_TOO = Map.of("sha256", true, "sha384", true, "sha512", true,
            "sha1", false, "ripemd160", false);

    public static final int ITER_TIME_MAX_MS = 60_000;
    public static final int PBKDF2_MIN_ITERATIONS = 1000;
    public static final int ARGON2_MIN_ITERATIONS = 4;
    public static final int MEMORY_MIN_KIB = 32;
    public static final int MEMORY_MAX_KIB = 4 * 1024 * 1024;
    public static final int PARALLEL_MAX = 4;

    /** Everything wrong with LUKS format options, each as cryptsetup would have found it (too late). */
    public static List<Refusal> luks(LuksOptions o) {
        List<Refusal> r = new ArrayList<>();
        Optional<CipherSpec> c = CIPHERS.stream().filter(x -> x.cipher().equals(o.cipher())).findFirst();
        if (c.isEmpty()) {
            r.add(luksNo("--cipher " + shown(o.cipher()), "is not one cryptvol formats with; choose "
                    + String.join(", ", CIPHERS.stream().map(CipherSpec::cipher).toList())));
        } else {
            if (!c.get().keyBits().contains(o.keySizeBits())) {
                r.add(luksNo("--key-size " + o.keySizeBits(), "does not fit " + o.cipher() + " (it takes "
                        + String.join(" or ", c.get().keyBits().stream().map(String::valueOf).toList()) + " bits)"));
            }
            if (o.type() == LuksType.LUKS1 && !c.get().luks1()) {
                r.add(luksNo("--cipher " + o.cipher(), "needs a LUKS2 header (--type luks2)"));
            }
        }
        Boolean luks2Too = HASHES_LUKS2_TOO.get(o.hash());
        if (luks2Too == null) {
            r.add(luksNo("--hash " + shown(o.hash()), "is not supported; choose sha256, sha384, sha512 (or sha1, "
                    + "ripemd160 for a LUKS1 header)"));
        } else if (!luks2Too && o.type() == LuksType.LUKS2) {
            r.add(luksNo("--hash " + o.hash(), "is for old LUKS1 headers only; use sha256 or sha512 with LUKS2"));
        }
        r.addAll(kdf(o.kdf(), o.type()));
        return r;
    }

    /** PBKDF settings for a new key slot of a header of type {@code type}. */
    public static List<Refusal> kdf(Kdf k, LuksType type) {
        List<Refusal> r = new ArrayList<>();
        String p = k.pbkdf();
        if (p != null && !List.of("argon2id", "argon2i", "pbkdf2").contains(p)) {
            r.add(luksNo("--pbkdf " + shown(p), "is not supported; choose argon2id, argon2i or pbkdf2"));
            return r;
        }
        boolean argon = p == null ? type == LuksType.LUKS2 : p.startsWith("argon2");
        if (argon && type == LuksType.LUKS1) {
            r.add(luksNo("--pbkdf " + p, "needs a LUKS2 header; LUKS1 key slots use pbkdf2"));
        }
        if (k.iterTimeMs() != null && (k.iterTimeMs() < 1 || k.iterTimeMs() > ITER_TIME_MAX_MS)) {
            r.add(luksNo("--iter-time " + k.iterTimeMs(), "must be between 1 and " + ITER_TIME_MAX_MS + " ms"));
        }
        if (k.forceIterations() != null) {
            int min = argon ? ARGON2_MIN_ITERATIONS : PBKDF2_MIN_ITERATIONS;
            if (k.forceIterations() < min) {
                r.add(luksNo("--pbkdf-force-iterations " + k.forceIterations(), "must be at least " + min + " for "
                        + (argon ? "argon2" : "pbkdf2")));
            }
        }
        if (k.memoryKiB() != null) {
            if (!argon) {
                r.add(luksNo("--pbkdf-memory", "applies to argon2 only"));
            } else if (k.memoryKiB() < MEMORY_MIN_KIB || k.memoryKiB() > MEMORY_MAX_KIB) {
                r.add(luksNo("--pbkdf-memory " + k.memoryKiB(), "must be between " + MEMORY_MIN_KIB + " and "
                        + MEMORY_MAX_KIB + " KiB"));
            }
        }
        if (k.parallel() != null) {
            if (!argon) {
                r.add(luksNo("--pbkdf-parallel", "applies to argon2 only"));
            } else if (k.parallel() < 1 || k.parallel() > PARALLEL_MAX) {
                r.add(luksNo("--pbkdf-parallel " + k.parallel(), "must be between 1 and " + PARALLEL_MAX));
            }
        }
        return r;
    }

    private static Refusal luksNo(String subject, String message) {
        return Refusal.of(Reason.UNSUPPORTED_LUKS_OPTION, subject, message);
    }

    // ---- stripes -------------------------------------------------------------------------------------

    /** LVM's limit for a new VG's default 4 MiB extents: a stripe is at most one extent. */
    public static final long STRIPE_SIZE_MAX = 4 * Sizes.MiB;

    /**
     * {@code stripes} over {@code pvs} PVs (a count given by the user: 0 and negatives are refused, not read
     * as "the default"), and a stripe size that is a power of two from 4 KiB to {@link #STRIPE_SIZE_MAX}.
     */
    public static List<Refusal> stripes(int stripes, int pvs, long stripeSizeBytes) {
        List<Refusal> r = new ArrayList<>();
        if (stripes < 1) {
            r.add(Refusal.of(Reason.INVALID_STRIPES, "--stripes " + stripes, "must be at least 1"));
        } else if (pvs > 0 && stripes > pvs) {
            r.add(Refusal.of(Reason.INVALID_STRIPES, "--stripes " + stripes, "is more than the " + pvs + " PV(s) to "
                    + "stripe over"));
        }
        if (stripes > 1 && (stripeSizeBytes < 4 * Sizes.KiB || stripeSizeBytes > STRIPE_SIZE_MAX
                || Long.bitCount(stripeSizeBytes) != 1)) {
            r.add(Refusal.of(Reason.INVALID_STRIPES, "--stripe-size " + stripeSizeBytes + " bytes", "must be a power "
                    + "of two from 4 KiB to 4 MiB"));
        }
        return r;
    }

    // ---- S3 and KMS -----------------------------------------------------------------------------------

    private static final String KMS_ID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})";
    private static final String KMS_ALIAS = "alias/[A-Za-z0-9/_-]{1,250}";
    private static final java.util.regex.Pattern KMS_KEY = java.util.regex.Pattern.compile(KMS_ID + "|" + KMS_ALIAS
            + "|arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:(key/" + KMS_ID + "|" + KMS_ALIAS + ")");

    /** An S3 place {@code s3://BUCKET[/PREFIX]} ({@link io.cryptvol.domain.model.S3Url}), or why not. */
    public static Checked s3Url(String raw) {
        try {
            return Checked.ok(io.cryptvol.domain.model.S3Url.parse(raw).toString());
        } catch (IllegalArgumentException e) {
            return Checked.no(Reason.INVALID_SPEC, "S3 location " + shown(raw), e.getMessage()
                    + " (expected s3://BUCKET/PREFIX)");
        }
    }

    /** A KMS key as S3 takes it: a key id, {@code mrk-…}, {@code alias/NAME}, or the ARN of a key or an alias. */
    public static Optional<Refusal> kmsKeyId(String id) {
        if (id != null && id.length() <= 2048 && KMS_KEY.matcher(id).matches()) {
            return Optional.empty();
        }
        return Optional.of(Refusal.of(Reason.INVALID_SPEC, "KMS key " + shown(id), "is not a KMS key id, alias or ARN "
                + "(e.g. 1234abcd-12ab-34cd-56ef-1234567890ab, alias/backups, arn:aws:kms:REGION:ACCOUNT:key/ID)"));
    }

    private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}(?:[0-9a-f]{9})?");
    private static final Pattern IPV4 = Pattern.compile("(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}"
            + "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:]{2,39}");
    private static final Pattern DNS_NAME = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    /** An EC2 instance id as EC2 gives it (i- and 8 or 17 hex digits): a value from EC2 is checked like one typed. */
    public static Optional<Refusal> instanceId(String id) {
        if (id != null && INSTANCE_ID.matcher(id).matches()) {
            return Optional.empty();
        }
        return Optional.of(Refusal.of(Reason.INVALID_SPEC, "instance " + shown(id), "is not an instance id (expected "
                + "i- and 17 hex digits)"));
    }

    /** A host to reach over SSH: an IPv4 or IPv6 address or a DNS name, nothing a shell or ssh could read as more. */
    public static Optional<Refusal> hostAddress(String host) {
        if (host != null && (IPV4.matcher(host).matches() || (host.contains(":") && IPV6.matcher(host).matches())
                || (DNS_NAME.matcher(host).matches() && !host.matches("[0-9.]+")))) {
            return Optional.empty();
        }
        return Optional.of(Refusal.of(Reason.INVALID_SPEC, "address " + shown(host), "is not an IP address or a DNS name"));
    }

    // ---- showing a value ------------------------------------------------------------------------------

    /** A value in a message: quoted, on one line, control characters escaped ({@link ControlChars#oneLine}). */
    public static String shown(String v) {
        return "'" + ControlChars.oneLine(v) + "'";
    }
}

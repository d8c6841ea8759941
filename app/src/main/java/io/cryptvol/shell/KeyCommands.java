package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.keys.Backup;
import io.cryptvol.keys.BackupCheck;
import io.cryptvol.keys.KeyChanges;
import io.cryptvol.keys.KeyInfo;
import io.cryptvol.keys.KeyLedger;
import io.cryptvol.keys.KeyPermissions;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.keys.LedgerEntry;
import io.cryptvol.keys.LedgerShredder;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.SessionMode;
import org.springframework.shell.command.CommandRegistration.OptionArity;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The LUKS key files: generate, list, back up, verify, and find and scrub every transient copy. */
@Command(command = "keys", group = "Keys")
public class KeyCommands {
    private final KeyStore store;
    private final KeyLedger ledger;
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final Inventory inventory;
    private final Ui ui;
    private final KeyChanges changes;
    private final io.cryptvol.session.Prompt prompt;

    public KeyCommands(KeyStore store, KeyLedger ledger, HostAccess hosts, SessionContext ctx, Inventory inventory, Ui ui,
                       SessionMode mode, io.cryptvol.session.Prompt prompt) {
        this.changes = new KeyChanges(store, mode);
        this.prompt = prompt;
        this.store = store;
        this.ledger = ledger;
        this.hosts = hosts;
        this.ctx = ctx;
        this.inventory = inventory;
        this.ui = ui;
    }

    @Command(command = "generate", description = "Generate random key files on this machine (never on the instance), "
            + "e.g. 'keys generate data-key-1 data-key-2'. Existing keys are never overwritten.")
    public void generate(
            @Option(description = "names of the keys to generate, e.g. data-key-1 data-key-2", label = "NAME...",
                    arity = OptionArity.ZERO_OR_MORE)
            String[] names,
            @Option(longNames = "size", description = "key length in bytes", defaultValue = "4096") int size,
            @Option(longNames = "dry-run", description = "only check the names and say what would be generated") boolean dryRun) {
        List<String> wanted = names == null ? List.of() : List.of(names);
        KeyChanges.Generation g = changes.generate(wanted, size, dryRun);
        if (g.planned()) {
            for (String n : g.names()) {
                ui.println("would generate key '" + n + "' (" + size + " bytes) in " + store.dir());
            }
            ui.println(ui.dim("dry run: no key was generated"));
            return;
        }
        List<KeyInfo> made = g.made();
        refreshInventory();
        for (KeyInfo k : made) {
            ui.ok("generated key '" + k.name() + "' (" + k.size() + " bytes, fingerprint " + k.fingerprint() + ") in "
                    + store.dir());
        }
        made.forEach(this::warnIfUnderBackedUp);
    }

    @Command(command = "import", description = "Bring an existing key file (e.g. one made with dd for a volume built by "
            + "hand) into the key store: copied 0600, SHA-256 recorded, and where it came from. --shred-source then "
            + "shreds the source (asks first; --yes answers) and checks it is gone.")
    public void importKey(
            @Option(description = "the name to keep it under, e.g. data-key-1", label = "NAME", required = true) String name,
            @Option(longNames = "from", description = "the key file to import", required = true, label = "PATH") String from,
            @Option(longNames = "shred-source", description = "shred the source file once the key is in the store")
            boolean shredSource,
            @Option(longNames = "yes", shortNames = 'y', description = "answer yes to shredding the source") boolean yes,
            @Option(longNames = "dry-run", description = "only check the name and the file") boolean dryRun) {
        if (from == null || from.isBlank()) {
            throw new CryptvolException("give the key file: 'keys import NAME --from PATH'", ExitCode.USAGE, null);
        }
        Path source = Path.of(from);
        KeyChanges.Import imp = changes.importKey(name, source, dryRun);
        if (imp.planned()) {
            KeyStore.Imported would = imp.imported();
            would.notes().forEach(n -> ui.warn(n));
            ui.println("would import " + would.source() + " as key '" + name + "' (" + would.key().size()
                    + " bytes, fingerprint " + would.key().fingerprint() + ") into " + store.dir()
                    + (shredSource ? ", then shred the source" : ""));
            ui.println(ui.dim("dry run: no key was imported"));
            return;
        }
        KeyStore.Imported done = imp.imported();
        refreshInventory();
        KeyInfo k = done.key();
        ui.ok("imported " + done.source() + " as key '" + name + "' (" + k.size() + " bytes, fingerprint "
                + k.fingerprint() + ", 0600 in " + store.dir() + ")");
        done.notes().forEach(n -> ui.warn(n));
        if (shredSource) {
            if (prompt.confirm("Shred " + done.source() + " now? The key stays in the store as '" + name + "'.",
                    yes)) {
                store.shredImportSource(name);
                ui.ok("shredded " + done.source() + " (checked: it is gone)");
            } else {
                ui.println("kept " + done.source());
            }
        }
        warnIfUnderBackedUp(k);
    }

    @Command(command = "list", description = "List the keys: fingerprint, size, backups, the volumes each opens "
            + "(label, LUKS UUID, key slot), created.")
    public void list(@Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
                     @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        List<KeyInfo> keys = store.list();
        List<KeyInfo> missing = store.missing();
        List<KeyPermissions.Problem> loose = new KeyPermissions(store.dir()).check(null);
        refreshInventory();
        if (format == OutputFormat.JSON) {
            List<Map<String, Object>> out = new ArrayList<>();
            keys.forEach(k -> out.add(json(k, true, loose)));
            missing.forEach(k -> out.add(json(k, false, loose)));
            ui.json(out);
            warnLoose(loose);
            return;
        }
        if (keys.isEmpty() && missing.isEmpty()) {
            ui.println("no keys yet in " + store.dir() + ": generate two with 'keys generate data-key-1 data-key-2'");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        keys.forEach(k -> rows.add(List.of(k.name(), k.fingerprint(), String.valueOf(k.size()), k.backupSummary(),
                opens(k), time(k.created()))));
        missing.forEach(k -> rows.add(List.of(k.name(), k.fingerprint(), "MISSING", k.backupSummary(), opens(k),
                time(k.created()))));
        ui.table(List.of("NAME", "FINGERPRINT", "SIZE", "BACKUPS", "OPENS", "CREATED"), rows);
        for (KeyInfo k : missing) {
            ui.warn("key '" + k.name() + "' is gone from " + store.dir() + ": restore it from a backup"
                    + (k.backups().isEmpty() ? " (none recorded)" : " (" + String.join(", ",
                    k.backups().stream().map(Backup::location).toList()) + ")"));
        }
        keys.forEach(this::warnIfUnderBackedUp);
        warnLoose(loose);
    }

    /** One warning per loose permission, with the command that repairs it. */
    private void warnLoose(List<KeyPermissions.Problem> loose) {
        for (KeyPermissions.Problem p : loose) {
            ui.warn((p.keyName() == null ? "" : "key '" + p.keyName() + "': ") + p.describe() + " (" + p.path() + ")"
                    + (p.fixable() ? ": repair with 'keys verify --fix'" : ""));
        }
    }

    @Command(command = "backup", description = "Copy a key to a local or mounted directory (0600), or to S3 "
            + "(--to s3://BUCKET/PREFIX: a private bucket only, SSE-KMS), read it back and compare SHA-256; the backup is "
            + "recorded, and the LUKS header backups of the volumes it opens go there too. Keep at least two verified "
            + "backups of every key, one off the machine.")
    public void backup(
            @Option(description = "the key", required = true) @OptionValues(provider = "keyNameCompletion") String name,
            @Option(longNames = "to", description = "directory to copy it into (must exist, e.g. a mounted drive), or "
                    + "s3://BUCKET/PREFIX", required = true) String to,
            @Option(longNames = "kms-key-id", description = "S3 only: the KMS key (id, alias or ARN) for SSE-KMS; "
                    + "default: the bucket's default key") String kmsKeyId,
            @Option(longNames = "dry-run", description = "only check the key and the directory (or the bucket)") boolean dryRun) {
        if (io.cryptvol.domain.model.S3Url.isS3(to)) {
            backupToS3(name, to, kmsKeyId, dryRun);
            return;
        }
        if (kmsKeyId != null) {
            throw new CryptvolException("--kms-key-id is for a backup to S3 (--to s3://BUCKET/PREFIX)", ExitCode.USAGE, null);
        }
        KeyChanges.BackupCopy copy = changes.backup(name, Path.of(to), dryRun);
        if (copy.planned()) {
            ui.println("would copy key '" + name + "' to " + copy.file() + " (0600) and read it back");
            ui.println(ui.dim("dry run: nothing was copied"));
            return;
        }
        KeyInfo k = copy.key();
        Backup b = k.backups().stream().filter(x -> x.location().equals(Path.of(to).toAbsolutePath().normalize()
                .resolve(name + KeyStore.SUFFIX).toString())).findFirst().orElseThrow();
        ui.ok("backed up '" + name + "' to " + b.location() + " (read back, SHA-256 matches); backups: " + k.backupSummary());
        // the LUKS header backups of the volumes this key opens go to the same place (a lost header loses them all)
        for (io.cryptvol.keys.HeaderBackups.Backup h : store.backupHeaders(name, Path.of(to))) {
            ui.ok("LUKS header backup " + h.file() + " copied there too (read back, SHA-256 matches)");
        }
        warnIfUnderBackedUp(k);
    }

    private void backupToS3(String name, String to, String kmsKeyId, boolean dryRun) {
        KeyChanges.S3Copy copy = changes.backupToS3(name, to, kmsKeyId, dryRun);
        KeyStore.S3Backup b = copy.backup();
        if (copy.planned()) {
            ui.println("would copy key '" + name + "' to " + b.location() + " (SSE-KMS with " + kmsKey(kmsKeyId, b.kmsKeyId())
                    + ") and read it back; the bucket is private");
            ui.println(ui.dim("dry run: nothing was copied"));
            return;
        }
        KeyInfo k = b.key();
        ui.ok("backed up '" + name + "' to " + b.location() + (b.existed() ? " (there already with the same bytes"
                : " (SSE-KMS with " + kmsKey(kmsKeyId, b.kmsKeyId())) + "; read back, SHA-256 matches); backups: "
                + k.backupSummary());
        for (io.cryptvol.keys.HeaderBackups.Backup h : changes.headersToS3(name, to, kmsKeyId)) {
            ui.ok("LUKS header backup " + h.file() + " copied there too (SSE-KMS; read back, SHA-256 matches)");
        }
        warnIfUnderBackedUp(k);
    }

    private static String kmsKey(String given, String used) {
        if (used != null) {
            return "KMS key " + io.cryptvol.domain.ControlChars.oneLine(used) + (given == null ? ", the bucket's default" : "");
        }
        return given != null ? "KMS key " + given : "the bucket's default KMS key";
    }

    @Command(command = "verify", description = "Check a key (or every key) and each recorded backup: present and the "
            + "same SHA-256; without a name also every LUKS header backup and its copies (SHA-256), and each against the "
            + "live header when the connected target holds that UUID; and the key store's permissions (directory 0700, key files 0600, owned by you, no "
            + "symlinks). --fix repairs the modes (never following a symlink).")
    public void verify(@Option(description = "the key (default: every key)") @OptionValues(provider = "keyNameCompletion")
                       String name,
                       @Option(longNames = "fix", description = "repair loose modes of the key directory and key files "
                               + "(chmod 0700 / 0600; symlinks and owners are reported, not changed)") boolean fix) {
        KeyChanges.Repair repair = changes.permissions(name, fix);
        List<KeyPermissions.Outcome> repaired = repair.repaired();
        List<KeyPermissions.Problem> loose = repair.loose();
        List<BackupCheck> checks = name == null ? store.verifyAll() : store.verify(name);
        // the LUKS header backups too (every key's: they belong to the volumes, not to one key); the live headers when
        // a target is connected
        List<io.cryptvol.keys.HeaderService.Check> headerChecks = name != null ? List.of()
                : new io.cryptvol.keys.HeaderService(store).verifyAll(hosts.connected() ? hosts.executor() : null);
        if (checks.isEmpty() && loose.isEmpty() && repaired.isEmpty() && headerChecks.isEmpty()) {
            ui.println("no keys to verify");
            return;
        }
        List<List<String>> rows = new ArrayList<>(checks.stream()
                .map(c -> List.of(c.keyName(), c.location(), c.status().describe())).toList());
        for (KeyPermissions.Outcome o : repaired) {
            if (o.fixed()) {
                rows.add(List.of(keyOrDir(o.problem()), o.problem().path().toString(), "fixed: " + o.problem().describe()
                        + "; " + o.note()));
            }
        }
        for (KeyPermissions.Problem p : loose) {
            rows.add(List.of(keyOrDir(p), p.path().toString(), "LOOSE: " + p.describe()));
        }
        headerChecks.forEach(c -> rows.add(List.of("header " + c.uuid(), c.location(), c.status())));
        ui.table(List.of("KEY", "COPY", "STATUS"), rows);
        List<String> names = checks.stream().map(BackupCheck::keyName).distinct().toList();
        for (String n : names) {
            if (store.exists(n)) {
                warnIfUnderBackedUp(store.require(n));
            }
        }
        long bad = checks.stream().filter(c -> !c.ok()).count();
        long badHeaders = headerChecks.stream().filter(c -> !c.ok()).count();
        String headerPart = badHeaders == 0 ? "" : badHeaders + " of " + headerChecks.size() + " LUKS header backup checks failed";
        if (bad > 0) {
            throw new CryptvolException(bad + " of " + checks.size() + " key copies failed verification"
                    + (headerPart.isEmpty() ? "" : "; " + headerPart)
                    + (loose.isEmpty() ? "" : "; " + loose.size() + " loose permission(s)"), ExitCode.FAILED, null);
        }
        if (badHeaders > 0) {
            throw new CryptvolException(headerPart + (loose.isEmpty() ? "" : "; " + loose.size() + " loose permission(s)"),
                    ExitCode.FAILED, null);
        }
        if (!loose.isEmpty()) {
            boolean fixable = loose.stream().anyMatch(KeyPermissions.Problem::fixable);
            throw new CryptvolException(loose.size() + " loose permission(s) in the key store " + store.dir()
                    + (fixable ? ": repair with 'keys verify --fix'" : ": fix them by hand (cryptvol does not follow "
                    + "symlinks or change owners)"), ExitCode.FAILED, null);
        }
        ui.ok("all " + checks.size() + " copies verified" + (headerChecks.isEmpty() ? "" : ", and " + headerChecks.size()
                + " LUKS header backup check(s)") + (repaired.isEmpty() ? "" : "; " + repaired.size() + " permission(s) repaired"));
    }

    private static String keyOrDir(KeyPermissions.Problem p) {
        return p.keyName() == null ? "(key directory)" : p.keyName();
    }

    @Command(command = "where", description = "Show the ledger of transient key copies (tmpfs files on hosts, temp "
            + "files here) that are not yet shredded; --all includes shredded ones.")
    public void where(@Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
                      @OptionValues(provider = "outputCompletion") String output,
                      @Option(longNames = "all", description = "include copies already shredded") boolean all) {
        OutputFormat format = OutputFormat.parse(output);
        List<LedgerEntry> entries = all ? ledger.all() : ledger.outstanding();
        if (format == OutputFormat.JSON) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (LedgerEntry e : entries) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", e.id());
                m.put("kind", e.kind() == LedgerEntry.Kind.TARGET_FILE ? "host" : "local-temp");
                m.put("where", e.where());
                m.put("path", e.path());
                m.put("key", e.keyName());
                m.put("created", str(e.created()));
                m.put("shredded", e.shredded());
                m.put("shreddedAt", str(e.shreddedAt()));
                out.add(m);
            }
            ui.json(out);
            return;
        }
        if (entries.isEmpty()) {
            ui.println(all ? "the ledger is empty" : "no outstanding key copies: every recorded copy was shredded");
        } else {
            ui.table(List.of("ID", "WHERE", "PATH", "KEY", "WRITTEN", "STATUS"), entries.stream()
                    .map(e -> List.of(e.id(), e.where(), e.path(), e.keyName(), time(e.created()),
                            e.shredded() ? "shredded " + time(e.shreddedAt()) : "OUTSTANDING"))
                    .toList());
        }
        // and the kept copies: each key's recorded backups, on disks here or in S3
        List<List<String>> kept = new ArrayList<>();
        for (KeyInfo k : store.list()) {
            for (Backup b : k.backups()) {
                kept.add(List.of(k.name(), io.cryptvol.domain.model.S3Url.isS3(b.location()) ? "S3" : "this machine",
                        b.location(), b.verified() ? "verified " + time(b.verifiedAt()) : "NOT VERIFIED"));
            }
        }
        if (!kept.isEmpty()) {
            ui.println("");
            ui.table(List.of("KEY", "BACKUP IN", "LOCATION", "CHECK"), kept);
        }
    }

    @Command(command = "shred", description = "Scrub (shred -u) every outstanding transient key copy reachable now. "
            + "With a key NAME and --backups --yes: scrub every backup of a retired key; --retire --yes: its backups "
            + "and the key itself.")
    public void shred(
            @Option(description = "a key whose backups (--backups) or every copy (--retire) to scrub")
            @OptionValues(provider = "keyNameCompletion") String name,
            @Option(longNames = "backups", description = "scrub every recorded backup of the key") boolean backups,
            @Option(longNames = "retire", description = "scrub every backup and then the key itself") boolean retire,
            @Option(longNames = "yes", description = "confirm scrubbing a key's copies; they cannot be brought back")
            boolean yes) {
        if (name != null || backups || retire) {
            shredKey(name, backups, retire, yes);
            return;
        }
        List<LedgerEntry> outstanding = ledger.outstanding();
        if (outstanding.isEmpty()) {
            ui.ok("nothing to shred: no outstanding key copies in the ledger");
            return;
        }
        List<LedgerShredder.Outcome> out = new LedgerShredder(ledger)
                .shredOutstanding(ctx.target().display(), hosts::executor);
        long left = 0;
        for (LedgerShredder.Outcome o : out) {
            String what = o.entry().path() + " (key '" + o.entry().keyName() + "') on " + o.entry().where();
            if (o.gone()) {
                ui.ok(o.note() + ": " + what);
            } else {
                left++;
                ui.warn(what + ": " + o.note());
            }
        }
        if (left > 0) {
            throw new CryptvolException(left + " key cop" + (left == 1 ? "y" : "ies")
                    + " not scrubbed yet; see 'keys where'", ExitCode.FAILED, null);
        }
    }

    private void shredKey(String name, boolean backups, boolean retire, boolean yes) {
        if (name == null) {
            throw new CryptvolException("name the key: 'keys shred NAME --backups --yes'", ExitCode.USAGE, null);
        }
        if (!backups && !retire) {
            throw new CryptvolException("say what to scrub of '" + name + "': --backups (its backups) or --retire "
                    + "(its backups and the key itself); 'keys shred' alone scrubs transient copies", ExitCode.USAGE, null);
        }
        KeyInfo k = store.require(name);
        if (!yes) {
            throw new CryptvolException("this scrubs " + (retire ? "key '" + name + "' and " : "") + k.backups().size()
                    + " backup(s) of '" + name + "' for good" + (k.s3Backups() > 0 ? " (" + k.s3Backups()
                    + " in S3: deleted with DeleteObject)" : "") + " (a volume that still needs it is lost): add --yes", ExitCode.USAGE, null);
        }
        List<KeyStore.ShredOutcome> out = retire ? store.retire(name) : store.shredBackups(name);
        refreshInventory();
        if (out.isEmpty()) {
            ui.ok("'" + name + "' has no recorded backups");
        }
        long left = 0;
        for (KeyStore.ShredOutcome o : out) {
            if (o.shredded()) {
                ui.ok(o.note() + ": " + o.location());
            } else {
                left++;
                ui.warn(o.location() + ": " + o.note());
            }
        }
        if (left > 0) {
            throw new CryptvolException(left + " backup(s) of '" + name + "' not scrubbed yet; they stay recorded", ExitCode.FAILED, null);
        }
    }

    private void warnIfUnderBackedUp(KeyInfo k) {
        if (k.needsBackups()) {
            ui.warn("key '" + k.name() + "' has " + k.verifiedBackups() + " verified backup"
                    + (k.verifiedBackups() == 1 ? "" : "s") + " (fewer than " + KeyInfo.MIN_VERIFIED_BACKUPS
                    + "): 'keys backup " + k.name() + " --to DIR' — a lost key is a lost volume");
        }
    }

    private void refreshInventory() {
        inventory.put("key", store.names());
    }

    /** "myvg/mylv (6a0b2c1d) slot 0, …" or "-": the volumes a key was recorded as opening. */
    static String opens(KeyInfo k) {
        if (k.enrollments().isEmpty()) {
            return "-";
        }
        return String.join(", ", k.enrollments().stream().map(e -> (e.label() == null ? "" : e.label() + " ")
                + "(" + (e.luksUuid() == null ? "?" : e.luksUuid().substring(0, Math.min(8, e.luksUuid().length())))
                + ") slot " + e.slot()).toList());
    }

    private static Map<String, Object> json(KeyInfo k, boolean present, List<KeyPermissions.Problem> loose) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", k.name());
        m.put("present", present);
        m.put("fingerprint", k.fingerprint());
        m.put("sha256", k.sha256());
        m.put("size", k.size());
        m.put("created", str(k.created()));
        m.put("verifiedBackups", k.verifiedBackups());
        m.put("needsBackups", k.needsBackups());
        List<Map<String, Object>> bs = new ArrayList<>();
        for (Backup b : k.backups()) {
            Map<String, Object> bm = new LinkedHashMap<>();
            bm.put("location", b.location());
            bm.put("verified", b.verified());
            bm.put("verifiedAt", str(b.verifiedAt()));
            bm.put("created", str(b.created()));
            bs.add(bm);
        }
        m.put("backups", bs);
        List<Map<String, Object>> opens = new ArrayList<>();
        for (io.cryptvol.keys.Enrollment e : k.enrollments()) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("luksUuid", e.luksUuid());
            em.put("slot", e.slot());
            em.put("label", e.label());
            em.put("recorded", str(e.recorded()));
            opens.add(em);
        }
        m.put("opens", opens);
        if (k.provenance() != null) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("path", k.provenance().path());
            pm.put("mode", k.provenance().mode());
            pm.put("owner", k.provenance().owner());
            pm.put("imported", str(k.provenance().imported()));
            pm.put("sourceShredded", k.provenance().sourceShredded());
            m.put("importedFrom", pm);
        }
        m.put("permissionProblems", loose.stream().filter(p -> p.keyName() == null || p.keyName().equals(k.name()))
                .map(KeyPermissions.Problem::describe).toList());
        return m;
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }

    private static String time(Instant i) {
        return i == null ? "-" : i.toString().replace('T', ' ').replace("Z", "");
    }
}

package io.cryptvol.keys;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.ControlChars;
import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.HeaderFiles;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.parse.HeaderDigests;
import io.cryptvol.domain.parse.RawLuksHeaderParser;
import io.cryptvol.domain.plan.HeaderPlanner;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The workflows of {@code luks header verify|restore}: which backup, what the live header and the backup say, where
 * they differ, and the guarded restore plan. The live header is read with read-only queries: LUKS2's JSON metadata
 * ({@code cryptsetup luksDump --dump-json-metadata}), LUKS1's binary header (its first 4 KiB); the backup's bytes
 * are parsed here, after their SHA-256 was checked against the one recorded. Both sides go through
 * {@link HeaderDigests}: hostile bytes give "unreadable", never an exception.
 */
public final class HeaderService {
    private final KeyStore store;
    private final HeaderPlanner planner;

    public HeaderService(KeyStore store) {
        this(store, new HeaderPlanner());
    }

    public HeaderService(KeyStore store, HeaderPlanner planner) {
        this.store = store;
        this.planner = planner;
    }

    /** A header as shown side by side: version, UUID, cipher, slots; or why there is none. */
    public record Summary(String what, LuksHeader header, String note) {
        public String line() {
            if (header == null) {
                return what + ": " + note;
            }
            return what + ": LUKS" + header.version() + ", UUID " + header.uuid() + ", " + (header.cipher() == null ? "?"
                    : ControlChars.escape(header.cipher())) + ", key slots " + header.activeKeySlots()
                    + (note == null ? "" : ", " + note);
        }
    }

    /** The outcome of a verify: the backup, both summaries, and where they differ (empty: they match). */
    public record Verification(HeaderBackups.Backup backup, Summary live, Summary saved, List<String> differences) {
        public boolean matches() {
            return differences.isEmpty();
        }
    }

    /**
     * The backup to use: the one named (its file name, or a UUID for that UUID's newest), else the newest of the
     * device's live UUID, else (no readable header) the newest taken from this device path on this host.
     */
    public HeaderBackups.Backup choose(String ref, String device, HostState h, String target) {
        HeaderBackups hb = store.headers();
        if (ref != null) {
            return hb.find(ref).orElseThrow(() -> new CryptvolException("no header backup '" + ControlChars.escape(ref)
                    + "': see 'luks header list'", ExitCode.USAGE, null));
        }
        Optional<String> uuid = h.luksOn(device).map(LuksHeader::uuid);
        if (uuid.isPresent()) {
            return hb.find(uuid.get()).orElseThrow(() -> new CryptvolException("no header backup of " + device
                    + " (UUID " + uuid.get() + "): take one with 'luks header backup " + device + "'", ExitCode.FAILED, null));
        }
        List<HeaderBackups.Backup> here = hb.list().stream().filter(b -> device.equals(b.device())
                && LedgerEntrySameHost.same(b.target(), target)).toList();
        if (here.isEmpty()) {
            throw new CryptvolException(device + " has no readable LUKS header and no backup was taken from it here: "
                    + "name one with --backup (see 'luks header list')", ExitCode.FAILED, null);
        }
        return here.get(here.size() - 1);
    }

    /** What the backup holds, after its SHA-256 was checked (a damaged or changed file is refused). */
    public Summary saved(HeaderBackups.Backup b, byte[] bytes) {
        RawLuksHeaderParser.Result r = RawLuksHeaderParser.parse(b.file(), bytes);
        return new Summary("backup " + b.file(), r.luks() ? r.header() : null, r.luks()
                ? "taken " + b.taken() + ", SHA-256 " + b.fingerprint() + "…" : "not a LUKS header");
    }

    /** What the device holds now (as observed). */
    public Summary live(String device, HostState h) {
        Optional<LuksHeader> l = h.luksOn(device);
        if (l.isPresent()) {
            return new Summary("device " + device, l.get(), h.cryptHolderOf(device).map(m -> "open as " + m.path()).orElse(null));
        }
        return new Summary("device " + device, null, "no readable LUKS header" + h.signatureOn(device)
                .map(s -> " (it holds " + s.describe() + ")").orElse(" (no signature at all: damaged or wiped?)"));
    }

    /** Compares a backup with the live header of {@code device}. */
    public Verification verify(HostExecutor ex, String device, String ref, HostState h) {
        Optional<LuksHeader> live = h.luksOn(device);
        if (live.isEmpty()) {
            throw new CryptvolException(device + " holds no readable LUKS header" + h.signatureOn(device)
                    .map(s -> " (it holds " + s.describe() + ")").orElse("") + ": nothing to verify against", ExitCode.FAILED, null);
        }
        HeaderBackups.Backup b = choose(ref, device, h, ex.target());
        byte[] bytes = store.headers().read(b);
        HeaderDigests saved = HeaderDigests.ofBytes(bytes).orElseThrow(() -> new CryptvolException("header backup "
                + b.file() + " is not a readable LUKS header", ExitCode.FAILED, null));
        HeaderDigests now = liveDigests(ex, device, live.get());
        return new Verification(b, live(device, h), saved(b, bytes), HeaderDigests.differences(saved, now));
    }

    private static HeaderDigests liveDigests(HostExecutor ex, String device, LuksHeader live) {
        if (live.version() == 2) {
            ExecResult r = ex.run(Cryptsetup.luksDumpJson(device));
            if (!r.ok()) {
                throw new CryptvolException("cannot read the LUKS2 metadata of " + device + ": "
                        + ControlChars.escape(r.err().strip()), ExitCode.FAILED, null);
            }
            return HeaderDigests.ofJson(live.uuid(), r.out()).orElseThrow(() -> new CryptvolException(
                    "the LUKS2 metadata of " + device + " does not parse", ExitCode.FAILED, null));
        }
        ExecResult r = ex.run(HeaderFiles.readStart(device));
        byte[] raw;
        try {
            raw = r.ok() ? Base64.getDecoder().decode(r.out().strip().getBytes(StandardCharsets.US_ASCII)) : null;
        } catch (IllegalArgumentException e) {
            raw = null;
        }
        if (raw == null) {
            throw new CryptvolException("cannot read the LUKS1 header of " + device, ExitCode.FAILED, null);
        }
        return HeaderDigests.ofBytes(raw).orElseThrow(() -> new CryptvolException("the LUKS1 header of " + device
                + " does not parse", ExitCode.FAILED, null));
    }

    /** The restore: the backup (checked), both summaries, and the guarded plan (or its refusals). */
    public record Restore(HeaderBackups.Backup backup, String backupUuid, Summary live, Summary saved, PlanResult plan) {
    }

    public Restore restore(String device, String ref, boolean force, HostState h, String target) {
        HeaderBackups.Backup b = choose(ref, device, h, target);
        byte[] bytes = store.headers().read(b);
        String uuid = HeaderDigests.uuidOf(bytes).orElseThrow(() -> new CryptvolException("header backup " + b.file()
                + " is not a LUKS header", ExitCode.FAILED, null));
        String takenFrom = LedgerEntrySameHost.same(b.target(), target) ? b.device() : null;
        return new Restore(b, uuid, live(device, h), saved(b, bytes),
                planner.restore(device, bytes, b.sha256(), uuid, takenFrom, force, h));
    }

    /** Host names compared as the key ledger compares them ("root@h:22" is "root@h"). */
    static final class LedgerEntrySameHost {
        static boolean same(String a, String b) {
            return LedgerEntry.sameHost(a, b);
        }
    }
}

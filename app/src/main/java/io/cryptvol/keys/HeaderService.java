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

import io.cryptvol.host.HostObserver;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

    /**
     * One line of {@code keys verify} about header backups: a file (the key store's, or a copy) against its recorded
     * SHA-256, or the newest backup of a UUID against the live header of the device that holds it on the target.
     *
     * @param uuid     the LUKS UUID the backup is of
     * @param location the file, or "live DEVICE on TARGET"
     * @param status   what was found, one line
     */
    public record Check(String uuid, String location, boolean ok, String status) {
    }

    /**
     * Every header backup's file and recorded copies (SHA-256); and, when {@code ex} is given (a target connected), for
     * each UUID the target holds on an active LV or an open device, its newest backup against that live header (UUID,
     * volume-key digest, key slots; {@link #verify}). A UUID not seen there is not a failure: its volume may be closed,
     * on another host, or gone. An observation that fails is one failed line, not an exception.
     */
    public List<Check> verifyAll(HostExecutor ex) {
        List<Check> out = new ArrayList<>();
        for (HeaderBackups.FileCheck f : store.headers().checkFiles(store.s3OrNull())) {
            out.add(new Check(f.backup().uuid(), f.location(), f.status() == BackupCheck.Status.OK,
                    f.status() == BackupCheck.Status.OK ? "ok (SHA-256 " + f.backup().fingerprint() + "…)" : f.status().describe()));
        }
        List<String> uuids = store.headers().list().stream().map(HeaderBackups.Backup::uuid).map(u -> u.toLowerCase(java.util.Locale.ROOT))
                .distinct().toList();
        if (ex == null || uuids.isEmpty()) {
            return out;
        }
        HostState h;
        try {
            h = new HostObserver(ex).observe(HostObserver.Scope.of(List.of(), List.of()), null);
        } catch (RuntimeException e) {
            out.add(new Check("-", "live headers on " + ControlChars.escape(ex.target()), false, "could not look: "
                    + ControlChars.escape(e.getMessage() == null ? e.toString() : e.getMessage())));
            return out;
        }
        for (String uuid : uuids) {
            // an LV is probed as /dev/mapper/VG-LV: named by its /dev/VG/LV path, as the user knows it
            Optional<String> device = h.luks().values().stream().filter(l -> uuid.equalsIgnoreCase(l.uuid()))
                    .map(LuksHeader::device).map(d -> h.lvs().stream().filter(l -> l.dmPath().equals(d))
                            .map(io.cryptvol.domain.model.LogicalVolume::path).findFirst().orElse(d)).sorted().findFirst();
            if (device.isEmpty()) {
                continue;
            }
            String where = "live " + device.get() + " on " + ControlChars.escape(ex.target());
            try {
                Verification v = verify(ex, device.get(), uuid, h);
                out.add(new Check(uuid, where, v.matches(), v.matches() ? "ok: matches " + v.backup().file()
                        : "DIFFERS from " + v.backup().file() + ": " + String.join("; ", v.differences())
                        + " (take a new one: luks header backup " + device.get() + ")"));
            } catch (CryptvolException e) {
                out.add(new Check(uuid, where, false, ControlChars.escape(e.getMessage())));
            }
        }
        return out;
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

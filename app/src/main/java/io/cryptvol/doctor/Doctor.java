package io.cryptvol.doctor;

import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.VolumeTags;
import io.cryptvol.domain.Durations;
import io.cryptvol.domain.model.CrypttabEntry;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.keys.LedgerEntry;
import io.cryptvol.snapshot.SnapshotSet;
import io.cryptvol.snapshot.SnapshotTags;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The checks of {@code doctor}: pure functions of {@link Facts}, one method per check id, in the order of
 * {@link #IDS}. Each gives one line per subject (a device, a key, a VG…), with a status and a fix.
 */
public final class Doctor {
    public static final String KEY_SLOTS = "luks.key-slots";
    public static final String KEY_BACKUPS = "keys.backups";
    public static final String HEADER_BACKUP = "luks.header-backup";
    public static final String BOOT = "boot.noauto";
    public static final String IO_TIMEOUT = "nvme.io-timeout";
    public static final String VG_MEMBERS = "vg.members";
    public static final String RECENT_SET = "snapshots.recent";
    public static final String SETS_COMPLETE = "snapshots.complete";
    public static final String LEDGER = "keys.ledger";
    public static final String PERMISSIONS = "files.permissions";
    /** Every check id, in the order of the checklist. */
    public static final List<String> IDS = List.of(KEY_SLOTS, KEY_BACKUPS, HEADER_BACKUP, BOOT, IO_TIMEOUT, VG_MEMBERS,
            RECENT_SET, SETS_COMPLETE, LEDGER, PERMISSIONS);

    /** AWS's recommended {@code nvme_core.io_timeout}: the maximum, 2^32 - 1 s (255 s before Linux 4.15). */
    public static final long IO_TIMEOUT_MAX = 4294967295L;
    public static final long IO_TIMEOUT_MAX_OLD = 255L;
    static final String IO_TIMEOUT_FIX = "echo %d > /sys/module/nvme_core/parameters/io_timeout (now), and for every "
            + "boot nvme_core.io_timeout=%d on the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then "
            + "update-grub) or 'options nvme_core io_timeout=%d' in /etc/modprobe.d/nvme.conf (then update-initramfs -u)";

    private Doctor() {
    }

    /** The whole checklist. */
    public static List<Check> checks(Facts f) {
        List<Check> out = new ArrayList<>();
        out.addAll(keySlots(f));
        out.addAll(keyBackups(f));
        out.addAll(headerBackups(f));
        out.addAll(boot(f));
        out.addAll(ioTimeout(f));
        out.addAll(vgMembers(f));
        out.addAll(recentSet(f));
        out.addAll(setsComplete(f));
        out.addAll(ledger(f));
        out.addAll(permissions(f));
        return out;
    }

    // ---- LUKS --------------------------------------------------------------------------------------------

    /** The LUKS headers seen, each device once, by its LV name where it is an LV ("/dev/VG/LV"). */
    static Map<String, LuksHeader> luks(HostState h) {
        Map<String, LuksHeader> out = new java.util.TreeMap<>();
        for (LuksHeader l : h.luks().values()) {
            out.putIfAbsent(shown(h, l.device()), l);
        }
        return out;
    }

    static String shown(HostState h, String device) {
        return h.lvs().stream().filter(l -> l.hasPath(device) && l.path() != null).map(LogicalVolume::path).findFirst()
                .orElse(device);
    }

    static List<Check> keySlots(Facts f) {
        List<Check> out = new ArrayList<>();
        luks(f.host()).forEach((dev, l) -> {
            int n = l.activeKeySlots().size();
            if (n >= 2) {
                out.add(Check.ok(KEY_SLOTS, dev, n + " key slots in use " + l.activeKeySlots()));
            } else {
                String key = f.keys().stream().filter(k -> k.opens().contains(lower(l.uuid()))).map(Facts.KeyFacts::name)
                        .findFirst().orElse("KEY");
                out.add(Check.fail(KEY_SLOTS, dev, (n == 0 ? "no key slot in use" : "only key slot " + l.activeKeySlots()
                        + " in use") + ": one lost or damaged key loses the volume", "keys generate NEW-KEY, then luks "
                        + "add-key " + dev + " --key " + key + " --new-key NEW-KEY"));
            }
        });
        Set<String> ours = vgs(f);
        for (LogicalVolume lv : f.host().lvs()) {
            if (!lv.active() && ours.contains(lv.vgName())) {
                out.add(Check.skipped(KEY_SLOTS, lv.vgName() + "/" + lv.name(), "the LV is not active: its header was "
                        + "not read (unlock it, then run doctor again)"));
            }
        }
        if (out.isEmpty()) {
            out.add(Check.skipped(KEY_SLOTS, "host", "no LUKS volume on this host"));
        }
        return out;
    }

    static List<Check> headerBackups(Facts f) {
        List<Check> out = new ArrayList<>();
        for (Facts.HeaderFacts h : f.headers()) {
            String dev = shown(f.host(), h.device());
            if (h.backup() == null) {
                out.add(Check.fail(HEADER_BACKUP, dev, "no header backup of LUKS UUID " + h.uuid() + " in the key store: "
                        + "a damaged header loses the volume", "luks header backup " + dev));
            } else if (h.problem() != null) {
                out.add(Check.fail(HEADER_BACKUP, dev, "header backup " + h.backup() + " cannot be compared: " + h.problem(),
                        "luks header verify " + dev + ", then luks header backup " + dev));
            } else if (!h.differences().isEmpty()) {
                out.add(Check.fail(HEADER_BACKUP, dev, "header backup " + h.backup() + " does not match the live header: "
                        + String.join("; ", h.differences()), "luks header backup " + dev));
            } else {
                out.add(Check.ok(HEADER_BACKUP, dev, "header backup " + h.backup() + " matches the live header"));
            }
        }
        if (out.isEmpty()) {
            out.add(Check.skipped(HEADER_BACKUP, "host", "no LUKS header seen on this host"));
        }
        return out;
    }

    // ---- keys --------------------------------------------------------------------------------------------

    static List<Check> keyBackups(Facts f) {
        List<Check> out = new ArrayList<>();
        for (Facts.KeyFacts k : f.keys()) {
            List<Facts.BackupFacts> good = k.backups().stream().filter(Facts.BackupFacts::verified).toList();
            long off = good.stream().filter(Facts.BackupFacts::off).count();
            String fix = "keys backup " + k.name() + " --to DIR (a mounted drive or network share) or --to s3://BUCKET/PREFIX";
            List<String> bad = k.backups().stream().filter(b -> !b.verified())
                    .map(b -> b.location() + (b.place() == Facts.Place.MISSING ? " (missing)" : " (not verified)")).toList();
            String notes = bad.isEmpty() ? "" : "; " + String.join(", ", bad);
            if (good.size() < 2) {
                out.add(Check.fail(KEY_BACKUPS, k.name(), good.size() + " verified backup" + (good.size() == 1 ? "" : "s")
                        + ", at least 2 are needed (a lost key is a lost volume)" + notes, fix));
            } else if (off == 0) {
                out.add(Check.fail(KEY_BACKUPS, k.name(), good.size() + " verified backups, none off the machine ("
                        + good.stream().map(b -> b.location() + " " + placeWord(b.place())).collect(Collectors.joining(", "))
                        + ")" + notes, fix));
            } else {
                out.add(Check.ok(KEY_BACKUPS, k.name(), good.size() + " verified backups, " + off + " off the machine" + notes));
            }
        }
        if (out.isEmpty()) {
            out.add(Check.skipped(KEY_BACKUPS, "host", "no keys in the key store"));
        }
        return out;
    }

    static String placeWord(Facts.Place p) {
        return switch (p) {
            case S3 -> "in S3";
            case OTHER_DISK -> "on another disk";
            case SAME_DISK -> "on the key store's disk";
            case MEMORY -> "in memory (tmpfs)";
            case MISSING -> "missing";
        };
    }

    static List<Check> ledger(Facts f) {
        if (f.outstanding().isEmpty()) {
            return List.of(Check.ok(LEDGER, "host", "no transient key copy outstanding"));
        }
        List<Check> out = new ArrayList<>();
        for (LedgerEntry e : f.outstanding()) {
            out.add(Check.fail(LEDGER, e.path() + " on " + e.where(), "a transient copy of key '" + e.keyName()
                    + "' written " + e.created() + " was never shredded", "keys shred (connected to " + e.where() + ")"));
        }
        return out;
    }

    static List<Check> permissions(Facts f) {
        if (f.files().isEmpty()) {
            return List.of(Check.ok(PERMISSIONS, "host", "key store and state files are private (directories 0700, "
                    + "files 0600)"));
        }
        return f.files().stream().map(p -> Check.fail(PERMISSIONS, p.path(), p.problem(), p.fix())).toList();
    }

    // ---- boot --------------------------------------------------------------------------------------------

    /** fstab lines of encrypted volumes: a /dev/mapper source that is a crypt mapping, a crypttab name, or no LV. */
    static boolean encrypted(HostState h, FstabEntry e) {
        if (!e.source().startsWith("/dev/mapper/")) {
            return false;
        }
        String name = e.source().substring("/dev/mapper/".length());
        if (h.mapping(name).isPresent() || h.crypttabFor(name).isPresent()) {
            return true;
        }
        return h.lvs().stream().noneMatch(l -> l.hasPath(e.source()));
    }

    static List<Check> boot(Facts f) {
        List<Check> out = new ArrayList<>();
        for (FstabEntry e : f.host().fstab().entries()) {
            if (!encrypted(f.host(), e)) {
                continue;
            }
            String subject = "fstab " + e.mountpoint();
            if (e.options().contains("noauto")) {
                out.add(Check.ok(BOOT, subject, e.source() + " is noauto: the boot does not mount it"));
            } else if (e.options().contains("nofail")) {
                out.add(Check.ok(BOOT, subject, e.source() + " is nofail: the boot goes on without it"));
            } else {
                List<String> opts = new ArrayList<>(e.options());
                opts.remove("defaults");
                opts.add("noauto");
                FstabEntry fixed = new FstabEntry(e.source(), e.mountpoint(), e.fstype(), opts, e.freq(), e.passno());
                out.add(Check.fail(BOOT, subject, e.source() + " has neither noauto nor nofail: a boot without its key "
                        + "waits for it, and an EC2 instance has no console to type on",
                        "in /etc/fstab, make the line read: " + fixed.line()));
            }
        }
        for (CrypttabEntry c : f.host().crypttab().entries()) {
            String subject = "crypttab " + c.name();
            if (c.options().contains("noauto")) {
                out.add(Check.ok(BOOT, subject, c.name() + " is noauto: the boot does not open it"));
            } else if (c.options().contains("nofail")) {
                out.add(Check.ok(BOOT, subject, c.name() + " is nofail: the boot goes on without it"));
            } else {
                List<String> opts = new ArrayList<>(c.options());
                opts.add("noauto");
                out.add(Check.fail(BOOT, subject, c.name() + " has neither noauto nor nofail: the boot asks for its key "
                        + "and waits", "in /etc/crypttab, make the line read: "
                        + new CrypttabEntry(c.name(), c.device(), c.keyFile(), opts).line()));
            }
        }
        if (out.isEmpty()) {
            out.add(Check.ok(BOOT, "host", "no fstab or crypttab line of an encrypted volume: the boot waits for none"));
        }
        return out;
    }

    // ---- NVMe --------------------------------------------------------------------------------------------

    /** The recommended value for this kernel: 2^32 - 1, or 255 before Linux 4.15. */
    static long recommended(String kernel) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(kernel == null ? "" : kernel);
        if (m.find()) {
            int major = Integer.parseInt(m.group(1));
            int minor = Integer.parseInt(m.group(2));
            if (major < 4 || (major == 4 && minor < 15)) {
                return IO_TIMEOUT_MAX_OLD;
            }
        }
        return IO_TIMEOUT_MAX;
    }

    static Optional<Long> number(String s) {
        try {
            return s == null ? Optional.empty() : Optional.of(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static List<Check> ioTimeout(Facts f) {
        Facts.Nvme n = f.nvme();
        if (n == null || n.value() == null) {
            return List.of(Check.skipped(IO_TIMEOUT, "host", "no /sys/module/nvme_core/parameters/io_timeout: the NVMe "
                    + "driver is not loaded (no EBS volume on a Nitro instance)"));
        }
        long want = recommended(n.kernel());
        String fix = String.format(IO_TIMEOUT_FIX, want, want, want);
        Optional<Long> now = number(n.value());
        if (now.isEmpty()) {
            return List.of(Check.fail(IO_TIMEOUT, "host", "nvme_core.io_timeout reads '" + n.value().strip()
                    + "', not a number", fix));
        }
        if (now.get() < want) {
            return List.of(Check.fail(IO_TIMEOUT, "host", "nvme_core.io_timeout is " + now.get() + " s; AWS recommends "
                    + "the maximum, " + want + ": a slow EBS moment fails the I/O and can turn the file system read-only",
                    fix));
        }
        if (number(n.persisted()).map(p -> p < want).orElse(true)) {
            return List.of(Check.warn(IO_TIMEOUT, "host", "nvme_core.io_timeout is " + now.get() + " now, but neither "
                    + "the kernel command line nor modprobe.d sets it: the next boot is back to the default", fix));
        }
        return List.of(Check.ok(IO_TIMEOUT, "host", "nvme_core.io_timeout is " + now.get() + " (AWS's recommended "
                + "maximum), set for every boot"));
    }

    // ---- EBS ---------------------------------------------------------------------------------------------

    /**
     * The VGs doctor looks after: those holding an LV with a LUKS header; those whose inactive LVs something names as
     * an encrypted volume's (a crypttab line, a snapshot set's VG tag: a locked volume's header is not read); and
     * those an attached EBS volume's {@code cryptvol:vg} tag names. Any other VG on the host is none of doctor's business.
     */
    static Set<String> vgs(HostState h, Facts.Ec2 ec2) {
        boolean withEc2 = ec2 != null && ec2.skipped() == null;
        Set<String> named = new java.util.HashSet<>();
        for (CrypttabEntry c : h.crypttab().entries()) {
            h.lvs().stream().filter(l -> l.hasPath(c.device())).forEach(l -> named.add(l.vgName()));
        }
        if (withEc2) {
            ec2.sets().stream().map(s -> s.tag(SnapshotTags.VG)).filter(v -> v != null).forEach(named::add);
        }
        Set<String> out = new TreeSet<>();
        for (LogicalVolume lv : h.lvs()) {
            boolean luks = h.luksOn(lv.path() == null ? "" : lv.path()).isPresent()
                    || (lv.dmPath() != null && h.luksOn(lv.dmPath()).isPresent());
            if (luks || (!lv.active() && named.contains(lv.vgName()))) {
                out.add(lv.vgName());
            }
        }
        if (withEc2) {
            ec2.attached().stream().map(v -> v.tag(VolumeTags.VG)).filter(v -> v != null && !v.isBlank()).forEach(out::add);
        }
        return out;
    }

    static Set<String> vgs(Facts f) {
        return vgs(f.host(), f.ec2());
    }

    /** "vol0123…" (an NVMe serial, as Nitro shows an EBS volume id) → "vol-0123…". */
    static String volumeIdOf(String serial) {
        if (serial == null) {
            return null;
        }
        String s = serial.strip();
        return s.matches("vol[0-9a-f]{8,17}") ? "vol-" + s.substring(3) : s.matches("vol-[0-9a-f]{8,17}") ? s : null;
    }

    /** The EBS volume ids of the VG's PVs as the host sees them (the serial of the disk under each PV). */
    static Map<String, String> pvVolumes(HostState h, String vg) {
        Map<String, String> out = new LinkedHashMap<>();
        for (PhysicalVolume pv : h.pvsIn(vg)) {
            String id = h.deviceByPath(pv.path()).map(d -> volumeIdOf(d.serial())).orElse(null);
            if (id == null) {
                // a partition: the disk it is on
                id = h.parents(pv.path()).stream().map(h::deviceByPath).flatMap(Optional::stream)
                        .filter(d -> d.type() == DeviceType.DISK).map(d -> volumeIdOf(d.serial())).filter(x -> x != null)
                        .findFirst().orElse(null);
            }
            out.put(pv.path(), id);
        }
        return out;
    }

    static List<Check> vgMembers(Facts f) {
        Set<String> vgs = vgs(f);
        if (vgs.isEmpty()) {
            return List.of(Check.skipped(VG_MEMBERS, "host", "no volume group of an encrypted volume on this host"));
        }
        List<Check> out = new ArrayList<>();
        for (String vg : vgs) {
            out.add(vgMembers(f, vg));
        }
        return out;
    }

    static Check vgMembers(Facts f, String vg) {
        HostState h = f.host();
        String subject = "VG " + vg;
        List<String> problems = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        int seen = h.pvsIn(vg).stream().filter(p -> p.path() != null && p.path().startsWith("/dev/")).toList().size();
        int expected = h.vg(vg).map(v -> v.pvCount()).orElse(seen);
        if (seen < expected) {
            problems.add("LVM sees " + seen + " of its " + expected + " PVs");
        }
        Facts.Ec2 ec2 = f.ec2();
        if (ec2 == null || ec2.skipped() != null) {
            if (problems.isEmpty()) {
                return Check.skipped(VG_MEMBERS, subject, "all " + seen + " PVs present; EBS side not checked: "
                        + (ec2 == null ? "no EC2 access" : ec2.skipped()));
            }
            return Check.fail(VG_MEMBERS, subject, String.join("; ", problems) + " (EBS side not checked: "
                    + (ec2 == null ? "no EC2 access" : ec2.skipped()) + ")", "volumes list, then volumes attach VOLUME-ID");
        }
        Map<String, EbsVolume> members = new LinkedHashMap<>();
        ec2.tagged().getOrDefault(vg, List.of()).forEach(v -> members.put(v.id(), v));
        Map<String, EbsVolume> attachedById = new LinkedHashMap<>();
        ec2.attached().forEach(v -> attachedById.put(v.id(), v));
        Map<String, String> pvs = pvVolumes(h, vg);
        for (String id : pvs.values()) {
            if (id != null && attachedById.containsKey(id)) {
                members.putIfAbsent(id, attachedById.get(id));
            }
        }
        List<String> notHere = new ArrayList<>();
        for (EbsVolume v : members.values()) {
            if (!v.attachedTo(ec2.instanceId())) {
                notHere.add(v.id() + v.attachment().map(a -> " (attached to " + a.instanceId() + ")")
                        .orElse(" (" + (v.state() == null ? "not attached" : v.state()) + ")"));
                fixes.add("volumes attach " + v.id());
            }
        }
        if (!notHere.isEmpty()) {
            problems.add("not attached to " + ec2.instanceId() + ": " + String.join(", ", notHere));
        }
        Set<String> sets = new TreeSet<>();
        List<String> untagged = new ArrayList<>();
        for (EbsVolume v : members.values()) {
            String s = v.tag(VolumeTags.SET);
            String tagVg = v.tag(VolumeTags.VG);
            if (s == null || s.isBlank() || (tagVg != null && !tagVg.isBlank() && !vg.equals(tagVg))) {
                untagged.add(v.id());
            } else {
                sets.add(s);
            }
        }
        Set<String> counts = members.values().stream().map(v -> v.tag(VolumeTags.COUNT)).filter(c -> c != null)
                .collect(Collectors.toCollection(TreeSet::new));
        if (!untagged.isEmpty() || sets.size() > 1) {
            problems.add("not tagged as one set: " + (untagged.isEmpty() ? "" : String.join(", ", untagged)
                    + " without the set's tags (" + VolumeTags.SET + ", or "
                    + VolumeTags.VG + " naming another VG)" + (sets.size() > 1 ? "; " : ""))
                    + (sets.size() > 1 ? "sets " + String.join(", ", sets) : ""));
            fixes.add("adopt --vg " + vg);
        } else if (counts.size() > 1 || (counts.size() == 1 && !counts.contains(String.valueOf(members.size())))) {
            problems.add("the " + VolumeTags.COUNT + " tag says " + String.join("/", counts) + ", " + members.size()
                    + " volumes carry the set's tags");
            fixes.add("adopt --vg " + vg);
        }
        Set<String> zones = members.values().stream().map(EbsVolume::availabilityZone).filter(z -> z != null)
                .collect(Collectors.toCollection(TreeSet::new));
        if (zones.size() > 1) {
            problems.add("members in " + zones.size() + " zones: " + String.join(", ", zones));
            fixes.add("snapshot the set and restore it in one zone (snapshot, then restore latest)");
        }
        if (!problems.isEmpty()) {
            return Check.fail(VG_MEMBERS, subject, String.join("; ", problems),
                    fixes.isEmpty() ? "volumes list, then volumes attach VOLUME-ID" : String.join("; ", new LinkedHashSet<>(fixes)));
        }
        return Check.ok(VG_MEMBERS, subject, members.size() + " EBS volumes, all attached to " + ec2.instanceId()
                + ", one set" + (sets.isEmpty() ? "" : " (" + sets.iterator().next() + ")") + ", one zone"
                + (zones.isEmpty() ? "" : " (" + zones.iterator().next() + ")"));
    }

    // ---- snapshots ---------------------------------------------------------------------------------------

    static List<SnapshotSet> setsOf(Facts f, String vg) {
        return f.ec2().sets().stream().filter(s -> vg.equals(s.tag(SnapshotTags.VG))).toList();
    }

    static String snapshotFix(Facts f, String vg) {
        HostState h = f.host();
        Optional<String> mp = h.lvs().stream().filter(l -> l.vgName().equals(vg))
                .flatMap(l -> h.cryptHolderOf(l.path() == null ? "" : l.path()).stream())
                .flatMap(m -> h.mountpointsUnder(m.path()).stream()).findFirst();
        return mp.map(m -> "snapshot --mountpoint " + m + " --yes").orElse("unlock the volume of VG " + vg + ", then snapshot --yes");
    }

    static List<Check> recentSet(Facts f) {
        Set<String> vgs = vgs(f);
        if (f.ec2() == null || f.ec2().setsSkipped() != null) {
            return List.of(Check.skipped(RECENT_SET, "host", "snapshot sets not checked: "
                    + (f.ec2() == null ? "no EC2 access" : f.ec2().setsSkipped())));
        }
        if (vgs.isEmpty()) {
            return List.of(Check.skipped(RECENT_SET, "host", "no volume group of an encrypted volume on this host"));
        }
        List<Check> out = new ArrayList<>();
        for (String vg : vgs) {
            Optional<SnapshotSet> newest = setsOf(f, vg).stream().filter(s -> s.status() == SnapshotSet.Status.COMPLETED)
                    .filter(s -> s.takenAt() != null).max(Comparator.comparing(SnapshotSet::takenAt));
            String subject = "VG " + vg;
            if (newest.isEmpty()) {
                out.add(Check.fail(RECENT_SET, subject, "no complete snapshot set of VG " + vg, snapshotFix(f, vg)));
                continue;
            }
            Duration age = Duration.between(newest.get().takenAt(), f.now());
            String line = "newest complete set " + newest.get().id() + " taken " + newest.get().takenAt() + " ("
                    + Durations.age(age.isNegative() ? Duration.ZERO : age) + " ago)";
            if (age.compareTo(f.maxAge()) > 0) {
                out.add(Check.fail(RECENT_SET, subject, line + ", older than --max-age " + Durations.age(f.maxAge()),
                        snapshotFix(f, vg)));
            } else {
                out.add(Check.ok(RECENT_SET, subject, line));
            }
        }
        return out;
    }

    static List<Check> setsComplete(Facts f) {
        if (f.ec2() == null || f.ec2().setsSkipped() != null) {
            return List.of(Check.skipped(SETS_COMPLETE, "host", "snapshot sets not checked: "
                    + (f.ec2() == null ? "no EC2 access" : f.ec2().setsSkipped())));
        }
        Set<String> vgs = vgs(f);
        if (vgs.isEmpty()) {
            return List.of(Check.skipped(SETS_COMPLETE, "host", "no volume group of an encrypted volume on this host"));
        }
        List<Check> out = new ArrayList<>();
        for (String vg : vgs) {
            List<SnapshotSet> sets = setsOf(f, vg);
            List<SnapshotSet> broken = sets.stream().filter(s -> s.status() == SnapshotSet.Status.INCOMPLETE).toList();
            for (SnapshotSet s : broken) {
                out.add(Check.warn(SETS_COMPLETE, "set " + s.id(), "snapshot set of VG " + vg + " is incomplete ("
                        + String.join(", ", s.problems()) + "): it cannot be restored", "snapshots delete " + s.id()));
            }
            if (broken.isEmpty()) {
                out.add(Check.ok(SETS_COMPLETE, "VG " + vg, sets.size() + " snapshot set" + (sets.size() == 1 ? "" : "s")
                        + ", none incomplete (cryptvol has no copy policy: completeness only)"));
            }
        }
        return out;
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(java.util.Locale.ROOT);
    }
}

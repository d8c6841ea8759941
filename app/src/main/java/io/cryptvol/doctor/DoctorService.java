package io.cryptvol.doctor;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsGateway;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.VolumeTags;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.host.HostObserver;
import io.cryptvol.keys.Backup;
import io.cryptvol.keys.HeaderBackups;
import io.cryptvol.keys.HeaderService;
import io.cryptvol.keys.KeyInfo;
import io.cryptvol.keys.KeyLedger;
import io.cryptvol.keys.KeyPermissions;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.session.Dirs;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.session.Target;
import io.cryptvol.domain.plan.Inputs;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.snapshot.SnapshotService;
import io.cryptvol.ui.ErrorMessages;
import io.cryptvol.volumes.VolumeService;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gathers the {@link Facts} of the connected target, read-only: one {@link HostObserver} observation (devices, LVM,
 * fstab, crypttab, luksDump) and one query for {@code nvme_core.io_timeout}; each LUKS header compared with its backup
 * ({@link HeaderService#verify}); the key store, its backups (files hashed now), the ledger and the permissions on
 * this machine; and, when the session has an instance and EC2 answers, its volumes and the region's snapshot sets
 * ({@code aws/EbsGateway}). Nothing is changed anywhere, on the host, in EC2 or in the key store's records.
 */
public class DoctorService {
    /** The default of {@code --max-age}. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(24);

    /** io_timeout, the kernel, and what the next boot gets: the command line, then modprobe.d's options lines. */
    static final String NVME_SCRIPT = String.join("\n",
            "sec() { printf '\\n@@cryptvol-section %s\\n' \"$1\"; }",
            "end() { printf '\\n@@cryptvol-exit %s\\n' \"$1\"; }",
            "sec io_timeout; cat /sys/module/nvme_core/parameters/io_timeout 2>/dev/null; end $?",
            "sec uname; uname -r; end $?",
            "sec cmdline; cat /proc/cmdline; end $?",
            "sec modprobe; cat /etc/modprobe.d/*.conf /lib/modprobe.d/*.conf /usr/lib/modprobe.d/*.conf 2>/dev/null"
                    + " | grep -E '^[[:space:]]*options[[:space:]]+nvme_core[[:space:]]'; end 0");

    /** The default of {@code doctor --all --max-concurrency}. */
    public static final int DEFAULT_CONCURRENCY = 4;

    private final HostAccess hosts;
    private final KeyStore store;
    private final KeyLedger ledger;
    private final AwsAccess aws;
    private final VolumeService volumes;
    private final SnapshotService snapshots;
    private final Clock clock;
    private final SessionContext ctx;

    public DoctorService(HostAccess hosts, KeyStore store, KeyLedger ledger, AwsAccess aws, VolumeService volumes,
                         SnapshotService snapshots, SessionContext ctx) {
        this(hosts, store, ledger, aws, volumes, snapshots, ctx, Clock.systemUTC());
    }

    DoctorService(HostAccess hosts, KeyStore store, KeyLedger ledger, AwsAccess aws, VolumeService volumes,
                  SnapshotService snapshots, SessionContext ctx, Clock clock) {
        this.ctx = ctx;
        this.hosts = hosts;
        this.store = store;
        this.ledger = ledger;
        this.aws = aws;
        this.volumes = volumes;
        this.snapshots = snapshots;
        this.clock = clock;
    }

    /** {@link #maxAge}, but null when not given (then each VG's copy policy, else the default, decides). */
    public static Duration maxAgeOption(String s) {
        return s == null || s.isBlank() ? null : maxAge(s);
    }

    /** "24h", "2d", "90m", "3600s" (a bare number is hours): a usage error otherwise. */
    public static Duration maxAge(String s) {
        if (s == null || s.isBlank()) {
            return DEFAULT_MAX_AGE;
        }
        return io.cryptvol.domain.Durations.parseAge(s).orElseThrow(() -> new CryptvolException("--max-age '"
                + io.cryptvol.domain.ControlChars.escape(s) + "' is not an age: give e.g. 24h, 2d, 90m", ExitCode.USAGE, null));
    }

    /** The checklist of the session's target. */
    public Report run(Duration maxAge) {
        Facts f = facts(maxAge);
        return new Report(f.target(), Doctor.checks(f));
    }

    public Facts facts(Duration maxAge) {
        return facts(hosts.executor(), volumes::instanceId, maxAge);
    }

    /** The facts of the host behind {@code ex}, its EBS side being that of the instance {@code instance} names. */
    Facts facts(HostExecutor ex, java.util.function.Supplier<String> instance, Duration maxAge) {
        HostObserver observer = new HostObserver(ex);
        HostState h = observer.observe(HostObserver.Scope.of(List.of(), List.of()), ref -> null);
        Facts.Nvme nvme = nvme(ex);
        List<Facts.HeaderFacts> headers = headers(ex, h);
        List<Facts.KeyFacts> keys = keys();
        return new Facts(ex.target(), h, nvme, keys, headers, ledger.outstanding(), files(), ec2(h, instance),
                clock.instant(), maxAge);
    }

    // ---- host ------------------------------------------------------------------------------------------

    private static Facts.Nvme nvme(HostExecutor ex) {
        HostObserver.Sections s = HostObserver.Sections.run(ex, HostCommand.query("Read nvme_core.io_timeout, the kernel "
                + "release, the kernel command line and modprobe.d's nvme_core options", "sh", "-c", NVME_SCRIPT));
        String value = s.exit("io_timeout") == 0 ? s.out("io_timeout").strip() : null;
        return new Facts.Nvme(value, s.out("uname").strip(), persisted(s.out("cmdline"), s.out("modprobe")));
    }

    /** The io_timeout the next boot gets: the kernel command line wins over modprobe.d (null: neither says). */
    static String persisted(String cmdline, String modprobe) {
        String found = null;
        for (String w : cmdline.strip().split("\\s+")) {
            if (w.startsWith("nvme_core.io_timeout=")) {
                found = w.substring("nvme_core.io_timeout=".length());
            }
        }
        if (found != null) {
            return found;
        }
        for (String line : modprobe.split("\n")) {
            Matcher m = Pattern.compile("\\bio_timeout=(\\S+)").matcher(line);
            if (line.strip().startsWith("options") && m.find()) {
                found = m.group(1);
            }
        }
        return found;
    }

    private List<Facts.HeaderFacts> headers(HostExecutor ex, HostState h) {
        List<Facts.HeaderFacts> out = new ArrayList<>();
        for (Map.Entry<String, LuksHeader> e : Doctor.luks(h).entrySet()) {
            String dev = e.getKey();
            LuksHeader l = e.getValue();
            if (store.headers().find(l.uuid()).isEmpty()) {
                out.add(new Facts.HeaderFacts(dev, l.uuid(), null, List.of(), null));
                continue;
            }
            String file = store.headers().find(l.uuid()).map(HeaderBackups.Backup::file).orElse(null);
            try {
                HeaderService.Verification v = new HeaderService(store).verify(ex, dev, null, h);
                out.add(new Facts.HeaderFacts(dev, l.uuid(), v.backup().file(), v.differences(), null));
            } catch (CryptvolException x) {
                out.add(new Facts.HeaderFacts(dev, l.uuid(), file, List.of(), ErrorMessages.message(x)));
            }
        }
        return out;
    }

    // ---- this machine ----------------------------------------------------------------------------------

    private List<Facts.KeyFacts> keys() {
        FileStore home = fileStore(store.dir());
        List<Facts.KeyFacts> out = new ArrayList<>();
        for (KeyInfo k : store.listUnchanged()) {
            List<Facts.BackupFacts> backups = new ArrayList<>();
            for (Backup b : k.backups()) {
                backups.add(backup(b, k.sha256(), home));
            }
            out.add(new Facts.KeyFacts(k.name(), backups, k.enrollments().stream()
                    .map(io.cryptvol.keys.Enrollment::luksUuid).filter(u -> u != null).distinct().toList()));
        }
        return out;
    }

    /**
     * Where a backup is: {@code s3://} is off the machine (its verification is the one recorded: 'keys verify' reads it
     * back); a file is hashed now, and is off the machine when it is on another file system than the key store and
     * that is not tmpfs or ramfs.
     */
    static Facts.BackupFacts backup(Backup b, String sha256, FileStore keyStoreFs) {
        if (b.location().startsWith("s3://")) {
            return new Facts.BackupFacts(b.location(), Facts.Place.S3, b.verified());
        }
        Path p = Path.of(b.location());
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return new Facts.BackupFacts(b.location(), Facts.Place.MISSING, false);
        }
        boolean same;
        byte[] bytes = null;
        try {
            bytes = Files.readAllBytes(p);
            same = KeyStore.sha256(bytes).equals(sha256);
        } catch (IOException e) {
            same = false;
        } finally {
            if (bytes != null) {
                Arrays.fill(bytes, (byte) 0);
            }
        }
        FileStore fs = fileStore(p);
        Facts.Place place;
        if (fs != null && Set.of("tmpfs", "ramfs").contains(fs.type())) {
            place = Facts.Place.MEMORY;
        } else if (fs == null || keyStoreFs == null || fs.equals(keyStoreFs)) {
            place = Facts.Place.SAME_DISK;
        } else {
            place = Facts.Place.OTHER_DISK;
        }
        return new Facts.BackupFacts(b.location(), place, same);
    }

    private static FileStore fileStore(Path p) {
        try {
            return Files.getFileStore(p);
        } catch (IOException e) {
            return null;
        }
    }

    /** The key store (via {@link KeyPermissions}), the config and state directories, and the files in them. */
    private List<Facts.FileProblem> files() {
        List<Facts.FileProblem> out = new ArrayList<>();
        for (KeyPermissions.Problem p : new KeyPermissions(store.dir()).check(null)) {
            out.add(new Facts.FileProblem(p.path().toString(), p.describe(), p.fixable() ? "keys verify --fix"
                    : "by hand: cryptvol does not follow symlinks or change owners"));
        }
        for (Path dir : List.of(Dirs.config(), Dirs.state(), store.headers().dir())) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || dir.equals(store.dir())) {
                continue;
            }
            loose(dir, true, out);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path f : ds) {
                    if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                        loose(f, false, out);
                    }
                }
            } catch (IOException e) {
                out.add(new Facts.FileProblem(dir.toString(), "cannot be listed: " + e.getClass().getSimpleName(), "ls -ld " + dir));
            }
        }
        return out;
    }

    private static void loose(Path p, boolean dir, List<Facts.FileProblem> out) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            boolean open = perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"));
            if (open) {
                out.add(new Facts.FileProblem(p.toString(), (dir ? "directory" : "file") + " has mode "
                        + KeyPermissions.octal(perms) + ", should be " + (dir ? "0700" : "0600"),
                        "chmod " + (dir ? "700 " : "600 ") + p));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to say
        }
    }

    // ---- EC2 -------------------------------------------------------------------------------------------

    private Facts.Ec2 ec2(HostState h, java.util.function.Supplier<String> instanceOf) {
        String instance;
        try {
            instance = instanceOf.get();
        } catch (RuntimeException e) {
            return Facts.Ec2.skipped(ErrorMessages.message(e));
        }
        try {
            EbsGateway ebs = aws.ebs();
            List<EbsVolume> attached = ebs.volumesAttachedTo(instance);
            List<io.cryptvol.snapshot.SnapshotSet> sets = List.of();
            String setsSkipped = null;
            try {
                sets = snapshots.sets(null);
            } catch (RuntimeException e) {
                setsSkipped = ErrorMessages.message(e);
            }
            Map<String, List<EbsVolume>> tagged = new LinkedHashMap<>();
            for (String vg : Doctor.vgs(h, new Facts.Ec2(null, instance, attached, Map.of(), sets, setsSkipped))) {
                // the members: tagged for the VG, and every volume of the sets its attached PVs belong to (a set made
                // without a VG name has no cryptvol:vg tag)
                Map<String, EbsVolume> members = new LinkedHashMap<>();
                ebs.volumesWithTag(VolumeTags.VG, vg).forEach(v -> members.put(v.id(), v));
                java.util.Set<String> pvIds = new java.util.HashSet<>(Doctor.pvVolumes(h, vg).values());
                java.util.Set<String> setIds = new java.util.TreeSet<>();
                attached.stream().filter(v -> pvIds.contains(v.id())).map(v -> v.tag(VolumeTags.SET))
                        .filter(x -> x != null && !x.isBlank()).forEach(setIds::add);
                members.values().stream().map(v -> v.tag(VolumeTags.SET)).filter(x -> x != null && !x.isBlank()).forEach(setIds::add);
                for (String set : setIds) {
                    ebs.volumesWithTag(VolumeTags.SET, set).forEach(v -> members.putIfAbsent(v.id(), v));
                }
                tagged.put(vg, List.copyOf(members.values()));
            }
            Facts.Ec2 out = new Facts.Ec2(null, instance, attached, tagged, sets, setsSkipped);
            return copies(out);
        } catch (RuntimeException e) {
            return Facts.Ec2.skipped(ErrorMessages.message(e));
        }
    }

    /**
     * The copy policy of each VG (from the tags of its volumes, as {@code vg.members} finds them: the policy travels
     * with them) and, for every region a policy names, that region's snapshot sets.
     */
    private Facts.Ec2 copies(Facts.Ec2 e) {
        Map<String, io.cryptvol.snapshot.CopyPolicy.Read> policies = new LinkedHashMap<>();
        e.tagged().forEach((vg, vols) -> io.cryptvol.snapshot.CopyPolicy.of(vols.stream().map(EbsVolume::tags).toList())
                .ifPresent(r -> policies.put(vg, r)));
        Map<String, List<io.cryptvol.snapshot.SnapshotSet>> copies = new LinkedHashMap<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        policies.values().stream().filter(r -> r.policy() != null).flatMap(r -> r.policy().regions().stream()).distinct()
                .forEach(region -> {
                    try {
                        copies.put(region, snapshots.sets(region));
                    } catch (RuntimeException x) {
                        skipped.put(region, ErrorMessages.message(x));
                    }
                });
        return e.withCopies(policies, copies, skipped);
    }

    // ---- the estate: doctor --all ----------------------------------------------------------------------

    /**
     * One instance of {@code doctor --all}: its id, how it was reached ("root@10.0.0.5:22", "ssm:i-…", or what
     * would have been used), and its checklist; an instance that could not be reached or checked has one FAIL line
     * ({@link Doctor#REACHABLE}) with the reason.
     */
    public record Section(String instanceId, String via, Report report) {
    }

    /**
     * {@code doctor --all}: the instances, one section each (in id order), and one line saying how they were reached.
     */
    public record Estate(String how, List<Section> sections) {
        public Estate {
            sections = List.copyOf(sections);
        }

        public List<Section> failed() {
            return sections.stream().filter(x -> x.report().failed()).toList();
        }
    }

    /** How one instance is to be reached: a target, the session's own connection, or why it cannot be. */
    private record Way(String instanceId, Target target, boolean session, String refusal) {
        String via() {
            return target == null ? "-" : target.display();
        }
    }

    /**
     * The checklist of every instance that {@code volumes list} knows (those the cryptvol-tagged EBS volumes are
     * attached to, and the session's instance), over the session's transport, at most {@code maxConcurrency} at a
     * time: the session's instance through the session's own connection; over SSM, each instance by its id; over
     * SSH, each other instance at its EC2 address (private IP, else public IP, else private DNS name) with the
     * session's user, port, identity file and known_hosts (a host key not in known_hosts is refused, not trusted).
     * Every instance id and address from EC2 is checked before use. Read-only, as {@link #run} is.
     */
    public Estate all(Duration maxAge, int maxConcurrency) {
        if (maxConcurrency < 1 || maxConcurrency > 64) {
            throw new CryptvolException("--max-concurrency must be 1 to 64, not " + maxConcurrency, ExitCode.USAGE, null);
        }
        EbsGateway ebs = aws.ebs();
        Target session = ctx.target();
        String own = ctx.instanceId();
        java.util.TreeSet<String> ids = new java.util.TreeSet<>();
        List<Way> ways = new ArrayList<>();
        for (String tag : List.of(VolumeTags.VG, VolumeTags.SET)) {
            for (EbsVolume v : ebs.findVolumes(Map.of("tag-key", List.of(tag)))) {
                v.attachment().map(EbsVolume.Attachment::instanceId).ifPresent(ids::add);
            }
        }
        if (own != null) {
            ids.add(own);
        }
        if (ids.isEmpty()) {
            throw new CryptvolException("no instance to check: no EBS volume tagged " + VolumeTags.VG + " or "
                    + VolumeTags.SET + " is attached to one in " + ebs.region() + ", and no instance is selected "
                    + "('use instance i-…')", ExitCode.FAILED, null);
        }
        boolean others = ids.stream().anyMatch(i -> !i.equals(own));
        Map<String, String> addresses = others && session.kind() == Target.Kind.SSH ? ebs.instanceAddresses() : Map.of();
        for (String id : ids) {
            Optional<Refusal> badId = Inputs.instanceId(id);
            if (badId.isPresent()) {
                ways.add(new Way(id, null, false, "EC2 gave an attachment's " + badId.get().line() + "; not used"));
            } else if (id.equals(own)) {
                ways.add(new Way(id, session, true, null));
            } else {
                ways.add(switch (session.kind()) {
                    case SSM -> new Way(id, Target.ssm(id, session.outputS3()), false, null);
                    case LOCAL -> new Way(id, null, false, "the session works on this machine (local): connect to "
                            + "one instance over SSH or SSM and doctor --all reaches the others the same way");
                    case SSH -> over(id, addresses.get(id), session);
                });
            }
        }
        String how = switch (session.kind()) {
            case SSM -> "over SSM Run Command, each instance by its id";
            case LOCAL -> "on this machine (the session is local)";
            case SSH -> "over SSH as " + session.user() + ", port " + session.port() + ", identity "
                    + (session.identityFile() == null ? "the default key" : session.identityFile()) + ", known_hosts "
                    + (session.knownHosts() == null ? "~/.ssh/known_hosts" : session.knownHosts())
                    + " (unknown host keys refused), at each instance's address in EC2";
        } + (own == null ? "" : "; " + own + " through the session's connection (" + session.display() + ")");
        List<Section> out = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(maxConcurrency, ways.size()), r -> {
                    Thread t = new Thread(r, "doctor-all");
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<java.util.concurrent.Future<Section>> futures = new ArrayList<>();
            for (Way w : ways) {
                futures.add(pool.submit(() -> section(w, maxAge)));
            }
            for (int i = 0; i < ways.size(); i++) {
                try {
                    out.add(futures.get(i).get());
                } catch (java.util.concurrent.ExecutionException e) {
                    out.add(unreachable(ways.get(i), "could not be checked: " + ErrorMessages.message(e.getCause())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CryptvolException("doctor --all interrupted", ExitCode.FAILED, e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new Estate(how, out);
    }

    private static Way over(String id, String address, Target session) {
        if (address == null) {
            return new Way(id, null, false, "EC2 gives no address for it (no private or public IP, no DNS name)");
        }
        Optional<Refusal> bad = Inputs.hostAddress(address);
        if (bad.isPresent()) {
            return new Way(id, null, false, "EC2 gives it the " + bad.get().line() + "; not used");
        }
        return new Way(id, new Target(Target.Kind.SSH, session.user(), address, session.port(), session.identityFile(),
                session.knownHosts(), null), false, null);
    }

    private Section section(Way w, Duration maxAge) {
        if (w.refusal() != null) {
            return unreachable(w, w.refusal());
        }
        HostExecutor ex;
        try {
            ex = w.session() ? hosts.executor() : hosts.open(w.target());
        } catch (RuntimeException e) {
            return unreachable(w, "cannot be reached at " + w.via() + ": " + ErrorMessages.message(e));
        }
        try {
            Facts f = facts(ex, w::instanceId, maxAge);
            return new Section(w.instanceId(), w.via(), new Report(f.target(), Doctor.checks(f)));
        } catch (RuntimeException e) {
            return unreachable(w, "could not be checked at " + w.via() + ": " + ErrorMessages.message(e));
        } finally {
            if (!w.session()) {
                try {
                    ex.close();
                } catch (Exception ignored) {
                    // a connection that is gone is closed
                }
            }
        }
    }

    private static Section unreachable(Way w, String reason) {
        String fix = w.target() == null ? "check the instance in EC2 ('volumes list'), then connect to it by hand"
                : w.target().isSsm() ? "check that the SSM agent of " + w.instanceId() + " is online"
                : "connect " + w.target().display() + " (once, to check and trust its host key), or check the address, "
                + "the security group and the SSH settings";
        return new Section(w.instanceId(), w.via(), new Report(w.via(), List.of(Check.fail(Doctor.REACHABLE,
                w.instanceId(), reason, fix))));
    }
}

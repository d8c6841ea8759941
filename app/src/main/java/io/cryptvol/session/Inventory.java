package io.cryptvol.session;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The last observed names, by target and by kind ("device", "vg", "lv", "mapping", "mountpoint",
 * "volume", ...). Commands that observe a host refresh the names of the target they observed; Tab
 * completion only reads the current target's names, so completing never waits for the network and never
 * offers what another machine has (every EC2 host has an nvme1n1; the sandbox is not this machine).
 *
 * <p>Kinds in {@link #GLOBAL_KINDS} (key names: the key store is on this machine) are shared by all
 * targets. In a dry run (the session's {@link SessionMode#dryRun()}) nothing is written: a dry run changes
 * nothing anywhere, and what it observes may include what it only planned.
 *
 * <p>A command that is about to change a host may say what the names will be once it ran
 * ({@link #expect}); {@link #ran()} takes them over after a successful run.
 */
public class Inventory {
    /** The key under which names seen on this machine are kept. */
    public static final String LOCAL = "local";
    /** The key of the sandbox's test instance, whatever its port this time. */
    public static final String SANDBOX = "sandbox";
    /** The key of kinds shared by every target. */
    public static final String GLOBAL = "*";
    public static final Set<String> GLOBAL_KINDS = Set.of("key");

    private final Map<String, Map<String, List<String>>> names = new ConcurrentHashMap<>();
    /**
     * The key under which the attachment history is kept ({@link Attachment}: EBS volume id → where it was last seen
     * attached), beside the targets: volume ids are EC2's, not one host's. Never a target key.
     */
    public static final String ATTACHMENTS = "@attachments";

    private final Supplier<String> target;
    private final BooleanSupplier dryRun;
    private final Supplier<String> instance;
    private volatile Expected expected;

    private record Expected(String target, Map<String, List<String>> values) {
    }

    /** One target only ("local"), never in a dry run: for tests and tools that have no session. */
    public Inventory() {
        this(() -> LOCAL, () -> false);
    }

    /**
     * @param target the key of the session's current target (see {@link #keyOf})
     * @param dryRun true while the session is in a dry run: writes are dropped
     */
    public Inventory(Supplier<String> target, BooleanSupplier dryRun) {
        this(target, dryRun, () -> null);
    }

    /** @param instance the instance id of the current target when known (null otherwise): where devices are attached */
    public Inventory(Supplier<String> target, BooleanSupplier dryRun, Supplier<String> instance) {
        this.target = target;
        this.dryRun = dryRun;
        this.instance = instance;
    }

    /** The inventory key of a target: "local", "sandbox", or "ssh:user@host:port". */
    public static String keyOf(Target t) {
        if (t == null || t.isLocal()) {
            return LOCAL;
        }
        if (t.knownHosts() != null && isUnder(t.knownHosts(), Dirs.sandbox())) {
            return SANDBOX; // the sandbox's instance: its own, whatever port it got this time
        }
        return "ssh:" + t.user() + "@" + t.host() + ":" + t.port();
    }

    private static boolean isUnder(String file, Path dir) {
        try {
            return Path.of(file).toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private String scope(String kind) {
        return GLOBAL_KINDS.contains(kind) ? GLOBAL : target.get();
    }

    /** Replaces the names of one kind on the current target (nothing happens in a dry run). */
    public void put(String kind, List<String> values) {
        if (dryRun.getAsBoolean()) {
            return;
        }
        names.computeIfAbsent(scope(kind), k -> new ConcurrentHashMap<>()).put(kind, List.copyOf(values));
    }

    /** Refreshes what Tab offers on the current target from an observation: devices (free first), VGs, LVs, mappings, mountpoints. */
    public void remember(io.cryptvol.domain.model.HostState h) {
        namesOf(h).forEach(this::put);
        attachmentsOf(h, instance.get(), target.get(), java.time.Instant.now()).forEach(this::sawAttached);
    }

    /**
     * Every EBS volume a host observation shows (a device whose serial is a volume id, as on Nitro), attached to
     * {@code instanceId} (or, when none is known, to the target), with the PV UUID on it.
     */
    public static List<Attachment> attachmentsOf(io.cryptvol.domain.model.HostState h, String instanceId, String targetKey,
                                                 java.time.Instant now) {
        List<Attachment> out = new java.util.ArrayList<>();
        for (io.cryptvol.domain.model.BlockDevice d : h.allDevices()) {
            String vol = Attachment.volumeIdOfSerial(d.serial());
            if (vol == null || d.type() != io.cryptvol.domain.model.DeviceType.DISK) {
                continue;
            }
            String pv = h.pvs().stream().filter(p -> h.sameDevice(p.path(), d.path())).map(p -> p.uuid())
                    .filter(java.util.Objects::nonNull).findFirst().orElse(null);
            Attachment.of(vol, instanceId != null ? instanceId : targetKey, d.path(), now, pv)
                    .or(() -> Attachment.of(vol, targetKey, d.path(), now, pv)).ifPresent(out::add);
        }
        return out;
    }

    /** Remembers where a volume was seen attached (nothing happens in a dry run); the newer sighting wins. */
    public void sawAttached(Attachment a) {
        if (dryRun.getAsBoolean()) {
            return;
        }
        Map<String, List<String>> m = names.computeIfAbsent(ATTACHMENTS, k -> new ConcurrentHashMap<>());
        Attachment was = lastAttachment(a.volumeId()).orElse(null);
        if (was != null && was.seen().isAfter(a.seen())) {
            return;
        }
        // a sighting without a PV keeps the PV UUID seen before on the same volume (a PV not yet activated)
        Attachment keep = a.pvUuid() == null && was != null && was.pvUuid() != null
                ? new Attachment(a.volumeId(), a.where(), a.device(), a.seen(), was.pvUuid()) : a;
        m.put(a.volumeId(), keep.words());
    }

    /** Where the volume was last seen attached, if it ever was. */
    public java.util.Optional<Attachment> lastAttachment(String volumeId) {
        return Attachment.fromWords(volumeId, names.getOrDefault(ATTACHMENTS, Map.of()).get(volumeId));
    }

    /** The volume last seen holding this LVM PV (the latest sighting), if any. */
    public java.util.Optional<Attachment> volumeOfPv(String pvUuid) {
        if (pvUuid == null) {
            return java.util.Optional.empty();
        }
        return names.getOrDefault(ATTACHMENTS, Map.of()).keySet().stream().map(this::lastAttachment)
                .flatMap(java.util.Optional::stream).filter(a -> pvUuid.equals(a.pvUuid()))
                .max(java.util.Comparator.comparing(Attachment::seen));
    }

    /** The names Tab completion offers for a host state, by kind (the one rule: InventoryNames). */
    public static Map<String, List<String>> namesOf(io.cryptvol.domain.model.HostState h) {
        return io.cryptvol.domain.model.InventoryNames.of(h);
    }

    /** The names of one kind on the current target. */
    public List<String> get(String kind) {
        return names.getOrDefault(scope(kind), Map.of()).getOrDefault(kind, List.of());
    }

    /**
     * The names the current target will have once the change about to run has run; null: none known (a
     * new plan begins). Dropped in a dry run.
     */
    public void expect(Map<String, List<String>> values) {
        expected = values == null || dryRun.getAsBoolean() ? null : new Expected(target.get(), Map.copyOf(values));
    }

    /** The change said in {@link #expect} ran: its names replace the observed ones, if still on that target. */
    public void ran() {
        Expected e = expected;
        expected = null;
        if (e != null && e.target().equals(target.get())) {
            e.values().forEach(this::put);
        }
    }

    /** Everything known, by target key and kind (a deep copy, sorted keys for a stable file). */
    public Map<String, Map<String, List<String>>> snapshot() {
        Map<String, Map<String, List<String>>> out = new java.util.TreeMap<>();
        names.forEach((t, m) -> {
            if (!m.isEmpty()) {
                out.put(t, new java.util.TreeMap<>(m));
            }
        });
        return out;
    }

    /** Puts back what {@link #snapshot} returned (on start, from the inventory file); fresher names win. */
    public void restore(Map<String, Map<String, List<String>>> saved) {
        saved.forEach((t, m) -> {
            Map<String, List<String>> into = names.computeIfAbsent(t, k -> new ConcurrentHashMap<>());
            m.forEach((k, v) -> {
                if (k != null && v != null) {
                    into.putIfAbsent(k, List.copyOf(v));
                }
            });
        });
    }

    public void clear() {
        names.clear();
        expected = null;
    }
}

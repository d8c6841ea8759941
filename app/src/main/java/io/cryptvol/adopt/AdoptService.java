package io.cryptvol.adopt;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.aws.AwsAccess;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.VolumeTags;
import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.AdoptPlanner;
import io.cryptvol.domain.plan.AdoptPlanner.Found;
import io.cryptvol.domain.plan.Refusal;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.host.HostObserver;
import io.cryptvol.keys.EnrollmentRecorder;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Takes over a volume built by hand (the seed's recipe, or any LUKS on LVM): looks at it ({@link AdoptPlanner}),
 * finds each PV's EBS volume with the one matcher ({@link VolumeService#list}), tests which store keys open which
 * key slots (each key alone on stdin, {@code --test-passphrase}: nothing is mapped), and — each only when asked —
 * tags the VG's EBS volumes as a cryptvol set and records the volume in the session context and the key store's
 * enrollments. Looking changes nothing anywhere.
 */
public class AdoptService {
    private final HostAccess hosts;
    private final SessionContext ctx;
    private final VolumeService volumes;
    private final AwsAccess aws;
    private final KeyStore store;

    public AdoptService(HostAccess hosts, SessionContext ctx, VolumeService volumes, AwsAccess aws, KeyStore store) {
        this.hosts = hosts;
        this.ctx = ctx;
        this.volumes = volumes;
        this.aws = aws;
        this.store = store;
    }

    /** One PV and the EBS volume it is (null when it is not one attached to the session's instance). */
    public record Member(String pv, String volumeId, Map<String, String> tags) {
    }

    /** A key of the store that opens a key slot of the header. */
    public record KeyMatch(String key, int slot) {
    }

    /**
     * What adoption found and would do.
     *
     * @param setId     the set id to tag the members with (theirs when they carry one set already, else a new one)
     * @param tagged    true when every member already carries that set's tags
     * @param ebsNote   why the EBS side is unknown (no instance, no EC2 access), or null
     * @param untested  the store keys that opened no slot
     */
    public record Report(Found found, HostState state, List<Member> members, String setId, boolean tagged,
                         String ebsNote, List<KeyMatch> keys, List<String> untested) {
        public List<String> volumeIds() {
            return members.stream().map(Member::volumeId).filter(v -> v != null).toList();
        }

        public boolean allEbs() {
            return !members.isEmpty() && members.stream().allMatch(m -> m.volumeId() != null);
        }

        /** The slots of the header no store key opened. */
        public List<Integer> unknownSlots() {
            return found.luks().activeKeySlots().stream().filter(s -> keys.stream().noneMatch(k -> k.slot() == s)).toList();
        }
    }

    /** Looks (read-only): the volume, its EBS members, which keys open which slots. Refuses what it cannot adopt. */
    public Report inspect(AdoptPlanner.Selector given, List<String> keyNames) {
        AdoptPlanner.Selector sel = given.isEmpty()
                ? new AdoptPlanner.Selector(ctx.mountpoint(), ctx.vg(), ctx.lv(), ctx.mapping()) : given;
        HostExecutor ex = hosts.executor();
        HostObserver o = new HostObserver(ex);
        HostState h0 = o.devicesAndLvm();
        List<String> probe = new ArrayList<>();
        h0.lvs().stream().filter(l -> l.active() && l.path() != null).forEach(l -> probe.add(l.path()));
        HostState h = o.observe(HostObserver.Scope.of(probe, List.of()), null);
        AdoptPlanner.Result r = AdoptPlanner.find(h, sel);
        if (r.refused()) {
            throw refusal(r.refusals());
        }
        Found f = r.found();

        // EBS: each PV's disk, matched to the instance's attached volumes by the one matcher
        List<Member> members = new ArrayList<>();
        String ebsNote = null;
        Map<String, EbsVolume> byDisk = new LinkedHashMap<>();
        try {
            List<String> warnings = new ArrayList<>();
            for (VolumeService.Listed l : volumes.list(false, warnings)) {
                if (l.hostDevice() != null) {
                    byDisk.put(l.hostDevice(), l.volume());
                }
            }
            if (!warnings.isEmpty()) {
                ebsNote = String.join("; ", warnings);
            }
        } catch (CryptvolException e) {
            ebsNote = e.getMessage();
        }
        for (String pv : f.pvs()) {
            Optional<BlockDevice> disk = h.devices().stream()
                    .filter(d -> d.selfAndDescendants().anyMatch(x -> pv.equals(x.path()))).findFirst();
            EbsVolume v = disk.map(d -> byDisk.get(d.path())).orElse(null);
            members.add(new Member(pv, v == null ? null : v.id(), v == null ? Map.of() : v.tags()));
        }
        if (ebsNote == null && members.stream().anyMatch(m -> m.volumeId() == null)) {
            ebsNote = "PV" + (members.stream().filter(m -> m.volumeId() == null).count() == 1 ? " " : "s ")
                    + String.join(", ", members.stream().filter(m -> m.volumeId() == null).map(Member::pv).toList())
                    + " not matched to an EBS volume attached to " + (ctx.instanceId() == null ? "the instance" : ctx.instanceId());
        }
        List<String> sets = members.stream().map(m -> m.tags().get(VolumeTags.SET)).distinct().toList();
        boolean tagged = sets.size() == 1 && sets.get(0) != null && members.stream().allMatch(m ->
                String.valueOf(members.size()).equals(m.tags().get(VolumeTags.COUNT)) && f.vg().equals(m.tags().get(VolumeTags.VG)));
        String setId = sets.size() == 1 && sets.get(0) != null ? sets.get(0) : UUID.randomUUID().toString();

        // keys: which store key opens which slot (stdin only; each slot once; a key that matched stops)
        List<KeyMatch> matches = new ArrayList<>();
        List<String> untested = new ArrayList<>();
        List<String> names = keyNames == null || keyNames.isEmpty() ? store.names() : keyNames;
        List<Integer> open = new ArrayList<>(f.luks().activeKeySlots());
        for (String k : names) {
            if (!store.exists(k)) {
                throw new CryptvolException("unknown key '" + k + "': see 'keys list' (or 'keys import " + k
                        + " --from FILE')", ExitCode.USAGE, null);
            }
            Optional<Integer> slot = open.isEmpty() ? Optional.empty() : slotOf(ex, f.lvPath(), k, open, f.luks().uuid());
            if (slot.isPresent()) {
                matches.add(new KeyMatch(k, slot.get()));
                open.remove(slot.get());
            } else {
                untested.add(k);
            }
        }
        return new Report(f, h, members, setId, tagged, ebsNote, matches, untested);
    }

    /** Tags every member as one cryptvol set (Name, cryptvol:set, index, count, vg), through EC2. */
    public void tag(Report r) {
        if (!r.allEbs()) {
            throw new CryptvolException("cannot tag VG " + r.found().vg() + " as a set: " + r.ebsNote(), ExitCode.FAILED, null);
        }
        int n = r.members().size();
        for (int i = 0; i < n; i++) {
            aws.ebs().tag(List.of(r.members().get(i).volumeId()), VolumeTags.forMember(r.setId(), i, n, r.found().vg()));
        }
    }

    /** Makes the volume the session's selection and records each matched key's slot (metadata only). */
    public void record(Report r) {
        Found f = r.found();
        ctx.set(SessionContext.Part.VG, f.vg());
        ctx.set(SessionContext.Part.LV, f.lv());
        ctx.set(SessionContext.Part.MAPPING, f.mapping());
        if (f.mountpoint() != null) {
            ctx.set(SessionContext.Part.MOUNTPOINT, f.mountpoint());
        }
        for (KeyMatch m : r.keys()) {
            store.recordEnrollment(m.key(), f.luks().uuid(), m.slot(), EnrollmentRecorder.label(f.lvPath()));
        }
    }

    /** The slot {@code key} opens: a slot recorded for it first, then the others, one test each. */
    private Optional<Integer> slotOf(HostExecutor ex, String device, String key, List<Integer> slots, String uuid) {
        List<Integer> order = new ArrayList<>();
        store.require(key).enrollments().stream().filter(e -> uuid != null && uuid.equalsIgnoreCase(e.luksUuid()))
                .map(e -> e.slot()).filter(slots::contains).forEach(order::add);
        slots.stream().filter(s -> !order.contains(s)).forEach(order::add);
        for (int s : order) {
            byte[] bytes = store.read(key);
            try {
                ExecResult res = ex.run(Cryptsetup.testKeySlot(device, s).asQuery().withSecretStdin(bytes));
                if (res.exitCode() == 127) {
                    throw new CryptvolException("cryptsetup is not installed on " + ex.target(), ExitCode.FAILED, null);
                }
                if (res.ok()) {
                    return Optional.of(s);
                }
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }
        return Optional.empty();
    }

    private static CryptvolException refusal(List<Refusal> refusals) {
        return new CryptvolException("cannot adopt: " + String.join("; ", refusals.stream().map(Refusal::line).toList())
                + "; nothing was changed", ExitCode.FAILED, null);
    }
}

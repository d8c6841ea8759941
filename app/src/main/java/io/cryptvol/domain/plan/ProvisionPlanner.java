package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.EtcFiles;
import io.cryptvol.domain.cmd.Filesystems;
import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.Modprobe;
import io.cryptvol.domain.cmd.Mounts;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.CrypttabEntry;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * (desired {@link ProvisionSpec}, observed {@link HostState}) → the remaining steps, or refusals.
 *
 * <p>Order: PVs → VG → LV (→ activate) → modules → luksFormat (first key) → luksAddKey (each further
 * key) → open → mkfs → crypttab → fstab → mount. Every stage that is already in place is skipped,
 * so a re-run after an interruption continues at the first incomplete stage and never re-creates
 * or re-formats anything. When a LUKS header with all keys exists but its mapping is closed, the
 * filesystem inside cannot be seen: the plan ends with the open step, marked
 * {@link PlanStep#replanAfter()}.
 *
 * <p>Pure: the only outside input is the token supplier naming tmpfs key files.
 */
public final class ProvisionPlanner {
    private final Supplier<String> tokens;

    /** Random tmpfs key file names. */
    public ProvisionPlanner() {
        this(randomTokens());
    }

    /** Tests pass a deterministic supplier. */
    public ProvisionPlanner(Supplier<String> tokens) {
        this.tokens = tokens;
    }

    public PlanResult plan(ProvisionSpec s, HostState h) {
        List<Refusal> refusals = new ArrayList<>(s.problems());
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        List<PlanStep> steps = new ArrayList<>();
        // what is at the mountpoint is checked first: a file there must stop the plan before pvcreate
        refusals.addAll(Inputs.mountpointOnHost(h, s.mountpoint(), s.force()));
        planPvs(s, h, steps, refusals);
        planVg(s, h, steps, refusals);
        Optional<LogicalVolume> lv = planLv(s, h, steps, refusals);
        String lvPath = lv.map(LogicalVolume::path).orElse(s.lvPath());
        boolean fsVisible = planLuks(s, h, lv.isPresent(), lvPath, steps, refusals);
        planFilesystem(s, h, fsVisible, steps, refusals);
        planCrypttab(s, h, lvPath, fsVisible, steps, refusals);
        planFstab(s, h, fsVisible, steps, refusals);
        planMount(s, h, fsVisible, steps, refusals);
        refusals.addAll(StagePlanner.keyDir(h, steps));
        if (!refusals.isEmpty()) {
            return PlanResult.refused(refusals);
        }
        return PlanResult.ok(new Plan("Encrypted striped volume " + s.mountpoint() + " (" + s.vgName() + "/"
                + s.lvName() + " → /dev/mapper/" + s.mappingName() + ")", steps));
    }

    // ---- PVs ---------------------------------------------------------------------------------------

    private void planPvs(ProvisionSpec s, HostState h, List<PlanStep> steps, List<Refusal> refusals) {
        for (String dev : s.devices()) {
            List<Refusal> present = DeviceChecks.present(h, dev);
            if (!present.isEmpty()) {
                refusals.addAll(present);
                continue;
            }
            Optional<PhysicalVolume> pv = h.pvOn(dev);
            if (pv.isPresent() && pv.get().inVg() && !pv.get().vgName().equals(s.vgName())) {
                refusals.add(Refusal.of(Reason.PV_OF_OTHER_VG, dev, "is a PV of VG " + pv.get().vgName()));
            } else if (pv.isEmpty()) {
                List<Refusal> r = DeviceChecks.emptyAndUnused(h, dev);
                refusals.addAll(r);
                if (r.isEmpty()) {
                    steps.add(PlanStep.of(StepKind.CREATE_PV, Lvm.pvcreate(dev)));
                }
            }
        }
        if (s.stripes() > 1) {
            refusals.addAll(DeviceChecks.equalSizes(h, s.vgName(), s.devices()));
        }
    }

    // ---- VG ----------------------------------------------------------------------------------------

    private void planVg(ProvisionSpec s, HostState h, List<PlanStep> steps, List<Refusal> refusals) {
        Optional<VolumeGroup> vg = h.vg(s.vgName());
        if (vg.isEmpty()) {
            steps.add(PlanStep.of(StepKind.CREATE_VG, Lvm.vgcreate(s.vgName(), s.devices(), s.vgTags())));
            return;
        }
        List<String> has = h.pvsIn(s.vgName()).stream().map(PhysicalVolume::path).sorted().toList();
        boolean same = has.size() == s.devices().size()
                && s.devices().stream().allMatch(d -> has.stream().anyMatch(p -> h.sameDevice(p, d)));
        if (!same) {
            refusals.add(Refusal.of(Reason.VG_HAS_OTHER_PVS, "VG " + s.vgName(), "exists on "
                    + String.join(", ", has) + ", not on " + String.join(", ", s.devices())));
        }
    }

    // ---- LV ----------------------------------------------------------------------------------------

    private Optional<LogicalVolume> planLv(ProvisionSpec s, HostState h, List<PlanStep> steps,
                                           List<Refusal> refusals) {
        Optional<LogicalVolume> lv = h.lv(s.vgName(), s.lvName());
        if (lv.isEmpty()) {
            List<String> others = h.lvsIn(s.vgName()).stream().map(LogicalVolume::name).toList();
            if (!others.isEmpty()) {
                refusals.add(Refusal.of(Reason.VG_HAS_OTHER_LVS, "VG " + s.vgName(), "already holds LV "
                        + String.join(", ", others) + " but not " + s.lvName()));
            }
            Lvm.Layout layout = s.stripes() > 1 ? Lvm.Layout.striped(s.stripes(), s.stripeSizeBytes())
                    : Lvm.Layout.linear();
            steps.add(PlanStep.of(StepKind.CREATE_LV, Lvm.lvcreate(s.vgName(), s.lvName(), layout, s.extents())));
            return lv;
        }
        LogicalVolume l = lv.get();
        boolean stripesOk = l.stripes() == s.stripes() && (s.stripes() == 1 || l.stripeSizeBytes() == s.stripeSizeBytes());
        if (!stripesOk) {
            refusals.add(Refusal.of(Reason.LV_LAYOUT_DIFFERS, l.path(), "exists with " + l.stripes() + " stripe(s) of "
                    + l.stripeSizeBytes() + " bytes, not " + s.stripes() + " of " + s.stripeSizeBytes()));
        }
        if (!l.active()) {
            steps.add(PlanStep.of(StepKind.ACTIVATE_VG, Lvm.activate(s.vgName())));
        }
        return lv;
    }

    // ---- LUKS --------------------------------------------------------------------------------------

    /** @return whether the filesystem inside the mapping is known (absent or observed) */
    private boolean planLuks(ProvisionSpec s, HostState h, boolean lvExists, String lvPath, List<PlanStep> steps,
                             List<Refusal> refusals) {
        Optional<Signature> sig = lvExists ? h.signatureOn(lvPath) : Optional.empty();
        Optional<LuksHeader> header = lvExists ? h.luksOn(lvPath) : Optional.empty();
        boolean luksPresent = header.isPresent() || sig.map(Signature::isLuks).orElse(false);
        if (sig.isPresent() && !sig.get().isLuks()) {
            refusals.add(Refusal.of(Reason.FOREIGN_SIGNATURE, lvPath, "has a " + sig.get().describe()
                    + " signature, not LUKS; refusing to format it"));
            return false;
        }
        Optional<BlockDevice> mapping = h.mapping(s.mappingName());
        if (mapping.isPresent()) {
            Optional<String> backing = h.mappingBackingDevice(s.mappingName());
            if (backing.isEmpty() || !lvExists || !h.sameDevice(backing.get(), lvPath)) {
                refusals.add(Refusal.of(Reason.MAPPING_ELSEWHERE, s.mapperPath(), "is already open on "
                        + backing.orElse("another device")));
                return false;
            }
            if (h.headerUnbacked(lvPath)) {
                steps.add(HeaderPlanner.backupStep(lvPath, tokens)); // an earlier run stopped before its backup
            }
            return true; // header, keys and open are done
        }
        Optional<BlockDevice> otherMapping = lvExists ? h.cryptHolderOf(lvPath) : Optional.empty();
        if (otherMapping.isPresent()) {
            refusals.add(Refusal.of(Reason.MAPPING_ELSEWHERE, lvPath, "is already open as " + otherMapping.get().path()));
            return false;
        }
        List<String> keys = s.keyNames();
        if (!luksPresent) {
            steps.add(PlanStep.of(StepKind.LOAD_MODULES, Modprobe.load(Modprobe.DM_CRYPT)));
            steps.add(PlanStep.withKey(StepKind.LUKS_FORMAT, Cryptsetup.luksFormat(lvPath, s.luks()),
                    KeyRef.named(keys.get(0))));
            for (String k : keys.subList(1, keys.size())) {
                steps.add(addKey(lvPath, k, keys.get(0), s.luks().kdf()));
            }
            steps.add(HeaderPlanner.backupStep(lvPath, tokens));
            steps.add(PlanStep.withKey(StepKind.OPEN_MAPPING, Cryptsetup.open(lvPath, s.mappingName()),
                    KeyRef.named(keys.get(0))));
            return true; // a fresh header holds no filesystem
        }
        List<String> unknown = keys.stream().filter(k -> h.keyOpens(lvPath, k).isEmpty()).toList();
        if (!unknown.isEmpty()) {
            refusals.add(Refusal.of(Reason.LUKS_KEY_NOT_CHECKED, lvPath, "has a LUKS header; test key(s) "
                    + DeviceChecks.quoted(unknown) + " against it first (cryptsetup open --test-passphrase)"));
            return false;
        }
        List<String> opening = keys.stream().filter(k -> h.keyOpens(lvPath, k).orElse(false)).toList();
        if (opening.isEmpty()) {
            refusals.add(Refusal.of(Reason.LUKS_KEY_DOES_NOT_OPEN, lvPath, "refusing to re-format: it has a LUKS "
                    + "header that none of the keys " + DeviceChecks.quoted(keys) + " opens"));
            return false;
        }
        String opener = opening.get(0);
        Kdf kdf = header.filter(hd -> hd.version() == 1).isPresent() && s.luks().kdf().isArgon2()
                ? Kdf.pbkdf2() : s.luks().kdf();
        List<String> missing = keys.stream().filter(k -> !opening.contains(k)).toList();
        steps.add(PlanStep.of(StepKind.LOAD_MODULES, Modprobe.load(Modprobe.DM_CRYPT)));
        for (String k : missing) {
            steps.add(addKey(lvPath, k, opener, kdf));
        }
        if (!missing.isEmpty() || h.headerUnbacked(lvPath)) {
            // after the keys added now, or now for a header an interrupted run changed and never backed up
            steps.add(HeaderPlanner.backupStep(lvPath, tokens));
        }
        PlanStep open = PlanStep.withKey(StepKind.OPEN_MAPPING, Cryptsetup.open(lvPath, s.mappingName()),
                KeyRef.named(opener));
        if (missing.isEmpty()) {
            // every key is in: an earlier run may have opened it and made the filesystem; look inside first
            steps.add(open.thenReplan());
            return false;
        }
        steps.add(open);
        return true; // keys were still being added, so nothing was opened or written inside yet
    }

    private PlanStep addKey(String lvPath, String newKey, String existingKey, Kdf kdf) {
        return StagePlanner.addKey(lvPath, newKey, existingKey, kdf, tokens);
    }

    // ---- filesystem, crypttab, fstab, mount --------------------------------------------------------

    private void planFilesystem(ProvisionSpec s, HostState h, boolean visible, List<PlanStep> steps,
                                List<Refusal> refusals) {
        if (!visible) {
            return;
        }
        Optional<Signature> fs = h.mapping(s.mappingName()).isPresent() ? h.signatureOn(s.mapperPath())
                : Optional.empty();
        if (fs.isEmpty()) {
            steps.add(PlanStep.of(StepKind.MAKE_FS, Filesystems.mkfs(s.fsType(), s.mapperPath(), s.fsLabel())));
        } else if (!s.fsType().fsName().equals(fs.get().type())) {
            refusals.add(Refusal.of(Reason.FILESYSTEM_DIFFERS, s.mapperPath(), "holds " + fs.get().describe()
                    + ", not " + s.fsType().fsName() + "; refusing to re-format"));
        }
    }

    private void planCrypttab(ProvisionSpec s, HostState h, String lvPath, boolean visible, List<PlanStep> steps,
                              List<Refusal> refusals) {
        if (!s.crypttab()) {
            return;
        }
        Optional<CrypttabEntry> e = h.crypttabFor(s.mappingName());
        if (e.isPresent()) {
            if (!h.sameDevice(e.get().device(), lvPath)) {
                refusals.add(Refusal.of(Reason.CRYPTTAB_CONFLICT, "/etc/crypttab", "already maps " + s.mappingName()
                        + " to " + e.get().device()));
            }
        } else if (visible) {
            CrypttabEntry entry = new CrypttabEntry(s.mappingName(), lvPath, "none", List.of("luks", "noauto"));
            steps.add(PlanStep.of(StepKind.ADD_CRYPTTAB, EtcFiles.appendLine(EtcFiles.CRYPTTAB, entry.line())));
        }
    }

    private void planFstab(ProvisionSpec s, HostState h, boolean visible, List<PlanStep> steps,
                           List<Refusal> refusals) {
        if (!s.fstab()) {
            return;
        }
        Optional<FstabEntry> e = h.fstabFor(s.mountpoint());
        if (e.isPresent()) {
            if (!h.sameDevice(e.get().source(), s.mapperPath())) {
                refusals.add(Refusal.of(Reason.FSTAB_CONFLICT, "/etc/fstab", "already mounts " + e.get().source()
                        + " on " + s.mountpoint()));
            }
        } else if (visible) {
            FstabEntry entry = FstabEntry.of(s.mapperPath(), s.mountpoint(), s.fsType().fsName(), s.mountOptions());
            steps.add(PlanStep.of(StepKind.ADD_FSTAB, EtcFiles.appendLine(EtcFiles.FSTAB, entry.line())));
        }
    }

    private void planMount(ProvisionSpec s, HostState h, boolean visible, List<PlanStep> steps,
                           List<Refusal> refusals) {
        Optional<Mount> at = h.mountAt(s.mountpoint());
        if (at.isPresent() && !h.sameDevice(at.get().source(), s.mapperPath())) {
            refusals.add(Refusal.of(Reason.MOUNTPOINT_BUSY, s.mountpoint(), "already has " + at.get().source()
                    + " mounted on it"));
            return;
        }
        List<String> elsewhere = h.mountsOf(s.mapperPath()).stream().map(Mount::target)
                .filter(t -> !t.equals(s.mountpoint())).toList();
        if (!elsewhere.isEmpty()) {
            refusals.add(Refusal.of(Reason.MOUNTED, s.mapperPath(), "is already mounted at "
                    + String.join(", ", elsewhere)));
            return;
        }
        if (at.isEmpty() && visible) {
            String opts = Arrays.stream(s.mountOptions().split(",")).filter(o -> !o.equals("noauto"))
                    .collect(Collectors.joining(","));
            var mount = Mounts.mount(s.mapperPath(), s.mountpoint(), s.fsType(), opts);
            steps.add(new PlanStep(StepKind.MOUNT, mount.description(),
                    List.of(StepCommand.of(Mounts.mkdir(s.mountpoint())), StepCommand.of(mount)), List.of(), false));
        }
    }

    static Supplier<String> randomTokens() {
        SecureRandom rnd = new SecureRandom();
        return () -> {
            byte[] b = new byte[12];
            rnd.nextBytes(b);
            return HexFormat.of().formatHex(b);
        };
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Cryptsetup;
import io.cryptvol.domain.cmd.HeaderFiles;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.domain.cmd.KeyFiles;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * LUKS header backups and restores, as plan steps (pure). A backup step writes the header to the target's tmpfs
 * key directory, copies it back (the run's {@code HeaderBackupRecorder} stores it in the key store, SHA-256 checked
 * on both sides) and shreds it ALWAYS. Every plan that changes a header ends with one (format, add-key, provision,
 * a restored copy's new UUID), and {@code luks header backup} is that one step alone.
 */
public final class HeaderPlanner {
    private final Supplier<String> tokens;

    public HeaderPlanner() {
        this(ProvisionPlanner.randomTokens());
    }

    public HeaderPlanner(Supplier<String> tokens) {
        this.tokens = tokens;
    }

    /** {@link #backupStep(String, Supplier)} with a random file name. */
    public static PlanStep backupStep(String device) {
        return backupStep(device, ProvisionPlanner.randomTokens());
    }

    /** The backup step: the header to tmpfs (0400, by cryptsetup), copied back, shredded. */
    public static PlanStep backupStep(String device, Supplier<String> tokens) {
        String file = HeaderFiles.path(tokens.get());
        List<StepCommand> cmds = List.of(
                StepCommand.of(KeyFiles.makeDir()),
                StepCommand.of(KeyFiles.tmpfsCheck()),
                StepCommand.of(Cryptsetup.luksHeaderBackup(device, file)),
                StepCommand.of(HeaderFiles.fetch(file)));
        return new PlanStep(StepKind.HEADER_BACKUP, "Back up the LUKS header of " + device + " to the key store",
                cmds, List.of(StepCommand.of(KeyFiles.shred(file))), false);
    }

    /**
     * The devices whose LUKS header a step of {@code steps} changes ({@link StepKind#changesLuksHeader}) with no
     * {@link StepKind#HEADER_BACKUP} of that device after it, in order; empty when every change is backed up. What the
     * planners' tests hold every plan to.
     */
    public static List<String> unbackedChanges(List<PlanStep> steps) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            if (!steps.get(i).kind().changesLuksHeader()) {
                continue;
            }
            String dev = headerDevice(steps.get(i)).orElse("?");
            boolean backedUp = steps.subList(i + 1, steps.size()).stream().anyMatch(s -> s.kind() == StepKind.HEADER_BACKUP
                    && headerDevice(s).map(dev::equals).orElse(false));
            if (!backedUp && !out.contains(dev)) {
                out.add(dev);
            }
        }
        return out;
    }

    /** The device of a step's cryptsetup command (its first /dev/ argument). */
    static Optional<String> headerDevice(PlanStep s) {
        return s.commands().stream().map(c -> c.command().argv()).filter(a -> a.get(0).equals("cryptsetup"))
                .flatMap(a -> a.stream().filter(x -> x.startsWith("/dev/"))).findFirst();
    }

    /** {@code luks header backup}: refuses a device that is not there or holds no LUKS header. */
    public PlanResult backup(String device, HostState h) {
        List<Refusal> r = new ArrayList<>(present(h, device));
        if (r.isEmpty() && h.luksOn(device).isEmpty()) {
            r.add(Refusal.of(Reason.MISSING_DEVICE, device, "holds no LUKS header"
                    + h.signatureOn(device).map(s -> " (it holds " + s.describe() + ")").orElse("")
                    + ": nothing to back up"));
        }
        List<PlanStep> steps = List.of(backupStep(device, tokens));
        r.addAll(StagePlanner.keyDir(h, steps));
        return r.isEmpty() ? PlanResult.ok(new Plan("LUKS header backup of " + device, steps)) : PlanResult.refused(r);
    }

    /**
     * What a restore may go onto, decided from the host and the backup's own UUID.
     *
     * @param backupUuid the UUID in the backup's bytes
     * @param takenFrom  the device path the backup was taken from (as recorded), or null
     * @param force      a backup of another UUID, or onto a device that holds something that is not LUKS
     */
    public static List<Refusal> restoreChecks(String device, String backupUuid, String takenFrom, boolean force,
                                              HostState h) {
        List<Refusal> r = new ArrayList<>(present(h, device));
        if (!r.isEmpty()) {
            return r;
        }
        Optional<BlockDevice> open = h.cryptHolderOf(device);
        if (open.isPresent()) {
            return List.of(Refusal.of(Reason.IN_USE, device, "is open as " + open.get().path()
                    + "; close it before restoring its header"));
        }
        Optional<String> live = h.luksOn(device).map(l -> l.uuid());
        if (live.isPresent()) {
            if (!live.get().equalsIgnoreCase(backupUuid) && !force) {
                r.add(Refusal.of(Reason.INVALID_SPEC, device, "has LUKS UUID " + live.get() + ", the backup is of "
                        + backupUuid + ": refusing to restore another volume's header (--force to do it anyway)"));
            }
            return r;
        }
        Optional<Signature> sig = h.signatureOn(device);
        if (sig.isPresent() && !sig.get().isLuks() && !force) {
            r.add(Refusal.of(Reason.HAS_SIGNATURE, device, "holds " + sig.get().describe() + ", not a LUKS volume: "
                    + "refusing to write a LUKS header over it (--force to do it anyway)"));
        } else if (takenFrom != null && !takenFrom.equals(device) && !h.sameDevice(takenFrom, device) && !force) {
            r.add(Refusal.of(Reason.INVALID_SPEC, device, "has no readable LUKS header and the backup was taken from "
                    + takenFrom + ": refusing (--force to restore it here anyway)"));
        }
        return r;
    }

    /**
     * The restore step: the backup's bytes to tmpfs (as a key file: 0600, ledger-tracked), their SHA-256 checked
     * there, {@code luksHeaderRestore}, shredded ALWAYS.
     */
    public PlanResult restore(String device, byte[] header, String sha256, String backupUuid, String takenFrom,
                              boolean force, HostState h) {
        List<Refusal> r = new ArrayList<>(restoreChecks(device, backupUuid, takenFrom, force, h));
        String file = HeaderFiles.path(tokens.get());
        HostCommand upload = KeyFiles.write(file).withSecretStdin(header);
        List<PlanStep> steps = List.of(
                new PlanStep(StepKind.HEADER_RESTORE, "Restore the LUKS header of " + device + " (UUID " + backupUuid
                        + ") from the key store", List.of(
                        StepCommand.of(KeyFiles.makeDir()),
                        StepCommand.of(KeyFiles.tmpfsCheck()),
                        StepCommand.of(upload),
                        StepCommand.of(HeaderFiles.checkSha256(file, sha256)),
                        StepCommand.of(Cryptsetup.luksHeaderRestore(device, file))),
                        List.of(StepCommand.of(KeyFiles.shred(file))), false));
        r.addAll(StagePlanner.keyDir(h, steps));
        return r.isEmpty() ? PlanResult.ok(new Plan("Restore the LUKS header of " + device, steps)) : PlanResult.refused(r);
    }

    private static List<Refusal> present(HostState h, String device) {
        Optional<Refusal> bad = Inputs.devicePath(device);
        if (bad.isPresent()) {
            return List.of(bad.get());
        }
        if (h.deviceByPath(device).isEmpty()) {
            return List.of(Refusal.of(Reason.MISSING_DEVICE, device, "no such block device on the host"));
        }
        return List.of();
    }
}

package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.day2.DetachService;
import io.cryptvol.day2.GrowService;
import io.cryptvol.day2.KeyChoice;
import io.cryptvol.day2.UnlockService;
import io.cryptvol.day2.VolumeLocator;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.parse.MountCheckParser;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.day2.LockedVolume;
import io.cryptvol.day2.LockedVolumes;
import io.cryptvol.day2.UnlockGuide;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Prompt;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Day-2 operations on a provisioned volume: detach (and optionally the EBS volumes), the guided
 * post-reboot unlock, and grow by adding disks. Each parses its options, calls its day2/ service and shows
 * the plan through PlanEngine.
 */
@Command(group = "Day 2")
public class Day2Commands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final HostAccess hosts;
    private final Ui ui;
    private final Prompt prompt;
    private final DetachService detaching;
    private final UnlockService unlocking;
    private final GrowService growing;
    private final io.cryptvol.day2.LockedMarks marks;
    /** The unattended unlock's outcome at this boot, for the guide's one-line reason (#18). */
    private io.cryptvol.unlock.UnlockPolicyService policies;

    public Day2Commands(PlanEngine plans, StageSupport stages, HostAccess hosts, Ui ui,
                        Prompt prompt,
                        DetachService detaching, UnlockService unlocking, GrowService growing,
                        io.cryptvol.day2.LockedMarks marks) {
        this.marks = marks;
        this.plans = plans;
        this.stages = stages;
        this.hosts = hosts;
        this.ui = ui;
        this.prompt = prompt;
        this.detaching = detaching;
        this.unlocking = unlocking;
        this.growing = growing;
    }

    @org.springframework.beans.factory.annotation.Autowired(required = false)
    void policies(io.cryptvol.unlock.UnlockPolicyService policies) {
        this.policies = policies;
    }

    // ================================================================== detach

    @Command(command = "detach", description = "Take the volume offline: umount, cryptsetup close, vgchange -an; "
            + "with --detach-volumes also vgexport and detach the VG's EBS volumes. Refuses while processes use the mountpoint.")
    public void detach(
            @Option(longNames = "mountpoint", description = "mountpoint (default: the selected one, or the only encrypted fstab line)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "detach-volumes", description = "then detach the VG's EBS volumes from the instance") boolean detachVolumes,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        DetachService.Detach d = detaching.prepare(mountpoint, detachVolumes);
        if (!plans.execute(d.planner(), PlanEngine.Options.of(yes, dryRun))) {
            return;
        }
        VolumeLocator.Located v = d.volume();
        marks.locked(stages.context().target().display(), v.mapping());
        if (detachVolumes) {
            List<String> ids = detaching.detachVolumes(d, new VolumeProgressLines(ui, d.pvs().size(),
                    stages.context().target().display()), ui::warn);
            ui.ok("detached " + String.join(", ", ids));
        }
        ui.println("Next: after the next boot (or once the volumes are attached again), unlock with 'cryptvol unlock"
                + (v.mountpoint().equals(stages.context().mountpoint()) ? "" : " --mountpoint " + v.mountpoint())
                + "': it finds the volume and proposes the key recorded for it (or give --key NAME, --key-file PATH, "
                + "--key-backup DIR, --passphrase).");
    }

    // ================================================================== unlock

    @Command(command = "unlock", description = "After a reboot: without a key option, a guide: finds what is locked "
            + "(fstab and crypttab lines, LUKS LVs of inactive or exported VGs; nothing is activated to look), shows it, "
            + "proposes the key recorded for it, asks once, then activates the VG, opens LUKS with the key on stdin only, "
            + "mounts, verifies and prints the time it took. A wrong key changes nothing.")
    public void unlock(
            @Option(longNames = "key", description = "a key from the key store (with --key-backup: its name)")
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "key-file", description = "a key file on this machine (sent on stdin, never copied)") String keyFile,
            @Option(longNames = {"key-backup", "from-backup"}, description = "a backup directory holding NAME.key") String fromBackup,
            @Option(longNames = "passphrase", description = "type a passphrase (asked without echo, never recorded)") boolean passphrase,
            @Option(longNames = "mountpoint", description = "mountpoint (default: the selected one, or the only encrypted fstab line)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "all", description = "unlock every locked volume the guide finds, one after the other") boolean all,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan (the key is still checked against the header)") boolean dryRun) {
        if (key == null && keyFile == null && fromBackup == null && !passphrase) {
            guided(mountpoint, all, yes, dryRun);
            return;
        }
        if (all) {
            throw new CryptvolException("--all is for the guide: leave out the key options, it proposes the key of each volume",
                    ExitCode.USAGE, null);
        }
        KeyChoice choice = choose(key, keyFile, fromBackup, passphrase);
        int typed = 0;
        while (true) {
            try {
                UnlockService.Attempt a = unlocking.attempt(choice, mountpoint);
                if (unlockWith(a, choice, yes, dryRun)) {
                    a.learn();
                }
                choice.close();
                return;
            } catch (UnlockService.WrongKey e) {
                choice.close();
                typed += choice.typed() ? 1 : 0;
                choice = next(e, choice.typed(), typed);
            } catch (RuntimeException e) {
                choice.close();
                throw e;
            }
        }
    }

    /** After a wrong key: another source (interactive), the passphrase again (up to three times), or stop. */
    private KeyChoice next(UnlockService.WrongKey e, boolean wasTyped, int typedTries) {
        if (!prompt.interactive()) {
            throw e;
        }
        ui.println(e.getMessage() + "; nothing was changed.");
        if (wasTyped) {
            if (typedTries >= MAX_TYPED) {
                throw new CryptvolException(MAX_TYPED + " wrong passphrases; stopping. Nothing was left changed", ExitCode.FAILED, null);
            }
            return KeyChoice.passphrase(askSecret());
        }
        KeyChoice c = askSource();
        if (c == null) {
            throw e;
        }
        return c;
    }

    static final int MAX_TYPED = 3;

    /** {@code unlock} without a key option: find, show, propose, confirm once, unlock, verify. */
    private void guided(String mountpoint, boolean all, boolean yes, boolean dryRun) {
        LockedVolumes.Found found;
        try (var s = plans.planning(PlanEngine.Options.of(false, dryRun))) {
            found = unlocking.findLocked(hosts.executor());
        }
        String target = hosts.executor().target();
        marks.found(stages.context().target().display(), found.volumes());
        List<LockedVolume> locked = found.volumes().stream()
                .filter(v -> mountpoint == null || mountpoint.equals(v.mountpoint())).toList();
        if (locked.isEmpty()) {
            if (mountpoint != null && found.state().mountAt(mountpoint).isPresent()) {
                ui.ok(mountpoint + " is unlocked and mounted");
            } else {
                ui.ok("nothing is locked on " + target + (mountpoint == null ? "" : " at " + mountpoint));
            }
            return;
        }
        ui.println(ui.bold(locked.size() + (locked.size() == 1 ? " volume" : " volumes") + " locked on " + target + ":"));
        for (int i = 0; i < locked.size(); i++) {
            ui.print(LockedView.render(locked.size() > 1 ? (i + 1) + ". " : "", locked.get(i), ui));
            if (policies != null) {
                policies.bootOutcome(hosts.executor(), locked.get(i).mapping()).ifPresent(ui::println);
            }
        }
        List<LockedVolume> chosen = locked;
        if (locked.size() > 1 && !all) {
            chosen = List.of(pick(locked));
        }
        for (LockedVolume v : chosen) {
            guidedOne(v, found.state(), chosen.size() == 1 ? found : null, yes, dryRun);
            found = null;
        }
    }

    private LockedVolume pick(List<LockedVolume> locked) {
        if (!prompt.interactive()) {
            throw new CryptvolException(locked.size() + " volumes are locked ("
                    + String.join(", ", locked.stream().map(v -> v.name() + (v.mountpoint() == null ? "" : " @" + v.mountpoint())).toList())
                    + "): pass --mountpoint M for one, or --all", ExitCode.USAGE, null);
        }
        while (true) {
            String a = prompt.ask("Unlock which? [1-" + locked.size() + "], [a]ll, [q]uit: ");
            if (a == null || a.isBlank() || a.strip().startsWith("q")) {
                throw new CryptvolException("nothing chosen; nothing was changed", ExitCode.USAGE, null);
            }
            try {
                int n = Integer.parseInt(a.strip());
                if (n >= 1 && n <= locked.size()) {
                    return locked.get(n - 1);
                }
            } catch (NumberFormatException e) {
                // not a number
            }
            ui.println("answer a number from 1 to " + locked.size() + " or q");
        }
    }

    private void guidedOne(LockedVolume v, io.cryptvol.domain.model.HostState state, LockedVolumes.Found fresh,
                           boolean yes, boolean dryRun) {
        String why = v.notUnlockable();
        if (why != null) {
            throw new CryptvolException("refused: " + v.name() + ": " + why + "; nothing was changed", ExitCode.FAILED, null);
        }
        if (!v.missing().isEmpty()) {
            List<String> elsewhere = unlocking.membersElsewhere(v.vg());
            if (!elsewhere.isEmpty()) {
                ui.println("EC2: the VG's volumes not attached here: " + String.join(", ", elsewhere));
            }
            unlocking.refuseIncomplete(v, state).ifPresent(r -> plans.execute(r, PlanEngine.Options.of(yes, dryRun)));
        }
        KeyChoice choice;
        java.util.Optional<UnlockGuide.Proposal> p = unlocking.guide().propose(v.uuid());
        if (p.isPresent()) {
            choice = p.get().choice();
            ui.println("key: " + UnlockService.describe(choice) + " — " + p.get().why());
        } else {
            ui.println("no key is recorded for " + v.name() + (v.uuid() == null ? "" : " (LUKS UUID " + v.uuid() + ")")
                    + "; give one:");
            if (!prompt.interactive()) {
                throw new CryptvolException("no key is recorded for " + v.name() + ": pass --key NAME, --key-file PATH, "
                        + "--key-backup DIR or --passphrase", ExitCode.USAGE, null);
            }
            choice = askSource("Key source");
            if (choice == null) {
                throw new CryptvolException("no key source given; nothing was changed", ExitCode.USAGE, null);
            }
        }
        int typed = 0;
        io.cryptvol.domain.model.HostState first = fresh == null ? null : state;
        while (true) {
            try {
                UnlockService.Attempt a = unlocking.guided(choice, v, first);
                first = null;
                if (unlockWith(a, choice, yes, dryRun)) {
                    a.learn();
                }
                choice.close();
                return;
            } catch (UnlockService.WrongKey e) {
                choice.close();
                typed += choice.typed() ? 1 : 0;
                choice = next(e, choice.typed(), typed);
            } catch (RuntimeException e) {
                choice.close();
                throw e;
            }
        }
    }

    /** @return true when the volume is now unlocked and mounted (false: a dry run or a "no") */
    private boolean unlockWith(UnlockService.Attempt a, KeyChoice choice, boolean yes, boolean dryRun) {
        boolean done;
        java.time.Duration waitedBefore = prompt.waited(); // the time to answer the question is not tool time
        try {
            done = plans.withKeys(choice.source()).execute(a.planner(), PlanEngine.Options.of(yes, dryRun));
        } catch (PlanRunner.StepFailedException e) {
            throw a.failed(e);
        }
        if (!done || plans.previewOnly(dryRun)) {
            if (plans.previewOnly(dryRun) && a.volume() != null) {
                if (a.keyTested()) {
                    ui.ok(a.keyDescription() + " opens " + a.volume().lvPath() + " (tested with cryptsetup open --test-passphrase)");
                } else if (a.activatedHere()) {
                    ui.warn(a.keyDescription() + " was not tested: " + a.volume().lvPath() + " is inactive, and a dry run does "
                            + "not activate its VG; the open step tests it");
                }
            }
            return false;
        }
        renderVerified(a.volume(), a.verify());
        marks.unlocked(stages.context().target().display(), a.volume().mapping());
        ui.ok(String.format(Locale.ROOT, "unlocked %s in %.1f s of tool time (the open step's time above includes "
                + "the key derivation; the key went on stdin only, no copy was written)", a.volume().mountpoint(),
                a.seconds() - prompt.waited().minus(waitedBefore).toNanos() / 1e9));
        return true;
    }

    private void renderVerified(VolumeLocator.Located v, MountCheckParser.Result m) {
        ui.println("verified: " + v.mapperPath() + " mounted on " + v.mountpoint() + ", writable, "
                + Sizes.human(m.sizeBytes()) + " usable"
                + (m.xfsDataBytes() > 0 ? ", XFS data section " + Sizes.human(m.xfsDataBytes()) : "")
                + (m.deviceBytes() > 0 ? " on a " + Sizes.human(m.deviceBytes()) + " device" : ""));
        if (m.filesystemSmallerThanDevice()) {
            ui.warn("the filesystem is smaller than its device: finish a grow with 'grow' (it runs xfs_growfs)");
        }
    }

    private KeyChoice choose(String key, String keyFile, String fromBackup, boolean passphrase) {
        return KeyChoice.resolve(key, keyFile, fromBackup, passphrase, this::askSecret);
    }

    /** Interactive: offers the key sources; null when the user gives up. */
    private KeyChoice askSource() {
        return askSource("Try another key source");
    }

    private KeyChoice askSource(String lead) {
        while (true) {
            String a = prompt.ask(lead + ": [k]ey NAME, [f]ile PATH, [b]ackup DIR [NAME], [p]assphrase, [q]uit: ");
            if (a == null || a.isBlank() || a.strip().toLowerCase(Locale.ROOT).startsWith("q")) {
                return null;
            }
            String[] w = a.strip().split("\\s+");
            try {
                switch (w[0].toLowerCase(Locale.ROOT)) {
                    case "k", "key" -> {
                        return KeyChoice.named(arg(w, 1, "Key name: "));
                    }
                    case "f", "file" -> {
                        return KeyChoice.file(Path.of(arg(w, 1, "Key file: ")));
                    }
                    case "b", "backup" -> {
                        return KeyChoice.backup(Path.of(arg(w, 1, "Backup directory: ")), w.length > 2 ? w[2] : null);
                    }
                    case "p", "passphrase" -> {
                        return KeyChoice.passphrase(askSecret());
                    }
                    default -> ui.println("answer k, f, b, p or q");
                }
            } catch (CryptvolException e) {
                ui.println(e.getMessage());
            }
        }
    }

    private String arg(String[] w, int i, String question) {
        if (w.length > i) {
            return w[i];
        }
        String s = prompt.ask(question);
        if (s == null || s.isBlank()) {
            throw new CryptvolException("nothing given", ExitCode.USAGE, null);
        }
        return s.strip();
    }

    private String askSecret() {
        return KeyChoice.secret(prompt, "Passphrase (not echoed): ");
    }


    // ================================================================== grow

    @Command(command = "grow", description = "Grow the mounted volume onto new disks: pvcreate, vgextend, lvextend keeping "
            + "the stripe count (the number of new disks must be a multiple of it unless --linear), cryptsetup resize "
            + "(with the key), xfs_growfs. New EBS volumes with --add N --size GiB.")
    public void grow(
            @Option(arityMin = 0, arityMax = 64, description = "new block devices") @OptionValues(provider = "stageDeviceCompletion") String[] devices,
            @Option(longNames = "add", description = "create and attach N new EBS volumes") Integer add,
            @Option(longNames = "size", description = "size of each new EBS volume in GiB") Integer sizeGiB,
            @Option(longNames = "key", description = "a key from the key store that opens the LUKS header (asked for only when "
                    + "cryptsetup resize needs one: LUKS2 with its volume key in the kernel keyring; LUKS1 never)")
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "key-file", description = "a key file on this machine (sent on stdin, never copied)") String keyFile,
            @Option(longNames = "key-backup", description = "a backup directory holding NAME.key") String keyBackup,
            @Option(longNames = "passphrase", description = "type a passphrase (asked without echo, never recorded)") boolean passphrase,
            @Option(longNames = "linear", description = "add the new space as a linear segment (no stripes)") boolean linear,
            @Option(longNames = "mountpoint", description = "mountpoint (default: the selected one)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        List<String> devs = devices == null ? List.of() : Arrays.stream(devices)
                .flatMap(d -> io.cryptvol.domain.plan.Inputs.deviceList(d).stream()).toList();
        if (add != null == !devs.isEmpty()) {
            throw new CryptvolException("give the new devices (grow /dev/nvme5n1 …) or --add N --size GiB, not both", ExitCode.USAGE, null);
        }
        if (key != null && keyBackup == null) {
            stages.requireKeys(List.of(key));
        }
        // every key option is resolved (a key file read, a backup found, a passphrase asked) before --add creates volumes
        KeyChoice choice = KeyChoice.resolve(key, keyFile, keyBackup, passphrase, this::askSecret);
        try {
            if (add != null) {
                if (sizeGiB == null || add < 1) {
                    throw new CryptvolException("--add N needs --size GiB (and N ≥ 1)", ExitCode.USAGE, null);
                }
                // refuse a stripe mismatch before anything is created
                GrowService.Target t;
                try (var s = plans.planning(PlanEngine.Options.of(false, dryRun))) {
                    t = growing.checkAdd(hosts.executor(), mountpoint, add, linear);
                }
                if (plans.previewOnly(dryRun)) {
                    ui.println("dry run: would create and attach " + add + " EBS volumes of " + sizeGiB + " GiB to "
                            + stages.context().target().display() + ", then pvcreate, vgextend " + t.volume().vg() + ", lvextend "
                            + (linear || t.stripes() < 2 ? "linearly" : "with " + t.stripes() + " stripes") + ", cryptsetup resize, "
                            + "grow the filesystem; nothing was changed");
                    return;
                }
                devs = growing.createDevices(t, add, sizeGiB, new VolumeProgressLines(ui, add, stages.context().target().display()));
                ui.println("new devices: " + String.join(", ", devs));
            }
            while (true) {
                GrowService.Grow g = growing.prepare(mountpoint, devs, choice, linear);
                try {
                    PlanEngine p = choice == null ? plans : plans.withKeys(choice.source());
                    if (p.execute(g.planner(), PlanEngine.Options.of(yes, dryRun))) {
                        g.mountedSize().ifPresent(size -> ui.println("filesystem on " + g.volume().mountpoint() + " is now "
                                + Sizes.human(size)));
                    }
                    return;
                } catch (GrowService.KeyNeeded e) {
                    if (!prompt.interactive()) {
                        throw e;
                    }
                    ui.println(e.getMessage());
                    choice = askSource("Key source");
                    if (choice == null) {
                        throw e;
                    }
                }
            }
        } finally {
            if (choice != null) {
                choice.close();
            }
        }
    }
}

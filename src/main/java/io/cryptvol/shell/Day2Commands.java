package io.cryptvol.shell;

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
import io.cryptvol.record.Prompter;
import io.cryptvol.session.HostAccess;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;
import org.springframework.shell.context.InteractionMode;
import org.springframework.shell.context.ShellContext;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Day-2 operations on a provisioned volume: detach (and optionally the EBS volumes), the guided
 * post-reboot unlock, and grow by adding disks. Each parses its options, calls its day2/ service and shows
 * the plan through PlanPresenter.
 */
@Command(group = "Day 2")
public class Day2Commands {
    private final PlanPresenter plans;
    private final StageSupport stages;
    private final HostAccess hosts;
    private final Ui ui;
    private final ObjectProvider<Prompter> prompter;
    private final ObjectProvider<ShellContext> shellContext;
    private final DetachService detaching;
    private final UnlockService unlocking;
    private final GrowService growing;

    public Day2Commands(PlanPresenter plans, StageSupport stages, HostAccess hosts, Ui ui,
                        ObjectProvider<Prompter> prompter, ObjectProvider<ShellContext> shellContext,
                        DetachService detaching, UnlockService unlocking, GrowService growing) {
        this.plans = plans;
        this.stages = stages;
        this.hosts = hosts;
        this.ui = ui;
        this.prompter = prompter;
        this.shellContext = shellContext;
        this.detaching = detaching;
        this.unlocking = unlocking;
        this.growing = growing;
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
        if (!plans.execute(d.planner(), PlanPresenter.Options.of(yes, dryRun))) {
            return;
        }
        VolumeLocator.Located v = d.volume();
        if (detachVolumes) {
            List<String> ids = detaching.detachVolumes(d, new VolumeProgressLines(ui, d.pvs().size(),
                    stages.context().target().display()), ui::warn);
            ui.ok("detached " + String.join(", ", ids));
        }
        ui.println("Next: after the next boot (or once the volumes are attached again), unlock with "
                + "'cryptvol unlock --key NAME" + (v.mountpoint().equals(stages.context().mountpoint()) ? "" : " --mountpoint "
                + v.mountpoint()) + "' (or --key-file PATH, --from-backup DIR, --passphrase).");
    }

    // ================================================================== unlock

    @Command(command = "unlock", description = "After a reboot: activate the VG, open LUKS with a key sent on stdin only, "
            + "mount, verify (mounted, writable, size) and print the time it took. A wrong key changes nothing; "
            + "interactively you can try another source.")
    public void unlock(
            @Option(longNames = "key", description = "a key from the key store (with --from-backup: its name)")
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "key-file", description = "a key file on this machine (sent on stdin, never copied)") String keyFile,
            @Option(longNames = "from-backup", description = "a backup directory holding NAME.key") String fromBackup,
            @Option(longNames = "passphrase", description = "type a passphrase (asked without echo, never recorded)") boolean passphrase,
            @Option(longNames = "mountpoint", description = "mountpoint (default: the selected one, or the only encrypted fstab line)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan (the key is still checked against the header)") boolean dryRun) {
        KeyChoice choice = choose(key, keyFile, fromBackup, passphrase);
        while (true) {
            try {
                unlockWith(choice, mountpoint, yes, dryRun);
                choice.close();
                return;
            } catch (UnlockService.WrongKey e) {
                choice.close();
                if (!interactive()) {
                    throw e;
                }
                ui.println(e.getMessage() + "; nothing was changed.");
                choice = askSource();
                if (choice == null) {
                    throw e;
                }
            } catch (RuntimeException e) {
                choice.close();
                throw e;
            }
        }
    }

    private void unlockWith(KeyChoice choice, String mountpoint, boolean yes, boolean dryRun) {
        UnlockService.Attempt a = unlocking.attempt(choice, mountpoint);
        boolean done;
        try {
            done = plans.withKeys(choice.source()).execute(a.planner(), PlanPresenter.Options.of(yes, dryRun));
        } catch (PlanRunner.StepFailedException e) {
            throw a.failed(e);
        }
        if (!done || plans.dryRun(dryRun)) {
            if (plans.dryRun(dryRun) && a.volume() != null) {
                if (a.keyTested()) {
                    ui.ok(a.keyDescription() + " opens " + a.volume().lvPath() + " (tested with cryptsetup open --test-passphrase)");
                } else if (a.activatedHere()) {
                    ui.warn(a.keyDescription() + " was not tested: " + a.volume().lvPath() + " is inactive, and a dry run does "
                            + "not activate its VG; the open step tests it");
                }
            }
            return;
        }
        renderVerified(a.volume(), a.verify());
        ui.ok(String.format(Locale.ROOT, "unlocked %s in %.1f s of tool time (the open step's time above includes "
                + "the key derivation)", a.volume().mountpoint(), a.seconds()));
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
        int n = (keyFile != null ? 1 : 0) + (fromBackup != null ? 1 : 0) + (passphrase ? 1 : 0)
                + (key != null && fromBackup == null ? 1 : 0);
        if (n > 1) {
            throw new CryptvolException("give one key source: --key NAME, --key-file PATH, --from-backup DIR "
                    + "(with --key NAME to pick the file) or --passphrase", ExitCode.USAGE, null);
        }
        if (fromBackup != null) {
            return KeyChoice.backup(Path.of(fromBackup), key);
        }
        if (keyFile != null) {
            return KeyChoice.file(Path.of(keyFile));
        }
        if (passphrase) {
            return KeyChoice.passphrase(askSecret());
        }
        if (key != null) {
            return KeyChoice.named(key);
        }
        if (!interactive()) {
            throw new CryptvolException("which key? pass --key NAME, --key-file PATH, --from-backup DIR or --passphrase", ExitCode.USAGE, null);
        }
        KeyChoice c = askSource();
        if (c == null) {
            throw new CryptvolException("no key source given; nothing was changed", ExitCode.USAGE, null);
        }
        return c;
    }

    /** Interactive: offers the key sources; null when the user gives up. */
    private KeyChoice askSource() {
        Prompter pr = prompter.getObject();
        while (true) {
            String a = pr.ask("Try another key source: [k]ey NAME, [f]ile PATH, [b]ackup DIR [NAME], [p]assphrase, [q]uit: ", false);
            if (a == null || a.isBlank() || a.strip().toLowerCase(Locale.ROOT).startsWith("q")) {
                return null;
            }
            String[] w = a.strip().split("\\s+");
            try {
                switch (w[0].toLowerCase(Locale.ROOT)) {
                    case "k", "key" -> {
                        return KeyChoice.named(arg(w, 1, pr, "Key name: "));
                    }
                    case "f", "file" -> {
                        return KeyChoice.file(Path.of(arg(w, 1, pr, "Key file: ")));
                    }
                    case "b", "backup" -> {
                        return KeyChoice.backup(Path.of(arg(w, 1, pr, "Backup directory: ")), w.length > 2 ? w[2] : null);
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

    private static String arg(String[] w, int i, Prompter pr, String prompt) {
        if (w.length > i) {
            return w[i];
        }
        String s = pr.ask(prompt, false);
        if (s == null || s.isBlank()) {
            throw new CryptvolException("nothing given", ExitCode.USAGE, null);
        }
        return s.strip();
    }

    private String askSecret() {
        return prompter.getObject().ask("Passphrase (not echoed): ", true);
    }

    private boolean interactive() {
        ShellContext sc = shellContext.getIfAvailable();
        return sc != null && sc.getInteractionMode() == InteractionMode.INTERACTIVE;
    }

    // ================================================================== grow

    @Command(command = "grow", description = "Grow the mounted volume onto new disks: pvcreate, vgextend, lvextend keeping "
            + "the stripe count (the number of new disks must be a multiple of it unless --linear), cryptsetup resize "
            + "(with the key), xfs_growfs. New EBS volumes with --add N --size GiB.")
    public void grow(
            @Option(arityMin = 0, arityMax = 64, description = "new block devices") @OptionValues(provider = "stageDeviceCompletion") String[] devices,
            @Option(longNames = "add", description = "create and attach N new EBS volumes") Integer add,
            @Option(longNames = "size", description = "size of each new EBS volume in GiB") Integer sizeGiB,
            @Option(longNames = "key", description = "a key that opens the LUKS header (LUKS2 resize needs it)")
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "linear", description = "add the new space as a linear segment (no stripes)") boolean linear,
            @Option(longNames = "mountpoint", description = "mountpoint (default: the selected one)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        List<String> devs = devices == null ? List.of() : Arrays.stream(devices)
                .flatMap(d -> StageSupport.deviceList(d).stream()).toList();
        if (add != null == !devs.isEmpty()) {
            throw new CryptvolException("give the new devices (grow /dev/nvme5n1 …) or --add N --size GiB, not both", ExitCode.USAGE, null);
        }
        if (key == null) {
            throw new CryptvolException("grow needs --key NAME: cryptsetup resize of a LUKS2 device asks for a key", ExitCode.USAGE, null);
        }
        stages.requireKeys(List.of(key));
        if (add != null) {
            if (sizeGiB == null || add < 1) {
                throw new CryptvolException("--add N needs --size GiB (and N ≥ 1)", ExitCode.USAGE, null);
            }
            // refuse a stripe mismatch before anything is created
            GrowService.Target t;
            try (var s = plans.planning(dryRun)) {
                t = growing.checkAdd(hosts.executor(), mountpoint, add, linear);
            }
            if (plans.dryRun(dryRun)) {
                ui.println("dry run: would create and attach " + add + " EBS volumes of " + sizeGiB + " GiB to "
                        + stages.context().target().display() + ", then pvcreate, vgextend " + t.volume().vg() + ", lvextend "
                        + (linear || t.stripes() < 2 ? "linearly" : "with " + t.stripes() + " stripes") + ", cryptsetup resize, "
                        + "grow the filesystem; nothing was changed");
                return;
            }
            devs = growing.createDevices(t, add, sizeGiB, new VolumeProgressLines(ui, add, stages.context().target().display()));
            ui.println("new devices: " + String.join(", ", devs));
        }
        GrowService.Grow g = growing.prepare(mountpoint, devs, key, linear);
        if (plans.execute(g.planner(), PlanPresenter.Options.of(yes, dryRun))) {
            g.mountedSize().ifPresent(size -> ui.println("filesystem on " + g.volume().mountpoint() + " is now "
                    + Sizes.human(size)));
        }
    }
}

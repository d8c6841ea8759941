package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.day2.KeyChoice;
import io.cryptvol.day2.UnlockPlanner;
import io.cryptvol.day2.VolumeLocator;
import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.plan.DetachPlanner;
import io.cryptvol.domain.plan.GrowPlanner;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.plan.StepKind;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.Prompt;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.volumes.VolumeService;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Day-2 operations on a provisioned volume: detach (and optionally the EBS volumes), the guided
 * post-reboot unlock, and grow by adding disks. Each shows its plan first (PlanEngine).
 */
@Command(group = "Day 2")
public class Day2Commands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final HostAccess hosts;
    private final Ui ui;
    private final Prompt prompt;
    private final ObjectProvider<VolumeService> volumes;

    public Day2Commands(PlanEngine plans, StageSupport stages, HostAccess hosts, Ui ui,
                        Prompt prompt,
                        ObjectProvider<VolumeService> volumes) {
        this.plans = plans;
        this.stages = stages;
        this.hosts = hosts;
        this.ui = ui;
        this.prompt = prompt;
        this.volumes = volumes;
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
        VolumeLocator.Located[] at = {null};
        List<String> pvs = new ArrayList<>();
        DetachPlanner planner = new DetachPlanner();
        boolean ok = plans.execute(ex -> {
            HostState h = observe(ex, mountpoint, List.of(), at);
            VolumeLocator.Located v = at[0];
            pvs.clear();
            pvs.addAll(h.pvPathsIn(v.vg()));
            PlanResult r = planner.plan(new DetachPlanner.DetachSpec(v.mountpoint(), v.mapping(), v.vg()), h);
            if (!r.isRefused()) {
                stages.remember(h);
            }
            if (detachVolumes && !r.isRefused()) {
                List<PlanStep> steps = new ArrayList<>(r.plan().steps());
                steps.add(PlanStep.of(StepKind.DEACTIVATE_VG, UnlockPlanner.vgexport(v.vg())));
                r = PlanResult.ok(new Plan(r.plan().title(), steps));
            }
            return r;
        }, PlanEngine.Options.of(yes, dryRun));
        if (!ok) {
            return;
        }
        VolumeLocator.Located v = at[0];
        if (detachVolumes) {
            detachEbs(v, pvs);
        }
        ui.println("Next: after the next boot (or once the volumes are attached again), unlock with "
                + "'cryptvol unlock --key NAME" + (v.mountpoint().equals(stages.context().mountpoint()) ? "" : " --mountpoint "
                + v.mountpoint()) + "' (or --key-file PATH, --from-backup DIR, --passphrase).");
    }

    private void detachEbs(VolumeLocator.Located v, List<String> pvs) {
        VolumeService vs = volumes.getIfAvailable();
        if (vs == null) {
            throw new CryptvolException("EBS access is not configured: detach the volumes of " + v.vg() + " ("
                    + String.join(", ", pvs) + ") yourself", ExitCode.FAILED, null);
        }
        List<String> warnings = new ArrayList<>();
        List<String> ids = vs.list(false, warnings).stream()
                .filter(l -> l.hostDevice() != null && pvs.contains(l.hostDevice())).map(l -> l.volume().id()).toList();
        warnings.forEach(ui::warn);
        if (ids.size() != pvs.size()) {
            throw new CryptvolException("found EBS volumes for " + ids.size() + " of the " + pvs.size() + " PVs of "
                    + v.vg() + " (" + String.join(", ", pvs) + "); detach the rest with 'volumes detach'", ExitCode.FAILED, null);
        }
        List<VolumeService.DetachCheck> checks = vs.checkDetach(ids);
        List<String> refusals = checks.stream().map(VolumeService.DetachCheck::refusal).filter(r -> r != null).toList();
        if (!refusals.isEmpty()) {
            throw new CryptvolException("not detaching: " + String.join("; ", refusals), ExitCode.FAILED, null);
        }
        vs.detach(checks, false, new VolumeProgressLines(ui, checks.size(), stages.context().target().display()));
        ui.ok("detached " + String.join(", ", ids));
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
            } catch (WrongKey e) {
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

    /** The key does not open the LUKS header. */
    static final class WrongKey extends CryptvolException {
        WrongKey(String message) {
            super(message, io.cryptvol.ExitCode.FAILED, null);
        }
    }

    private void unlockWith(KeyChoice choice, String mountpoint, boolean yes, boolean dryRun) {
        long t0 = System.nanoTime();
        PlanEngine p = plans.withKeys(choice.source());
        VolumeLocator.Located[] at = {null};
        boolean[] activatedHere = {false};
        boolean[] importedHere = {false};
        boolean[] keyTested = {false};
        UnlockPlanner planner = new UnlockPlanner();
        PlanRunner.KeySource keys = ref -> {
            byte[] b = choice.source().bytes(ref);
            return b != null ? b : stages.keys().bytes(ref);
        };
        PlanEngine.Outcome outcome;
        try {
            outcome = p.run(ex -> {
                HostState h = observe(ex, mountpoint, List.of(), at);
                VolumeLocator.Located v = at[0];
                boolean inactive = h.lv(v.vg(), v.lv()).map(l -> !l.active()).orElse(false);
                boolean exported = inactive && ex.run(UnlockPlanner.exportedQuery(v.vg())).out().contains("exported");
                List<String> missing = inactive ? missingMembers(ex, v.vg()) : List.of();
                activatedHere[0] |= inactive && missing.isEmpty();
                importedHere[0] |= exported && missing.isEmpty();
                // the key is tried before anything changes (a query: in a dry run too)
                io.cryptvol.day2.UnlockKeyCheck.Result k = io.cryptvol.day2.UnlockKeyCheck.check(ex, h, v, choice.label(), keys);
                keyTested[0] = k.tested();
                PlanResult r = planner.plan(v, choice.ref(), exported, missing, k.state());
                if (!r.isRefused()) {
                    stages.remember(h);
                }
                if (r.isRefused() && r.refusals().stream().anyMatch(x -> x.reason()
                        == io.cryptvol.domain.plan.Refusal.Reason.LUKS_KEY_DOES_NOT_OPEN)) {
                    throw new WrongKey(describe(choice) + " does not open " + v.lvPath() + " (no key slot matched)");
                }
                return r;
            }, PlanEngine.Options.of(yes, dryRun));
        } catch (PlanRunner.StepFailedException e) {
            if (e.step().kind() == StepKind.OPEN_MAPPING && e.detail().contains("No key available")) {
                VolumeLocator.Located v = at[0];
                // a failed open changes nothing; put the VG back as it was
                if (activatedHere[0]) {
                    hosts.executor().run(Lvm.deactivate(v.vg()));
                }
                if (importedHere[0]) {
                    hosts.executor().run(UnlockPlanner.vgexport(v.vg()));
                }
                throw new WrongKey(describe(choice) + " does not open " + v.lvPath() + " (no key slot matched)");
            }
            throw e;
        }
        boolean dry = plans.decide(null, PlanEngine.Options.of(yes, dryRun)) == PlanEngine.Outcome.DRY_RUN;
        if (!outcome.done() || dry) {
            if (dry && at[0] != null) {
                if (keyTested[0]) {
                    ui.ok(describe(choice) + " opens " + at[0].lvPath() + " (tested with cryptsetup open --test-passphrase)");
                } else if (activatedHere[0]) {
                    ui.warn(describe(choice) + " was not tested: " + at[0].lvPath() + " is inactive, and a dry run does "
                            + "not activate its VG; the open step tests it");
                }
            }
            return;
        }
        VolumeLocator.Located v = at[0];
        stages.context().set(SessionContext.Part.MAPPING, v.mapping());
        stages.context().set(SessionContext.Part.MOUNTPOINT, v.mountpoint());
        verify(v);
        ui.ok("unlocked " + v.mountpoint() + " in " + io.cryptvol.domain.Durations.took(java.time.Duration.ofNanos(System.nanoTime() - t0))
                + " of tool time (the open step's time above includes the key derivation)");
    }

    /**
     * The VG's members the host cannot see, named by PV UUID and, when EC2 can be asked, by the volume ids tagged
     * for the VG that are not attached here.
     */
    private List<String> missingMembers(io.cryptvol.exec.HostExecutor ex, String vg) {
        List<String> uuids = UnlockPlanner.missingPvs(ex.run(UnlockPlanner.missingPvQuery()).out(), vg);
        if (uuids.isEmpty()) {
            return List.of();
        }
        List<String> ids = List.of();
        try {
            VolumeService vs = volumes.getIfAvailable();
            ids = vs == null ? List.of() : vs.vgMembersNotAttached(vg);
        } catch (RuntimeException e) {
            // no EC2 view (no credentials, no instance selected): name the PVs only
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < uuids.size(); i++) {
            out.add("PV uuid " + uuids.get(i));
        }
        if (!ids.isEmpty()) {
            out.set(0, String.join(", ", ids) + " (EBS, tagged cryptvol:vg=" + vg + ", not attached here; "
                    + out.get(0));
            out.set(out.size() - 1, out.get(out.size() - 1) + ")");
        }
        return out;
    }

    private static String describe(KeyChoice c) {
        String l = c.label();
        return l.startsWith("file ") || l.startsWith("backup ") || l.startsWith("typed ") ? "the " + l : "key '" + l + "'";
    }

    /** Mounted from the mapping, writable (a temp file created and removed), and the size it should have. */
    private void verify(VolumeLocator.Located v) {
        String script = String.join("\n",
                "echo \"mount $(findmnt -n -b -o SOURCE,SIZE --mountpoint \"$1\")\"",
                "echo \"device $(blockdev --getsize64 \"$2\")\"",
                "echo \"xfsdata $(xfs_info \"$1\" 2>/dev/null | sed -n 's/^data *= *bsize=\\([0-9]*\\) *blocks=\\([0-9]*\\).*/\\1 \\2/p')\"",
                "f=\"$1/.cryptvol-unlock-check.$$\"",
                "if : > \"$f\" && rm -f \"$f\"; then echo 'write ok'; else echo 'write failed'; fi");
        ExecResult r = hosts.executor().run(HostCommand.of("Verify " + v.mountpoint() + " (mounted, writable, size)",
                "sh", "-c", script, "sh", v.mountpoint(), v.mapperPath()));
        java.util.Map<String, String[]> f = new java.util.HashMap<>();
        r.out().lines().map(String::strip).filter(x -> !x.isEmpty())
                .forEach(x -> f.put(x.split("\\s+")[0], x.split("\\s+")));
        String[] mnt = f.getOrDefault("mount", new String[0]);
        if (mnt.length < 3 || !mnt[1].equals(v.mapperPath())) {
            throw new CryptvolException(v.mountpoint() + " does not show " + v.mapperPath() + " mounted", ExitCode.FAILED, null);
        }
        if (!"ok".equals(f.getOrDefault("write", new String[] {"", ""})[1])) {
            throw new CryptvolException(v.mountpoint() + " is mounted but not writable", ExitCode.FAILED, null);
        }
        long dev = Long.parseLong(f.get("device")[1]);
        String[] xfs = f.getOrDefault("xfsdata", new String[0]);
        long data = xfs.length == 3 ? Long.parseLong(xfs[1]) * Long.parseLong(xfs[2]) : -1;
        ui.println("verified: " + v.mapperPath() + " mounted on " + v.mountpoint() + ", writable, "
                + io.cryptvol.domain.cmd.Sizes.human(Long.parseLong(mnt[2])) + " usable"
                + (data > 0 ? ", XFS data section " + io.cryptvol.domain.cmd.Sizes.human(data) : "")
                + " on a " + io.cryptvol.domain.cmd.Sizes.human(dev) + " device");
        if (data > 0 && data < dev - Math.max(64L << 20, dev / 100)) {
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
        Prompt pr = prompt;
        while (true) {
            String a = pr.ask("Try another key source: [k]ey NAME, [f]ile PATH, [b]ackup DIR [NAME], [p]assphrase, [q]uit: ");
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

    private static String arg(String[] w, int i, Prompt pr, String prompt) {
        if (w.length > i) {
            return w[i];
        }
        String s = pr.ask(prompt);
        if (s == null || s.isBlank()) {
            throw new CryptvolException("nothing given", ExitCode.USAGE, null);
        }
        return s.strip();
    }

    private String askSecret() {
        char[] typed = prompt.askSecret("Passphrase (not echoed): ");
        if (typed == null) {
            return null;
        }
        String s = new String(typed);
        java.util.Arrays.fill(typed, '\0');
        return s;
    }

    private boolean interactive() {
        return prompt.interactive();
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
                .flatMap(d -> io.cryptvol.domain.plan.Inputs.deviceList(d).stream()).toList();
        if (add != null == !devs.isEmpty()) {
            throw new CryptvolException("give the new devices (grow /dev/nvme5n1 …) or --add N --size GiB, not both", ExitCode.USAGE, null);
        }
        if (key == null) {
            throw new CryptvolException("grow needs --key NAME: cryptsetup resize of a LUKS2 device asks for a key", ExitCode.USAGE, null);
        }
        stages.requireKeys(List.of(key));
        GrowPlanner planner = new GrowPlanner();
        if (add != null) {
            if (sizeGiB == null || add < 1) {
                throw new CryptvolException("--add N needs --size GiB (and N ≥ 1)", ExitCode.USAGE, null);
            }
            // refuse a stripe mismatch before anything is created
            VolumeLocator.Located[] at = {null};
            HostState h;
            try (var s = plans.planning(PlanEngine.Options.of(yes, dryRun))) {
                h = observe(hosts.executor(), mountpoint, List.of(), at);
            }
            int stripes = h.lv(at[0].vg(), at[0].lv()).map(LogicalVolume::stripes).orElse(1);
            if (!linear && stripes > 1 && add % stripes != 0) {
                throw new CryptvolException("refused: " + at[0].lvPath() + " has " + stripes + " stripes; add a multiple of "
                        + stripes + " volumes (got " + add + ") or grow it linearly (--linear); nothing was changed", ExitCode.FAILED, null);
            }
            if (plans.decide(null, PlanEngine.Options.of(yes, dryRun)) == PlanEngine.Outcome.DRY_RUN) {
                ui.println("dry run: would create and attach " + add + " EBS volumes of " + sizeGiB + " GiB to "
                        + stages.context().target().display() + ", then pvcreate, vgextend " + at[0].vg() + ", lvextend "
                        + (linear || stripes < 2 ? "linearly" : "with " + stripes + " stripes") + ", cryptsetup resize, "
                        + "grow the filesystem; nothing was changed");
                return;
            }
            VolumeService vs = volumes.getIfAvailable();
            if (vs == null) {
                throw new CryptvolException("EBS access is not configured; attach the volumes and pass their devices", ExitCode.FAILED, null);
            }
            devs = vs.createAndAttachDevices(add, io.cryptvol.aws.VolumeSpec.of(sizeGiB, "gp3"), at[0].vg(),
                    new VolumeProgressLines(ui, add, stages.context().target().display()));
            ui.println("new devices: " + String.join(", ", devs));
        }
        List<String> newDevs = devs;
        VolumeLocator.Located[] at = {null};
        long[] before = {0};
        boolean done = plans.execute(ex -> {
            HostState h = observe(ex, mountpoint, newDevs, at);
            VolumeLocator.Located v = at[0];
            if (before[0] == 0) {
                before[0] = h.mapping(v.mapping()).map(d -> d.sizeBytes()).orElse(0L);
            }
            PlanResult r = planner.plan(new GrowPlanner.GrowSpec(v.vg(), v.lv(), newDevs, v.mapping(), v.mountpoint(),
                    io.cryptvol.domain.cmd.FsType.parse(v.fsType()), key, linear), h);
            if (!r.isRefused()) {
                stages.remember(h);
            }
            return r;
        }, PlanEngine.Options.of(yes, dryRun));
        if (done) {
            VolumeLocator.Located v = at[0];
            ExecResult r = hosts.executor().run(HostCommand.query("Size of " + v.mountpoint(),
                    "findmnt", "-n", "-b", "-o", "SIZE", "--mountpoint", v.mountpoint()));
            if (r.ok()) {
                ui.println("filesystem on " + v.mountpoint() + " is now "
                        + io.cryptvol.domain.cmd.Sizes.human(Long.parseLong(r.out().strip())));
            }
        }
    }

    // ================================================================== shared

    /** Observes the host (with fuser for the mountpoint) and locates the volume into {@code at[0]}. */
    private HostState observe(HostExecutor ex, String mountpoint, List<String> devices, VolumeLocator.Located[] at) {
        HostObserver o = stages.observer(ex);
        SessionContext c = stages.context();
        String mp = mountpoint != null ? mountpoint : c.mountpoint();
        HostState h = o.observe(new HostObserver.Scope(devices, List.of(), mp == null ? List.of() : List.of(mp)),
                stages.keys());
        VolumeLocator.Located v = VolumeLocator.locate(mountpoint,
                new VolumeLocator.Selection(c.vg(), c.lv(), c.mapping(), c.mountpoint()), h);
        if (!v.mountpoint().equals(mp) && h.mountAt(v.mountpoint()).isPresent()) {
            h = o.observe(new HostObserver.Scope(devices, List.of(), List.of(v.mountpoint())), stages.keys());
        }
        at[0] = v; // the caller refreshes the inventory once its plan is not refused
        return h;
    }

}

package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsSnapshot;
import io.cryptvol.domain.plan.Plan;
import io.cryptvol.domain.plan.PlanStep;
import io.cryptvol.domain.cmd.HostCommand;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import io.cryptvol.snapshot.SnapshotService;
import io.cryptvol.snapshot.SnapshotSet;
import io.cryptvol.snapshot.SnapshotTags;
import io.cryptvol.snapshot.SnapshotTarget;
import io.cryptvol.volumes.VolumeService;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Consistent snapshot sets of the context's encrypted volume, and their restore. */
@Command(group = "Snapshots")
public class SnapshotCommands {
    private final SnapshotService service;
    private final Ui ui;
    private final Confirmer confirmer;
    private final HostAccess hosts;
    private final Inventory inventory;
    private final PlanPresenter plans;
    private final io.cryptvol.keys.KeySource keys;
    private final io.cryptvol.session.Prompt prompt;

    public SnapshotCommands(SnapshotService service, Ui ui, Confirmer confirmer, HostAccess hosts, Inventory inventory,
                            PlanPresenter plans, io.cryptvol.keys.KeySource keys, io.cryptvol.session.Prompt prompt) {
        this.prompt = prompt;
        this.service = service;
        this.ui = ui;
        this.confirmer = confirmer;
        this.hosts = hosts;
        this.inventory = inventory;
        this.plans = plans;
        this.keys = keys;
    }

    @Command(command = "snapshot", description = "Consistent snapshot set of the context's volume: pre hook, watchdog, "
            + "xfs_freeze, one CreateSnapshots for every volume of the VG, thaw, post hook; prints the freeze window.")
    public void snapshot(
            @Option(longNames = "pre", description = "command run on the target before the freeze (sh -c), e.g. flush and lock the database") String pre,
            @Option(longNames = "post", description = "command run on the target after the thaw (sh -c); runs whenever --pre ran") String post,
            @Option(longNames = "watchdog", defaultValue = "60", description = "seconds after which the target thaws by itself, "
                    + "even if cryptvol or its connection dies") int watchdog,
            @Option(longNames = "mountpoint", description = "the mounted filesystem (default: the context's)")
            @OptionValues(provider = "contextValueCompletion") String mountpoint,
            @Option(longNames = "wait", description = "wait until every snapshot is completed, with progress") boolean await,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        SnapshotService.SnapshotOptions o = new SnapshotService.SnapshotOptions(blank(pre), blank(post),
                Duration.ofSeconds(watchdog), await);
        SnapshotTarget t = service.discover(mountpoint);
        Plan plan = service.plan(t, o);
        ui.println(ui.bold(plan.title()) + ui.dim("  (on " + hosts.executor().target() + ", " + t.instanceId() + ")"));
        for (SnapshotTarget.Member m : t.members()) {
            ui.println(ui.dim("  " + m.volumeId() + "  " + m.device()));
        }
        ui.print(plans.renderSteps(plan));
        if (plans.dryRun(dryRun)) {
            plans.dryRunDone(plan);
            return;
        }
        if (!confirmer.confirm("Freeze " + t.mountpoint() + " and snapshot " + t.members().size() + " volumes?", yes)) {
            ui.println("Cancelled; nothing was changed.");
            return;
        }
        SnapshotService.Result r = service.snapshot(t, o, new SnapshotService.Listener() {
            @Override
            public void step(String line) {
                ui.println(ui.dim("  " + line));
            }

            @Override
            public synchronized void on(Event e) {
                if (e.stage() == EbsProgress.Stage.SNAPSHOT_PENDING || e.stage() == EbsProgress.Stage.SNAPSHOT_COMPLETED
                        || e.stage() == EbsProgress.Stage.FAILED) {
                    ui.println(ui.dim("  " + e.resourceId() + "  ") + e.stage().name().toLowerCase(Locale.ROOT)
                            .replace("snapshot_", "") + (e.detail() == null ? "" : " " + e.detail()));
                }
            }
        });
        r.warnings().forEach(ui::warn);
        ui.println(String.format(Locale.ROOT, "freeze window: %.2f s (%s; snapshot call %.2f s, %s)",
                r.freezeWindow().toNanos() / 1e9, r.hostClock() ? "frozen → thawed, host clock" : "freeze sent → thaw done",
                r.snapshotCall().toNanos() / 1e9,
                r.createSnapshots() ? "one CreateSnapshots" : "CreateSnapshot per volume"));
        for (EbsSnapshot s : r.snapshots()) {
            ui.println("  " + s.id() + "  " + s.volumeId() + "  " + s.state() + " " + s.progress() + "%");
        }
        inventory.put("snapshot-set", prepend(inventory.get("snapshot-set"), r.setId()));
        ui.ok("snapshot set " + r.setId() + " (" + r.snapshots().size() + " snapshots"
                + (await ? ", completed" : ", pending: 'snapshots list' shows progress") + ")");
    }

    @Command(command = {"snapshots", "list"}, description = "Snapshot sets, newest first: one line per set, incomplete sets marked.")
    public void list(
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        List<SnapshotSet> sets = service.sets(null);
        inventory.put("snapshot-set", sets.stream().map(SnapshotSet::id).toList());
        if (format == OutputFormat.JSON) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (SnapshotSet s : sets) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("set", s.id());
                m.put("started", s.started() == null ? null : s.started().toString());
                m.put("status", s.status().name().toLowerCase(Locale.ROOT));
                m.put("problems", s.problems());
                m.put("count", s.expectedCount());
                m.put("progress", s.progress());
                m.put("vg", s.tag(SnapshotTags.VG));
                m.put("lv", s.tag(SnapshotTags.LV));
                m.put("mapping", s.tag(SnapshotTags.MAPPING));
                m.put("mountpoint", s.tag(SnapshotTags.MOUNTPOINT));
                m.put("luksUuid", s.tag(SnapshotTags.LUKS_UUID));
                m.put("instance", s.tag(SnapshotTags.INSTANCE));
                m.put("consistency", s.snapshots().stream().anyMatch(x -> "crash".equals(x.tag(SnapshotTags.CONSISTENCY)))
                        ? "crash" : "frozen");
                List<Map<String, Object>> snaps = new ArrayList<>();
                for (EbsSnapshot x : s.snapshots()) {
                    Map<String, Object> sm = new LinkedHashMap<>();
                    sm.put("id", x.id());
                    sm.put("index", x.tag(SnapshotTags.INDEX));
                    sm.put("volume", x.volumeId());
                    sm.put("sizeGiB", x.volumeSizeGiB());
                    sm.put("state", x.state());
                    sm.put("progress", x.progress());
                    snaps.add(sm);
                }
                m.put("snapshots", snaps);
                out.add(m);
            }
            ui.json(out);
            return;
        }
        if (sets.isEmpty()) {
            ui.println("no snapshot sets in " + service.region());
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (SnapshotSet s : sets) {
            rows.add(List.of(s.id(), s.started() == null ? "" : s.started().toString().replaceFirst("\\.\\d+Z$", "Z"),
                    nz(s.tag(SnapshotTags.VG)) + "/" + nz(s.tag(SnapshotTags.LV)), nz(s.tag(SnapshotTags.MOUNTPOINT)),
                    s.snapshots().size() + "/" + (s.expectedCount() > 0 ? s.expectedCount() : "?"),
                    s.sizeGiB() + " GiB", status(s)));
        }
        ui.table(List.of("SET", "STARTED", "VG/LV", "MOUNTPOINT", "SNAPSHOTS", "SIZE", "STATUS"), rows);
    }

    @Command(command = {"snapshots", "delete"}, description = "Delete every snapshot of a set (asks first).")
    public void delete(
            @Option(required = true, description = "set id (or a unique prefix)")
            @OptionValues(provider = "snapshotSetCompletion") String set,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes) {
        SnapshotSet s = service.set(set);
        ui.println("set " + s.id() + ": " + String.join(", ", s.snapshotIds()) + "  (" + status(s) + ")");
        if (!confirmer.confirm("Delete these " + s.snapshots().size() + " snapshots for good?", yes)) {
            ui.println("Cancelled; nothing was deleted.");
            return;
        }
        service.delete(List.of(s));
        inventory.put("snapshot-set", inventory.get("snapshot-set").stream().filter(x -> !x.equals(s.id())).toList());
        ui.ok("deleted set " + s.id() + " (" + s.snapshots().size() + " snapshots)");
    }

    @Command(command = {"snapshots", "prune"}, description = "Keep the N newest completed sets of each VG; delete older sets "
            + "(complete or not). Asks first.")
    public void prune(
            @Option(longNames = "keep", required = true, description = "completed sets to keep per VG") int keep,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show what would be deleted") boolean dryRun) {
        if (keep < 1) {
            throw new CryptvolException("--keep must be at least 1 (use 'snapshots delete' for single sets)", ExitCode.USAGE, null);
        }
        List<SnapshotSet> all = service.sets(null);
        List<SnapshotSet> gone = SnapshotSet.toPrune(all, keep);
        if (gone.isEmpty()) {
            ui.ok("nothing to prune: " + all.size() + " sets, keeping the " + keep + " newest completed per VG");
            return;
        }
        for (SnapshotSet s : gone) {
            ui.println("  delete " + s.id() + "  " + nz(s.tag(SnapshotTags.VG)) + "  " + s.started() + "  " + status(s)
                    + "  (" + s.snapshots().size() + " snapshots)");
        }
        if (plans.dryRun(dryRun)) {
            ui.println(ui.dim("dry run: nothing was deleted"));
            return;
        }
        if (!confirmer.confirm("Delete these " + gone.size() + " sets for good?", yes)) {
            ui.println("Cancelled; nothing was deleted.");
            return;
        }
        service.delete(gone);
        ui.ok("pruned " + gone.size() + " sets; " + (all.size() - gone.size()) + " left");
    }

    @Command(command = {"snapshots", "copy"}, description = "Copy every snapshot of a completed set to another region, tags kept.")
    public void copy(
            @Option(required = true, description = "set id (or a unique prefix)")
            @OptionValues(provider = "snapshotSetCompletion") String set,
            @Option(longNames = "region", required = true, description = "destination region") String region) {
        SnapshotSet s = service.set(set);
        List<EbsSnapshot> copies = service.copy(s, region, e -> {
            if (e.stage() == EbsProgress.Stage.SNAPSHOT_PENDING || e.stage() == EbsProgress.Stage.SNAPSHOT_COMPLETED) {
                synchronized (ui) {
                    ui.println(ui.dim("  " + e.resourceId() + "  " + e.stage().name().toLowerCase(Locale.ROOT)
                            .replace("snapshot_", "") + (e.detail() == null ? "" : " " + e.detail())));
                }
            }
        });
        ui.ok("copied set " + s.id() + " to " + region + ": " + String.join(", ", copies.stream().map(EbsSnapshot::id).toList()));
    }

    @Command(command = "restore", description = "Restore a snapshot set on the instance next to the original: new volumes "
            + "from the snapshots, vgimportclone under a new VG name, new LUKS UUID, open with a key, mount XFS with nouuid.")
    public void restore(
            @Option(required = true, description = "set id (or a unique prefix)")
            @OptionValues(provider = "snapshotSetCompletion") String set,
            @Option(longNames = "key", description = "the key (from the key store) that opens the LUKS header")
            @OptionValues(provider = "keyNameCompletion") String key,
            @Option(longNames = "key-file", description = "or a key file on this machine (sent on stdin, never copied)") String keyFile,
            @Option(longNames = "key-backup", description = "or a backup directory holding NAME.key") String keyBackup,
            @Option(longNames = "passphrase", description = "or type a passphrase (asked without echo)") boolean passphrase,
            @Option(longNames = "mountpoint", defaultValue = "/mnt/restore", description = "where to mount the copy") String mountpoint,
            @Option(longNames = "vg", description = "VG name of the copy (default: VG_restore when the original is there)") String vg,
            @Option(longNames = "mapping", description = "mapping name of the copy (default: MAPPING_restore)") String mapping,
            @Option(longNames = "type", defaultValue = "gp3", description = "EBS type of the new volumes")
            @OptionValues(provider = "volumeTypeCompletion") String type,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        // the one key resolver (day2/KeyChoice): a store name, a key file, a backup directory or a typed passphrase
        io.cryptvol.day2.KeyChoice choice = io.cryptvol.day2.KeyChoice.resolve(key, keyFile, keyBackup, passphrase,
                () -> { char[] c = prompt.askSecret("Passphrase (not echoed): "); return c == null ? null : new String(c); });
        if (choice == null) {
            throw new io.cryptvol.CryptvolException("restore needs a key: --key NAME, --key-file PATH, --key-backup DIR or "
                    + "--passphrase", io.cryptvol.ExitCode.USAGE, null);
        }
        try (choice) {
            restoreWith(set, choice, mountpoint, vg, mapping, type, yes, dryRun);
        }
    }

    private void restoreWith(String set, io.cryptvol.day2.KeyChoice choice, String mountpoint, String vg, String mapping,
                             String type, boolean yes, boolean dryRun) {
        String key = choice.label();
        io.cryptvol.exec.PlanRunner.KeySource keys = ref -> {
            byte[] b = choice.source().bytes(ref);
            return b != null ? b : this.keys.bytes(ref);
        };
        SnapshotSet s = service.set(set);
        SnapshotService.RestorePlan p = service.planRestore(s,
                new SnapshotService.RestoreOptions(mountpoint, blank(vg), blank(mapping), key, type));
        List<String> placeholders = new ArrayList<>();
        for (int i = 0; i < s.snapshots().size(); i++) {
            placeholders.add("<device " + (i + 1) + ">");
        }
        Plan preview = service.restoreHostPlan(p, placeholders);
        ui.println(ui.bold(preview.title()) + ui.dim("  (on " + hosts.executor().target() + ", " + p.instance().id() + ")"));
        ui.println("  EC2: create " + s.snapshots().size() + " " + type + " volumes in " + p.instance().availabilityZone()
                + " from " + String.join(", ", s.snapshotIds()) + " and attach them to " + p.instance().id());
        if (p.importClone()) {
            ui.println(ui.dim("  VG " + p.originalVg() + " is on this host: the copy becomes VG " + p.newVg()
                    + " (new PV/VG UUIDs), its LUKS header gets UUID " + p.newLuksUuid()));
        }
        ui.print(plans.renderSteps(preview));
        if (plans.dryRun(dryRun)) {
            plans.dryRunDone(preview);
            return;
        }
        if (!confirmer.confirm("Create " + s.snapshots().size() + " volumes and run these steps?", yes)) {
            ui.println("Cancelled; nothing was changed.");
            return;
        }
        List<VolumeService.Placed> placed = service.restoreVolumes(p,
                new VolumeProgressLines(ui, s.snapshots().size(), hosts.executor().target()));
        Plan host = service.restoreHostPlan(p, placed.stream().map(VolumeService.Placed::hostDevice).toList());
        service.restoreOnHost(host, keys::bytes, new PlanRunner.Listener() {
            @Override
            public void stepStarted(int index, int total, PlanStep step) {
                ui.print(ui.dim("[" + index + "/" + total + "] ") + step.title() + " … ");
            }

            @Override
            public void stepDone(int index, int total, PlanStep step, Duration took) {
                ui.println(ui.green("ok") + ui.dim(" (" + PlanPresenter.seconds(took) + ")"));
            }

            @Override
            public void stepFailed(int index, int total, PlanStep step, String error) {
                ui.println(ui.red("FAILED"));
                ui.println("    " + error.replace("\n", "\n    "));
            }

            @Override
            public void cleanupFailed(PlanStep step, HostCommand cleanup, String error) {
                ui.warn("cleanup '" + cleanup.description() + "' failed: " + error);
            }
        });
        ui.ok("restored set " + s.id() + " at " + p.mountpoint() + " (VG " + p.newVg() + ", /dev/mapper/" + p.mapping() + ")");
    }

    private static String status(SnapshotSet s) {
        return switch (s.status()) {
            case COMPLETED -> "completed";
            case PENDING -> "pending " + s.progress() + "%";
            case INCOMPLETE -> "INCOMPLETE: " + String.join(", ", s.problems());
        };
    }

    private static List<String> prepend(List<String> list, String v) {
        List<String> out = new ArrayList<>(List.of(v));
        list.stream().filter(x -> !x.equals(v)).forEach(out::add);
        return out;
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}

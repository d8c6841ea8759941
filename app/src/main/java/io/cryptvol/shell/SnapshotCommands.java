package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsProgress;
import io.cryptvol.aws.EbsSnapshot;
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
import java.util.function.Consumer;

/** Consistent snapshot sets of the context's encrypted volume, and their restore. */
@Command(group = "Snapshots")
public class SnapshotCommands {
    private final SnapshotService service;
    private final Ui ui;
    private final HostAccess hosts;
    private final Inventory inventory;
    private final PlanEngine plans;
    private final io.cryptvol.session.Prompt prompt;

    public SnapshotCommands(SnapshotService service, Ui ui, HostAccess hosts, Inventory inventory, PlanEngine plans,
                            io.cryptvol.session.Prompt prompt) {
        this.prompt = prompt;
        this.service = service;
        this.ui = ui;
        this.hosts = hosts;
        this.inventory = inventory;
        this.plans = plans;
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
        String where = hosts.executor().target();
        SnapshotService.Result r = plans.change(() -> {
            SnapshotTarget t = service.discover(mountpoint);
            return new PlanEngine.Proposal<>(t, service.plan(t, o), where + ", " + t.instanceId(),
                    t.members().stream().map(m -> m.volumeId() + "  " + m.device()).toList(),
                    "Freeze " + t.mountpoint() + " and snapshot " + t.members().size() + " volumes?");
        }, PlanEngine.Options.of(yes, dryRun), t -> service.snapshot(t, o, new SnapshotService.Listener() {
            @Override
            public void step(String line) {
                ui.diagnostic(ui.dim("  " + line)); // progress: stderr in one-command mode
            }

            @Override
            public synchronized void on(Event e) {
                if (e.stage() == EbsProgress.Stage.SNAPSHOT_PENDING || e.stage() == EbsProgress.Stage.SNAPSHOT_COMPLETED
                        || e.stage() == EbsProgress.Stage.FAILED) {
                    ui.diagnostic(ui.dim("  " + e.resourceId() + "  ") + e.stage().name().toLowerCase(Locale.ROOT)
                            .replace("snapshot_", "") + (e.detail() == null ? "" : " " + e.detail()));
                }
            }
        }));
        if (r == null) {
            return; // a dry run, or the user said no
        }
        r.warnings().forEach(ui::warn);
        ui.println(String.format(Locale.ROOT, "freeze window: %s (%s; snapshot call %s, %s)",
                io.cryptvol.domain.Durations.precise(r.freezeWindow()), r.hostClock() ? "frozen → thawed, host clock" : "freeze sent → thaw done",
                io.cryptvol.domain.Durations.precise(r.snapshotCall()),
                r.createSnapshots() ? "one CreateSnapshots" : "CreateSnapshot per volume"));
        for (EbsSnapshot s : r.snapshots()) {
            ui.println("  " + s.id() + "  " + s.volumeId() + "  " + s.state() + " " + s.progress() + "%");
        }
        inventory.put("snapshot-set", prepend(inventory.get("snapshot-set"), r.setId()));
        ui.ok("snapshot set " + r.setId() + " (" + r.snapshots().size() + " snapshots"
                + (await ? ", completed" : ", pending: 'snapshots list' shows progress") + ")");
    }

    @Command(command = {"snapshots", "list"}, description = "Snapshot sets, newest taken first (the taken-at tag, which "
            + "copies keep): one line per set, incomplete sets marked.")
    public void list(
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output,
            @Option(longNames = "region", description = "another region (where 'snapshots copy' put sets)") String region) {
        OutputFormat format = OutputFormat.parse(output);
        List<SnapshotSet> sets = service.sets(blank(region));
        if (blank(region) == null) {
            inventory.put("snapshot-set", sets.stream().map(SnapshotSet::id).toList());
        }
        if (format == OutputFormat.JSON) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (SnapshotSet s : sets) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("set", s.id());
                m.put("takenAt", s.takenAt() == null ? null : s.takenAt().toString());
                m.put("takenAtTagged", s.takenAtTagged());
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
            ui.println("no snapshot sets in " + (blank(region) == null ? service.region() : region));
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (SnapshotSet s : sets) {
            rows.add(List.of(s.id(), s.takenAt() == null ? "" : s.takenAt().toString().replaceFirst("\\.\\d+Z$", "Z")
                            + (s.takenAtTagged() ? "" : "*"),
                    nz(s.tag(SnapshotTags.VG)) + "/" + nz(s.tag(SnapshotTags.LV)), nz(s.tag(SnapshotTags.MOUNTPOINT)),
                    s.snapshots().size() + "/" + (s.expectedCount() > 0 ? s.expectedCount() : "?"),
                    s.sizeGiB() + " GiB", status(s)));
        }
        ui.table(List.of("SET", "TAKEN", "VG/LV", "MOUNTPOINT", "SNAPSHOTS", "SIZE", "STATUS"), rows);
        if (sets.stream().anyMatch(s -> !s.takenAtTagged())) {
            ui.println(ui.dim("* no " + SnapshotTags.TAKEN_AT + " tag (an older set): its snapshots' earliest start time"));
        }
    }

    @Command(command = {"snapshots", "delete"}, description = "Delete every snapshot of a set (asks first).")
    public void delete(
            @Option(required = true, description = "set id (or a unique prefix)")
            @OptionValues(provider = "snapshotSetCompletion") String set,
            @Option(longNames = "region", description = "another region (where 'snapshots copy' put sets)") String region,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes) {
        SnapshotSet s = service.set(set, blank(region));
        ui.shown(plans.previewOnly(false)).accept("set " + s.id() + ": " + String.join(", ", s.snapshotIds()) + "  (" + status(s) + ")");
        PlanEngine.Outcome go = plans.decide("Delete these " + s.snapshots().size() + " snapshots for good?",
                PlanEngine.Options.of(yes, false));
        if (go != PlanEngine.Outcome.RAN) {
            if (go == PlanEngine.Outcome.DRY_RUN) {
                ui.println(ui.dim("dry run: nothing was deleted"));
            } else {
                ui.diagnostic("Cancelled; nothing was deleted.");
            }
            return;
        }
        service.delete(List.of(s), blank(region));
        inventory.put("snapshot-set", inventory.get("snapshot-set").stream().filter(x -> !x.equals(s.id())).toList());
        ui.ok("deleted set " + s.id() + " (" + s.snapshots().size() + " snapshots)");
    }

    @Command(command = {"snapshots", "prune"}, description = "Keep the N newest completed sets of each VG; delete older sets "
            + "(complete or not). Asks first.")
    public void prune(
            @Option(longNames = "keep", required = true, description = "completed sets to keep per VG") int keep,
            @Option(longNames = "region", description = "another region (where 'snapshots copy' put sets)") String region,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show what would be deleted") boolean dryRun) {
        if (keep < 1) {
            throw new CryptvolException("--keep must be at least 1 (use 'snapshots delete' for single sets)", ExitCode.USAGE, null);
        }
        List<SnapshotSet> all = service.sets(blank(region));
        List<SnapshotSet> gone = SnapshotSet.toPrune(all, keep);
        if (gone.isEmpty()) {
            ui.ok("nothing to prune: " + all.size() + " sets, keeping the " + keep + " newest completed per VG");
            return;
        }
        Consumer<String> show = ui.shown(plans.previewOnly(dryRun));
        for (SnapshotSet s : gone) {
            show.accept("  delete " + s.id() + "  " + nz(s.tag(SnapshotTags.VG)) + "  taken " + s.takenAt() + "  " + status(s)
                    + "  (" + s.snapshots().size() + " snapshots)");
        }
        PlanEngine.Outcome go = plans.decide("Delete these " + gone.size() + " sets for good?", PlanEngine.Options.of(yes, dryRun));
        if (go == PlanEngine.Outcome.DRY_RUN) {
            ui.println(ui.dim("dry run: nothing was deleted"));
            return;
        }
        if (go == PlanEngine.Outcome.CANCELLED) {
            ui.diagnostic("Cancelled; nothing was deleted.");
            return;
        }
        service.delete(gone, blank(region));
        ui.ok("pruned " + gone.size() + " sets; " + (all.size() - gone.size()) + " left");
    }

    @Command(command = {"snapshots", "copy"}, description = "Copy every snapshot of a completed set to another region, tags kept. "
            + "Safe to repeat: members copied already (or being copied) are not copied again.")
    public void copy(
            @Option(required = true, description = "set id (or a unique prefix)")
            @OptionValues(provider = "snapshotSetCompletion") String set,
            @Option(longNames = "region", required = true, description = "destination region") String region) {
        SnapshotSet s = service.set(set);
        SnapshotService.CopyResult r = service.copy(s, region, e -> {
            if (e.stage() == EbsProgress.Stage.SNAPSHOT_PENDING || e.stage() == EbsProgress.Stage.SNAPSHOT_COMPLETED) {
                synchronized (ui) {
                    ui.diagnostic(ui.dim("  " + e.resourceId() + "  " + e.stage().name().toLowerCase(Locale.ROOT)
                            .replace("snapshot_", "") + (e.detail() == null ? "" : " " + e.detail())));
                }
            }
        });
        if (!r.extra().isEmpty()) {
            ui.warn("more than one copy of a member in " + region + ": " + String.join(", ", r.extra())
                    + " (the set there reads " + (r.copies().size() + r.extra().size()) + "/" + r.copies().size() + ")");
        }
        ui.ok("copied set " + s.id() + " to " + region + " (" + r.copies().size() + "/" + r.copies().size() + ": "
                + r.copied() + " copied now, " + r.alreadyThere() + " there already): "
                + String.join(", ", r.copies().stream().map(EbsSnapshot::id).toList()));
    }

    @Command(command = {"snapshots", "policy", "set"}, description = "Set a VG's snapshot copy policy: its newest "
            + "complete set must have a completed copy in each --copy-to region ('snapshots copy'), and, with --max-age, "
            + "be at most that old. Kept as tags (" + io.cryptvol.snapshot.CopyPolicy.COPY_TO + ", "
            + io.cryptvol.snapshot.CopyPolicy.MAX_AGE + ") on the VG's EBS volumes, so it travels with them and every "
            + "'doctor' and 'doctor --all' sees it.")
    public void policySet(
            @Option(longNames = "vg", description = "the VG (default: the context's)")
            @OptionValues(provider = "stageVgCompletion") String vg,
            @Option(longNames = "copy-to", required = true, description = "regions, comma-separated: eu-west-1,us-west-2")
            String copyTo,
            @Option(longNames = "max-age", description = "how old the newest complete set may be: 24h, 2d, 90m") String maxAge,
            @Option(longNames = "dry-run", description = "only show what would be tagged") boolean dryRun) {
        String v = service.vgOrContext(vg);
        List<String> regions;
        Duration age;
        try {
            regions = io.cryptvol.snapshot.CopyPolicy.regions(copyTo);
        } catch (IllegalArgumentException e) {
            throw new CryptvolException("--copy-to: " + e.getMessage(), ExitCode.USAGE, null);
        }
        try {
            age = maxAge == null || maxAge.isBlank() ? null : io.cryptvol.snapshot.CopyPolicy.age(maxAge);
        } catch (IllegalArgumentException e) {
            throw new CryptvolException("--max-age: " + e.getMessage(), ExitCode.USAGE, null);
        }
        io.cryptvol.snapshot.CopyPolicy p = new io.cryptvol.snapshot.CopyPolicy(regions, age);
        if (plans.decide(null, PlanEngine.Options.of(true, dryRun)) == PlanEngine.Outcome.DRY_RUN) {
            SnapshotService.VgPolicy now = service.policy(v);
            ui.println("Would tag " + now.volumeIds().size() + " volumes of VG " + v + " (" + String.join(", ",
                    now.volumeIds()) + "): " + p.describe());
            ui.println(ui.dim("dry run: nothing was tagged"));
            return;
        }
        SnapshotService.VgPolicy r = service.setPolicy(v, p);
        ui.ok("VG " + v + ": " + p.describe() + " (tagged on " + r.volumeIds().size() + " volumes: "
                + String.join(", ", r.volumeIds()) + ")");
    }

    @Command(command = {"snapshots", "policy", "show"}, description = "The snapshot copy policy of one VG (--vg) or of "
            + "every VG whose EBS volumes are tagged, as their tags say.")
    public void policyShow(
            @Option(longNames = "vg", description = "one VG (default: every VG)")
            @OptionValues(provider = "stageVgCompletion") String vg,
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        List<SnapshotService.VgPolicy> all = vg == null || vg.isBlank() ? service.policies() : List.of(service.policy(vg));
        if (format == OutputFormat.JSON) {
            ui.json(all.stream().map(x -> {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("vg", x.vg());
                m.put("volumes", x.volumeIds());
                m.put("copyTo", x.read() == null || x.read().policy() == null ? List.of() : x.read().policy().regions());
                m.put("maxAge", x.read() == null || x.read().policy() == null || x.read().policy().maxAge() == null ? null
                        : io.cryptvol.snapshot.CopyPolicy.ageTag(x.read().policy().maxAge()));
                m.put("problem", x.read() == null ? null : x.read().problem());
                return m;
            }).toList());
            return;
        }
        List<List<String>> rows = new java.util.ArrayList<>();
        for (SnapshotService.VgPolicy x : all) {
            CopyPolicyRow r = CopyPolicyRow.of(x);
            rows.add(List.of(x.vg(), String.valueOf(x.volumeIds().size()), r.copyTo(), r.maxAge()));
        }
        ui.table(List.of("VG", "VOLUMES", "COPY TO", "MAX AGE"), rows);
    }

    private record CopyPolicyRow(String copyTo, String maxAge) {
        static CopyPolicyRow of(SnapshotService.VgPolicy x) {
            if (x.read() == null) {
                return new CopyPolicyRow("(none)", "-");
            }
            if (x.read().policy() == null) {
                return new CopyPolicyRow("(unreadable: " + x.read().problem() + ")", "-");
            }
            var p = x.read().policy();
            return new CopyPolicyRow(String.join(",", p.regions()), p.maxAge() == null ? "-"
                    : io.cryptvol.snapshot.CopyPolicy.ageTag(p.maxAge()));
        }
    }

    @Command(command = {"snapshots", "policy", "remove"}, description = "Remove a VG's snapshot copy policy (its tags on "
            + "the VG's EBS volumes).")
    public void policyRemove(
            @Option(longNames = "vg", description = "the VG (default: the context's)")
            @OptionValues(provider = "stageVgCompletion") String vg,
            @Option(longNames = "dry-run", description = "only show what would be untagged") boolean dryRun) {
        String v = service.vgOrContext(vg);
        if (plans.decide(null, PlanEngine.Options.of(true, dryRun)) == PlanEngine.Outcome.DRY_RUN) {
            SnapshotService.VgPolicy now = service.policy(v);
            ui.println(now.read() == null ? "VG " + v + " has no copy policy: nothing to remove"
                    : "Would remove the copy policy tags from " + now.volumeIds().size() + " volumes of VG " + v);
            ui.println(ui.dim("dry run: nothing was untagged"));
            return;
        }
        ui.ok(service.removePolicy(v) ? "VG " + v + ": copy policy removed" : "VG " + v + " has no copy policy: nothing to remove");
    }

    @Command(command = "restore", description = "Restore a snapshot set on the instance next to the original: new volumes "
            + "from the snapshots, vgimportclone under a new VG name, new LUKS UUID, open with a key, mount XFS with nouuid.")
    public void restore(
            @Option(required = true, description = "set id (or a unique prefix), or latest: the newest-taken completed set")
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
        PlanEngine engine = plans.withKeys(ref -> choice.source().bytes(ref));
        String where = hosts.executor().target();
        SnapshotService.RestorePlan p = engine.change(() -> {
            SnapshotSet s = service.set(set);
            SnapshotService.RestorePlan rp = service.planRestore(s,
                    new SnapshotService.RestoreOptions(mountpoint, blank(vg), blank(mapping), key, type), choice);
            List<String> placeholders = new ArrayList<>();
            for (int i = 0; i < s.snapshots().size(); i++) {
                placeholders.add("<device " + (i + 1) + ">");
            }
            List<String> notes = new ArrayList<>();
            notes.add("EC2: create " + s.snapshots().size() + " " + type + " volumes in " + rp.instance().availabilityZone()
                    + " from " + String.join(", ", s.snapshotIds()) + " and attach them to " + rp.instance().id()
                    + " (tagged as volume set " + rp.newSetId() + ")");
            if (rp.importClone()) {
                notes.add("VG " + rp.originalVg() + " is on this host: the copy becomes VG " + rp.newVg()
                        + " (new PV/VG UUIDs), its LUKS header gets UUID " + rp.newLuksUuid());
            }
            return new PlanEngine.Proposal<>(rp, service.restoreHostPlan(rp, placeholders), where + ", " + rp.instance().id(),
                    notes, "Create " + s.snapshots().size() + " volumes and run these steps?");
        }, PlanEngine.Options.of(yes, dryRun), rp -> {
            List<VolumeService.Placed> placed;
            try {
                placed = service.restoreVolumes(rp, new VolumeProgressLines(ui, rp.set().snapshots().size(), where));
            } catch (io.cryptvol.aws.EbsBatchException e) {
                throw EbsLeftovers.explain(e, true); // every volume of a restore is its own
            }
            engine.steps(service.restoreHostPlan(rp, placed.stream().map(VolumeService.Placed::hostDevice).toList()));
            return rp;
        });
        if (p != null) {
            ui.ok("restored set " + p.set().id() + " at " + p.mountpoint() + " (VG " + p.newVg() + ", /dev/mapper/"
                    + p.mapping() + ")");
        }
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

package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.HeaderPlanner;
import io.cryptvol.domain.plan.Inputs;
import io.cryptvol.exec.PlanEngine;
import io.cryptvol.host.HostObserver;
import io.cryptvol.keys.HeaderBackups;
import io.cryptvol.keys.HeaderService;
import io.cryptvol.keys.KeyStore;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Prompt;
import io.cryptvol.session.SessionContext;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LUKS header backups: {@code luks header backup|list|verify|restore}. The backups live in the key store
 * ({@link HeaderBackups}); a backup is a plan step, verify compares digests, restore is guarded (both headers shown,
 * the UUID typed, another UUID or a non-LUKS device only with --force).
 */
@Command(command = "luks", group = "Stages")
public class LuksHeaderCommands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final HostAccess hosts;
    private final KeyStore store;
    private final Prompt prompt;
    private final Ui ui;
    private final HeaderPlanner planner = new HeaderPlanner();

    public LuksHeaderCommands(PlanEngine plans, StageSupport stages, HostAccess hosts, KeyStore store, Prompt prompt, Ui ui) {
        this.plans = plans;
        this.stages = stages;
        this.hosts = hosts;
        this.store = store;
        this.prompt = prompt;
        this.ui = ui;
    }

    @Command(command = "header backup", description = "Back up a LUKS header into the key store now: written on the "
            + "host's tmpfs, copied back (SHA-256 compared on both sides), shredded there. Also done after every "
            + "format, add-key and provision.")
    public void backup(
            @Option(description = "LUKS device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String dev = device(device);
        plans.execute(stages.planning(HostObserver.Scope.of(List.of(dev), List.of()), h -> planner.backup(dev, h)),
                PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = "header list", description = "The LUKS header backups in the key store, per LUKS UUID: when, "
            + "size, SHA-256, where they were copied.")
    public void list(
            @Option(description = "only this LUKS UUID") String uuid,
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        List<HeaderBackups.Backup> all = store.headers().list().stream()
                .filter(b -> uuid == null || b.uuid().equalsIgnoreCase(uuid)).toList();
        if (format == OutputFormat.JSON) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (HeaderBackups.Backup b : all) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("uuid", b.uuid());
                m.put("file", store.headers().dir().resolve(b.file()).toString());
                m.put("luksVersion", b.version());
                m.put("device", b.device());
                m.put("target", b.target());
                m.put("taken", b.taken().toString());
                m.put("size", b.size());
                m.put("sha256", b.sha256());
                m.put("copies", b.copies().stream().map(HeaderBackups.Copy::path).toList());
                rows.add(m);
            }
            ui.json(rows);
            return;
        }
        if (all.isEmpty()) {
            ui.println(uuid == null ? "No LUKS header backups in " + store.headers().dir() + "."
                    : "No LUKS header backups of " + io.cryptvol.domain.ControlChars.escape(uuid) + ".");
            return;
        }
        ui.table(List.of("UUID", "TAKEN", "SIZE", "SHA256", "FROM", "COPIED TO", "FILE"), all.stream().map(b -> List.of(
                b.uuid(), b.taken().toString(), String.valueOf(b.size()), b.fingerprint(),
                io.cryptvol.domain.ControlChars.escape(String.valueOf(b.device())) + " on "
                        + io.cryptvol.domain.ControlChars.escape(String.valueOf(b.target())),
                b.copies().isEmpty() ? "-" : String.join(", ", b.copies().stream().map(HeaderBackups.Copy::path).toList()),
                b.file())).toList());
    }

    @Command(command = "header verify", description = "Compare a header backup (default: the newest of the device's "
            + "UUID) with the live header: UUID, volume key digest, each key slot.")
    public void verify(
            @Option(description = "LUKS device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "backup", description = "a backup's file name, or a LUKS UUID for its newest") String backup) {
        String dev = device(device);
        HostState h = observe(dev);
        HeaderService.Verification v = new HeaderService(store).verify(hosts.executor(), dev, backup, h);
        ui.diagnostic(v.live().line());
        ui.diagnostic(v.saved().line());
        if (v.matches()) {
            ui.ok("header backup " + v.backup().file() + " matches the live header of " + dev + " (UUID, volume key "
                    + "digest, " + v.live().header().activeKeySlots().size() + " key slot(s))");
            return;
        }
        v.differences().forEach(d -> ui.warn(d));
        throw new CryptvolException("header backup " + v.backup().file() + " does not match the live header of " + dev
                + " (" + v.differences().size() + " difference(s) above)", ExitCode.FAILED, null);
    }

    @Command(command = "header restore", description = "Write a header backup over the device's header (a damaged "
            + "header): shows both, asks for the UUID to be typed; another UUID or a non-LUKS device only with --force.")
    public void restore(
            @Option(description = "the device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "backup", description = "a backup's file name, or a LUKS UUID for its newest") String backup,
            @Option(longNames = "force", description = "restore a backup of another UUID, or over a non-LUKS signature") boolean force,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask the last yes/no (the UUID is still typed)") boolean yes,
            @Option(longNames = "dry-run", description = "only show the headers and the plan") boolean dryRun) {
        String dev = device(device);
        HostState h = observe(dev);
        HeaderService.Restore r = new HeaderService(store).restore(dev, backup, force, h, hosts.executor().target());
        if (!r.plan().isRefused()) { // a refusal is its one line; the headers side by side only for what may go on
            ui.diagnostic(r.live().line());
            ui.diagnostic(r.saved().line());
        }
        if (r.plan().isRefused() || dryRun) {
            plans.execute(r.plan(), PlanEngine.Options.of(yes, dryRun));
            return;
        }
        String typed = prompt.ask("This overwrites the LUKS header of " + dev + ". Type the backup's UUID ("
                + r.backupUuid() + ") to go on: ");
        if (typed == null || !typed.strip().equalsIgnoreCase(r.backupUuid())) {
            throw new CryptvolException("the UUID typed is not " + r.backupUuid() + ": nothing was changed", ExitCode.FAILED, null);
        }
        if (plans.execute(r.plan(), PlanEngine.Options.of(yes, false))) {
            ui.ok("restored the LUKS header of " + dev + " from " + r.backup().file() + " (UUID " + r.backupUuid() + ")");
        }
    }

    private HostState observe(String dev) {
        // not remembered for completion: a verify or restore that then refuses changes nothing, the inventory included
        return stages.observer(hosts.executor()).observe(HostObserver.Scope.of(List.of(dev), List.of()), stages.keys());
    }

    private String device(String device) {
        if (device != null) {
            return Inputs.devPath(device);
        }
        String vg = stages.orContext(null, SessionContext.Part.VG, "DEVICE");
        String lv = stages.orContext(null, SessionContext.Part.LV, "DEVICE");
        return "/dev/" + vg + "/" + lv;
    }
}

package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.cmd.Ephemeral;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.plan.EphemeralPlanner;
import io.cryptvol.ephemeral.EphemeralService;
import io.cryptvol.exec.PlanEngine;
import io.cryptvol.session.HostAccess;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Issue 19: swap, /tmp or a scratch mountpoint on the instance-store disks, with a new random key at every boot. */
@Command(group = "Ephemeral scratch")
public class EphemeralCommands {
    private final PlanEngine plans;
    private final EphemeralService service;
    private final HostAccess hosts;
    private final Ui ui;

    public EphemeralCommands(PlanEngine plans, EphemeralService service, HostAccess hosts, Ui ui) {
        this.plans = plans;
        this.service = service;
        this.hosts = hosts;
        this.ui = ui;
    }

    @Command(command = {"ephemeral", "setup"}, description = "Stripe the instance-store NVMe disks (LVM), encrypt them "
            + "with plain dm-crypt and a new random key at every boot, and use them as swap, /tmp or a mountpoint: a "
            + "systemd unit rebuilds it at every boot (also after a stop/start wiped the disks); the boot never waits.")
    public void setup(
            // one option with one or two words, as it reads: --as swap | --as tmp | --as mountpoint PATH
            @Option(longNames = "as", description = "swap, tmp, or mountpoint PATH", required = true,
                    arity = org.springframework.shell.command.CommandRegistration.OptionArity.ONE_OR_MORE)
            @OptionValues(provider = "ephemeralUseCompletion") String[] asWords,
            @Option(longNames = "disks", description = "how many instance-store disks you expect (default: all; refused when the instance has another number)") Integer disks,
            @Option(longNames = "force", description = "also disks holding a signature, a non-empty or system directory") boolean force,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        Ephemeral.Use use = asWords.length == 0 ? null : Ephemeral.Use.parse(asWords[0]);
        if (use == null || asWords.length > 2) {
            throw new CryptvolException("usage: ephemeral setup --as swap|tmp|mountpoint PATH (not --as "
                    + io.cryptvol.domain.plan.Inputs.shown(String.join(" ", asWords)) + ")", ExitCode.USAGE, null);
        }
        String path = asWords.length == 2 ? asWords[1] : null;
        if ((use == Ephemeral.Use.MOUNTPOINT) != (path != null)) {
            throw new CryptvolException(use == Ephemeral.Use.MOUNTPOINT ? "usage: ephemeral setup --as mountpoint PATH"
                    : "a PATH goes with --as mountpoint only", ExitCode.USAGE, null);
        }
        plans.execute(service.setup(new EphemeralPlanner.SetupSpec(use, path, disks, force)),
                PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = {"ephemeral", "remove"}, description = "Undo 'ephemeral setup': stop and disable the unit (unmount "
            + "or swapoff, close the mapping), drop the LVM labels from the instance-store disks, remove the unit and script.")
    public void remove(
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        plans.execute(service.remove(), PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = {"ephemeral", "status"}, description = "The ephemeral scratch: its instance-store disks, the mapping and its cipher, the mount or swap, the unit.")
    public void status(
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        EphemeralService.Status s = service.status(hosts.executor());
        if (format == OutputFormat.JSON) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("setUp", s.config() != null);
            m.put("as", s.config() == null ? null : s.config().use().word());
            m.put("mountpoint", s.config() == null ? null : s.config().mountpoint());
            m.put("plannedDisks", s.config() == null ? null : s.config().disks());
            m.put("unitEnabled", s.enabled());
            m.put("unitActive", s.active());
            List<Map<String, Object>> disks = new ArrayList<>();
            for (EphemeralService.Disk d : s.disks()) {
                Map<String, Object> dm = new LinkedHashMap<>();
                dm.put("path", d.path());
                dm.put("serial", d.serial());
                dm.put("sizeBytes", d.sizeBytes());
                dm.put("inScratch", d.inScratch());
                disks.add(dm);
            }
            m.put("disks", disks);
            m.put("mapping", s.mapping().orElse(null));
            m.put("cipher", s.cipher().isBlank() ? null : s.cipher());
            m.put("keyBits", s.keyBits().isBlank() ? null : s.keyBits());
            m.put("mount", s.mount().isEmpty() ? null : s.mount());
            m.put("sizeBytes", s.sizeBytes());
            m.put("lastLog", s.lastLog().isEmpty() ? null : s.lastLog());
            ui.json(m);
            return;
        }
        ui.println(s.config() == null ? "ephemeral scratch: not set up" : "ephemeral scratch: " + s.config().describe()
                + " (unit " + orDash(s.enabled()) + ", " + orDash(s.active()) + ")");
        List<List<String>> rows = new ArrayList<>();
        for (EphemeralService.Disk d : s.disks()) {
            rows.add(List.of(d.path(), Sizes.human(d.sizeBytes()), d.serial(), d.inScratch() ? "in the scratch" : ""));
        }
        if (rows.isEmpty()) {
            ui.println("no instance-store disk (NVMe model '" + Ephemeral.MODEL + "')");
        } else {
            ui.table(List.of("DISK", "SIZE", "SERIAL", ""), rows);
        }
        ui.println("mapping: " + s.mapping().map(p -> p + " (" + s.cipher() + ", " + s.keyBits() + "-bit key, "
                + Sizes.human(s.sizeBytes()) + ")").orElse("closed"));
        ui.println("mount: " + (s.mount().isEmpty() ? "none" : s.mount()));
        if (!s.lastLog().isEmpty()) {
            ui.println("last: " + s.lastLog());
        }
    }

    private static String orDash(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }
}

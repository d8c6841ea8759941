package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.domain.plan.StagePlanner;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.SessionContext;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.List;

/** LVM stages: pv create, vg create, lv create (striped, the seed's 4 KiB stripes, 100%VG). */
@Command(group = "Stages")
public class LvmCommands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final StagePlanner planner = new StagePlanner();

    public LvmCommands(PlanEngine plans, StageSupport stages) {
        this.plans = plans;
        this.stages = stages;
    }

    @Command(command = {"pv", "create"}, description = "Make each empty device an LVM physical volume (pvcreate).")
    public void pvCreate(
            @Option(description = "block devices", required = true, arity = org.springframework.shell.command.CommandRegistration.OptionArity.ONE_OR_MORE)
            @OptionValues(provider = "stageDeviceCompletion") String[] devices,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        List<String> ds = paths(devices);
        plans.execute(stages.planning(HostObserver.Scope.of(ds, List.of()), h -> planner.pvCreate(ds, h)),
                PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = {"vg", "create"}, description = "vg create NAME DEVICE...: create a volume group on the devices (pvcreate first where needed); selects it.")
    public void vgCreate(
            // one positional list, NAME first: Spring Shell 3.4.2 cannot parse a single positional followed by a list
            @Option(longNames = "name-and-devices", description = "the VG name, then its block devices", required = true,
                    arity = org.springframework.shell.command.CommandRegistration.OptionArity.ONE_OR_MORE)
            @OptionValues(provider = "stageDeviceCompletion") String[] nameAndDevices,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        if (nameAndDevices.length < 2) {
            throw new io.cryptvol.CryptvolException("usage: vg create NAME DEVICE...", io.cryptvol.ExitCode.USAGE, null);
        }
        String vg = ContextCommands.validate(SessionContext.Part.VG, nameAndDevices[0]);
        List<String> ds = paths(java.util.Arrays.copyOfRange(nameAndDevices, 1, nameAndDevices.length));
        if (plans.execute(stages.planning(HostObserver.Scope.of(ds, List.of()), h -> planner.vgCreate(vg, ds, h)),
                PlanEngine.Options.of(yes, dryRun))) {
            stages.context().set(SessionContext.Part.VG, vg);
        }
    }

    @Command(command = {"lv", "create"}, description = "Create a striped logical volume: one stripe per PV, 4 KiB stripes, 100%VG by default; selects it.")
    public void lvCreate(
            @Option(description = "LV name", required = true) String name,
            @Option(longNames = "vg", description = "volume group (default: the selected one)")
            @OptionValues(provider = "stageVgCompletion") String vg,
            @Option(longNames = "stripes", shortNames = 'i', description = "number of stripes (default: number of PVs)") Integer stripes,
            @Option(longNames = "stripe-size", shortNames = 'I', description = "stripe size (default 4K)", defaultValue = "4K") String stripeSize,
            @Option(longNames = "extents", shortNames = 'l', description = "size in extents (default 100%VG)", defaultValue = "100%VG") String extents,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String vgName = stages.orContext(vg, SessionContext.Part.VG, "--vg");
        String lv = ContextCommands.validate(SessionContext.Part.LV, name);
        long ss = io.cryptvol.domain.cmd.Sizes.parse(stripeSize);
        if (plans.execute(stages.planning(HostObserver.Scope.of(List.of(), List.of()),
                        h -> planner.lvCreate(vgName, lv, stripes, ss, extents, h)),
                PlanEngine.Options.of(yes, dryRun))) {
            stages.context().set(SessionContext.Part.VG, vgName);
            stages.context().set(SessionContext.Part.LV, lv);
        }
    }

    static List<String> paths(String[] devices) {
        List<String> out = new ArrayList<>();
        for (String d : devices) {
            out.addAll(io.cryptvol.domain.plan.Inputs.deviceList(d));
        }
        return out;
    }
}

package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.plan.ProvisionPlanner;
import io.cryptvol.domain.plan.ProvisionSpec;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.SessionContext;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.List;

/**
 * provision: devices → PVs → VG → striped LV → LUKS (key 1, key 2) → open → mkfs → fstab → mount, as ONE
 * plan shown before it runs. Re-running continues from the first incomplete step; nothing is re-created.
 */
@Command(group = "Stages")
public class ProvisionCommands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final NewVolumes newVolumes;
    private final Ui ui;
    private final ProvisionPlanner planner = new ProvisionPlanner();

    public ProvisionCommands(PlanEngine plans, StageSupport stages, NewVolumes newVolumes, Ui ui) {
        this.ui = ui;
        this.plans = plans;
        this.stages = stages;
        this.newVolumes = newVolumes;
    }

    @Command(command = "provision", description = "The whole chain for N equal devices as one previewed plan: PVs, VG, striped LV (4 KiB stripes, 100%VG), LUKS with two keys, open, XFS, fstab (noauto), mount. Re-run to continue after an interruption.")
    public void provision(
            @Option(longNames = "devices", description = "comma-separated block devices, e.g. /dev/nvme1n1,/dev/nvme2n1")
            @OptionValues(provider = "stageDeviceCompletion") String devices,
            @Option(longNames = "new-volumes", description = "create and attach N new EBS volumes instead of --devices") Integer newCount,
            @Option(longNames = "size", description = "size of each new EBS volume in GiB") Long sizeGiB,
            @Option(longNames = "vg", description = "VG name (default: the selected VG)") @OptionValues(provider = "stageVgCompletion") String vg,
            @Option(longNames = "lv", description = "LV name (default: the selected LV)") @OptionValues(provider = "stageLvCompletion") String lv,
            @Option(longNames = "mapping", description = "LUKS mapping name (default: the selected mapping)") @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "mountpoint", description = "mountpoint (default: the selected one)") @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "key", description = "key that formats the LUKS header", required = true) @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "key2", description = "second key, added to its own slot (strongly advised)") @OptionValues(provider = "stageKeyCompletion") String key2,
            @Option(longNames = "stripes", shortNames = 'i', description = "stripes (default: number of devices)") Integer stripes,
            @Option(longNames = "stripe-size", shortNames = 'I', description = "stripe size", defaultValue = "4K") String stripeSize,
            @Option(longNames = "extents", shortNames = 'l', description = "LV size in extents", defaultValue = "100%VG") String extents,
            @Option(longNames = "preset", description = "luks2 (default) or legacy-luks1") @OptionValues(provider = "stagePresetCompletion") String preset,
            @Option(longNames = "type", description = "luks1 or luks2") String type,
            @Option(longNames = "cipher", description = "cipher") String cipher,
            @Option(longNames = "hash", description = "hash") String hash,
            @Option(longNames = "key-size", description = "volume key bits") Integer keySize,
            @Option(longNames = "pbkdf", description = "argon2id, argon2i or pbkdf2") String pbkdf,
            @Option(longNames = "iter-time", description = "PBKDF benchmark time in ms") Integer iterTime,
            @Option(longNames = "pbkdf-force-iterations", description = "fixed PBKDF iterations") Integer forceIterations,
            @Option(longNames = "pbkdf-memory", description = "argon2 memory in KiB") Integer memory,
            @Option(longNames = "fs", description = "xfs (default) or ext4", defaultValue = "xfs") @OptionValues(provider = "stageFsCompletion") String fs,
            @Option(longNames = "crypttab", description = "also an /etc/crypttab noauto line") boolean crypttab,
            @Option(longNames = "force", description = "accept a system directory or a directory with files in it as the mountpoint") boolean force,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        LuksOptions luks = new io.cryptvol.domain.plan.LuksSettings(preset, type, cipher, hash, keySize, pbkdf, iterTime, forceIterations, memory).options();
        List<String> keys = key2 == null ? List.of(key) : List.of(key, key2);
        ProvisionSpec.Builder b = ProvisionSpec.builder()
                .vg(ContextCommands.validate(SessionContext.Part.VG, stages.orContext(vg, SessionContext.Part.VG, "--vg")))
                .lv(ContextCommands.validate(SessionContext.Part.LV, stages.orContext(lv, SessionContext.Part.LV, "--lv")))
                .mapping(ContextCommands.validate(SessionContext.Part.MAPPING,
                        stages.orContext(mapping, SessionContext.Part.MAPPING, "--mapping")))
                .mountpoint(ContextCommands.validate(SessionContext.Part.MOUNTPOINT,
                        stages.orContext(mountpoint, SessionContext.Part.MOUNTPOINT, "--mountpoint")))
                .keys(keys.toArray(new String[0]))
                .stripeSizeBytes(io.cryptvol.domain.cmd.Sizes.parse(stripeSize)).extents(extents).luks(luks)
                .fs(io.cryptvol.domain.cmd.FsType.parse(fs)).crypttab(crypttab).force(force);
        if (stripes != null) {
            b.stripes(stripes);
        }
        // the devices are resolved last: --new-volumes creates volumes, which must not happen for a bad spec
        List<String> given = io.cryptvol.domain.plan.Inputs.deviceList(devices);
        int count = !given.isEmpty() ? given.size() : newCount != null && newCount > 0 ? newCount : 1;
        List<String> probeDevices = !given.isEmpty() ? given
                : java.util.stream.IntStream.range(0, count).mapToObj(i -> "/dev/new" + i).toList();
        ProvisionSpec probe = b.devices(probeDevices).build();
        List<io.cryptvol.domain.plan.Refusal> bad = probe.problems();
        if (!bad.isEmpty()) {
            throw new CryptvolException(bad.get(0).line(), ExitCode.USAGE, null);
        }
        if (newCount != null && devices == null && newCount >= 1 && sizeGiB != null && sizeGiB >= 1) {
            // keys and names are checked before --new-volumes creates anything (planning checks all again later)
            stages.requireKeys(keys);
            plans.look(PlanEngine.Options.of(yes, dryRun), ex -> {
                stages.requireNamesFree(ex, probe.vgName(), probe.mappingName(), probe.mountpoint(),
                        "; nothing was created (to continue an interrupted provision, give its --devices)");
                return null;
            });
            // new EBS volumes cost money and cannot be "planned" on the host before they exist: ask first
            String what = newCount + " new EBS volume" + (newCount == 1 ? "" : "s") + " of " + sizeGiB
                    + " GiB (gp3) in the instance's zone, attached to it";
            PlanEngine.Outcome go = plans.decide("Create " + what + "?", PlanEngine.Options.of(yes, dryRun));
            if (go == PlanEngine.Outcome.DRY_RUN) {
                ui.println("Would create " + what + ", then plan the setup on them (shown once they exist).");
                ui.println(ui.dim("dry run: nothing was created or changed"));
                return;
            }
            if (go == PlanEngine.Outcome.CANCELLED) {
                ui.println("Cancelled; nothing was created.");
                return;
            }
        }
        ProvisionSpec spec = b.devices(devices(devices, newCount, sizeGiB)).build();
        boolean done = plans.execute(stages.planning(new HostObserver.Scope(scope(spec), spec.keyNames(),
                List.of(spec.mountpoint())), h -> planner.plan(spec, h)), PlanEngine.Options.of(yes, dryRun));
        if (done) {
            SessionContext ctx = stages.context();
            ctx.set(SessionContext.Part.VG, spec.vgName());
            ctx.set(SessionContext.Part.LV, spec.lvName());
            ctx.set(SessionContext.Part.MAPPING, spec.mappingName());
            ctx.set(SessionContext.Part.MOUNTPOINT, spec.mountpoint());
        }
        if (key2 == null) {
            ui.warn("the LUKS header has one key only: add a second with 'luks add-key --key " + key
                    + " --new-key NAME', so one lost key does not lose the data");
        }
    }

    /**
     * The devices to provision: {@code --devices}, or {@code --new-volumes N --size GiB} through the
     * {@link NewVolumes} hook (EBS volumes created and attached, their device paths returned).
     */
    List<String> devices(String devices, Integer newCount, Long sizeGiB) {
        if (newCount != null) {
            if (devices != null) {
                throw new CryptvolException("give --devices or --new-volumes, not both", ExitCode.USAGE, null);
            }
            if (newCount < 1 || sizeGiB == null || sizeGiB < 1) {
                throw new CryptvolException("--new-volumes N needs N ≥ 1 and --size GiB ≥ 1", ExitCode.USAGE, null);
            }
            return newVolumes.createAndAttach(newCount, sizeGiB, stages.context().target());
        }
        List<String> ds = io.cryptvol.domain.plan.Inputs.deviceList(devices);
        if (ds.isEmpty()) {
            throw new CryptvolException("no devices: pass --devices D1,D2,... (or --new-volumes N --size GiB)", ExitCode.USAGE, null);
        }
        return ds;
    }

    /** What the observer probes: the devices, the LV and the mapping. */
    static List<String> scope(ProvisionSpec s) {
        List<String> out = new ArrayList<>(s.devices());
        out.add(s.lvPath());
        out.add(s.mapperPath());
        return out;
    }
}

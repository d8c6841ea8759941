package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.domain.plan.StagePlanner;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.SessionContext;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.List;
import java.util.Optional;

/** Filesystem stages: fs make, fstab add, mount, umount. */
@Command(group = "Stages")
public class FsCommands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final StagePlanner planner = new StagePlanner();

    private final Ui ui;

    public FsCommands(PlanEngine plans, StageSupport stages, Ui ui) {
        this.plans = plans;
        this.stages = stages;
        this.ui = ui;
    }

    @Command(command = {"fs", "make"}, description = "Make a filesystem (xfs default, ext4) on /dev/mapper/MAPPING; never over an existing one.")
    public void make(
            @Option(description = "mapping name (default: the selected mapping)")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "type", shortNames = 't', description = "xfs or ext4", defaultValue = "xfs")
            @OptionValues(provider = "stageFsCompletion") String type,
            @Option(longNames = "label", shortNames = 'L', description = "filesystem label") String label,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String m = stages.orContext(mapping, SessionContext.Part.MAPPING, "MAPPING");
        FsType t = io.cryptvol.domain.cmd.FsType.parse(type);
        plans.execute(stages.planning(HostObserver.Scope.of(List.of(), List.of()), h -> planner.fsMake(m, t, label, h)),
                PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = {"fstab", "add"}, description = "Add the seed's fstab line (/dev/mapper/M MOUNTPOINT xfs rw,noatime,nouuid,noauto 0 0), once; --crypttab adds a noauto crypttab line too.")
    public void fstabAdd(
            @Option(longNames = "mapping", description = "mapping name (default: the selected mapping)")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "mountpoint", description = "where to mount (default: the selected mountpoint)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "type", shortNames = 't', description = "xfs or ext4", defaultValue = "xfs")
            @OptionValues(provider = "stageFsCompletion") String type,
            @Option(longNames = "options", description = "mount options (default rw,noatime,nouuid,noauto for xfs)") String options,
            @Option(longNames = "crypttab", description = "also an /etc/crypttab line (luks,noauto) for the selected LV") boolean crypttab,
            @Option(longNames = "auto", description = "let each boot mount the line (drops noauto; adds nofail and a 10 s device timeout)") boolean auto,
            @Option(longNames = "force", description = "accept a system directory or a directory with files in it as the mountpoint") boolean force,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String m = stages.orContext(mapping, SessionContext.Part.MAPPING, "--mapping");
        String mp = ContextCommands.validate(SessionContext.Part.MOUNTPOINT,
                stages.orContext(mountpoint, SessionContext.Part.MOUNTPOINT, "--mountpoint"));
        FsType t = io.cryptvol.domain.cmd.FsType.parse(type);
        String given = options != null ? options : t.defaultMountOptions();
        io.cryptvol.domain.plan.Inputs.Checked checked = io.cryptvol.domain.plan.Inputs.mountOptions(given, auto);
        String opts = checked.ok() ? checked.value() : given;
        String lvPath = crypttab ? "/dev/" + stages.orContext(null, SessionContext.Part.VG, "--crypttab (use vg)") + "/"
                + stages.orContext(null, SessionContext.Part.LV, "--crypttab (use lv)") : null;
        if (checked.ok() && checked.note() != null) {
            ui.warn(checked.note());
        }
        if (plans.execute(stages.planning(new HostObserver.Scope(List.of(), List.of(), List.of(mp)),
                h -> planner.fstabAdd(m, mp, t, given, lvPath, auto, force, h)), PlanEngine.Options.of(yes, dryRun))) {
            stages.context().set(SessionContext.Part.MOUNTPOINT, mp);
        }
    }

    @Command(command = "mount", description = "Mount the selected mapping on the selected mountpoint (type and options from its fstab line).")
    public void mount(
            @Option(description = "mountpoint (default: the selected one)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "mapping", description = "mapping name (default: from fstab, else the selected mapping)")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "type", shortNames = 't', description = "xfs or ext4 (default: from fstab, else xfs)")
            @OptionValues(provider = "stageFsCompletion") String type,
            @Option(longNames = "force", description = "accept a system directory or a directory with files in it as the mountpoint") boolean force,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String mp = ContextCommands.validate(SessionContext.Part.MOUNTPOINT,
                stages.orContext(mountpoint, SessionContext.Part.MOUNTPOINT, "MOUNTPOINT"));
        plans.execute(stages.planning(new HostObserver.Scope(List.of(), List.of(), List.of(mp)),
                        h -> mountPlan(h, mp, mapping, type, force)),
                PlanEngine.Options.of(yes, dryRun));
    }

    private PlanResult mountPlan(HostState h, String mp, String mapping, String type, boolean force) {
        Optional<FstabEntry> e = h.fstabFor(mp);
        String m = mapping;
        if (m == null && e.isPresent() && e.get().source().startsWith("/dev/mapper/")) {
            m = e.get().source().substring("/dev/mapper/".length());
        }
        if (m == null) {
            m = stages.orContext(null, SessionContext.Part.MAPPING, "--mapping");
        }
        FsType t = io.cryptvol.domain.cmd.FsType.parse(type != null ? type : e.map(FstabEntry::fstype).orElse("xfs"));
        String opts = e.map(x -> String.join(",", x.options())).orElse(t.defaultMountOptions());
        return planner.mount(m, mp, t, opts, force, h);
    }

    @Command(command = "umount", description = "Unmount the selected mountpoint (refuses while processes use it).")
    public void umount(
            @Option(description = "mountpoint (default: the selected one)")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String mp = stages.orContext(mountpoint, SessionContext.Part.MOUNTPOINT, "MOUNTPOINT");
        if (!mp.startsWith("/")) {
            throw new CryptvolException("not a mountpoint: '" + mp + "'", ExitCode.USAGE, null);
        }
        plans.execute(stages.planning(new HostObserver.Scope(List.of(), List.of(), List.of(mp)), h -> planner.umount(mp, h)),
                PlanEngine.Options.of(yes, dryRun));
    }
}

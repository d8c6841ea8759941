package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.aws.EbsBatchException;
import io.cryptvol.aws.EbsVolume;
import io.cryptvol.aws.InstanceInfo;
import io.cryptvol.aws.VolumeSpec;
import io.cryptvol.aws.VolumeTags;
import io.cryptvol.session.SessionContext;
import io.cryptvol.exec.PlanEngine;
import io.cryptvol.volumes.VolumeService;
import io.cryptvol.volumes.VolumeService.CreatePlan;
import io.cryptvol.volumes.VolumeService.DetachCheck;
import io.cryptvol.volumes.VolumeService.Listed;
import io.cryptvol.volumes.VolumeService.Placed;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * EBS volumes of the session's instance: create (and attach, and find on the host), list, attach,
 * detach, delete. No device name is ever typed: cryptvol picks free attachment points and finds each
 * volume's block device on the target by its NVMe serial.
 */
@Command(group = "EBS volumes")
public class VolumeCommands {
    private final VolumeService volumes;
    private final SessionContext ctx;
    private final PlanEngine plans;
    private final Ui ui;

    public VolumeCommands(VolumeService volumes, SessionContext ctx, PlanEngine plans, Ui ui) {
        this.volumes = volumes;
        this.ctx = ctx;
        this.plans = plans;
        this.ui = ui;
    }

    /**
     * Whether to go on with the EBS change shown above: not in a dry run (the command's or the session's, which
     * changes no EBS volume either), not after a "no" ({@code cancelled} says what was not done).
     */
    private boolean go(String question, boolean yes, boolean dryRun, String cancelled) {
        PlanEngine.Outcome o = plans.decide(question, PlanEngine.Options.of(yes, dryRun));
        if (o == PlanEngine.Outcome.DRY_RUN) {
            ui.println(ui.dim("dry run: nothing was changed"));
        } else if (o == PlanEngine.Outcome.CANCELLED) {
            ui.diagnostic(cancelled);
        }
        return o == PlanEngine.Outcome.RAN;
    }

    @Command(command = {"volumes", "create"}, description = "Create N equal EBS volumes in the instance's zone, all at once, "
            + "tag them as a set, attach them at free device names and wait until the target shows each one; prints volume → device.")
    public void create(
            @Option(longNames = "count", shortNames = 'n', required = true, description = "how many volumes") int count,
            @Option(longNames = "size", required = true, description = "size of each volume in GiB") int size,
            @Option(longNames = "type", defaultValue = "gp3", description = "EBS volume type")
            @OptionValues(provider = "volumeTypeCompletion") String type,
            @Option(longNames = "iops", description = "provisioned IOPS (gp3, io1, io2)") Integer iops,
            @Option(longNames = "throughput", description = "throughput in MiB/s (gp3)") Integer throughput,
            @Option(longNames = "encrypted", description = "EBS encryption at rest (under KMS), on top of LUKS") boolean encrypted,
            @Option(longNames = "kms-key", description = "KMS key for EBS encryption (implies --encrypted)") String kmsKey,
            @Option(longNames = "vg", description = "the volume group the set is for (tag; default: the session's VG)")
            @OptionValues(provider = "vgCompletion") String vg,
            @Option(longNames = "no-attach", description = "create only (and wait until available, unless --no-wait); attach nothing")
            boolean noAttach,
            @Option(longNames = "no-wait", description = "return right after CreateVolume (and AttachVolume): print the ids, wait for nothing")
            boolean noWait,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show what would be created") boolean dryRun) {
        String t = type.toLowerCase(Locale.ROOT);
        if (!AwsConfig.VOLUME_TYPES.contains(t)) {
            throw new CryptvolException("unknown volume type '" + type + "' (use " + String.join(", ", AwsConfig.VOLUME_TYPES) + ")", ExitCode.USAGE, null);
        }
        if (size < 1) {
            throw new CryptvolException("--size must be at least 1 (GiB)", ExitCode.USAGE, null);
        }
        if ((iops != null && iops < 1) || (throughput != null && throughput < 1)) {
            throw new CryptvolException("--iops and --throughput must be positive", ExitCode.USAGE, null);
        }
        String setVg = vg != null && !vg.isBlank() ? ContextCommands.validate(SessionContext.Part.VG, vg) : ctx.vg();
        VolumeSpec spec = VolumeSpec.of(size, t).withPerformance(iops, throughput)
                .withEncryption(encrypted || kmsKey != null, kmsKey);
        CreatePlan plan = volumes.planCreate(count, spec, setVg);
        InstanceInfo in = plan.instance();
        Consumer<String> show = ui.shown(plans.previewOnly(dryRun));
        String volumesWord = "volume" + (count == 1 ? "" : "s");
        show.accept(ui.bold("Create " + count + " EBS " + volumesWord + (noAttach ? " in " + in.availabilityZone() + " (not attached)"
                : " and attach them to " + in.id())) + ui.dim("  (" + in.availabilityZone() + ", " + in.state() + ")"));
        show.accept("  " + count + " × " + size + " GiB " + t + (iops == null ? "" : ", " + iops + " IOPS")
                + (throughput == null ? "" : ", " + throughput + " MiB/s")
                + (spec.encrypted() ? ", EBS-encrypted" + (kmsKey == null ? " (default key)" : " with " + kmsKey) : ""));
        show.accept("  tags: " + VolumeTags.SET + "=" + plan.setId()
                + (setVg == null ? "" : ", " + VolumeTags.VG + "=" + setVg) + ", Name, index, count");
        if (!noAttach) {
            show.accept("  device names: " + String.join(" ", plan.freeDeviceNames()) + ui.dim(" (free now; in set order)"));
        }
        show.accept(noWait ? "  then return without waiting" + (noAttach ? "" : " (beyond 'available', which AttachVolume needs)")
                : noAttach ? "  then wait until each is available"
                : "  then wait until " + ctx.target().display() + " shows each one (NVMe serial = volume id)");
        if (!go((noAttach ? "Create " : "Create and attach ") + count + " " + volumesWord + "?", yes, dryRun,
                "Cancelled; nothing was created.")) {
            return;
        }
        List<Placed> placed;
        try {
            placed = volumes.create(plan, !noAttach, !noWait, new VolumeProgressLines(ui, count, ctx.target().display()));
        } catch (EbsBatchException e) {
            throw EbsLeftovers.explain(e, true);
        }
        List<String> ids = placed.stream().map(p -> p.volume().id()).toList();
        if (noAttach || noWait) {
            ui.table(List.of("#", "VOLUME", "SIZE", "TYPE", "STATE", "ATTACHED AS"), placed.stream()
                    .map(p -> List.of(String.valueOf(p.index() + 1), p.volume().id(), p.volume().sizeGiB() + " GiB",
                            p.volume().type(), nz(p.volume().state()), attachedAs(p.volume())))
                    .toList());
            ui.ok(count + " " + volumesWord + (noAttach ? " created" : " created, attaching to " + in.id())
                    + (noWait ? " (not waited for; see 'volumes list')" : "")
                    + (noAttach ? "; attach with 'volumes attach " + String.join(" ", ids) + "'" : "")
                    + ui.dim("  (set " + plan.setId() + ")"));
            return;
        }
        ui.table(List.of("#", "VOLUME", "SIZE", "TYPE", "ATTACHED AS", "DEVICE"), placed.stream()
                .map(p -> List.of(String.valueOf(p.index() + 1), p.volume().id(), p.volume().sizeGiB() + " GiB",
                        p.volume().type(), attachedAs(p.volume()), p.hostDevice()))
                .toList());
        ui.ok(count + " " + volumesWord + " attached to " + in.id() + " as "
                + String.join(" ", placed.stream().map(Placed::hostDevice).toList()) + ui.dim("  (set " + plan.setId() + ")"));
    }

    @Command(command = {"volumes", "list"}, description = "List the instance's volumes and cryptvol's volume sets: id, size, type, state, "
            + "attachment, host device, set tags.")
    public void list(
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output,
            @Option(longNames = "all", shortNames = 'a', description = "every volume in the region") boolean all) {
        OutputFormat format = OutputFormat.parse(output);
        List<String> warnings = new ArrayList<>();
        List<Listed> listed = volumes.list(all, warnings);
        warnings.forEach(ui::warn); // on stderr in one-command mode: with -o json too, where stdout is only the JSON
        if (format == OutputFormat.JSON) {
            ui.json(listed.stream().map(VolumeCommands::json).toList());
            return;
        }
        if (listed.isEmpty()) {
            ui.println(ctx.instanceId() == null ? "No cryptvol volumes (no instance selected: 'use instance i-…')."
                    : "No volumes attached to " + ctx.instanceId() + " and no cryptvol volume sets.");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (Listed l : listed) {
            EbsVolume v = l.volume();
            rows.add(List.of(v.id(), v.sizeGiB() + " GiB", v.type(), v.state(),
                    v.attachment().map(a -> a.instanceId() + " " + a.device() + (a.state().equals("attached") ? "" : " (" + a.state() + ")"))
                            .orElse("-"),
                    l.hostDevice() == null ? "-" : l.hostDevice(),
                    setLabel(v), nz(v.tag(VolumeTags.VG))));
        }
        ui.table(List.of("VOLUME", "SIZE", "TYPE", "STATE", "ATTACHMENT", "DEVICE", "SET", "VG"), rows);
    }

    @Command(command = {"volumes", "attach"}, description = "Attach available volumes to the instance at free device names and "
            + "wait until the target shows each one.")
    public void attach(
            @Option(required = true, arityMin = 1, arityMax = 16, description = "volume ids")
            @OptionValues(provider = "volumeIdCompletion") String[] volume,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show what would be attached") boolean dryRun) {
        List<EbsVolume> vols = volumes.checkAttach(Arrays.asList(volume));
        String instance = volumes.instanceId();
        Consumer<String> show = ui.shown(plans.previewOnly(dryRun));
        show.accept(ui.bold("Attach " + vols.size() + " volume" + (vols.size() == 1 ? "" : "s") + " to " + instance));
        vols.forEach(v -> show.accept("  " + v.id() + "  " + v.sizeGiB() + " GiB " + v.type() + setSuffix(v)));
        if (!go("Attach?", yes, dryRun, "Cancelled; nothing was attached.")) {
            return;
        }
        List<Placed> placed;
        try {
            placed = volumes.attach(vols.stream().map(EbsVolume::id).toList(),
                    new VolumeProgressLines(ui, vols.size(), ctx.target().display()));
        } catch (EbsBatchException e) {
            throw EbsLeftovers.explain(e, false);
        }
        ui.table(List.of("VOLUME", "ATTACHED AS", "DEVICE"), placed.stream()
                .map(p -> List.of(p.volume().id(), attachedAs(p.volume()), p.hostDevice())).toList());
        ui.ok("attached to " + instance);
    }

    @Command(command = {"volumes", "detach"}, description = "Detach volumes from the instance; refuses while the host device has "
            + "holders, mounts or belongs to a VG that is not exported.")
    public void detach(
            @Option(required = true, arityMin = 1, arityMax = 16, description = "volume ids")
            @OptionValues(provider = "volumeIdCompletion") String[] volume,
            @Option(longNames = "force", description = "EC2 force-detach (for an attachment stuck in detaching); host checks still apply")
            boolean force,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only check and show what would be detached") boolean dryRun) {
        List<DetachCheck> checks = volumes.checkDetach(Arrays.asList(volume));
        List<String> refusals = checks.stream().map(DetachCheck::refusal).filter(r -> r != null).toList();
        if (!refusals.isEmpty()) {
            if (refusals.size() > 1 || !ui.oneCommand()) { // one, on stderr: the error line says it
                refusals.forEach(r -> ui.diagnostic("  - " + r));
            }
            throw new CryptvolException(refusals.size() == 1 ? "refused: " + refusals.get(0) + "; nothing was detached"
                    : "refused (" + refusals.size() + " problems above); nothing was detached", ExitCode.FAILED, null);
        }
        Consumer<String> show = ui.shown(plans.previewOnly(dryRun));
        show.accept(ui.bold("Detach " + checks.size() + " volume" + (checks.size() == 1 ? "" : "s") + " from " + volumes.instanceId())
                + (force ? ui.yellow("  (forced)") : ""));
        checks.forEach(c -> show.accept("  " + c.volume().id() + "  " + attachedAs(c.volume())
                + "  " + (c.hostDevice() == null ? ui.dim("(not seen on the host)") : c.hostDevice() + " (unused)")));
        if (!go("Detach?", yes, dryRun, "Cancelled; nothing was detached.")) {
            return;
        }
        volumes.detach(checks, force, new VolumeProgressLines(ui, checks.size(), ctx.target().display()));
        ui.ok("detached " + String.join(" ", checks.stream().map(c -> c.volume().id()).toList()));
    }

    @Command(command = {"volumes", "delete"}, description = "Delete detached volumes (asks first; their data is gone for good).")
    public void delete(
            @Option(required = true, arityMin = 1, arityMax = 64, description = "volume ids")
            @OptionValues(provider = "volumeIdCompletion") String[] volume,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show what would be deleted") boolean dryRun) {
        List<EbsVolume> vols = volumes.checkDelete(Arrays.asList(volume));
        Consumer<String> show = ui.shown(plans.previewOnly(dryRun));
        show.accept(ui.bold("Delete " + vols.size() + " volume" + (vols.size() == 1 ? "" : "s") + " for good"));
        vols.forEach(v -> show.accept("  " + v.id() + "  " + v.sizeGiB() + " GiB " + v.type() + "  " + v.availabilityZone() + setSuffix(v)));
        if (!go("Delete " + (vols.size() == 1 ? "it" : "all " + vols.size()) + "? Their data cannot be recovered", yes, dryRun, "Cancelled; nothing was deleted.")) {
            return;
        }
        volumes.delete(vols.stream().map(EbsVolume::id).toList(),
                new VolumeProgressLines(ui, vols.size(), ctx.target().display()));
        ui.ok("deleted " + String.join(" ", vols.stream().map(EbsVolume::id).toList()));
    }

    /** The instance as {@code use instance} shows it. */
    static void printInstance(Ui ui, InstanceInfo info) {
        ui.ok("using instance " + info.id() + " (" + info.availabilityZone() + ", " + info.state() + ")");
        if (info.disks().isEmpty()) {
            ui.println("  no EBS volumes attached");
            return;
        }
        ui.table(List.of("DEVICE NAME", "VOLUME", "STATUS"), info.disks().stream()
                .map(d -> List.of(d.device(), d.volumeId(), nz(d.status()))).toList());
    }

    private static String attachedAs(EbsVolume v) {
        return v.attachment().map(EbsVolume.Attachment::device).orElse("-");
    }

    private static String setLabel(EbsVolume v) {
        String set = v.tag(VolumeTags.SET);
        if (set == null) {
            return "-";
        }
        return set.substring(0, Math.min(8, set.length())) + " " + nz(v.tag(VolumeTags.INDEX)) + "/" + nz(v.tag(VolumeTags.COUNT));
    }

    private static String setSuffix(EbsVolume v) {
        return v.tag(VolumeTags.SET) == null ? "" : "  set " + setLabel(v);
    }

    private static Map<String, Object> json(Listed l) {
        EbsVolume v = l.volume();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("sizeGiB", v.sizeGiB());
        m.put("type", v.type());
        m.put("iops", v.iops());
        m.put("throughput", v.throughput());
        m.put("encrypted", v.encrypted());
        m.put("availabilityZone", v.availabilityZone());
        m.put("state", v.state());
        m.put("instanceId", v.attachment().map(EbsVolume.Attachment::instanceId).orElse(null));
        m.put("attachedAs", v.attachment().map(EbsVolume.Attachment::device).orElse(null));
        m.put("attachmentState", v.attachment().map(EbsVolume.Attachment::state).orElse(null));
        m.put("hostDevice", l.hostDevice());
        m.put("set", v.tag(VolumeTags.SET));
        m.put("index", v.tag(VolumeTags.INDEX));
        m.put("count", v.tag(VolumeTags.COUNT));
        m.put("vg", v.tag(VolumeTags.VG));
        m.put("tags", v.tags());
        return m;
    }

    private static String nz(String s) {
        return s == null ? "-" : s;
    }
}

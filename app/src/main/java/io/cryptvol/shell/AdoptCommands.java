package io.cryptvol.shell;

import io.cryptvol.adopt.AdoptService;
import io.cryptvol.adopt.AdoptService.Report;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.plan.AdoptPlanner;
import io.cryptvol.domain.plan.AdoptPlanner.Found;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code adopt}: take over a volume built by hand, so that every day-2 command works on it. */
@Command(group = "Day 2")
public class AdoptCommands {
    private final AdoptService adopt;
    private final StageSupport stages;
    private final io.cryptvol.exec.PlanEngine plans;
    private final Ui ui;

    public AdoptCommands(AdoptService adopt, StageSupport stages, io.cryptvol.exec.PlanEngine plans,
                         Ui ui) {
        this.adopt = adopt;
        this.stages = stages;
        this.plans = plans;
        this.ui = ui;
    }

    @Command(command = "adopt", description = "Take over an encrypted volume built by hand (LVM striped or linear, "
            + "LUKS1 or LUKS2, XFS or ext4, fstab with or without noauto, no crypttab): says what it found (VG, LV, "
            + "stripes, PVs and their EBS volumes, LUKS version/cipher/slots/UUID, mapping, mountpoint, fstab line), "
            + "which store keys open which key slots, selects it, and after asking tags its EBS volumes as a cryptvol set.")
    public void adopt(
            @Option(longNames = "mountpoint", description = "where it is (or would be) mounted")
            @OptionValues(provider = "stageMountpointCompletion") String mountpoint,
            @Option(longNames = "vg", description = "its volume group") @OptionValues(provider = "stageVgCompletion") String vg,
            @Option(longNames = "lv", description = "its LV, when the VG has several") @OptionValues(provider = "stageLvCompletion") String lv,
            @Option(longNames = "mapping", description = "its /dev/mapper name, when it is closed and fstab does not tell")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "key", description = "store keys to test (comma-separated; default: every key)")
            @OptionValues(provider = "stageKeyCompletion") String keys,
            @Option(longNames = "yes", shortNames = 'y', description = "tag the EBS volumes without asking") boolean yes,
            @Option(longNames = "dry-run", description = "only look and say what would be recorded and tagged") boolean dryRun,
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        List<String> keyNames = keys == null || keys.isBlank() ? List.of() : List.of(keys.split(","));
        Report r = adopt.inspect(new AdoptPlanner.Selector(mountpoint, vg, lv, mapping), keyNames);
        io.cryptvol.exec.PlanEngine.Options opts = io.cryptvol.exec.PlanEngine.Options.of(yes, dryRun);
        boolean dry = plans.previewOnly(dryRun); // the one switch
        if (!dry) {
            stages.remember(r.state());
        }
        // with -o json the JSON is the whole result: what follows it goes with the diagnostics (stderr in one-command mode)
        boolean json = format == OutputFormat.JSON;
        java.util.function.Consumer<String> say = json ? ui::diagnostic : ui::println;
        java.util.function.Consumer<String> ok = json ? t -> ui.diagnostic(ui.green("✔ ") + t) : ui::ok;
        if (json) {
            ui.json(json(r));
        } else {
            render(r);
        }
        warnings(r);
        if (dry) {
            if (!r.tagged() && r.allEbs()) {
                say.accept("would tag " + r.members().size() + " EBS volumes as cryptvol set " + r.setId());
            }
            say.accept("would select " + selection(r.found()) + " and record " + r.keys().size() + " key slot"
                    + (r.keys().size() == 1 ? "" : "s"));
            say.accept(ui.dim("dry run: nothing was changed"));
            return;
        }
        adopt.record(r);
        if (r.tagged()) {
            say.accept("EBS volumes already tagged as cryptvol set " + r.setId());
        } else if (r.allEbs()) {
            if (plans.decide("Tag the " + r.members().size() + " EBS volumes of VG " + r.found().vg() + " ("
                    + String.join(", ", r.volumeIds()) + ") as cryptvol set " + r.setId().substring(0, 8) + "?",
                    opts) == io.cryptvol.exec.PlanEngine.Outcome.RAN) {
                adopt.tag(r);
                ok.accept("tagged " + r.members().size() + " EBS volumes as cryptvol set " + r.setId());
            } else {
                say.accept("not tagged: 'volumes list' and snapshots name the set by these tags; run adopt again to tag");
            }
        }
        ok.accept("adopted " + selection(r.found()) + ": detach, unlock, snapshot, grow and restore now work on it");
    }

    private void render(Report r) {
        Found f = r.found();
        LuksHeader l = f.luks();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("VG / LV", f.vg() + "/" + f.lv() + " (" + f.lvPath() + ")");
        m.put("layout", f.layout() + ", " + f.pvs().size() + " PV" + (f.pvs().size() == 1 ? "" : "s"));
        m.put("LUKS", "LUKS" + l.version() + " " + l.cipher() + " " + l.keyBits() + " bit, hash " + l.hash()
                + ", key slots " + l.activeKeySlots() + ", UUID " + l.uuid());
        m.put("mapping", "/dev/mapper/" + f.mapping() + (f.open() ? " (open)" : " (closed)"));
        m.put("filesystem", f.fstype());
        m.put("mountpoint", f.mountpoint() == null ? null : f.mountpoint() + (f.mounted() ? " (mounted)" : " (not mounted)"));
        m.put("fstab", f.fstab() == null ? "no line" : f.fstab().line());
        m.put("crypttab", f.crypttab() ? "a line names " + f.mapping() : "no line (unlock is by hand: cryptvol unlock)");
        m.put("EBS set", r.tagged() ? r.setId() : r.allEbs() ? "not tagged yet" : "unknown");
        ui.keyValues(m);
        List<List<String>> rows = new ArrayList<>();
        for (AdoptService.Member mb : r.members()) {
            rows.add(List.of(mb.pv(), mb.volumeId() == null ? "?" : mb.volumeId()));
        }
        ui.table(List.of("PV", "EBS VOLUME"), rows);
        List<List<String>> keys = new ArrayList<>();
        r.keys().forEach(k -> keys.add(List.of(String.valueOf(k.slot()), k.key())));
        r.unknownSlots().forEach(s -> keys.add(List.of(String.valueOf(s), "? (no store key opens it)")));
        ui.table(List.of("SLOT", "KEY"), keys);
    }

    private void warnings(Report r) {
        Found f = r.found();
        if (r.ebsNote() != null) {
            ui.warn("EBS: " + r.ebsNote());
        }
        if (!r.unknownSlots().isEmpty()) {
            ui.warn("key slot" + (r.unknownSlots().size() == 1 ? " " : "s ") + r.unknownSlots() + " of " + f.lvPath()
                    + " open with no key in the store: import its key file ('keys import NAME --from FILE') and adopt again");
        }
        if (r.keys().isEmpty()) {
            ui.warn("no key in the store opens " + f.lvPath() + ": unlock will ask for a key file or a passphrase");
        }
        if (f.fstab() != null && !f.noauto() && !f.crypttab()) {
            ui.warn("the fstab line has no noauto and no crypttab line opens " + f.mapping()
                    + ": a boot waits for /dev/mapper/" + f.mapping() + "; add noauto");
        }
        int slots = f.luks().activeKeySlots().size();
        if (slots < 2) {
            ui.warn(f.lvPath() + " has " + slots + " key slot" + (slots == 1 ? "" : "s")
                    + ": add a second key (luks add-key) so one lost key does not lose the data");
        }
    }

    private static String selection(Found f) {
        return f.vg() + "/" + f.lv() + " → " + f.mapping() + (f.mountpoint() == null ? "" : " @" + f.mountpoint());
    }

    private static Map<String, Object> json(Report r) {
        Found f = r.found();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vg", f.vg());
        m.put("lv", f.lv());
        m.put("lvPath", f.lvPath());
        m.put("stripes", f.stripes());
        m.put("stripeSizeBytes", f.stripeSizeBytes());
        m.put("pvs", r.members().stream().map(x -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("pv", x.pv());
            p.put("volumeId", x.volumeId());
            return p;
        }).toList());
        Map<String, Object> luks = new LinkedHashMap<>();
        luks.put("version", f.luks().version());
        luks.put("cipher", f.luks().cipher());
        luks.put("keyBits", f.luks().keyBits());
        luks.put("hash", f.luks().hash());
        luks.put("uuid", f.luks().uuid());
        luks.put("keySlots", f.luks().activeKeySlots());
        m.put("luks", luks);
        m.put("mapping", f.mapping());
        m.put("open", f.open());
        m.put("filesystem", f.fstype());
        m.put("mountpoint", f.mountpoint());
        m.put("mounted", f.mounted());
        m.put("fstab", f.fstab() == null ? null : f.fstab().line());
        m.put("noauto", f.noauto());
        m.put("crypttab", f.crypttab());
        m.put("set", r.setId());
        m.put("tagged", r.tagged());
        m.put("keys", r.keys().stream().map(k -> Map.of("key", k.key(), "slot", k.slot())).toList());
        m.put("unknownSlots", r.unknownSlots());
        m.put("ebsNote", r.ebsNote());
        return m;
    }
}

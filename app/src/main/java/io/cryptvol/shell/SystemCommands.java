package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.InventoryNames;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.Inventory;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the target has: block devices, kernel modules. */
@Command(group = "Host")
public class SystemCommands {
    private final HostAccess hosts;
    private final Ui ui;
    private final Inventory inventory;
    private final PlanEngine plans;

    public SystemCommands(HostAccess hosts, Ui ui, Inventory inventory, PlanEngine plans) {
        this.hosts = hosts;
        this.ui = ui;
        this.inventory = inventory;
        this.plans = plans;
    }

    @Command(command = "devices", description = "List the target's block devices (lsblk): size, serial (EBS volume id), type, filesystem, mountpoints, holders.")
    public void devices(
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output,
            @Option(longNames = "all", shortNames = 'a', description = "also list loop, rom and zram devices") boolean all) {
        OutputFormat format = OutputFormat.parse(output);
        List<BlockDevice> top = new HostObserver(hosts.executor()).devices();
        HostState h = HostState.empty().withDevices(top);
        List<BlockDevice> flat = top.stream().flatMap(BlockDevice::selfAndDescendants)
                .filter(d -> all || !InventoryNames.noise(d)).toList();
        InventoryNames.devices(h).forEach(inventory::put); // what Tab offers: the same rule as every stage command
        if (format == OutputFormat.JSON) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (BlockDevice d : flat) {
                out.add(json(d, InventoryNames.free(h, d)));
            }
            ui.json(out);
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (BlockDevice d : flat) {
            rows.add(List.of(d.path() == null ? d.name() : d.path(), Sizes.human(d.sizeBytes()), type(d),
                    volumeId(d.serial()), nz(d.model()), nz(d.fstype()), String.join(",", d.mountpoints()),
                    String.join(",", d.children().stream().map(BlockDevice::name).toList()),
                    InventoryNames.free(h, d) ? "free" : ""));
        }
        ui.table(List.of("DEVICE", "SIZE", "TYPE", "SERIAL", "MODEL", "FSTYPE", "MOUNTPOINTS", "HOLDERS", ""), rows);
    }

    @Command(command = {"modules", "load"}, description = "Load dm-crypt and the cipher's kernel modules and persist them in modules-load.d (skips built-ins).")
    public void modulesLoad(
            @Option(longNames = "legacy", description = "also the seed's old LUKS1 format (aes-cbc-essiv:sha256, ripemd160)") boolean legacy,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        plans.execute(ex -> io.cryptvol.host.ModulesObservation.plan(ex, legacy), PlanEngine.Options.of(yes, dryRun));
    }

    /** "vol0abc…" (NVMe serial of an EBS volume) shown as the volume id "vol-0abc…". */
    static String volumeId(String serial) {
        if (serial == null) {
            return "";
        }
        String s = serial.strip();
        if (s.matches("vol[0-9a-f]{8,17}")) {
            return "vol-" + s.substring(3);
        }
        return s;
    }

    private static String type(BlockDevice d) {
        return d.type() == null ? "" : d.type().name().toLowerCase();
    }

    private static String nz(String s) {
        return s == null ? "" : s.strip();
    }

    private static Map<String, Object> json(BlockDevice d, boolean free) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        m.put("path", d.path());
        m.put("sizeBytes", d.sizeBytes());
        m.put("type", type(d));
        m.put("serial", d.serial() == null ? null : d.serial().strip());
        m.put("volumeId", d.serial() == null || !volumeId(d.serial()).startsWith("vol-") ? null : volumeId(d.serial()));
        m.put("model", d.model() == null ? null : d.model().strip());
        m.put("fstype", d.fstype());
        m.put("uuid", d.uuid());
        m.put("mountpoints", d.mountpoints());
        m.put("holders", d.children().stream().map(BlockDevice::name).toList());
        m.put("parent", d.parentName());
        m.put("free", free);
        return m;
    }
}

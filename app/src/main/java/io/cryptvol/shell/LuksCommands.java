package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.plan.StagePlanner;
import io.cryptvol.day2.KeyChoice;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.Prompt;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** LUKS stages: format, add-key, open, close, status. Keys by name; bytes only on stdin or tmpfs. */
@Command(command = "luks", group = "Stages")
public class LuksCommands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final HostAccess hosts;
    private final Ui ui;
    private final Prompt prompt;
    private final StagePlanner planner = new StagePlanner();
    /** Unlock policies (#18) in the LUKS2 headers, for the status. */
    private io.cryptvol.unlock.UnlockPolicyService policies;

    @org.springframework.beans.factory.annotation.Autowired(required = false)
    void policies(io.cryptvol.unlock.UnlockPolicyService policies) {
        this.policies = policies;
    }

    public LuksCommands(PlanEngine plans, StageSupport stages, HostAccess hosts, Ui ui, Prompt prompt) {
        this.prompt = prompt;
        this.plans = plans;
        this.stages = stages;
        this.hosts = hosts;
        this.ui = ui;
    }

    @Command(command = "format", description = "Format a device (the LV) as LUKS with a named key. Default LUKS2 aes-xts-plain64 512-bit argon2id; --preset legacy-luks1 for the seed's format.")
    public void format(
            @Option(description = "device, e.g. /dev/myvg/mylv (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "key", description = "name of the key that formats it", required = true)
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "preset", description = "luks2 (default) or legacy-luks1")
            @OptionValues(provider = "stagePresetCompletion") String preset,
            @Option(longNames = "type", description = "luks1 or luks2") String type,
            @Option(longNames = "cipher", description = "e.g. aes-xts-plain64, aes-cbc-essiv:sha256") String cipher,
            @Option(longNames = "hash", description = "e.g. sha256, ripemd160") String hash,
            @Option(longNames = "key-size", description = "volume key bits, e.g. 512, 256") Integer keySize,
            @Option(longNames = "pbkdf", description = "argon2id, argon2i or pbkdf2") String pbkdf,
            @Option(longNames = "iter-time", description = "PBKDF benchmark time in ms") Integer iterTime,
            @Option(longNames = "pbkdf-force-iterations", description = "fixed PBKDF iterations (no benchmark)") Integer forceIterations,
            @Option(longNames = "pbkdf-memory", description = "argon2 memory in KiB") Integer memory,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String dev = device != null ? io.cryptvol.domain.plan.Inputs.devPath(device) : selectedLv();
        LuksOptions o = new io.cryptvol.domain.plan.LuksSettings(preset, type, cipher, hash, keySize, pbkdf, iterTime, forceIterations, memory).options();
        plans.execute(stages.planning(HostObserver.Scope.of(List.of(dev), List.of()), h -> planner.luksFormat(dev, key, o, h)),
                PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = "add-key", description = "Add a key to a new slot. The key that opens it: --key NAME, --key-file PATH, "
            + "--key-backup DIR or --passphrase; the key to add: --new-key NAME, --new-key-file PATH, --new-key-backup DIR or "
            + "--new-passphrase (typed twice). The existing key goes on stdin, the new one via a 0600 tmpfs file, shredded.")
    public void addKey(
            @Option(description = "LUKS device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "key", description = "a key from the key store that opens it (with --key-backup: its name)")
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "key-file", description = "a key file on this machine that opens it (sent on stdin, never copied)") String keyFile,
            @Option(longNames = "key-backup", description = "a backup directory holding the key that opens it") String keyBackup,
            @Option(longNames = "passphrase", description = "type the passphrase that opens it (no echo, never recorded)") boolean passphrase,
            @Option(longNames = "new-key", description = "the key to add, from the key store (with --new-key-backup: its name)")
            @OptionValues(provider = "stageKeyCompletion") String newKey,
            @Option(longNames = "new-key-file", description = "a key file on this machine to add") String newKeyFile,
            @Option(longNames = "new-key-backup", description = "a backup directory holding the key to add") String newKeyBackup,
            @Option(longNames = "new-passphrase", description = "type the passphrase to add (twice, no echo, never recorded)") boolean newPassphrase,
            @Option(longNames = "pbkdf", description = "argon2id (LUKS2 default), argon2i or pbkdf2") String pbkdf,
            @Option(longNames = "iter-time", description = "PBKDF benchmark time in ms") Integer iterTime,
            @Option(longNames = "pbkdf-force-iterations", description = "fixed PBKDF iterations") Integer forceIterations,
            @Option(longNames = "pbkdf-memory", description = "argon2 memory in KiB") Integer memory,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String dev = device != null ? io.cryptvol.domain.plan.Inputs.devPath(device) : selectedLv();
        LuksOptions o = io.cryptvol.domain.plan.LuksSettings.kdf(pbkdf, iterTime, forceIterations, memory).options();
        // both keys through the one resolver (day2/KeyChoice), each from one source; checked before any question
        KeyChoice.check(key, keyFile, keyBackup, passphrase, "the key that opens it", "");
        KeyChoice.check(newKey, newKeyFile, newKeyBackup, newPassphrase, "the key to add", "new-");
        try (KeyChoice existing = KeyChoice.resolve(key, keyFile, keyBackup, passphrase,
                KeyChoice.asking(prompt, "Passphrase that opens " + dev, false));
             KeyChoice added = KeyChoice.resolve(newKey, newKeyFile, newKeyBackup, newPassphrase,
                     KeyChoice.asking(prompt, "New passphrase for " + dev, true)).distinctFrom(existing)) {
            PlanRunner.KeySource extra = ref -> {
                byte[] b = existing.source().bytes(ref);
                return b != null ? b : added.source().bytes(ref);
            };
            plans.withKeys(extra).execute(stages.planning(HostObserver.Scope.of(List.of(dev),
                            List.of(existing.label(), added.label())), extra,
                    h -> planner.luksAddKey(dev, existing.label(), added.label(), o, h)), PlanEngine.Options.of(yes, dryRun));
        }
    }

    @Command(command = "open", description = "Open a LUKS device as /dev/mapper/MAPPING with a named key; selects the mapping.")
    public void open(
            @Option(description = "LUKS device", required = true)
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(description = "mapping name (default: the selected mapping)")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "key", description = "key name", required = true)
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String dev = io.cryptvol.domain.plan.Inputs.devPath(device);
        String m = ContextCommands.validate(SessionContext.Part.MAPPING,
                stages.orContext(mapping, SessionContext.Part.MAPPING, "MAPPING"));
        if (plans.execute(stages.planning(HostObserver.Scope.of(List.of(dev), List.of(key)),
                h -> planner.luksOpen(dev, m, key, h)), PlanEngine.Options.of(yes, dryRun))) {
            stages.context().set(SessionContext.Part.MAPPING, m);
        }
    }

    @Command(command = "close", description = "Close /dev/mapper/MAPPING (refuses while mounted).")
    public void close(
            @Option(description = "mapping name (default: the selected mapping)")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String m = stages.orContext(mapping, SessionContext.Part.MAPPING, "MAPPING");
        plans.execute(stages.planning(HostObserver.Scope.of(List.of(), List.of()), h -> planner.luksClose(m, h)),
                PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = "status", description = "LUKS devices: backing device, type, cipher, key slots, UUID, open mapping. Warns below 2 key slots.")
    public void status(
            @Option(description = "only this mapping or device")
            @OptionValues(provider = "stageMappingCompletion") String which,
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        HostObserver o = stages.observer(hosts.executor());
        HostState h0 = o.devicesAndLvm();
        List<String> candidates = new ArrayList<>();
        h0.lvs().stream().filter(l -> l.active()).forEach(l -> candidates.add(l.dmPath()));
        h0.allDevices().stream().filter(d -> d.type() == io.cryptvol.domain.model.DeviceType.DISK
                || d.type() == io.cryptvol.domain.model.DeviceType.PART).forEach(d -> candidates.add(d.path()));
        HostState h = o.observe(HostObserver.Scope.of(candidates, List.of()), stages.keys());
        stages.remember(h);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (LuksHeader l : h.luks().values().stream().sorted(java.util.Comparator.comparing(LuksHeader::device)).toList()) {
            String mapping = h.cryptHolderOf(l.device()).map(BlockDevice::name).orElse(null);
            if (which != null && !which.equals(mapping) && !h.sameDevice(io.cryptvol.domain.plan.Inputs.devPath(which), l.device())) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("device", lvPath(h, l.device()));
            m.put("type", "luks" + l.version());
            m.put("cipher", l.cipher());
            m.put("keyBits", l.keyBits());
            m.put("hash", l.hash());
            m.put("pbkdf", l.pbkdf());
            m.put("keySlots", l.activeKeySlots());
            m.put("uuid", l.uuid());
            m.put("mapping", mapping);
            m.put("policies", l.version() == 2 && policies != null ? policies.policies(hosts.executor(), List.of(l.device()))
                    .stream().map(p -> p.method() + " (token " + p.tokenId() + ", key slot " + p.keySlot()
                            + (p.keyId() == null ? "" : ", " + p.keyId()) + (p.mapping() == null ? ", no boot unit here"
                            : p.unitEnabled() ? ", cryptvol-unlock@" + p.mapping() + " enabled" : ", unit disabled") + ")").toList()
                    : List.of());
            rows.add(m);
        }
        if (which != null && rows.isEmpty()) {
            throw new CryptvolException("no LUKS device or open mapping '" + which + "' on " + hosts.executor().target(), ExitCode.FAILED, null);
        }
        if (format == OutputFormat.JSON) {
            ui.json(rows);
        } else if (rows.isEmpty()) {
            ui.println("No LUKS devices on " + hosts.executor().target() + ".");
        } else {
            ui.table(List.of("DEVICE", "TYPE", "CIPHER", "KEY", "PBKDF", "SLOTS", "UUID", "MAPPING"), rows.stream()
                    .map(m -> List.of(String.valueOf(m.get("device")), String.valueOf(m.get("type")),
                            String.valueOf(m.get("cipher")), m.get("keyBits") + " bit", String.valueOf(m.get("pbkdf")),
                            String.valueOf(((List<?>) m.get("keySlots")).size()), String.valueOf(m.get("uuid")),
                            m.get("mapping") == null ? "-" : String.valueOf(m.get("mapping")))).toList());
        }
        if (format != OutputFormat.JSON) {
            for (Map<String, Object> m : rows) {
                for (Object p : (List<?>) m.get("policies")) {
                    ui.println(m.get("device") + ": unlock policy " + p);
                }
            }
        }
        for (Map<String, Object> m : rows) {
            int n = ((List<?>) m.get("keySlots")).size();
            if (n < 2) {
                ui.warn(m.get("device") + " has " + n + " key slot" + (n == 1 ? "" : "s")
                        + ": add a second key (luks add-key) so one lost key does not lose the data");
            }
        }
    }

    private static String lvPath(HostState h, String dev) {
        return h.lvs().stream().filter(l -> l.hasPath(dev)).map(l -> l.path()).findFirst().orElse(dev);
    }

    private String selectedLv() {
        String vg = stages.orContext(null, SessionContext.Part.VG, "DEVICE");
        String lv = stages.orContext(null, SessionContext.Part.LV, "DEVICE");
        return "/dev/" + vg + "/" + lv;
    }
}

package io.cryptvol.shell;

import io.cryptvol.CryptvolException;
import io.cryptvol.ExitCode;
import io.cryptvol.domain.plan.Inputs;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanEngine;
import io.cryptvol.session.HostAccess;
import io.cryptvol.session.SessionContext;
import io.cryptvol.unlock.UnlockPolicyService;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unattended unlock at boot (#18), off by default: {@code unlock policy kms|show|remove} and {@code luks remove-key}.
 * The policy's KMS-wrapped key lives in a LUKS2 token of the volume's own header, so it travels with every snapshot.
 */
@Command(group = "Day 2")
public class UnlockPolicyCommands {
    private final PlanEngine plans;
    private final StageSupport stages;
    private final HostAccess hosts;
    private final UnlockPolicyService policies;
    private final Ui ui;

    public UnlockPolicyCommands(PlanEngine plans, StageSupport stages, HostAccess hosts, UnlockPolicyService policies, Ui ui) {
        this.plans = plans;
        this.stages = stages;
        this.hosts = hosts;
        this.policies = policies;
        this.ui = ui;
    }

    @Command(command = "unlock policy kms", description = "Unlock at boot without a person: a new key from KMS "
            + "(GenerateDataKey, encryption context = LUKS UUID and VG) in a new key slot, its wrapped copy in a LUKS2 "
            + "token of the header, and cryptvol-unlock@MAPPING.service (IMDSv2 role credentials, kms:Decrypt, the key "
            + "piped to cryptsetup, then the mount; bounded, never holds the boot). LUKS2 only; the other slots stay.")
    public void kms(
            @Option(longNames = "key-id", description = "KMS key id, ARN or alias (alias/NAME)", required = true) String keyId,
            @Option(longNames = "key", description = "a key from the key store that opens the volume", required = true)
            @OptionValues(provider = "stageKeyCompletion") String key,
            @Option(description = "LUKS device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "mapping", description = "the name it opens as at boot (default: the selected mapping)")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "region", description = "the KMS key's region (default: the session's)") String region,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String dev = device(device);
        String m = stages.orContext(mapping, SessionContext.Part.MAPPING, "MAPPING");
        stages.requireKeys(List.of(key));
        HostExecutor ex = hosts.executor();
        PlanEngine.Options o = PlanEngine.Options.of(yes, dryRun);
        UnlockPolicyService.KmsProposal proposal = plans.look(o, x -> policies.proposeKms(ex, dev, m, key, keyId, region));
        if (proposal.plan().isEmpty()) {
            ui.ok("/dev/mapper/" + m + " opens at boot with KMS key " + proposal.request().keyArn() + " already");
            return;
        }
        plans.change(() -> new PlanEngine.Proposal<>(proposal, proposal.plan(), ex.target(), List.of(),
                "Run these " + proposal.plan().steps().size() + " steps on " + ex.target() + "?"), o, p -> {
            try (UnlockPolicyService.Enrolment e = policies.enrol(ex, p)) {
                plans.withKeys(e.source()).steps(ex, e.plan());
            }
            ui.ok("/dev/mapper/" + m + " opens at boot with KMS key " + p.request().keyArn()
                    + " (cryptvol-unlock@" + m + ".service); the other key slots stay");
            return null;
        });
    }

    @Command(command = "unlock policy show", description = "The unlock policies in the LUKS2 headers: method, token, "
            + "key slot, KMS key, encryption context, the boot unit and what it did at this boot.")
    public void show(
            @Option(description = "LUKS device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "output", shortNames = 'o', description = "table or json", defaultValue = "table")
            @OptionValues(provider = "outputCompletion") String output) {
        OutputFormat format = OutputFormat.parse(output);
        String dev = device(device);
        List<UnlockPolicyService.Policy> ps = policies.policies(hosts.executor(), List.of(dev));
        if (format == OutputFormat.JSON) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (UnlockPolicyService.Policy p : ps) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("device", p.device());
                r.put("method", p.method());
                r.put("token", p.tokenId());
                r.put("keySlot", p.keySlot());
                r.put("kmsKeyId", p.keyId());
                r.put("region", p.region());
                r.put("context", p.context());
                r.put("mapping", p.mapping());
                r.put("unitEnabled", p.unitEnabled());
                r.put("lastBoot", p.lastBoot());
                r.put("problem", p.problem());
                rows.add(r);
            }
            ui.json(rows);
            return;
        }
        if (ps.isEmpty()) {
            ui.println("No unlock policy on " + dev + ": it opens with a key (guided 'unlock').");
            return;
        }
        ui.table(List.of("DEVICE", "METHOD", "TOKEN", "SLOT", "KMS KEY", "CONTEXT", "UNIT", "THIS BOOT"), ps.stream()
                .map(p -> List.of(p.device(), p.method(), String.valueOf(p.tokenId()), String.valueOf(p.keySlot()),
                        p.keyId() == null ? "-" : p.keyId(), p.context().toString(),
                        p.mapping() == null ? "not installed" : (p.unitEnabled() ? "enabled" : "disabled") + " (" + p.mapping() + ")",
                        p.lastBoot() == null ? "-" : p.lastBoot())).toList());
        ps.stream().filter(p -> p.problem() != null).forEach(p -> ui.warn(p.device() + " token " + p.tokenId() + ": " + p.problem()));
    }

    @Command(command = "unlock policy remove", description = "Turn the unattended unlock off: disable the unit, remove "
            + "the token and wipe the KMS key slot (refused when no other key slot would remain); a header backup after.")
    public void remove(
            @Option(description = "LUKS device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "mapping", description = "its mapping (default: the selected mapping)")
            @OptionValues(provider = "stageMappingCompletion") String mapping,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String dev = device(device);
        String m = stages.orContext(mapping, SessionContext.Part.MAPPING, "MAPPING");
        plans.execute(policies.removing(dev, m), PlanEngine.Options.of(yes, dryRun));
    }

    @Command(command = "luks remove-key", description = "Wipe one key slot (luksKillSlot). Refused for the KMS slot "
            + "(use 'unlock policy remove') and for the last slot that is not the KMS slot.")
    public void removeKey(
            @Option(longNames = "slot", description = "key slot number", required = true) Integer slot,
            @Option(description = "LUKS device (default: the selected VG/LV)")
            @OptionValues(provider = "stageLuksDeviceCompletion") String device,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        String dev = device(device);
        if (slot == null || slot < 0 || slot > 31) {
            throw new CryptvolException("--slot must be 0 to 31", ExitCode.USAGE, null);
        }
        plans.execute(policies.removingSlot(dev, slot), PlanEngine.Options.of(yes, dryRun));
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

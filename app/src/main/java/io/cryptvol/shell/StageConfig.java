package io.cryptvol.shell;

import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.CipherPreset;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.session.Inventory;
import io.cryptvol.session.SessionContext;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.shell.completion.CompletionProvider;

import java.util.ArrayList;
import java.util.List;

/** Wiring of the stage commands: their shared support, completion providers, the new-volumes hook. */
@Configuration(proxyBeanMethods = false)
public class StageConfig {

    @Bean
    public StageSupport stageSupport(PlanRunner.KeySource keys, Inventory inventory, SessionContext ctx,
                                     io.cryptvol.session.SessionMode mode, io.cryptvol.keys.KeyStore store) {
        return new StageSupport(keys, inventory, ctx, mode, new io.cryptvol.keys.HeaderService(store));
    }

    /** Fallback until EBS volume creation is wired in: {@code provision --new-volumes} says so. */
    @Bean
    @ConditionalOnMissingBean(NewVolumes.class)
    public NewVolumes noNewVolumes() {
        return (count, sizeGiB, target) -> {
            throw new CryptvolException("--new-volumes is not available here: create and attach the EBS volumes "
                    + "first, then pass --devices", ExitCode.USAGE, null);
        };
    }

    /** Block devices, unused ones first (the inventory keeps that order). */
    @Bean
    public CompletionProvider stageDeviceCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("device"));
    }

    @Bean
    public CompletionProvider stageVgCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("vg"));
    }

    @Bean
    public CompletionProvider stageLvCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("lv"));
    }

    /** LUKS devices: LV paths and disks. */
    @Bean
    public CompletionProvider stageLuksDeviceCompletion(Inventory inventory) {
        return ctx -> {
            List<String> all = new ArrayList<>(inventory.get("lvpath"));
            all.addAll(inventory.get("device"));
            return Completions.proposals(all);
        };
    }

    @Bean
    public CompletionProvider stageMappingCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("mapping"));
    }

    @Bean
    public CompletionProvider stageMountpointCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("mountpoint"));
    }

    /** Key names from the inventory (kind "key", filled by the key store). */
    @Bean
    public CompletionProvider stageKeyCompletion(Inventory inventory) {
        return ctx -> Completions.proposals(inventory.get("key"));
    }

    @Bean
    public CompletionProvider stagePresetCompletion() {
        List<String> names = new ArrayList<>(List.of("luks2", "legacy-luks1"));
        names.addAll(CipherPreset.names());
        return ctx -> Completions.proposals(names);
    }

    @Bean
    public CompletionProvider stageFsCompletion() {
        return ctx -> Completions.proposals(List.of("xfs", "ext4"));
    }

    @Bean
    public CompletionProvider stageSanitizeMethodCompletion() {
        return ctx -> Completions.proposals(List.of("plain", "luks", "discard"));
    }
}

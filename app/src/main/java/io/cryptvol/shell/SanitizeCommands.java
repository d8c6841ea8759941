package io.cryptvol.shell;

import io.cryptvol.exec.PlanEngine;
import io.cryptvol.ExitCode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.plan.SanitizePlanner;
import io.cryptvol.host.HostObserver;
import org.springframework.shell.command.annotation.Command;
import org.springframework.shell.command.annotation.Option;
import org.springframework.shell.command.annotation.OptionValues;

import java.util.List;
import java.util.Locale;

/** sanitize: overwrite new volumes through a throwaway encrypted mapping, with a progress bar. */
@Command(group = "Stages")
public class SanitizeCommands {
    private final PlanEngine plans;
    private final StageSupport stages;

    public SanitizeCommands(PlanEngine plans, StageSupport stages) {
        this.plans = plans;
        this.stages = stages;
    }

    @Command(command = "sanitize", description = "Fill new, empty devices with ciphertext (zeros through a throwaway random-key mapping), so used and unused blocks look alike. Refuses devices with any signature or holder.")
    public void sanitize(
            @Option(description = "block devices", required = true, arity = org.springframework.shell.command.CommandRegistration.OptionArity.ONE_OR_MORE)
            @OptionValues(provider = "stageDeviceCompletion") String[] devices,
            @Option(longNames = "method", description = "plain (default: throwaway plain dm-crypt), luks (the seed's: throwaway LUKS, header dropped after), discard", defaultValue = "plain")
            @OptionValues(provider = "stageSanitizeMethodCompletion") String method,
            @Option(longNames = "yes", shortNames = 'y', description = "do not ask for confirmation") boolean yes,
            @Option(longNames = "dry-run", description = "only show the plan") boolean dryRun) {
        List<String> ds = LvmCommands.paths(devices);
        SanitizePlanner.Method m;
        try {
            m = SanitizePlanner.Method.valueOf(method.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CryptvolException("--method must be plain, luks or discard, not '" + method + "'", ExitCode.USAGE, null);
        }
        plans.execute(stages.planning(HostObserver.Scope.of(ds, List.of()), h -> new SanitizePlanner().plan(ds, m, h)),
                PlanEngine.Options.of(yes, dryRun));
    }
}

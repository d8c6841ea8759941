package io.cryptvol.host;

import io.cryptvol.domain.cmd.Modprobe;
import io.cryptvol.domain.plan.ModulesPlanner;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.exec.HostExecutor;

/** What {@code modules load} plans from: the loaded, built-in and crypto-API modules and the persisted list. */
public final class ModulesObservation {
    private ModulesObservation() {
    }

    /** Observes the target (read-only) and plans loading the modules LUKS needs ({@code legacy}: LUKS1's too). */
    public static PlanResult plan(HostExecutor ex, boolean legacy) {
        HostObserver o = new HostObserver(ex);
        String loaded = o.query(Modprobe.readLoaded()).out();
        String builtin = o.query(Modprobe.readBuiltin()).out();
        String crypto = o.query(Modprobe.readCrypto()).out();
        String conf = o.query(Modprobe.readConf(ModulesPlanner.CONF)).out();
        return PlanResult.ok(ModulesPlanner.plan(ModulesPlanner.modulesFor(legacy),
                ModulesPlanner.parseProcModules(loaded), ModulesPlanner.parseBuiltin(builtin),
                ModulesPlanner.parseProcCrypto(crypto), conf));
    }
}

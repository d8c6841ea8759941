package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.EtcFiles;
import io.cryptvol.domain.cmd.Modprobe;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Plans loading the kernel modules LUKS needs and persisting them in modules-load.d, skipping
 * what is loaded already or built into the kernel. The old seed format (LUKS1,
 * aes-cbc-essiv:sha256, ripemd160) also wants the cbc/essiv templates and rmd160.
 */
public final class ModulesPlanner {
    public static final String CONF = "/etc/modules-load.d/cryptvol.conf";

    private ModulesPlanner() {
    }

    /** Modules for a cipher preset name: "luks2" (default) or "legacy-luks1". */
    public static List<String> modulesFor(boolean legacy) {
        return legacy ? List.of("dm_crypt", "aes", "cbc", "essiv", "rmd160") : List.of("dm_crypt", "aes", "xts");
    }

    /**
     * @param wanted   modules to have
     * @param loaded   names from /proc/modules (first column)
     * @param builtin  module names built into the kernel (basenames from modules.builtin, '-' as '_')
     * @param crypto   algorithm and driver names from /proc/crypto (an algorithm present needs no module)
     * @param conf     current content of {@link #CONF} (empty when absent)
     */
    public static Plan plan(List<String> wanted, Set<String> loaded, Set<String> builtin, Set<String> crypto,
                            String conf) {
        List<String> toLoad = new ArrayList<>();
        Set<String> toPersist = new LinkedHashSet<>();
        for (String m : wanted) {
            String n = m.replace('-', '_');
            if (builtin.contains(n)) {
                continue;
            }
            boolean present = loaded.contains(n) || crypto.contains(m) || crypto.contains(n);
            if (!present) {
                toLoad.add(m);
            }
            toPersist.add(m);
        }
        List<PlanStep> steps = new ArrayList<>();
        if (!toLoad.isEmpty()) {
            steps.add(PlanStep.of(StepKind.LOAD_MODULES, Modprobe.load(toLoad)));
        }
        Set<String> confLines = new LinkedHashSet<>(conf.lines().map(String::strip).toList());
        if (toPersist.stream().anyMatch(m -> !confLines.contains(m))) {
            // minimal systems (and the test instance) may not have the directory yet
            steps.add(PlanStep.of(StepKind.LOAD_MODULES, io.cryptvol.domain.cmd.HostCommand.of(
                    "Create /etc/modules-load.d", "mkdir", "-p", "/etc/modules-load.d")));
        }
        for (String m : toPersist) {
            if (!confLines.contains(m)) {
                steps.add(PlanStep.of(StepKind.LOAD_MODULES, EtcFiles.appendLine(CONF, m)));
            }
        }
        return new Plan("Load the kernel modules for LUKS (" + String.join(", ", wanted) + ")", steps);
    }

    /** Module names from /proc/modules. */
    public static Set<String> parseProcModules(String text) {
        Set<String> s = new LinkedHashSet<>();
        text.lines().map(l -> l.split("\\s+")[0]).filter(w -> !w.isEmpty()).forEach(s::add);
        return s;
    }

    /** Module basenames from modules.builtin ("kernel/crypto/aes_generic.ko" → "aes_generic"). */
    public static Set<String> parseBuiltin(String text) {
        Set<String> s = new LinkedHashSet<>();
        text.lines().map(String::strip).filter(l -> l.endsWith(".ko")).forEach(l -> {
            String base = l.substring(l.lastIndexOf('/') + 1, l.length() - 3);
            s.add(base.replace('-', '_'));
        });
        return s;
    }

    /** "name" and "driver" values from /proc/crypto. */
    public static Set<String> parseProcCrypto(String text) {
        Set<String> s = new LinkedHashSet<>();
        text.lines().forEach(l -> {
            int c = l.indexOf(':');
            if (c > 0) {
                String k = l.substring(0, c).strip();
                if (k.equals("name") || k.equals("module")) {
                    s.add(l.substring(c + 1).strip());
                }
            }
        });
        return s;
    }
}

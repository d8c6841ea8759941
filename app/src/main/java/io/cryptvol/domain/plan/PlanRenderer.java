package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.ShellQuote;

import java.util.List;

/**
 * Plan and refusals as text for the user to confirm. Shows which key goes on stdin by name, never
 * bytes (plans hold none).
 *
 * <pre>
 * 1. Create PV on /dev/nvme1n1
 *    $ pvcreate /dev/nvme1n1
 * 2. Format /dev/myvg/mylv as LUKS (...)
 *    $ cryptsetup luksFormat ... --key-file - /dev/myvg/mylv  &lt; key 'data-key-1' on stdin
 * </pre>
 */
public final class PlanRenderer {
    private PlanRenderer() {
    }

    public static String render(Plan plan) {
        if (plan.isEmpty()) {
            return "Nothing to do: " + plan.title() + " is already in place.\n";
        }
        StringBuilder sb = new StringBuilder();
        sb.append(plan.title()).append('\n');
        int n = 1;
        for (PlanStep s : plan.steps()) {
            sb.append(n++).append(". ").append(s.title()).append('\n');
            for (StepCommand c : s.commands()) {
                sb.append("   $ ").append(line(c)).append('\n');
            }
            for (StepCommand c : s.cleanup()) {
                sb.append("   finally $ ").append(line(c)).append('\n');
            }
            if (s.replanAfter()) {
                sb.append("   (then cryptvol looks at the host again and plans the rest)\n");
            }
        }
        return sb.toString();
    }

    public static String render(List<Refusal> refusals) {
        StringBuilder sb = new StringBuilder("Refused:\n");
        for (Refusal r : refusals) {
            sb.append("  - ").append(r.line()).append('\n');
        }
        return sb.toString();
    }

    public static String render(PlanResult result) {
        return result.isRefused() ? render(result.refusals()) : render(result.plan());
    }

    static String line(StepCommand c) {
        String argv = ShellQuote.join(c.command().argv());
        return c.stdinKey() == null ? argv : argv + "  < " + c.stdinKey().describe() + " on stdin";
    }
}

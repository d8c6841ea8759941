package io.cryptvol.host;

import io.cryptvol.domain.cmd.Ephemeral;
import io.cryptvol.domain.model.EphemeralFacts;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;

import java.util.ArrayList;
import java.util.List;

/**
 * What the ephemeral planners and {@code ephemeral status} read: the usual batched observation (devices with their
 * NVMe model, LVM, mounts, the mountpoint on the host, who uses it) and one more read-only command for the unit,
 * /proc/swaps and the mapping ({@link Ephemeral#observe()}).
 */
public record EphemeralObservation(HostState state, EphemeralFacts facts) {

    /**
     * @param observer   the session's observer (in a dry run it sees the planned steps as done)
     * @param mountpoint a mountpoint to look at (what is there, who uses it), or null
     */
    public static EphemeralObservation observe(HostObserver observer, String mountpoint, PlanRunner.KeySource keys) {
        EphemeralFacts f = facts(observer);
        List<String> mps = new ArrayList<>();
        if (mountpoint != null) {
            mps.add(mountpoint);
        }
        var c = f.config();
        if (c != null && c.mountpoint() != null && !mps.contains(c.mountpoint())) {
            mps.add(c.mountpoint());
        }
        HostState h = observer.observe(new HostObserver.Scope(List.of(), List.of(), mps), keys);
        return new EphemeralObservation(h, f);
    }

    static EphemeralFacts facts(HostObserver observer) {
        HostObserver.Sections s = observer.sections(Ephemeral.observe());
        return new EphemeralFacts(s.exit("systemd") == 0, s.exit("unit") == 0 ? s.out("unit") : null,
                s.exit("script") == 0, s.out("enabled").strip(), s.out("active").strip(), s.out("swaps"),
                s.exit("crypt") == 0 ? s.out("crypt") : "", s.out("journal"));
    }

    /** For callers with an executor only. */
    public static EphemeralObservation observe(HostExecutor ex, String mountpoint, PlanRunner.KeySource keys) {
        return observe(new HostObserver(ex), mountpoint, keys);
    }
}

package io.cryptvol.ephemeral;

import io.cryptvol.domain.cmd.Ephemeral;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.EphemeralFacts;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.EphemeralPlanner;
import io.cryptvol.domain.plan.PlanResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.EphemeralObservation;
import io.cryptvol.host.HostObserver;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Issue 19: the ephemeral scratch on the instance store. {@code setup} and {@code remove} are planners for the plan
 * engine (observe → {@link EphemeralPlanner} → show, confirm, run); {@code status} is a read-only look.
 */
public final class EphemeralService {
    private final PlanRunner.KeySource keys;
    private final Function<HostExecutor, HostObserver> observer;
    private final Consumer<HostState> remember;

    /**
     * @param observer the session's observer of an executor (a dry run's sees the steps planned so far as done)
     * @param remember refreshes the completion inventory from a host state (a refused plan does not)
     */
    public EphemeralService(PlanRunner.KeySource keys, Function<HostExecutor, HostObserver> observer,
                            Consumer<HostState> remember) {
        this.keys = keys;
        this.observer = observer;
        this.remember = remember;
    }

    public Function<HostExecutor, PlanResult> setup(EphemeralPlanner.SetupSpec spec) {
        return ex -> {
            String mp = spec.use() == Ephemeral.Use.MOUNTPOINT ? spec.mountpoint() : spec.use() == Ephemeral.Use.TMP ? "/tmp" : null;
            if (mp != null && !io.cryptvol.domain.plan.Inputs.mountpoint(mp, true).ok()) {
                mp = null; // refused by the planner before anything on the host is asked about it
            }
            EphemeralObservation o = EphemeralObservation.observe(observer.apply(ex),
                    mp == null ? null : io.cryptvol.domain.plan.Inputs.normalisePath(mp), keys);
            PlanResult r = EphemeralPlanner.setup(spec, o.state(), o.facts());
            if (!r.isRefused()) {
                remember.accept(o.state());
            }
            return r;
        };
    }

    public Function<HostExecutor, PlanResult> remove() {
        return ex -> {
            EphemeralObservation o = EphemeralObservation.observe(observer.apply(ex), null, keys);
            PlanResult r = EphemeralPlanner.remove(o.state(), o.facts());
            if (!r.isRefused()) {
                remember.accept(o.state());
            }
            return r;
        };
    }

    /** One instance-store disk as status shows it. */
    public record Disk(String path, String serial, long sizeBytes, boolean inScratch) {
    }

    /**
     * What there is now.
     *
     * @param config    the unit's settings, null when not set up
     * @param mapping   open mapping: "type cipher keysize" from cryptsetup status, empty when closed
     * @param mount     where the mapping is mounted (target), or "swap" when it is active swap, empty when neither
     * @param sizeBytes the mapping's size, 0 when closed
     * @param lastLog   the unit's last journal line of this boot (host text)
     */
    public record Status(Ephemeral.Config config, String enabled, String active, List<Disk> disks,
                         Optional<String> mapping, String cipher, String keyBits, String mount, long sizeBytes,
                         String lastLog) {
    }

    public Status status(HostExecutor ex) {
        EphemeralObservation o = EphemeralObservation.observe(observer.apply(ex), null, keys);
        HostState h = o.state();
        EphemeralFacts f = o.facts();
        List<Disk> disks = EphemeralPlanner.instanceStore(h).stream()
                .map(d -> new Disk(d.path(), d.serial() == null ? "" : d.serial().strip(), d.sizeBytes(),
                        d.selfAndDescendants().anyMatch(x -> x.name().equals(Ephemeral.MAPPING))))
                .toList();
        Optional<BlockDevice> map = h.mapping(Ephemeral.MAPPING);
        String mount = "";
        if (map.isPresent()) {
            if (isSwap(f, map.get())) {
                mount = "swap";
            } else {
                mount = String.join(",", map.get().mountpoints());
            }
        }
        String keyBits = f.crypt("keysize").replace(" bits", "");
        String last = f.journal().strip().lines().reduce((a, b) -> b).orElse("");
        return new Status(f.config(), f.enabled(), f.active(), disks,
                map.map(m -> Ephemeral.MAPPER_PATH), f.crypt("type") + (f.crypt("type").isEmpty() ? "" : " ")
                + f.crypt("cipher"), keyBits, mount, map.map(BlockDevice::sizeBytes).orElse(0L), last);
    }

    private static boolean isSwap(EphemeralFacts f, BlockDevice m) {
        // lsblk shows active swap as the mountpoint "[SWAP]"; /proc/swaps names the dm node
        return m.mountpoints().contains("[SWAP]") || f.swapDevices().stream()
                .anyMatch(s -> s.equals(Ephemeral.MAPPER_PATH) || s.equals("/dev/" + kernelName(m)));
    }

    private static String kernelName(BlockDevice m) {
        return m.name();
    }
}

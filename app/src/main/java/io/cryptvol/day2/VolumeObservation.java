package io.cryptvol.day2;

import io.cryptvol.domain.model.HostState;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;
import io.cryptvol.session.SessionContext;

import java.util.List;

/**
 * What a day-2 command works on: the host observed (with fuser for the mountpoint) and the volume located in
 * it from the option and the session's selection ({@link VolumeLocator}). Read-only.
 */
public record VolumeObservation(HostState state, VolumeLocator.Located volume) {

    public static VolumeLocator.Selection selection(SessionContext c) {
        return new VolumeLocator.Selection(c.vg(), c.lv(), c.mapping(), c.mountpoint());
    }

    public static VolumeObservation observe(HostExecutor ex, PlanRunner.KeySource keys, SessionContext c,
                                            String mountpoint, List<String> devices) {
        HostObserver o = new HostObserver(ex);
        String mp = mountpoint != null ? mountpoint : c.mountpoint();
        HostState h = o.observe(new HostObserver.Scope(devices, List.of(), mp == null ? List.of() : List.of(mp)), keys);
        VolumeLocator.Located v = VolumeLocator.locate(mountpoint, selection(c), h);
        if (!v.mountpoint().equals(mp) && h.mountAt(v.mountpoint()).isPresent()) {
            // the mountpoint came from fstab: look again with fuser on it
            h = o.observe(new HostObserver.Scope(devices, List.of(), List.of(v.mountpoint())), keys);
        } else if (justActivated(h, v)) {
            h = o.observe(new HostObserver.Scope(devices, List.of(), mp == null ? List.of() : List.of(mp)), keys);
        }
        return new VolumeObservation(h, v);
    }

    /**
     * The LV is active, nothing is open on it, and the look found no signature at all on it: after a boot LVM's
     * autoactivation (a service of its own, not udev's queue) may have activated it while the look ran, before
     * udev had probed the new device. One more look then sees its header; a second blank look is the truth.
     */
    public static boolean justActivated(HostState h, VolumeLocator.Located v) {
        return h.lv(v.vg(), v.lv()).map(l -> l.active()).orElse(false)
                && h.mappingBackingDevice(v.mapping()).isEmpty()
                && h.luksOn(v.lvPath()).isEmpty() && h.signatureOn(v.lvPath()).isEmpty();
    }
}

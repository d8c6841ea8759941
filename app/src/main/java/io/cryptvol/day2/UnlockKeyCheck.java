package io.cryptvol.day2;

import io.cryptvol.domain.model.HostState;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;

/**
 * The key of an unlock, tried against the LUKS header before anything changes: {@code cryptsetup open
 * --test-passphrase}, the key on stdin only. It is a query (it opens nothing), so it runs in a dry run too.
 * It needs the LV active: after a reboot the VG usually is not, and activating it is a change, so then the
 * key is tested by the open step itself (a failed open changes nothing, and the caller deactivates the VG).
 */
public final class UnlockKeyCheck {
    private UnlockKeyCheck() {
    }

    /** Whether the key was tested, and the host state with the result ({@link HostState#keyOpens}). */
    public record Result(HostState state, boolean tested) {
    }

    public static Result check(HostExecutor ex, HostState h, VolumeLocator.Located v, String keyLabel,
                               PlanRunner.KeySource keys) {
        boolean active = h.lv(v.vg(), v.lv()).map(l -> l.active()).orElse(false);
        if (!active || h.mappingBackingDevice(v.mapping()).isPresent() || h.luksOn(v.lvPath()).isEmpty()
                || h.keyOpens(v.lvPath(), keyLabel).isPresent()) {
            return new Result(h, h.keyOpens(v.lvPath(), keyLabel).isPresent());
        }
        boolean opens = new HostObserver(ex).keyOpens(v.lvPath(), keyLabel, keys);
        return new Result(h.withKeyCheck(v.lvPath(), keyLabel, opens), true);
    }
}

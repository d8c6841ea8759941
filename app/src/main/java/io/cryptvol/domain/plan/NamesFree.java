package io.cryptvol.domain.plan;

import io.cryptvol.domain.model.HostState;

import java.util.Optional;

/**
 * Whether the names a multi-step command is about to make are free on the host: the VG, the LUKS mapping and the
 * mountpoint. Checked on one observation before the first EC2 or host change (restore, {@code provision
 * --new-volumes}), so that a name in use is refused before volumes are created. Pure.
 */
public final class NamesFree {
    private NamesFree() {
    }

    /** The first name in use: the option that gives it, and what is in the way. */
    public record Taken(String option, String message) {
    }

    /** The first of VG, mapping, mountpoint (each may be null: not checked) that is in use, or empty. */
    public static Optional<Taken> check(HostState st, String vg, String mapping, String mountpoint) {
        if (vg != null && st.vg(vg).isPresent()) {
            return Optional.of(new Taken("--vg", "VG " + vg + " exists already"));
        }
        if (mapping != null && st.mapping(mapping).isPresent()) {
            return Optional.of(new Taken("--mapping", "mapping " + mapping + " is open already"));
        }
        if (mountpoint != null && st.allDevices().stream().anyMatch(d -> d.mountpoints().contains(mountpoint))) {
            return Optional.of(new Taken("--mountpoint", "something is mounted at " + mountpoint + " already"));
        }
        return Optional.empty();
    }
}

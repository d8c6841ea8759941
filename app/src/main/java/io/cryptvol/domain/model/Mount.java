package io.cryptvol.domain.model;

import java.util.List;

/** A mounted filesystem (findmnt or /proc/self/mounts). */
public record Mount(String source, String target, String fstype, List<String> options) {

    public Mount {
        options = options == null ? List.of() : List.copyOf(options);
    }
}

package io.cryptvol.domain.cmd;


import java.util.ArrayList;
import java.util.List;

/**
 * Loads kernel modules. dm_crypt is the one that matters: the kernel's crypto API loads cipher and
 * hash modules (aes, xts, essiv) by itself, and LUKS1's ripemd160 is a userspace hash in cryptsetup.
 */
public final class Modprobe {
    public static final List<String> DM_CRYPT = List.of("dm_crypt");

    private Modprobe() {
    }

    public static HostCommand load(List<String> modules) {
        List<String> a = new ArrayList<>(List.of("modprobe", "-a"));
        a.addAll(modules);
        return HostCommand.of("Load kernel modules " + String.join(", ", modules), a);
    }
}

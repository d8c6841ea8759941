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

    /** The modules loaded now. */
    public static HostCommand readLoaded() {
        return HostCommand.query("Read /proc/modules", "cat", "/proc/modules");
    }

    /** The modules built into the running kernel (empty when the list is missing). */
    public static HostCommand readBuiltin() {
        return HostCommand.query("Read the built-in module list", "sh", "-c",
                "cat /lib/modules/$(uname -r)/modules.builtin 2>/dev/null || true");
    }

    /** The kernel's crypto API: the ciphers and hashes it has now. */
    public static HostCommand readCrypto() {
        return HostCommand.query("Read /proc/crypto", "cat", "/proc/crypto");
    }

    /** A modules-load.d file (empty when missing). {@code path} is a constant of the planner, never user input. */
    public static HostCommand readConf(String path) {
        return HostCommand.query("Read " + path, "sh", "-c", "cat " + path + " 2>/dev/null || true");
    }
}

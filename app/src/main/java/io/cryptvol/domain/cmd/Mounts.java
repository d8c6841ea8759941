package io.cryptvol.domain.cmd;


/** argv for mount, umount and the mountpoint directory. */
public final class Mounts {
    private Mounts() {
    }

    public static HostCommand mkdir(String mountpoint) {
        return HostCommand.of("Create mountpoint " + mountpoint, "mkdir", "-p", mountpoint);
    }

    public static HostCommand mount(String device, String mountpoint, FsType type, String options) {
        return HostCommand.of("Mount " + device + " on " + mountpoint,
                "mount", "-t", type.fsName(), "-o", options, device, mountpoint);
    }

    public static HostCommand umount(String mountpoint) {
        return HostCommand.of("Unmount " + mountpoint, "umount", mountpoint);
    }
}

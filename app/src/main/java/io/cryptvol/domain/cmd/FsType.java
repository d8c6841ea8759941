package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;

import java.util.Arrays;

/** Filesystems cryptvol makes, with the fstab options it writes for each. */
public enum FsType {
    /** nouuid: a restored snapshot clone may be mounted next to its original. */
    XFS("xfs", "rw,noatime,nouuid,noauto"),
    EXT4("ext4", "rw,noatime,noauto");

    private final String fsName;
    private final String defaultMountOptions;

    FsType(String fsName, String defaultMountOptions) {
        this.fsName = fsName;
        this.defaultMountOptions = defaultMountOptions;
    }

    public String fsName() {
        return fsName;
    }

    public String defaultMountOptions() {
        return defaultMountOptions;
    }

    /** The file system the user named (XFS when none); a usage error otherwise. */
    public static FsType parse(String name) {
        try {
            return name == null ? XFS : byName(name);
        } catch (CryptvolException e) {
            throw new CryptvolException(e.getMessage(), io.cryptvol.ExitCode.USAGE, null);
        }
    }

    public static FsType byName(String name) {
        return Arrays.stream(values()).filter(f -> f.fsName.equalsIgnoreCase(name)).findFirst()
                .orElseThrow(() -> new CryptvolException("unsupported filesystem '" + name + "' (xfs or ext4)"));
    }
}

package io.cryptvol.domain.model;

import java.util.List;
import java.util.stream.Stream;

/**
 * One node of the lsblk tree. {@code children} are the devices stacked on this one (its holders):
 * partitions, LVs of a PV, the crypt mapping of an LV. An LV striped over four disks appears under
 * each of them; {@link HostState} de-duplicates by path.
 *
 * @param fstype what lsblk/udev says is on the device ("LVM2_member", "crypto_LUKS", "xfs"), or null
 */
public record BlockDevice(String name, String path, long sizeBytes, String serial, String model,
                          DeviceType type, String fstype, String uuid, String label,
                          List<String> mountpoints, String parentName, List<BlockDevice> children) {

    public BlockDevice {
        mountpoints = mountpoints == null ? List.of() : List.copyOf(mountpoints);
        children = children == null ? List.of() : List.copyOf(children);
    }

    /** A leaf disk with nothing on it (handy in tests and for callers building state by hand). */
    public static BlockDevice disk(String path, long sizeBytes, String serial) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return new BlockDevice(name, path, sizeBytes, serial, null, DeviceType.DISK, null, null, null,
                List.of(), null, List.of());
    }

    public boolean isMounted() {
        return !mountpoints.isEmpty();
    }

    public boolean hasFilesystemSignature() {
        return fstype != null && !fstype.isBlank();
    }

    /** This device and everything stacked on it, depth first. */
    public Stream<BlockDevice> selfAndDescendants() {
        return Stream.concat(Stream.of(this), children.stream().flatMap(BlockDevice::selfAndDescendants));
    }

    public BlockDevice withChildren(List<BlockDevice> newChildren) {
        return new BlockDevice(name, path, sizeBytes, serial, model, type, fstype, uuid, label, mountpoints,
                parentName, newChildren);
    }

    public BlockDevice withFstype(String newFstype) {
        return new BlockDevice(name, path, sizeBytes, serial, model, type, newFstype, uuid, label, mountpoints,
                parentName, children);
    }

    public BlockDevice withMountpoints(List<String> mps) {
        return new BlockDevice(name, path, sizeBytes, serial, model, type, fstype, uuid, label, mps,
                parentName, children);
    }
}

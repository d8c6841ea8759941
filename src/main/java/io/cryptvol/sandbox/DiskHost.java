package io.cryptvol.sandbox;

import java.nio.file.Path;
import java.util.List;

/**
 * A machine that disk images can be plugged into, the way EBS volumes are attached to a Nitro
 * instance: each image appears as an NVMe namespace whose controller serial is the EBS volume id
 * without its dash ("vol0abc..."). Implemented by the test instance driver; used by the sandbox
 * EC2 endpoint for AttachVolume / DetachVolume.
 */
public interface DiskHost {

    /** Hot-plug a raw image file as an NVMe device with the given serial. */
    void attachDisk(String serial, Path image);

    /** Unplug the NVMe device with the given serial. */
    void detachDisk(String serial);

    /** Serials of the disks attached now. */
    List<String> attachedSerials();
}

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

    // Power, as EC2's RebootInstances / StopInstances / StartInstances give it. The defaults refuse, for
    // hosts that only take disks.

    /**
     * Reboots the guest as RebootInstances does: the same disks stay plugged (EBS and instance store), the
     * NVMe enumeration order may change. Returns when the guest answers again.
     */
    default void reboot() {
        throw new UnsupportedOperationException("this host cannot reboot");
    }

    /**
     * Powers the guest off cleanly, as StopInstances does. The disks attached now stay attached for the
     * next {@link #powerOn()}.
     */
    default void powerOff() {
        throw new UnsupportedOperationException("this host cannot power off");
    }

    /**
     * Boots the guest again, as StartInstances does, with the disks attached at {@link #powerOff()}.
     * Instance-store disks come back empty. Returns when the guest answers.
     */
    default void powerOn() {
        throw new UnsupportedOperationException("this host cannot power on");
    }

    /** Whether the guest is powered on (booted or booting). */
    default boolean poweredOn() {
        return true;
    }

    /**
     * Called when the guest powers itself off (a {@code poweroff} typed on it), so that EC2's view can go
     * to stopped. A {@code reboot} typed on the guest is handled by the host and keeps the instance
     * running.
     */
    default void onGuestPowerOff(Runnable listener) {
    }
}

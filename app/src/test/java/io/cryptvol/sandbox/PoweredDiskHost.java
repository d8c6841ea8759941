package io.cryptvol.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RecordingDiskHost} with power, for tests of the EC2 side without the qemu instance. Reboots and
 * power changes are logged with the disks plugged at that moment ("powerOn [vol0a…]"). With
 * {@code coldPlug} disks can be plugged and unplugged while it is off (they are there at the next boot);
 * without it, as a host that only hot-plugs, that refuses while off.
 */
public class PoweredDiskHost extends RecordingDiskHost {
    private final boolean coldPlug;
    private final List<String> power = new ArrayList<>();
    private boolean on = true;
    private Runnable guestPowerOff = () -> { };
    private boolean failNextBoot;

    public PoweredDiskHost(boolean coldPlug) {
        this.coldPlug = coldPlug;
    }

    @Override
    public synchronized void attachDisk(String serial, Path image) {
        if (!on && !coldPlug) {
            throw new IllegalStateException("powered off: cannot plug " + serial);
        }
        super.attachDisk(serial, image);
    }

    @Override
    public synchronized void detachDisk(String serial) {
        if (!on && !coldPlug) {
            throw new IllegalStateException("powered off: cannot unplug " + serial);
        }
        super.detachDisk(serial);
    }

    @Override
    public synchronized void reboot() {
        if (!on) {
            throw new IllegalStateException("cannot reboot: powered off");
        }
        power.add("reboot " + attachedSerials());
        if (failNextBoot) {
            failNextBoot = false;
            on = false;
            throw new IllegalStateException("the test instance did not boot: kernel panic");
        }
    }

    /** The next boot (a reboot) fails, leaving the machine off, as a guest kernel that panics. */
    public synchronized void failNextBoot() {
        failNextBoot = true;
    }

    @Override
    public synchronized void powerOff() {
        if (!on) {
            throw new IllegalStateException("powered off already");
        }
        on = false;
        power.add("powerOff " + attachedSerials());
    }

    @Override
    public synchronized void powerOn() {
        if (on) {
            throw new IllegalStateException("powered on already");
        }
        on = true;
        power.add("powerOn " + attachedSerials());
    }

    @Override
    public synchronized boolean poweredOn() {
        return on;
    }

    @Override
    public synchronized void onGuestPowerOff(Runnable listener) {
        guestPowerOff = listener;
    }

    /** The guest powers itself off (a poweroff typed on it). */
    public void guestPowersOff() {
        Runnable l;
        synchronized (this) {
            on = false;
            power.add("guest poweroff");
            l = guestPowerOff;
        }
        l.run();
    }

    public synchronized List<String> power() {
        return new ArrayList<>(power);
    }
}

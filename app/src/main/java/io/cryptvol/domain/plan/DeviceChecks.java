package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Sizes;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.plan.Refusal.Reason;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Refusals shared by the planners: is this device there, and is it empty and unused? */
final class DeviceChecks {
    private DeviceChecks() {
    }

    /** The device is missing or not a whole disk / partition / loop device. */
    static List<Refusal> present(HostState h, String dev) {
        Optional<Refusal> bad = Inputs.devicePath(dev);
        if (bad.isPresent()) {
            return List.of(bad.get());
        }
        Optional<BlockDevice> d = h.deviceByPath(dev);
        if (d.isEmpty()) {
            return List.of(Refusal.of(Reason.MISSING_DEVICE, dev, "no such block device on the host"));
        }
        DeviceType t = d.get().type();
        if (t != DeviceType.DISK && t != DeviceType.PART && t != DeviceType.LOOP) {
            return List.of(Refusal.of(Reason.NOT_A_DISK, dev, "is a " + t.name().toLowerCase()
                    + " device, not a disk or partition"));
        }
        return List.of();
    }

    /** Present, and nothing on it: no signature, not mounted, no holders, not a PV. */
    static List<Refusal> emptyAndUnused(HostState h, String dev) {
        List<Refusal> r = new ArrayList<>(present(h, dev));
        if (!r.isEmpty()) {
            return r;
        }
        h.pvOn(dev).ifPresent(pv -> r.add(pv.inVg()
                ? Refusal.of(Reason.PV_OF_OTHER_VG, dev, "is a PV of VG " + pv.vgName())
                : Refusal.of(Reason.HAS_SIGNATURE, dev, "is already an LVM PV (in no VG)")));
        if (r.isEmpty()) {
            h.signatureOn(dev).ifPresent(s -> r.add(Refusal.of(Reason.HAS_SIGNATURE, dev, "has a " + s.describe()
                    + " signature; refusing to touch a device that is not empty (wipefs it or pick another)")));
        }
        List<String> mps = h.mountpointsUnder(dev);
        if (!mps.isEmpty()) {
            r.add(Refusal.of(Reason.MOUNTED, dev, "is mounted at " + String.join(", ", mps)));
        }
        List<BlockDevice> holders = h.holders(dev);
        if (!holders.isEmpty()) {
            r.add(Refusal.of(Reason.HAS_HOLDERS, dev, "is in use by "
                    + holders.stream().map(BlockDevice::path).collect(Collectors.joining(", "))));
        }
        return r;
    }

    /** Devices of a striped set must be the same size. */
    static List<Refusal> equalSizes(HostState h, String subject, List<String> devices) {
        List<BlockDevice> ds = devices.stream().map(h::deviceByPath).flatMap(Optional::stream).toList();
        if (ds.stream().map(BlockDevice::sizeBytes).distinct().count() <= 1) {
            return List.of();
        }
        return List.of(Refusal.of(Reason.UNEQUAL_SIZES, subject, "a striped LV needs devices of one size, got "
                + ds.stream().map(d -> d.path() + " " + Sizes.human(d.sizeBytes())).collect(Collectors.joining(", "))));
    }

    static String quoted(List<String> names) {
        return names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
    }
}

package io.cryptvol.aws;

import io.cryptvol.domain.VolumeDeviceMatcher;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The device names EBS volumes are attached under: EC2 recommends /dev/sdf to /dev/sdp for Linux and
 * accepts up to /dev/sdz, so the recommended names come first and sdq..sdz follow (a set of 16
 * volumes needs them). /dev/sdf and /dev/xvdf name the same attachment point, so both count as taken.
 */
public final class DeviceNames {
    public static final List<String> CANDIDATES;

    static {
        List<String> c = new ArrayList<>();
        for (char x = 'f'; x <= 'z'; x++) {
            c.add("/dev/sd" + x);
        }
        CANDIDATES = List.copyOf(c);
    }

    private DeviceNames() {
    }

    /** The first free candidates, in order, skipping names in use; fewer if not enough are free. */
    public static List<String> free(Collection<String> inUse, int count) {
        Set<String> taken = new HashSet<>();
        inUse.forEach(d -> taken.add(VolumeDeviceMatcher.attachmentPoint(d)));
        List<String> out = new ArrayList<>();
        for (String c : CANDIDATES) {
            if (out.size() == count) {
                break;
            }
            if (!taken.contains(VolumeDeviceMatcher.attachmentPoint(c))) {
                out.add(c);
            }
        }
        return out;
    }
}

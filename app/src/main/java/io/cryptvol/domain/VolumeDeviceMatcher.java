package io.cryptvol.domain;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Finds the block device on the host that is a given EBS volume. Pure: the caller supplies what
 * {@code lsblk -J -b -o PATH,SERIAL,TYPE} and {@code /dev/disk/by-id} show.
 *
 * <ol>
 *   <li>Nitro (NVMe): the controller serial is the volume id without its dash ({@code vol0abc…}).</li>
 *   <li>The udev link {@code /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0abc…} (when lsblk
 *       shows no serial, e.g. an old util-linux).</li>
 *   <li>Xen instances: the name given at attach time, {@code /dev/sdf}, appears as {@code /dev/xvdf}
 *       (or, with old kernels, as {@code /dev/sdf} itself). Used only for disks that carry no
 *       other volume's serial, and only when the attach-time name is known.</li>
 * </ol>
 */
public final class VolumeDeviceMatcher {
    static final String BY_ID_PREFIX = "nvme-Amazon_Elastic_Block_Store_";

    /**
     * One whole disk of the host.
     *
     * @param path   e.g. /dev/nvme1n1 or /dev/xvdf
     * @param serial the serial lsblk shows, or null
     * @param links  /dev/disk/by-id links pointing at it (full paths or file names), possibly empty
     */
    public record HostDisk(String path, String serial, List<String> links) {
        public HostDisk {
            links = links == null ? List.of() : List.copyOf(links);
        }

        public HostDisk(String path, String serial) {
            this(path, serial, List.of());
        }
    }

    public enum Method { NVME_SERIAL, BY_ID_LINK, XEN_NAME, ATTACH_NAME }

    public record Match(String volumeId, String devicePath, Method method) {
    }

    private VolumeDeviceMatcher() {
    }

    /** "vol-0abc" → "vol0abc", the serial Nitro shows. */
    public static String serialOf(String volumeId) {
        return volumeId.trim().toLowerCase(Locale.ROOT).replace("-", "");
    }

    /**
     * @param volumeId   e.g. vol-0abc…
     * @param attachedAs the device name given to AttachVolume (/dev/sdf), or null if unknown
     * @param disks      the host's whole disks
     */
    public static Optional<Match> match(String volumeId, String attachedAs, List<HostDisk> disks) {
        String serial = serialOf(volumeId);
        for (HostDisk d : disks) {
            if (d.serial() != null && normalizeSerial(d.serial()).equals(serial)) {
                return Optional.of(new Match(volumeId, d.path(), Method.NVME_SERIAL));
            }
        }
        for (HostDisk d : disks) {
            for (String link : d.links()) {
                String name = link.substring(link.lastIndexOf('/') + 1);
                if (name.startsWith(BY_ID_PREFIX)) {
                    String rest = name.substring(BY_ID_PREFIX.length()).toLowerCase(Locale.ROOT);
                    if (rest.equals(serial) || rest.startsWith(serial + "_") || rest.startsWith(serial + "-")) {
                        return Optional.of(new Match(volumeId, d.path(), Method.BY_ID_LINK));
                    }
                }
            }
        }
        if (attachedAs == null || attachedAs.isBlank()) {
            return Optional.empty();
        }
        String letters = attachmentPoint(attachedAs);
        for (HostDisk d : disks) {
            if (carriesOtherVolume(d, serial)) {
                continue;
            }
            String name = d.path().substring(d.path().lastIndexOf('/') + 1);
            if (name.equals("xvd" + letters)) {
                return Optional.of(new Match(volumeId, d.path(), Method.XEN_NAME));
            }
        }
        for (HostDisk d : disks) {
            if (carriesOtherVolume(d, serial)) {
                continue;
            }
            String name = d.path().substring(d.path().lastIndexOf('/') + 1);
            if (name.equals("sd" + letters)) {
                return Optional.of(new Match(volumeId, d.path(), Method.ATTACH_NAME));
            }
        }
        return Optional.empty();
    }

    private static boolean carriesOtherVolume(HostDisk d, String serial) {
        if (d.serial() != null) {
            String s = normalizeSerial(d.serial());
            if (s.startsWith("vol") && !s.equals(serial)) {
                return true;
            }
        }
        return d.links().stream().anyMatch(l -> l.contains(BY_ID_PREFIX));
    }

    private static String normalizeSerial(String s) {
        return s.trim().toLowerCase(Locale.ROOT).replace("-", "");
    }

    /**
     * The attachment point a device name names: "/dev/sdf", "sdf", "xvdf", "/dev/xvdf" → "f"; other names
     * unchanged. The one copy of that rule in the app (the sandbox's EC2 endpoint, a module of its own, has its own).
     */
    public static String attachmentPoint(String device) {
        String d = device.startsWith("/dev/") ? device.substring(5) : device;
        if (d.startsWith("xvd")) {
            return d.substring(3);
        }
        if (d.startsWith("sd")) {
            return d.substring(2);
        }
        return d;
    }
}

package io.cryptvol.day2;

import io.cryptvol.domain.model.LuksHeader;

import java.util.List;
import java.util.Set;

/**
 * One encrypted volume on the target that is not open, as {@link LockedFinder} found it.
 *
 * @param vg          null when only an fstab line names it and its LV is not known
 * @param mapping     null when no fstab or crypttab line names it
 * @param mountpoint  null when no fstab line mounts it
 * @param foundBy     where it was found: fstab, crypttab, lvm (metadata of an inactive or exported VG), selection
 * @param vgActive    the LV is active (else the unlock activates its VG)
 * @param vgExported  the VG is exported (the unlock imports it first)
 * @param header      the LUKS header as far as it could be read (null when it is read after activation)
 * @param members     the VG's PVs, with their EBS volume id when the device shows one
 */
public record LockedVolume(String vg, String lv, String mapping, String mountpoint, String fsType, String mountOptions,
                          Set<String> foundBy, boolean vgActive, boolean vgExported, LuksHeader header,
                          List<Member> members) {

    public LockedVolume {
        foundBy = Set.copyOf(foundBy);
        members = List.copyOf(members);
    }

    /**
     * A PV of the volume's VG.
     *
     * @param device   the host device, null when missing
     * @param volumeId the EBS volume id its serial shows (Nitro), null when none
     */
    public record Member(String device, String pvUuid, String volumeId, boolean present) {
    }

    public String name() {
        return vg == null ? "?/? → " + mapping : vg + "/" + lv + (mapping == null ? "" : " → " + mapping);
    }

    public String lvPath() {
        return "/dev/" + vg + "/" + lv;
    }

    public List<Member> missing() {
        return members.stream().filter(m -> !m.present()).toList();
    }

    /** The LUKS UUID, when the header could be read. */
    public String uuid() {
        return header == null ? null : header.uuid();
    }

    /** Why the guide cannot unlock it as it stands, or null when it can. */
    public String notUnlockable() {
        if (vg == null || lv == null) {
            return "which LV holds it is not known (no crypttab line): select it with 'use vg NAME' and 'use lv NAME'";
        }
        if (mapping == null || mountpoint == null) {
            return "no fstab line mounts it: unlock it with 'unlock --mountpoint M' after 'use vg/lv/mapping'";
        }
        return null;
    }

    /** What {@link UnlockPlanner} works on. */
    public VolumeLocator.Located located() {
        return new VolumeLocator.Located(vg, lv, mapping, mountpoint, fsType == null ? "xfs" : fsType,
                mountOptions == null || mountOptions.isBlank() ? "rw,noatime,nouuid" : mountOptions);
    }
}

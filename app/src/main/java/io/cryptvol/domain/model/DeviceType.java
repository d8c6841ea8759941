package io.cryptvol.domain.model;

import java.util.Locale;

/** The lsblk TYPE column, reduced to what cryptvol cares about. */
public enum DeviceType {
    DISK, PART, LVM, CRYPT, LOOP, OTHER;

    public static DeviceType of(String lsblkType) {
        if (lsblkType == null) {
            return OTHER;
        }
        return switch (lsblkType.toLowerCase(Locale.ROOT)) {
            case "disk" -> DISK;
            case "part" -> PART;
            case "lvm" -> LVM;
            case "crypt" -> CRYPT;
            case "loop" -> LOOP;
            default -> OTHER;
        };
    }
}

package io.cryptvol.domain.model;

/**
 * What {@code blkid -p} found on a device: a filesystem, a LUKS header, an LVM PV label, a
 * partition table.
 *
 * @param type   TYPE ("xfs", "crypto_LUKS", "LVM2_member") or null when only a partition table was found
 * @param usage  USAGE ("filesystem", "crypto", "raid", ...)
 * @param ptType PTTYPE ("gpt", "dos") when a partition table was found
 */
public record Signature(String device, String type, String usage, String uuid, String label, String version,
                        String ptType) {

    public static Signature of(String device, String type) {
        return new Signature(device, type, null, null, null, null, null);
    }

    public boolean isLuks() {
        return "crypto_LUKS".equals(type);
    }

    public boolean isLvmPv() {
        return "LVM2_member".equals(type);
    }

    /** A short human name: "xfs", "crypto_LUKS", "gpt partition table". */
    public String describe() {
        if (type != null) {
            return type;
        }
        return ptType == null ? "unknown signature" : ptType + " partition table";
    }
}

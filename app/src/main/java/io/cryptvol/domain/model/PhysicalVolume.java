package io.cryptvol.domain.model;

/** One row of {@code pvs}. {@code vgName} is empty when the PV belongs to no VG. */
public record PhysicalVolume(String path, String uuid, String vgName, long sizeBytes, long freeBytes) {

    public PhysicalVolume {
        vgName = vgName == null ? "" : vgName;
    }

    public boolean inVg() {
        return !vgName.isEmpty();
    }
}

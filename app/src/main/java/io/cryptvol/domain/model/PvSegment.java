package io.cryptvol.domain.model;

import java.util.List;

/**
 * One row of {@code pvs --segments}: a PV, its VG, and the LV segment on it (if any). It is read from LVM
 * metadata alone, so it lists the LVs of inactive and exported VGs and tells where each stripe starts.
 *
 * @param pvName         "/dev/nvme1n1", or "[unknown]" when the PV is missing
 * @param missing        the PV is in the VG's metadata but its device is not here
 * @param peStartBytes   where the PV's first extent starts on the device
 * @param exported       the VG is exported (vgexport)
 * @param extentBytes    the VG's extent size
 * @param lvName         the LV of this PV segment; null for free space
 * @param segStartLe     the first logical extent of the LV segment
 * @param stripeSizeBytes 0 for linear
 * @param areas          the LV segment's areas in stripe order (the PV and its first extent each)
 */
public record PvSegment(String pvName, String pvUuid, boolean missing, long peStartBytes, String vgName, boolean exported,
                        long extentBytes, String lvName, long segStartLe, int stripes, long stripeSizeBytes,
                        List<Area> areas) {

    public PvSegment {
        areas = areas == null ? List.of() : List.copyOf(areas);
    }

    /** One stripe of an LV segment: the PV and the physical extent it starts at. */
    public record Area(String pv, long firstPe) {
    }
}

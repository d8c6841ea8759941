package io.cryptvol.domain.model;

import java.util.List;

/**
 * One segment of an LV. A grown LV has several ({@code lvextend} adds one per extension).
 *
 * @param segtype         "striped" or "linear" (lvs reports "linear" for a one-stripe segment)
 * @param stripeSizeBytes 0 for linear
 * @param devices         the PVs this segment sits on, without the "(extent)" suffix
 */
public record LvSegment(String segtype, int stripes, long stripeSizeBytes, long sizeBytes, List<String> devices) {

    public LvSegment {
        devices = devices == null ? List.of() : List.copyOf(devices);
    }
}

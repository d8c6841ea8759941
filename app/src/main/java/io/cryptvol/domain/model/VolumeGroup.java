package io.cryptvol.domain.model;

import java.util.List;

/** One row of {@code vgs}. */
public record VolumeGroup(String name, String uuid, long sizeBytes, long freeBytes, long extentSizeBytes,
                          int pvCount, int lvCount, List<String> tags) {

    public VolumeGroup {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}

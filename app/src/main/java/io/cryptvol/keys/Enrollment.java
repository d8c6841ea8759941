package io.cryptvol.keys;

import java.time.Instant;

/**
 * Where a key is enrolled: the LUKS UUID of a volume and the key slot it went into. Metadata only, never key
 * bytes. Recorded when a key is enrolled ({@code luks format}, {@code luks add-key}, {@code restore}, import or
 * adoption) so that {@code unlock} can propose the right key without trying every key.
 *
 * @param luksUuid the LUKS header UUID (lower case)
 * @param slot     the key slot (LUKS1 0..7, LUKS2 0..31)
 * @param label    a human hint such as "myvg/mylv" (may be null)
 * @param recorded when it was recorded
 */
public record Enrollment(String luksUuid, int slot, String label, Instant recorded) {
    public Enrollment {
        luksUuid = luksUuid == null ? null : luksUuid.toLowerCase(java.util.Locale.ROOT);
    }

    public boolean sameSlot(Enrollment o) {
        return luksUuid != null && luksUuid.equals(o.luksUuid) && slot == o.slot;
    }
}

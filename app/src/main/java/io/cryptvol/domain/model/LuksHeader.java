package io.cryptvol.domain.model;

import java.util.List;

/**
 * What {@code cryptsetup luksDump} says about a LUKS header.
 *
 * @param version         1 or 2
 * @param cipher          "aes-xts-plain64", "aes-cbc-essiv:sha256"
 * @param keyBits         volume key size in bits (LUKS1 "MK bits", LUKS2 keyslot "Key")
 * @param hash            LUKS1 "Hash spec", LUKS2 digest hash
 * @param pbkdf           LUKS1: "pbkdf2"; LUKS2: the first active keyslot's PBKDF
 * @param activeKeySlots  numbers of the enabled key slots, ascending
 * @param dataOffsetBytes where the encrypted data starts on the device
 */
public record LuksHeader(String device, int version, String uuid, String cipher, int keyBits, String hash,
                         String pbkdf, List<Integer> activeKeySlots, long dataOffsetBytes) {

    public LuksHeader {
        activeKeySlots = activeKeySlots == null ? List.of() : List.copyOf(activeKeySlots);
    }
}

package io.cryptvol.domain.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A {@code cryptvol-kms} LUKS2 token: the KMS-wrapped key of one key slot, kept in the header so that it travels
 * with every snapshot and restore. {@code ciphertext} is the base64 CiphertextBlob of GenerateDataKey; Decrypt needs
 * the same {@code context} (LUKS UUID and VG). Another unlock method (TPM2, Clevis/Tang) would be another token
 * type beside this one: {@link #TYPE} names the method.
 *
 * @param tokenId    the header's token number
 * @param keySlot    the key slot the plaintext opens
 * @param keyId      the KMS key's ARN
 * @param region     the KMS key's region
 * @param ciphertext base64 of the CiphertextBlob
 * @param context    the encryption context: {@link #CONTEXT_UUID}, {@link #CONTEXT_VG}
 */
public record KmsToken(int tokenId, int keySlot, String keyId, String region, String ciphertext,
                       Map<String, String> context) {
    public static final String TYPE = "cryptvol-kms";
    public static final String CONTEXT_UUID = "luks_uuid";
    public static final String CONTEXT_VG = "vg";
    /** What a boot script may read from a token: checked before use, as every value from a header is hostile. */
    public static final Pattern ARN = Pattern.compile("arn:aws[a-z-]*:kms:[a-z0-9-]{1,32}:\\d{12}:key/[A-Za-z0-9-]{1,64}");
    public static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d{1,2}");
    public static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{4,8192}={0,2}");
    public static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    public static final Pattern VG = Pattern.compile("[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}");

    public KmsToken {
        context = context == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(context));
    }

    /** The context a token of the volume {@code luksUuid} in {@code vg} binds (both names fixed: the boot script's). */
    public static Map<String, String> context(String luksUuid, String vg) {
        return Map.of(CONTEXT_UUID, luksUuid.toLowerCase(java.util.Locale.ROOT), CONTEXT_VG, vg);
    }

    /** Why this token cannot be used as it stands (a hostile or damaged header), or null when it can. */
    public String problem(String luksUuid) {
        if (!ARN.matcher(keyId == null ? "" : keyId).matches()) {
            return "its KMS key id is not a KMS key ARN";
        }
        if (!REGION.matcher(region == null ? "" : region).matches()) {
            return "its region is not an AWS region name";
        }
        if (!BASE64.matcher(ciphertext == null ? "" : ciphertext).matches()) {
            return "its ciphertext is not base64";
        }
        String uuid = context.get(CONTEXT_UUID);
        String vg = context.get(CONTEXT_VG);
        if (context.size() != 2 || uuid == null || vg == null || !UUID.matcher(uuid).matches() || !VG.matcher(vg).matches()) {
            return "its encryption context is not {luks_uuid, vg}";
        }
        if (luksUuid != null && !uuid.equalsIgnoreCase(luksUuid)) {
            return "it was made for LUKS UUID " + uuid + ", this header is " + luksUuid
                    + " (the UUID changed since: enable the policy again)";
        }
        return null;
    }

    /** The JSON {@code cryptsetup token import} takes (LUKS2 wants key slots as strings). */
    public Map<String, Object> json() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("type", TYPE);
        m.put("keyslots", List.of(Integer.toString(keySlot)));
        m.put("kms_key_id", keyId);
        m.put("kms_region", region);
        m.put("kms_ciphertext", ciphertext);
        m.put("kms_context", context);
        return m;
    }
}

package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What identifies a LUKS header's contents, to compare a header backup with the live header: the version, the UUID,
 * the volume key digest, and per active key slot its salt (a new salt is drawn every time a slot is written, so a
 * slot that was changed, killed or added shows). Read from a header's raw bytes (a backup file, or the first bytes
 * of a LUKS1 device) or, for LUKS2, from its JSON metadata ({@code cryptsetup luksDump --dump-json-metadata}).
 * The bytes come from a disk or a host: every field is checked, nothing is trusted to be well formed, and a value
 * that does not parse gives empty, never an exception.
 *
 * @param volumeKeyDigest LUKS1: the MK digest, its salt and iterations (hex); LUKS2: every digest's value and salt
 * @param slots           slot number → "salt-hex/iterations" (LUKS1) or "kdf-type/salt" (LUKS2)
 */
public record HeaderDigests(int version, String uuid, String volumeKeyDigest, Map<Integer, String> slots) {
    static final byte[] MAGIC = RawLuksHeaderParser.MAGIC;
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/=]{1,1024}");
    /** LUKS2 metadata areas are at most 4 MiB. */
    static final int MAX_JSON = 4 << 20;

    public HeaderDigests {
        slots = Map.copyOf(slots);
    }

    /** A UUID as LUKS writes it, or null when the field holds anything else. */
    public static String uuid(String s) {
        return s != null && UUID.matcher(s).matches() ? s.toLowerCase() : null;
    }

    /** The UUID in a header's raw bytes (offset 168 in both versions), or empty when it is not a LUKS header. */
    public static Optional<String> uuidOf(byte[] b) {
        if (!isLuks(b)) {
            return Optional.empty();
        }
        return Optional.ofNullable(uuid(RawLuksHeaderParser.text(b, 168, 40)));
    }

    public static boolean isLuks(byte[] b) {
        if (b == null || b.length < 592) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** The version in a header's raw bytes (1 or 2), or 0. */
    public static int versionOf(byte[] b) {
        return isLuks(b) ? ByteBuffer.wrap(b).getShort(6) & 0xffff : 0;
    }

    /** From a header's raw bytes: LUKS1 in full, LUKS2 when its JSON area is within the bytes. */
    public static Optional<HeaderDigests> ofBytes(byte[] b) {
        Optional<String> uuid = uuidOf(b);
        if (uuid.isEmpty()) {
            return Optional.empty();
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        int version = versionOf(b);
        if (version == 1) {
            HexFormat hex = HexFormat.of();
            String mk = hex.formatHex(b, 112, 132) + "/" + hex.formatHex(b, 132, 164) + "/"
                    + Integer.toUnsignedString(bb.getInt(164));
            Map<Integer, String> slots = new TreeMap<>();
            for (int s = 0; s < 8; s++) {
                int at = 208 + 48 * s;
                if (bb.getInt(at) == RawLuksHeaderParser.LUKS1_KEY_ENABLED) {
                    slots.put(s, hex.formatHex(b, at + 8, at + 40) + "/" + Integer.toUnsignedString(bb.getInt(at + 4)));
                }
            }
            return Optional.of(new HeaderDigests(1, uuid.get(), mk, slots));
        }
        if (version == 2) {
            long hdrSize = bb.getLong(8);
            if (hdrSize <= 4096 || hdrSize > b.length || hdrSize - 4096 > MAX_JSON) {
                return Optional.empty();
            }
            String area = new String(b, 4096, (int) hdrSize - 4096, StandardCharsets.UTF_8);
            int end = area.indexOf('\0');
            return ofJson(uuid.get(), end < 0 ? area : area.substring(0, end));
        }
        return Optional.empty();
    }

    /** From LUKS2 JSON metadata; the UUID comes from the binary header (the JSON does not hold it). */
    public static Optional<HeaderDigests> ofJson(String uuid, String json) {
        String u = uuid(uuid);
        if (u == null || json == null || json.length() > MAX_JSON) {
            return Optional.empty();
        }
        try {
            JsonNode j = new ObjectMapper().readTree(json);
            if (j == null || !j.path("keyslots").isObject() || !j.path("digests").isObject()) {
                return Optional.empty();
            }
            Map<Integer, String> slots = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = j.path("keyslots").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().matches("\\d{1,2}")) {
                    return Optional.empty();
                }
                String type = e.getValue().path("kdf").path("type").asText("");
                String salt = e.getValue().path("kdf").path("salt").asText("");
                if (!type.matches("[a-z0-9]{1,16}") || !BASE64.matcher(salt).matches()) {
                    return Optional.empty();
                }
                slots.put(Integer.parseInt(e.getKey()), type + "/" + salt);
            }
            List<String> digests = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = j.path("digests").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String d = e.getValue().path("digest").asText("");
                String salt = e.getValue().path("salt").asText("");
                if (!e.getKey().matches("\\d{1,2}") || !BASE64.matcher(d).matches() || !BASE64.matcher(salt).matches()) {
                    return Optional.empty();
                }
                digests.add(e.getKey() + ":" + d + "/" + salt);
            }
            if (digests.isEmpty()) {
                return Optional.empty();
            }
            digests.sort(null);
            return Optional.of(new HeaderDigests(2, u, String.join(",", digests), slots));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /**
     * Where {@code backup} and {@code live} differ, one line each (empty: they match): the UUID, the version, the
     * volume key digest, each slot present on one side only or with another salt.
     */
    public static List<String> differences(HeaderDigests backup, HeaderDigests live) {
        List<String> out = new ArrayList<>();
        if (backup.version() != live.version()) {
            out.add("version: backup LUKS" + backup.version() + ", device LUKS" + live.version());
        }
        if (!backup.uuid().equalsIgnoreCase(live.uuid())) {
            out.add("UUID: backup " + backup.uuid() + ", device " + live.uuid());
        }
        if (!backup.volumeKeyDigest().equals(live.volumeKeyDigest())) {
            out.add("volume key digest differs (another volume key: not this volume's header)");
        }
        TreeMap<Integer, String> all = new TreeMap<>(backup.slots());
        live.slots().forEach(all::putIfAbsent);
        for (Integer s : all.keySet()) {
            String b = backup.slots().get(s);
            String l = live.slots().get(s);
            if (b == null) {
                out.add("key slot " + s + ": on the device, not in the backup (added since)");
            } else if (l == null) {
                out.add("key slot " + s + ": in the backup, not on the device (removed since)");
            } else if (!b.equals(l)) {
                out.add("key slot " + s + ": differs (rewritten since)");
            }
        }
        return out;
    }
}

package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cryptvol.domain.model.LuksHeader;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Reads a LUKS header from its raw bytes, as read from the PVs of an inactive LV (nothing activated): LUKS1's
 * binary header (cipher, mode, hash, UUID, the 8 key slots), LUKS2's binary header (UUID) and, when the bytes
 * reach that far, its JSON area (cipher, key slots, data offset). Fields it cannot read stay null / empty.
 */
public final class RawLuksHeaderParser {
    static final byte[] MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
    static final int LUKS1_KEY_ENABLED = 0x00AC71F3;

    private RawLuksHeaderParser() {
    }

    /** What the bytes are: LUKS (with what could be read), or not LUKS. */
    public record Result(boolean luks, LuksHeader header) {
        public static Result notLuks() {
            return new Result(false, null);
        }
    }

    /** {@code od -An -v -tx1} output → bytes; anything that is not a hex byte is skipped. */
    public static byte[] fromOd(String od) {
        StringBuilder hex = new StringBuilder();
        for (String w : od.split("\\s+")) {
            if (w.length() == 2 && w.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                hex.append(w);
            }
        }
        return HexFormat.of().parseHex(hex);
    }

    public static Result parse(String device, byte[] b) {
        if (b.length < 512) {
            return Result.notLuks();
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return Result.notLuks();
            }
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        int version = bb.getShort(6) & 0xffff;
        if (version == 1) {
            String cipher = text(b, 8, 32) + "-" + text(b, 40, 32);
            List<Integer> slots = new ArrayList<>();
            for (int s = 0; s < 8; s++) {
                if (bb.getInt(208 + 48 * s) == LUKS1_KEY_ENABLED) {
                    slots.add(s);
                }
            }
            return new Result(true, new LuksHeader(device, 1, text(b, 168, 40), cipher, bb.getInt(108) * 8,
                    text(b, 72, 32), "pbkdf2", slots, (bb.getInt(104) & 0xffffffffL) * 512));
        }
        if (version == 2) {
            String uuid = text(b, 168, 40);
            long hdrSize = bb.getLong(8);
            if (hdrSize > 4096 && hdrSize <= b.length) {
                Optional<LuksHeader> full = json(device, uuid, new String(b, 4096, (int) hdrSize - 4096, StandardCharsets.UTF_8));
                if (full.isPresent()) {
                    return new Result(true, full.get());
                }
            }
            return new Result(true, new LuksHeader(device, 2, uuid, null, 0, null, null, List.of(), 0));
        }
        return new Result(true, new LuksHeader(device, version, null, null, 0, null, null, List.of(), 0));
    }

    private static Optional<LuksHeader> json(String device, String uuid, String area) {
        int end = area.indexOf('\0');
        String text = end < 0 ? area : area.substring(0, end);
        try {
            JsonNode j = new ObjectMapper().readTree(text);
            JsonNode seg = j.path("segments").path("0");
            List<Integer> slots = new ArrayList<>();
            int keyBits = 0;
            String pbkdf = null;
            for (Iterator<String> it = j.path("keyslots").fieldNames(); it.hasNext(); ) {
                String n = it.next();
                slots.add(Integer.parseInt(n));
                JsonNode ks = j.path("keyslots").path(n);
                if (keyBits == 0) {
                    keyBits = ks.path("key_size").asInt(0) * 8;
                    pbkdf = ks.path("kdf").path("type").asText(null);
                }
            }
            slots.sort(Integer::compareTo);
            String hash = null;
            for (JsonNode d : j.path("digests")) {
                hash = d.path("hash").asText(null);
                break;
            }
            long offset = 0;
            try {
                offset = Long.parseLong(seg.path("offset").asText("0"));
            } catch (NumberFormatException e) {
                offset = 0;
            }
            String cipher = seg.path("encryption").asText(null);
            if (cipher == null) {
                return Optional.empty();
            }
            return Optional.of(new LuksHeader(device, 2, uuid, cipher, keyBits, hash, pbkdf, slots, offset));
        } catch (Exception e) {
            return Optional.empty(); // truncated or not JSON: the binary header's facts only
        }
    }

    /** A NUL-terminated ASCII field; control characters are dropped (the bytes come from a disk). */
    static String text(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = off; i < off + len && i < b.length && b[i] != 0; i++) {
            char c = (char) (b[i] & 0xff);
            if (c >= 0x21 && c < 0x7f) {
                sb.append(c);
            }
        }
        return sb.isEmpty() ? null : sb.toString();
    }
}

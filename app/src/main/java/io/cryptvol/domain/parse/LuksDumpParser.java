package io.cryptvol.domain.parse;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.model.LuksHeader;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the text of {@code cryptsetup luksDump DEVICE}, LUKS1 and LUKS2 (LUKS1 has no JSON dump).
 * Only the header facts cryptvol needs: version, UUID, cipher, key size, hash, PBKDF, active key
 * slots and the data offset.
 */
public final class LuksDumpParser {
    private static final Pattern KV = Pattern.compile("^\\s*([A-Za-z][A-Za-z0-9 ]*?)\\s*:\\s*(.*?)\\s*$");
    private static final Pattern LUKS1_SLOT = Pattern.compile("^Key Slot (\\d+): (ENABLED|DISABLED)\\s*$");
    private static final Pattern LUKS2_ITEM = Pattern.compile("^  (\\d+): (\\S+)\\s*$");
    private static final Pattern NUMBER = Pattern.compile("(\\d+)");

    private LuksDumpParser() {
    }

    public static LuksHeader parse(String device, String text) {
        String version = null;
        for (String line : lines(text)) {
            Matcher m = KV.matcher(line);
            if (m.matches() && m.group(1).equals("Version")) {
                version = m.group(2);
                break;
            }
        }
        if ("1".equals(version)) {
            return luks1(device, text);
        }
        if ("2".equals(version)) {
            return luks2(device, text);
        }
        throw new CryptvolException("luksDump of " + device + " shows no LUKS version (got: "
                + (version == null ? "no Version line" : version) + ")");
    }

    private static LuksHeader luks1(String device, String text) {
        String uuid = null, cipherName = null, cipherMode = null, hash = null;
        int bits = 0;
        long offsetSectors = 0;
        List<Integer> slots = new ArrayList<>();
        for (String line : lines(text)) {
            Matcher slot = LUKS1_SLOT.matcher(line);
            if (slot.matches()) {
                if (slot.group(2).equals("ENABLED")) {
                    slots.add(Integer.parseInt(slot.group(1)));
                }
                continue;
            }
            if (line.startsWith("\t") || line.startsWith(" ")) {
                continue; // slot details and continued salt lines
            }
            Matcher m = KV.matcher(line);
            if (!m.matches()) {
                continue;
            }
            switch (m.group(1)) {
                case "UUID" -> uuid = m.group(2);
                case "Cipher name" -> cipherName = m.group(2);
                case "Cipher mode" -> cipherMode = m.group(2);
                case "Hash spec" -> hash = m.group(2);
                case "MK bits" -> bits = firstInt(m.group(2));
                case "Payload offset" -> offsetSectors = firstInt(m.group(2));
                default -> { }
            }
        }
        String cipher = cipherName == null ? null : cipherMode == null ? cipherName : cipherName + "-" + cipherMode;
        return new LuksHeader(device, 1, uuid, cipher, bits, hash, "pbkdf2", slots, offsetSectors * 512);
    }

    private static LuksHeader luks2(String device, String text) {
        String uuid = null, cipher = null, hash = null, pbkdf = null;
        int bits = 0;
        long offset = 0;
        List<Integer> slots = new ArrayList<>();
        String section = "";
        boolean firstSegment = false, firstSlot = false, firstDigest = false;
        for (String line : lines(text)) {
            if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0))) {
                Matcher m = KV.matcher(line);
                if (line.endsWith(":") || (m.matches() && m.group(2).isEmpty())) {
                    section = line.substring(0, line.indexOf(':')).strip();
                    continue;
                }
                section = "";
                if (m.matches() && m.group(1).equals("UUID")) {
                    uuid = m.group(2);
                }
                continue;
            }
            Matcher item = LUKS2_ITEM.matcher(line);
            if (item.matches()) {
                int n = Integer.parseInt(item.group(1));
                switch (section) {
                    case "Data segments" -> firstSegment = n == 0 || cipher == null;
                    case "Keyslots" -> {
                        slots.add(n);
                        firstSlot = slots.size() == 1;
                    }
                    case "Digests" -> firstDigest = hash == null;
                    default -> { }
                }
                continue;
            }
            Matcher m = KV.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String k = m.group(1), v = m.group(2);
            switch (section) {
                case "Data segments" -> {
                    if (firstSegment && k.equals("cipher") && cipher == null) {
                        cipher = v;
                    } else if (firstSegment && k.equals("offset") && offset == 0) {
                        offset = firstLong(v);
                    }
                }
                case "Keyslots" -> {
                    if (firstSlot && k.equals("Key") && bits == 0) {
                        bits = firstInt(v);
                    } else if (firstSlot && k.equals("PBKDF") && pbkdf == null) {
                        pbkdf = v;
                    }
                }
                case "Digests" -> {
                    if (firstDigest && k.equals("Hash") && hash == null) {
                        hash = v;
                    }
                }
                default -> { }
            }
        }
        return new LuksHeader(device, 2, uuid, cipher, bits, hash, pbkdf, slots, offset);
    }

    private static List<String> lines(String text) {
        return List.of((text == null ? "" : text).replace("\r", "").split("\n"));
    }

    private static int firstInt(String s) {
        return (int) firstLong(s);
    }

    private static long firstLong(String s) {
        Matcher m = NUMBER.matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}

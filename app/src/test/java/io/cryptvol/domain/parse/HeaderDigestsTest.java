package io.cryptvol.domain.parse;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The digests a header backup is compared by: read from raw LUKS1/LUKS2 bytes and LUKS2 JSON, and compared. */
class HeaderDigestsTest {
    static final String U1 = "4f8d3c2a-1b0e-4d7f-9a6b-5c4d3e2f1a0b";
    static final String U2 = "11111111-2222-3333-4444-555555555555";

    /** A LUKS1 header: the MK digest filled with {@code mk}, each slot in {@code slots} enabled with salt byte = value. */
    static byte[] luks1(String uuid, int mk, Map<Integer, Integer> slots) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put(new byte[]{'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}).putShort((short) 1);
        b.position(8).put("aes".getBytes(StandardCharsets.US_ASCII));
        b.position(40).put("cbc-essiv:sha256".getBytes(StandardCharsets.US_ASCII));
        b.position(72).put("ripemd160".getBytes(StandardCharsets.US_ASCII));
        b.putInt(104, 4096).putInt(108, 32);
        for (int i = 112; i < 164; i++) {
            b.put(i, (byte) mk);
        }
        b.putInt(164, 1000);
        b.position(168).put(uuid.getBytes(StandardCharsets.US_ASCII));
        for (int s = 0; s < 8; s++) {
            int at = 208 + 48 * s;
            b.putInt(at, slots.containsKey(s) ? 0x00AC71F3 : 0x0000DEAD).putInt(at + 4, 2000);
            for (int i = 0; i < 32; i++) {
                b.put(at + 8 + i, (byte) slots.getOrDefault(s, 0).intValue());
            }
        }
        return b.array();
    }

    static String json(Map<Integer, String> slotSalts, String digest) {
        StringBuilder ks = new StringBuilder();
        slotSalts.forEach((s, salt) -> ks.append(ks.isEmpty() ? "" : ",").append("\"").append(s)
                .append("\":{\"type\":\"luks2\",\"key_size\":64,\"kdf\":{\"type\":\"pbkdf2\",\"hash\":\"sha256\",\"iterations\":1000,\"salt\":\"")
                .append(salt).append("\"}}"));
        return "{\"keyslots\":{" + ks + "},\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"encryption\":"
                + "\"aes-xts-plain64\"}},\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"keyslots\":[\"0\"],\"hash\":\"sha256\","
                + "\"iterations\":1000,\"salt\":\"c2FsdA==\",\"digest\":\"" + digest + "\"}},\"config\":{}}";
    }

    /** A LUKS2 binary header of {@code uuid} with {@code json} in its 16 KiB metadata area. */
    static byte[] luks2(String uuid, String json) {
        ByteBuffer b = ByteBuffer.allocate(16384);
        b.put(new byte[]{'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}).putShort((short) 2).putLong(16384);
        b.position(168).put(uuid.getBytes(StandardCharsets.US_ASCII));
        b.position(4096).put(json.getBytes(StandardCharsets.UTF_8));
        return b.array();
    }

    static HeaderDigests d1(String uuid, int mk, Map<Integer, Integer> slots) {
        return HeaderDigests.ofBytes(luks1(uuid, mk, slots)).orElseThrow();
    }

    static HeaderDigests d2(String uuid, Map<Integer, String> slots, String digest) {
        return HeaderDigests.ofBytes(luks2(uuid, json(slots, digest))).orElseThrow();
    }

    static Stream<Arguments> comparisons() {
        return Stream.of(
                arguments("LUKS1 the same", d1(U1, 7, Map.of(0, 1, 1, 2)), d1(U1, 7, Map.of(0, 1, 1, 2)), List.of()),
                arguments("LUKS1 a slot added since", d1(U1, 7, Map.of(0, 1)), d1(U1, 7, Map.of(0, 1, 1, 2)),
                        List.of("key slot 1: on the device, not in the backup (added since)")),
                arguments("LUKS1 a slot removed since", d1(U1, 7, Map.of(0, 1, 1, 2)), d1(U1, 7, Map.of(1, 2)),
                        List.of("key slot 0: in the backup, not on the device (removed since)")),
                arguments("LUKS1 a slot rewritten", d1(U1, 7, Map.of(0, 1)), d1(U1, 7, Map.of(0, 9)),
                        List.of("key slot 0: differs (rewritten since)")),
                arguments("LUKS1 another volume key", d1(U1, 7, Map.of(0, 1)), d1(U1, 8, Map.of(0, 1)),
                        List.of("volume key digest differs (another volume key: not this volume's header)")),
                arguments("LUKS1 another UUID", d1(U1, 7, Map.of(0, 1)), d1(U2, 7, Map.of(0, 1)),
                        List.of("UUID: backup " + U1 + ", device " + U2)),
                arguments("LUKS2 the same", d2(U1, Map.of(0, "YQ==", 1, "Yg=="), "ZA=="),
                        d2(U1, Map.of(0, "YQ==", 1, "Yg=="), "ZA=="), List.of()),
                arguments("LUKS2 a slot added", d2(U1, Map.of(0, "YQ=="), "ZA=="),
                        d2(U1, Map.of(0, "YQ==", 2, "Yw=="), "ZA=="),
                        List.of("key slot 2: on the device, not in the backup (added since)")),
                arguments("LUKS2 vs LUKS1", d2(U1, Map.of(0, "YQ=="), "ZA=="), d1(U1, 7, Map.of(0, 1)),
                        List.of("version: backup LUKS2, device LUKS1",
                                "volume key digest differs (another volume key: not this volume's header)",
                                "key slot 0: differs (rewritten since)")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void comparisons(String name, HeaderDigests backup, HeaderDigests live, List<String> expected) {
        assertThat(HeaderDigests.differences(backup, live)).isEqualTo(expected);
    }

    @Test
    void theLiveLuks2JsonAndTheBackupsJsonAreReadAlike() {
        String j = json(Map.of(0, "YQ==", 1, "Yg=="), "ZA==");
        assertThat(HeaderDigests.ofJson(U1.toUpperCase(), j)).contains(HeaderDigests.ofBytes(luks2(U1, j)).orElseThrow());
    }

    static Stream<Arguments> hostile() {
        byte[] notLuks = luks1(U1, 7, Map.of(0, 1));
        notLuks[0] = 'X';
        byte[] badUuid = luks1("$(reboot)\u001b[2J-aaaa-bbbb-cccc-dddddddddddd", 7, Map.of(0, 1));
        byte[] short1 = java.util.Arrays.copyOf(luks1(U1, 7, Map.of(0, 1)), 300);
        byte[] hugeHdr = luks2(U1, json(Map.of(0, "YQ=="), "ZA=="));
        ByteBuffer.wrap(hugeHdr).putLong(8, Long.MAX_VALUE);
        return Stream.of(
                arguments("no magic", notLuks),
                arguments("a UUID that is not one", badUuid),
                arguments("cut short", short1),
                arguments("a header size beyond the bytes", hugeHdr),
                arguments("LUKS2 JSON that is not JSON", luks2(U1, "{\"keyslots\": [")),
                arguments("LUKS2 slot salt with a quote", luks2(U1, json(Map.of(0, "a\\\"b"), "ZA=="))),
                arguments("LUKS2 slot number that is not one", luks2(U1, json(Map.of(0, "YQ=="), "ZA==").replace("\"0\":{\"type\":\"luks2\"", "\"x\":{\"type\":\"luks2\""))),
                arguments("LUKS2 without digests", luks2(U1, "{\"keyslots\":{},\"digests\":{}}")),
                arguments("empty", new byte[0]));
    }

    @ParameterizedTest(name = "{0} → unreadable, no exception")
    @MethodSource
    void hostile(String name, byte[] bytes) {
        assertThat(HeaderDigests.ofBytes(bytes)).isEmpty();
    }

    @Test
    void uuidAndVersionFromTheBytes() {
        assertThat(HeaderDigests.uuidOf(luks1(U1.toUpperCase(), 7, Map.of()))).contains(U1);
        assertThat(HeaderDigests.versionOf(luks2(U2, "{}"))).isEqualTo(2);
        assertThat(HeaderDigests.versionOf(new byte[10])).isZero();
        assertThat(HeaderDigests.ofJson("not-a-uuid", json(Map.of(0, "YQ=="), "ZA=="))).isEmpty();
    }
}

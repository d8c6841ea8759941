package io.cryptvol.domain.parse;

import io.cryptvol.domain.cmd.RawHeader;
import io.cryptvol.domain.model.PvSegment;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** LUKS headers read from raw bytes (an inactive LV's PVs), the chunks that hold them, and the PV segment report. */
class RawLuksHeaderParserTest {

    static void put(ByteBuffer b, int off, String s) {
        byte[] x = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < x.length; i++) {
            b.put(off + i, x[i]);
        }
    }

    static byte[] luks1(int... slots) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put(0, RawLuksHeaderParser.MAGIC);
        b.putShort(6, (short) 1);
        put(b, 8, "aes");
        put(b, 40, "cbc-essiv:sha256");
        put(b, 72, "ripemd160");
        b.putInt(104, 4096);
        b.putInt(108, 32);
        put(b, 168, "0d1e2f3a-1111-2222-3333-444455556666");
        for (int s = 0; s < 8; s++) {
            b.putInt(208 + 48 * s, 0x0000DEAD);
        }
        for (int s : slots) {
            b.putInt(208 + 48 * s, RawLuksHeaderParser.LUKS1_KEY_ENABLED);
        }
        return b.array();
    }

    static byte[] luks2(String json, int hdrSize, int have) {
        ByteBuffer b = ByteBuffer.allocate(have);
        b.put(0, RawLuksHeaderParser.MAGIC);
        b.putShort(6, (short) 2);
        b.putLong(8, hdrSize);
        put(b, 168, "9a8b7c6d-1111-2222-3333-444455556666");
        if (have > 4096) {
            put(b, 4096, json);
        }
        return b.array();
    }

    static final String JSON = "{\"keyslots\":{\"1\":{\"type\":\"luks2\",\"key_size\":64,\"kdf\":{\"type\":\"argon2id\"}},"
            + "\"0\":{\"type\":\"luks2\",\"key_size\":64,\"kdf\":{\"type\":\"argon2id\"}}},"
            + "\"segments\":{\"0\":{\"type\":\"crypt\",\"offset\":\"16777216\",\"encryption\":\"aes-xts-plain64\"}},"
            + "\"digests\":{\"0\":{\"type\":\"pbkdf2\",\"hash\":\"sha256\"}}}";

    @Test
    void luks1TheSeedsLegacyHeader() {
        RawLuksHeaderParser.Result r = RawLuksHeaderParser.parse("/dev/v/l", luks1(0, 1));
        assertThat(r.luks()).isTrue();
        assertThat(r.header().version()).isEqualTo(1);
        assertThat(r.header().cipher()).isEqualTo("aes-cbc-essiv:sha256");
        assertThat(r.header().hash()).isEqualTo("ripemd160");
        assertThat(r.header().keyBits()).isEqualTo(256);
        assertThat(r.header().activeKeySlots()).containsExactly(0, 1);
        assertThat(r.header().uuid()).isEqualTo("0d1e2f3a-1111-2222-3333-444455556666");
        assertThat(r.header().dataOffsetBytes()).isEqualTo(4096L * 512);
    }

    @Test
    void luks2WithItsJsonAreaGivesCipherAndSlots() {
        RawLuksHeaderParser.Result r = RawLuksHeaderParser.parse("/dev/v/l", luks2(JSON, 16384, 16384));
        assertThat(r.header().version()).isEqualTo(2);
        assertThat(r.header().uuid()).isEqualTo("9a8b7c6d-1111-2222-3333-444455556666");
        assertThat(r.header().cipher()).isEqualTo("aes-xts-plain64");
        assertThat(r.header().activeKeySlots()).containsExactly(0, 1);
        assertThat(r.header().keyBits()).isEqualTo(512);
        assertThat(r.header().dataOffsetBytes()).isEqualTo(16L << 20);
    }

    @Test
    void luks2WithALargerHeaderThanReadGivesTheUuidOnly() {
        RawLuksHeaderParser.Result r = RawLuksHeaderParser.parse("/dev/v/l", luks2(JSON, 65536, 16384));
        assertThat(r.header().uuid()).isEqualTo("9a8b7c6d-1111-2222-3333-444455556666");
        assertThat(r.header().cipher()).isNull();
        assertThat(r.header().activeKeySlots()).isEmpty();
    }

    @Test
    void notLuksAndHostileBytes() {
        assertThat(RawLuksHeaderParser.parse("/dev/v/l", new byte[4096]).luks()).isFalse();
        assertThat(RawLuksHeaderParser.parse("/dev/v/l", new byte[10]).luks()).isFalse();
        byte[] b = luks1(0);
        b[170] = 0x1b; // an escape inside the UUID field is dropped, never printed
        assertThat(RawLuksHeaderParser.parse("/dev/v/l", b).header().uuid()).doesNotContain("\u001b");
    }

    @Test
    void odOutputBackToBytes() {
        byte[] b = luks1(3);
        StringBuilder od = new StringBuilder();
        String hex = HexFormat.of().formatHex(b);
        for (int i = 0; i < hex.length(); i += 2) {
            od.append(i % 32 == 0 ? "\n " : " ").append(hex, i, i + 2);
        }
        assertThat(RawLuksHeaderParser.fromOd(od.toString())).isEqualTo(b);
    }

    @Test
    void chunksFollowTheStripesInOrder() {
        List<PvSegment.Area> areas = List.of(new PvSegment.Area("/dev/b", 2), new PvSegment.Area("/dev/a", 0));
        List<PvSegment> rows = List.of(
                new PvSegment("/dev/a", "u1", false, 1 << 20, "vg", false, 4 << 20, "lv", 0, 2, 4096, areas),
                new PvSegment("/dev/b", "u2", false, 192 << 10, "vg", false, 4 << 20, "lv", 0, 2, 4096, areas));
        assertThat(RawHeader.chunks(rows, "vg", "lv", 16384).orElseThrow()).containsExactly(
                new RawHeader.Chunk("/dev/b", (192 << 10) + 2L * (4 << 20), 4096),
                new RawHeader.Chunk("/dev/a", 1 << 20, 4096),
                new RawHeader.Chunk("/dev/b", (192 << 10) + 2L * (4 << 20) + 4096, 4096),
                new RawHeader.Chunk("/dev/a", (1 << 20) + 4096, 4096));
        // linear: one run on the one PV
        List<PvSegment> linear = List.of(new PvSegment("/dev/a", "u1", false, 1 << 20, "vg", false, 4 << 20, "lv", 0, 1, 0,
                List.of(new PvSegment.Area("/dev/a", 5))));
        assertThat(RawHeader.chunks(linear, "vg", "lv", 16384).orElseThrow())
                .containsExactly(new RawHeader.Chunk("/dev/a", (1 << 20) + 5L * (4 << 20), 16384));
        // a stripe's PV missing: not readable
        List<PvSegment> gone = List.of(new PvSegment("/dev/a", "u1", false, 1 << 20, "vg", false, 4 << 20, "lv", 0, 2, 4096,
                List.of(new PvSegment.Area("[unknown]", 0), new PvSegment.Area("/dev/a", 0))));
        assertThat(RawHeader.chunks(gone, "vg", "lv", 16384)).isEmpty();
    }

    @Test
    void pvSegmentsReport() {
        String json = "{\"report\":[{\"pvseg\":[{\"pv_name\":\"/dev/nvme1n1\",\"pv_uuid\":\"u1\",\"pv_missing\":\"\","
                + "\"pe_start\":\"1048576\",\"vg_name\":\"myvg\",\"vg_exported\":\"exported\",\"vg_extent_size\":\"4194304\","
                + "\"lv_name\":\"mylv\",\"seg_start_pe\":\"0\",\"stripes\":\"2\",\"stripe_size\":\"4096\","
                + "\"devices\":\"/dev/nvme1n1(0),/dev/nvme2n1(0)\"},{\"pv_name\":\"[unknown]\",\"pv_uuid\":\"u2\","
                + "\"pv_missing\":\"missing\",\"pe_start\":\"1048576\",\"vg_name\":\"myvg\",\"vg_exported\":\"\","
                + "\"vg_extent_size\":\"4194304\",\"lv_name\":\"\",\"seg_start_pe\":\"\",\"stripes\":\"\",\"stripe_size\":\"\","
                + "\"devices\":\"\"},{\"pv_name\":\"/dev/nvme9n1\",\"vg_name\":\"\"}]}]}";
        List<PvSegment> s = PvSegmentsParser.parse(json);
        assertThat(s).hasSize(2);
        assertThat(s.get(0).exported()).isTrue();
        assertThat(s.get(0).areas()).containsExactly(new PvSegment.Area("/dev/nvme1n1", 0), new PvSegment.Area("/dev/nvme2n1", 0));
        assertThat(s.get(1).missing()).isTrue();
        assertThat(s.get(1).lvName()).isNull();
    }
}

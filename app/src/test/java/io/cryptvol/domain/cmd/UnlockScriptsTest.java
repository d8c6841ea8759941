package io.cryptvol.domain.cmd;

import io.cryptvol.domain.parse.MountCheckParser;
import io.cryptvol.domain.parse.RawLuksHeaderParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guided unlock's host scripts, run by this machine's sh on files (no device-mapper here; the VM tests run them on
 * the test instance): the header read gives exactly the chunks' bytes in order, and a chunk that cannot be read makes
 * the LV's header incomplete; the mount check reads what findmnt says, XFS's data section from a superblock, and
 * nothing for what is not XFS.
 */
class UnlockScriptsTest {
    @TempDir
    Path tmp;

    static String run(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    static String section(String out, String name) {
        int s = out.indexOf("@@cryptvol-section " + name + "\n");
        int e = out.indexOf("@@cryptvol-exit", s);
        return out.substring(s + ("@@cryptvol-section " + name + "\n").length(), e);
    }

    @Test
    void theHeaderReadGivesEachChunkInOrderAndAMissingChunkIsIncomplete() throws Exception {
        byte[] a = new byte[20000];
        byte[] b = new byte[20000];
        new SecureRandom().nextBytes(a);
        new SecureRandom().nextBytes(b);
        Path pa = Files.write(tmp.resolve("pv-a"), a);
        Path pb = Files.write(tmp.resolve("pv-b"), b);
        Map<String, List<RawHeader.Chunk>> chunks = new LinkedHashMap<>();
        chunks.put("vg/lv", List.of(new RawHeader.Chunk(pa.toString(), 100, 4096), new RawHeader.Chunk(pb.toString(), 200, 4096),
                new RawHeader.Chunk(pa.toString(), 4196, 10)));
        chunks.put("vg/gone", List.of(new RawHeader.Chunk(tmp.resolve("missing").toString(), 0, 16),
                new RawHeader.Chunk(pa.toString(), 0, 4)));
        String out = run(RawHeader.read(chunks).argv());
        byte[] lv = RawLuksHeaderParser.fromOd(section(out, "hdr vg/lv"));
        ByteBuffer want = ByteBuffer.allocate(4096 + 4096 + 10).put(a, 100, 4096).put(b, 200, 4096).put(a, 4196, 10);
        assertThat(lv).isEqualTo(want.array());
        assertThat(RawHeader.complete(chunks.get("vg/lv"), lv)).isTrue();
        byte[] gone = RawLuksHeaderParser.fromOd(section(out, "hdr vg/gone"));
        assertThat(RawHeader.complete(chunks.get("vg/gone"), gone)).isFalse();
    }

    /**
     * The observation's header read (RawHeader.FROM_SEGMENTS, over lvm's JSON as pvs prints it): for each LV at
     * LE 0 it reads exactly the chunks {@link RawHeader#chunks} computes from the parsed report (a striped LV, a
     * linear one on a PV whose offsets pass 2^31), leaves out an LV whose stripe's PV is missing, and its bytes
     * are those chunks' bytes.
     */
    @Test
    void theObservationsHeaderReadReadsTheChunksTheParsedReportGives() throws Exception {
        byte[] a = new byte[40000];
        byte[] b = new byte[40000];
        new SecureRandom().nextBytes(a);
        new SecureRandom().nextBytes(b);
        Path pa = Files.write(tmp.resolve("pv-a"), a);
        Path pb = Files.write(tmp.resolve("pv-b"), b);
        String row = "{\"pv_name\":\"%s\", \"pv_uuid\":\"u%s\", \"pv_missing\":\"%s\", \"pe_start\":\"%s\", \"vg_name\":\"%s\","
                + " \"vg_exported\":\"\", \"vg_extent_size\":\"%s\", \"lv_name\":\"%s\", \"seg_start_pe\":\"%s\","
                + " \"stripes\":\"%s\", \"stripe_size\":\"%s\", \"devices\":\"%s\"}";
        String devs = pa + "(1)," + pb + "(2)";
        String json = String.join("\n", "  {", "      \"report\": [", "          {", "              \"pv\": [",
                "                  " + String.format(row, pa, "a", "", 100, "cvg", 4096, "slv", 0, 2, 4096, devs) + ",",
                "                  " + String.format(row, pa, "a", "", 100, "cvg", 4096, "slv", 5, 2, 4096, devs) + ",",
                "                  " + String.format(row, pb, "b", "", 300, "cvg", 4096, "slv", 0, 2, 4096, devs) + ",",
                "                  " + String.format(row, pb, "b", "", 300, "cvg", 4096, "", 0, 0, 0, "") + ",",
                "                  " + String.format(row, pa, "a", "", 100, "bigvg", 1073741824L, "lin", 0, 1, 0, pa + "(3)") + ",",
                "                  " + String.format(row, "[unknown]", "m", "missing", 0, "gonevg", 4096, "glv", 0, 2, 4096,
                        "[unknown](0)," + pb + "(0)"),
                "              ]", "          }", "      ]", "  }");
        String out = run(List.of("sh", "-c", "seg=$1\n" + RawHeader.FROM_SEGMENTS, "sh", json));
        List<io.cryptvol.domain.model.PvSegment> rows = io.cryptvol.domain.parse.PvSegmentsParser.parse(json);
        List<RawHeader.Chunk> striped = RawHeader.chunks(rows, "cvg", "slv", RawHeader.BYTES).orElseThrow();
        assertThat(section(out, "hdrchunks cvg/slv").strip()).isEqualTo(RawHeader.line(striped));
        ByteBuffer want = ByteBuffer.allocate(RawHeader.BYTES).put(a, 4196, 4096).put(b, 8492, 4096).put(a, 8292, 4096)
                .put(b, 12588, 4096);
        byte[] got = RawLuksHeaderParser.fromOd(section(out, "hdr cvg/slv"));
        assertThat(got).isEqualTo(want.array());
        assertThat(RawHeader.complete(striped, got)).isTrue();
        // 100 + 3 GiB: past 2^31 (an awk's int), the same offset as Java's; the file is shorter: an incomplete read
        List<RawHeader.Chunk> linear = RawHeader.chunks(rows, "bigvg", "lin", RawHeader.BYTES).orElseThrow();
        assertThat(linear.get(0).offset()).isEqualTo(100 + 3L * 1073741824L);
        assertThat(section(out, "hdrchunks bigvg/lin").strip()).isEqualTo(RawHeader.line(linear));
        assertThat(RawHeader.complete(linear, RawLuksHeaderParser.fromOd(section(out, "hdr bigvg/lin")))).isFalse();
        assertThat(RawHeader.chunks(rows, "gonevg", "glv", RawHeader.BYTES)).isEmpty();
        assertThat(out).doesNotContain("gonevg/glv");
    }

    @Test
    void theMountCheckReadsXfsDataFromTheSuperblockAndNothingElseFromOtherBytes() throws Exception {
        Path mp = Files.createDirectories(tmp.resolve("mnt"));
        byte[] sb = new byte[4096];
        ByteBuffer.wrap(sb).put("XFSB".getBytes(StandardCharsets.US_ASCII)).putInt(4096).putLong(262144L + (5L << 32));
        // on a disk, not the tmpfs of @TempDir: the check reads with dd iflag=direct, which tmpfs refuses
        Path disk = Files.createDirectories(Path.of("target").toAbsolutePath());
        Path xfs = Files.write(disk.resolve("unlock-scripts-sb-" + System.nanoTime()), sb);
        Path other = Files.write(disk.resolve("unlock-scripts-other-" + System.nanoTime()),
                Arrays.copyOf("EXT4 or anything".getBytes(StandardCharsets.US_ASCII), 4096));
        try {
            MountCheckParser.Result r = MountCheckParser.parse(run(MountCheck.verify(mp.toString(), xfs.toString()).argv()));
            assertThat(r.xfsDataBytes()).isEqualTo(4096L * (262144L + (5L << 32)));
            assertThat(r.writable()).isTrue();
            assertThat(r.source()).as("not a mountpoint").isNull();
            assertThat(mp.toFile().list()).as("the write test leaves nothing").isEmpty();
            assertThat(MountCheckParser.parse(run(MountCheck.verify(mp.toString(), other.toString()).argv())).xfsDataBytes())
                    .isEqualTo(-1);
        } finally {
            Files.deleteIfExists(xfs);
            Files.deleteIfExists(other);
        }
    }

    /** The mounted source and size read from /proc/self/mountinfo and statfs are findmnt's (what the check used before). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/", "/proc", "/sys", "/dev"})
    void theMountLineIsFindmnts(String mountpoint) throws Exception {
        String findmnt = run(List.of("findmnt", "-n", "-b", "-o", "SOURCE,SIZE", "--mountpoint", mountpoint)).strip();
        assertThat(findmnt).as("this machine mounts " + mountpoint).isNotEmpty();
        String out = run(List.of("sh", "-c", MountCheck.SCRIPT.substring(0, MountCheck.SCRIPT.indexOf("n=${dev#")), "sh",
                mountpoint, "/dev/null"));
        assertThat(out.strip()).isEqualTo("mount " + findmnt.replaceAll("\\s+", " "));
    }
}

package io.cryptvol.domain.cmd;

import io.cryptvol.domain.model.PvSegment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the first bytes of an inactive LV straight from its PVs, without activating anything: where each
 * stripe starts comes from LVM metadata ({@link PvSegment}), so the LV's first {@link #BYTES} bytes (a LUKS1
 * header, or a LUKS2 binary header and its JSON area at the default size) are put together from the stripes
 * in order. {@code dd} reads, {@code od} prints hex; nothing is written.
 */
public final class RawHeader {
    /** LUKS2's default header (binary header + JSON area); LUKS1's header is 592 bytes. */
    public static final int BYTES = 16384;

    private RawHeader() {
    }

    /** A run of bytes on one PV. */
    public record Chunk(String device, long offset, long length) {
    }

    /**
     * The chunks that hold the first {@code bytes} bytes of VG/LV, in order; empty when the metadata does not
     * tell (no segment at LE 0) or a stripe's PV is missing.
     */
    public static Optional<List<Chunk>> chunks(List<PvSegment> rows, String vg, String lv, int bytes) {
        Optional<PvSegment> first = rows.stream().filter(r -> vg.equals(r.vgName()) && lv.equals(r.lvName())
                && r.segStartLe() == 0 && !r.areas().isEmpty()).findFirst();
        if (first.isEmpty()) {
            return Optional.empty();
        }
        PvSegment s = first.get();
        Map<String, Long> peStart = new LinkedHashMap<>();
        for (PvSegment r : rows) {
            if (vg.equals(r.vgName()) && !r.missing()) {
                peStart.putIfAbsent(r.pvName(), r.peStartBytes());
            }
        }
        List<Long> base = new ArrayList<>();
        for (PvSegment.Area a : s.areas()) {
            Long pe = peStart.get(a.pv());
            if (pe == null || s.extentBytes() <= 0) {
                return Optional.empty(); // the stripe's PV is not here
            }
            base.add(pe + a.firstPe() * s.extentBytes());
        }
        int n = s.areas().size();
        List<Chunk> out = new ArrayList<>();
        if (n == 1 || s.stripeSizeBytes() <= 0) {
            out.add(new Chunk(s.areas().get(0).pv(), base.get(0), bytes));
            return Optional.of(out);
        }
        long size = s.stripeSizeBytes();
        for (long k = 0; k * size < bytes; k++) {
            int i = (int) (k % n);
            out.add(new Chunk(s.areas().get(i).pv(), base.get(i) + (k / n) * size, Math.min(size, bytes - k * size)));
        }
        return Optional.of(out);
    }

    /**
     * One read-only command for several LVs: a section "hdr KEY" per entry, the hex of its chunks in order.
     * Arguments are KEY, then DEVICE OFFSET LENGTH per chunk, then "--" (values from LVM reach dd only as
     * arguments).
     */
    public static HostCommand read(Map<String, List<Chunk>> byKey) {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", SCRIPT, "sh"));
        for (Map.Entry<String, List<Chunk>> e : byKey.entrySet()) {
            argv.add(e.getKey());
            for (Chunk c : e.getValue()) {
                argv.add(c.device());
                argv.add(String.valueOf(c.offset()));
                argv.add(String.valueOf(c.length()));
            }
            argv.add("--");
        }
        return HostCommand.query("Read the LUKS headers of " + String.join(", ", byKey.keySet())
                + " from their PVs (nothing activated)", argv);
    }

    static final String SCRIPT = String.join("\n",
            "while [ $# -gt 0 ]; do",
            "  printf '\\n@@cryptvol-section hdr %s\\n' \"$1\"; shift; rc=0",
            "  while [ $# -gt 0 ] && [ \"$1\" != -- ]; do",
            "    dd if=\"$1\" iflag=skip_bytes,count_bytes skip=\"$2\" count=\"$3\" bs=4096 2>/dev/null | od -An -v -tx1 || rc=1",
            "    shift 3",
            "  done",
            "  shift",
            "  printf '\\n@@cryptvol-exit %s\\n' $rc",
            "done");
}

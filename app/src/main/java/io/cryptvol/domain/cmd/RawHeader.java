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
 * in order. {@code od} reads and prints hex; nothing is written.
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
     * Arguments are KEY, then DEVICE OFFSET LENGTH per chunk, then "--" (values from LVM reach od only as
     * arguments, after its "--").
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

    /**
     * A shell function: {@code chunks DEVICE OFFSET LENGTH ... --} prints those bytes in hex, in order (one {@code od}
     * each, seeking: {@code -j} is a seek on a block device; no dd before it); stops at the first chunk it cannot read,
     * with exit 1.
     */
    public static final String CHUNKS_FUNCTION = String.join("\n",
            "chunks() { while [ $# -gt 0 ] && [ \"$1\" != -- ]; do",
            "  od -An -v -tx1 -j \"$2\" -N \"$3\" -- \"$1\" 2>/dev/null || return 1; shift 3",
            "done; }");

    /**
     * One {@code od} per chunk (one per LV when the stripe is at least {@link #BYTES}): few processes, which are slow to
     * start on a small or emulated instance. A chunk that cannot be read stops that LV's reads with exit 1; a short
     * read leaves the hex shorter than the chunks, and {@link #complete} says so.
     */
    static final String SCRIPT = String.join("\n",
            CHUNKS_FUNCTION,
            "while [ $# -gt 0 ]; do",
            "  printf '\\n@@cryptvol-section hdr %s\\n' \"$1\"; shift",
            "  chunks \"$@\"; rc=$?",
            "  while [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift 3; done",
            "  shift",
            "  printf '\\n@@cryptvol-exit %s\\n' $rc",
            "done");

    /**
     * A shell fragment for the observation script, to read the headers in the same round trip as the PV segments
     * report: with that report (lvm's JSON, one row a line) in {@code $seg} ({@code pvs --segments}'s, or with
     * {@code full=1} {@code lvm fullreport}'s, whose "pvseg" rows alone are read), an awk program works out each LV's chunks
     * as {@link #chunks} does, and for each LV that is not active (no /dev/VG/LV) prints a section "hdrchunks VG/LV"
     * (the chunks it read: {@link #line}) and a section "hdr VG/LV" (their hex, as {@link #read} prints it). The
     * caller uses those bytes only when {@link #chunks} computed from the parsed report gives the same line (the
     * awk's work is never trusted on its own); else it reads with {@link #read}. Values from LVM reach od only as
     * arguments ({@code set -f}: no globbing).
     */
    public static final String FROM_SEGMENTS = String.join("\n",
            CHUNKS_FUNCTION,
            "printf '%s\\n' \"$seg\" | awk -v bytes=" + BYTES + " -v full=\"${full:-0}\" '",
            // in lvm fullreport's JSON ($full = 1) only the "pvseg" rows: the "pv" rows name PVs without pe_start
            "/^[ \\t]*\"[a-z_]+\": \\[[ \\t]*$/ { sect = $0; sub(/^[ \\t]*\"/, \"\", sect); sub(/\".*/, \"\", sect); next }",
            "full && sect != \"pvseg\" { next }",
            "function f(n) { if (match($0, \"\\\"\" n \"\\\":\\\"[^\\\"]*\\\"\")) return substr($0, RSTART + length(n) + 4, RLENGTH - length(n) - 5); return \"\" }",
            "{ pv = f(\"pv_name\"); vg = f(\"vg_name\"); lv = f(\"lv_name\"); if (pv == \"\" || vg == \"\") next",
            "  if (f(\"pv_missing\") == \"\" && !((vg SUBSEP pv) in pe)) pe[vg SUBSEP pv] = f(\"pe_start\") + 0",
            "  if (lv != \"\" && f(\"seg_start_pe\") == \"0\" && f(\"devices\") != \"\" && !((vg \"/\" lv) in seen)) {",
            "    seen[vg \"/\" lv] = 1; n++; key[n] = vg \"/\" lv; vgo[n] = vg; dev[n] = f(\"devices\")",
            "    ext[n] = f(\"vg_extent_size\") + 0; ss[n] = f(\"stripe_size\") + 0 } }",
            "END { for (i = 1; i <= n; i++) { c = split(dev[i], a, \",\"); ok = ext[i] > 0",
            "  for (j = 1; ok && j <= c; j++) { if (!match(a[j], /\\([0-9]+\\)$/)) { ok = 0; break }",
            "    p[j] = substr(a[j], 1, RSTART - 1); if (!((vgo[i] SUBSEP p[j]) in pe)) { ok = 0; break }",
            "    b[j] = pe[vgo[i] SUBSEP p[j]] + substr(a[j], RSTART + 1, RLENGTH - 2) * ext[i] }",
            "  if (!ok) continue; l = key[i]",
            "  if (c == 1 || ss[i] <= 0) l = l sprintf(\" %s %.0f %.0f\", p[1], b[1], bytes)",
            "  else for (k = 0; k * ss[i] < bytes; k++) { j = k % c + 1; m = bytes - k * ss[i]; if (m > ss[i]) m = ss[i]",
            "    l = l sprintf(\" %s %.0f %.0f\", p[j], b[j] + int(k / c) * ss[i], m) }",
            "  print l } }' | { set -f; while read -r k c; do",
            "  [ -e \"/dev/$k\" ] && continue",
            "  printf '\\n@@cryptvol-section hdrchunks %s\\n%s\\n@@cryptvol-exit 0\\n' \"$k\" \"$c\"",
            "  printf '\\n@@cryptvol-section hdr %s\\n' \"$k\"; chunks $c --; printf '\\n@@cryptvol-exit %s\\n' $?",
            "done; }");

    /** The chunks as {@link #FROM_SEGMENTS} prints them: "DEVICE OFFSET LENGTH" each, space-separated. */
    public static String line(List<Chunk> chunks) {
        List<String> parts = new ArrayList<>();
        for (Chunk c : chunks) {
            parts.add(c.device() + " " + c.offset() + " " + c.length());
        }
        return String.join(" ", parts);
    }

    /** True when {@code bytes} (read by {@link #read}) hold every chunk's bytes: a short read is no header. */
    public static boolean complete(List<Chunk> chunks, byte[] bytes) {
        long want = 0;
        for (Chunk c : chunks) {
            want += c.length();
        }
        return bytes.length == want;
    }
}

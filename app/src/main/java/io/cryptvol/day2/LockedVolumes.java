package io.cryptvol.day2;

import io.cryptvol.domain.cmd.Lvm;
import io.cryptvol.domain.cmd.RawHeader;
import io.cryptvol.domain.model.CrypttabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.PvSegment;
import io.cryptvol.domain.parse.PvSegmentsParser;
import io.cryptvol.domain.parse.RawLuksHeaderParser;
import io.cryptvol.exec.ExecResult;
import io.cryptvol.exec.HostExecutor;
import io.cryptvol.exec.PlanRunner;
import io.cryptvol.host.HostObserver;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What is locked on the target, read-only: the usual observation (devices, LVM, mounts, fstab, crypttab, the
 * headers of active LVs) with the PV segments from LVM metadata (the "pvseg" rows of the observation's own
 * {@code lvm fullreport}) and the first bytes of each inactive LV read from its PVs, all in one command; a second
 * command reads a header only where the observation's read does not match the chunks computed here. Nothing is
 * activated.
 */
public final class LockedVolumes {

    /** What was found, with the host state it was found in. */
    public record Found(HostState state, List<LockedVolume> volumes) {
    }

    private LockedVolumes() {
    }

    public static Found find(HostExecutor ex, PlanRunner.KeySource keys, VolumeLocator.Selection sel) {
        // one round trip for the host, the PV segments (LVM metadata: LVs of inactive and exported VGs) and the headers
        HostObserver o = new HostObserver(ex);
        HostState h = o.observeWithSegments(HostObserver.Scope.of(List.of(), List.of()), keys, true);
        boolean closedLine = h.fstab().entries().stream().map(f -> VolumeLocator.mapperName(f.source()))
                .flatMap(Optional::stream).anyMatch(m -> h.mapping(m).isEmpty())
                || h.crypttab().entries().stream().map(CrypttabEntry::name).anyMatch(m -> h.mapping(m).isEmpty());
        boolean inactive = h.lvs().stream().anyMatch(l -> !l.active());
        if (!closedLine && !inactive) {
            return new Found(h, LockedFinder.find(h, List.of(), Map.of(), sel));
        }
        List<PvSegment> segs = List.of();
        Optional<List<PvSegment>> read = o.segments();
        if (read.isPresent()) {
            segs = read.get();
        } else {
            ExecResult r = ex.run(Lvm.pvSegmentsReport());
            if (r.ok()) {
                segs = PvSegmentsParser.parse(r.out());
            }
        }
        Set<String> inactiveLvs = new LinkedHashSet<>();
        for (LogicalVolume l : h.lvs()) {
            if (!l.active()) {
                inactiveLvs.add(l.vgName() + "/" + l.name());
            }
        }
        for (PvSegment s : segs) {
            if (s.lvName() != null && h.lv(s.vgName(), s.lvName()).isEmpty()) {
                inactiveLvs.add(s.vgName() + "/" + s.lvName()); // an exported VG's LV
            }
        }
        Map<String, List<RawHeader.Chunk>> chunks = new LinkedHashMap<>();
        for (String k : inactiveLvs) {
            String[] p = k.split("/", 2);
            RawHeader.chunks(segs, p[0], p[1], RawHeader.BYTES).ifPresent(c -> chunks.put(k, c));
        }
        Map<String, RawLuksHeaderParser.Result> raw = new LinkedHashMap<>();
        // the headers the observation read in its own round trip, where it read exactly the chunks computed here
        Map<String, List<RawHeader.Chunk>> rest = new LinkedHashMap<>();
        for (Map.Entry<String, List<RawHeader.Chunk>> e : chunks.entrySet()) {
            Optional<HostObserver.RawRead> r = o.rawHeader(e.getKey()).filter(x -> x.chunks().equals(RawHeader.line(e.getValue())));
            if (r.isPresent()) {
                header(raw, e.getKey(), e.getValue(), r.get().exit(), r.get().hex());
            } else {
                rest.put(e.getKey(), e.getValue());
            }
        }
        if (!rest.isEmpty()) {
            HostObserver.Sections s = HostObserver.Sections.run(ex, RawHeader.read(rest));
            for (String k : rest.keySet()) {
                header(raw, k, rest.get(k), s.exit("hdr " + k), s.out("hdr " + k));
            }
        }
        return new Found(h, LockedFinder.find(h, segs, raw, sel));
    }

    /** The header parsed from od's output when every chunk's bytes are there (a short read is no header). */
    private static void header(Map<String, RawLuksHeaderParser.Result> raw, String k, List<RawHeader.Chunk> chunks, int exit,
                               String hex) {
        byte[] b = exit == 0 ? RawLuksHeaderParser.fromOd(hex) : null;
        if (b != null && RawHeader.complete(chunks, b)) {
            raw.put(k, RawLuksHeaderParser.parse("/dev/" + k, b));
        }
    }
}

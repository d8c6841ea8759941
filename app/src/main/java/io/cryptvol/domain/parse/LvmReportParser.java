package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryptvol.CryptvolException;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LvSegment;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses {@code pvs / vgs / lvs --reportformat json --units b --nosuffix -o FIELDS}. LVM prints every
 * value as a string. {@code lvs} with segment fields prints one row per segment; the rows of one LV
 * are folded into one {@link LogicalVolume}.
 *
 * <p>{@code lvm fullreport} (one LVM process instead of three: each costs a device scan) prints the same
 * "pv" and "vg" rows, and LV and segment rows apart ("lv", "seg", joined by lv_uuid): {@link #fullReportLvs}
 * joins them into the rows {@code lvs} would print, then folds them the same way.
 */
public final class LvmReportParser {
    public static final List<String> PV_FIELDS = List.of("pv_name", "pv_uuid", "vg_name", "pv_size", "pv_free");
    public static final List<String> VG_FIELDS = List.of("vg_name", "vg_uuid", "vg_size", "vg_free",
            "vg_extent_size", "pv_count", "lv_count", "vg_tags");
    public static final List<String> LV_FIELDS = List.of("lv_name", "vg_name", "lv_uuid", "lv_size", "lv_path",
            "lv_dm_path", "lv_active", "lv_attr", "segtype", "stripes", "stripe_size", "seg_size", "devices");
    /** For fullreport: the LV report's own fields, and the segment report's (with the LV's uuid to join on). */
    public static final List<String> LV_ONLY_FIELDS = LV_FIELDS.subList(0, LV_FIELDS.indexOf("segtype"));
    public static final List<String> SEG_FIELDS = List.of("lv_uuid", "segtype", "stripes", "stripe_size", "seg_size",
            "devices");

    private LvmReportParser() {
    }

    /** For {@code pvs}: which VG a PV is in and whether that VG is exported (what detaching its volume needs). */
    public static final List<String> PV_EXPORT_FIELDS = List.of("pv_name", "vg_name", "vg_exported");

    /** A PV, its VG ("" when in none) and whether that VG is exported. */
    public record PvExport(String pv, String vg, boolean exported) {
    }

    /** The rows of a {@link #PV_EXPORT_FIELDS} report, by PV path. */
    public static Map<String, PvExport> pvExports(String json) {
        Map<String, PvExport> out = new LinkedHashMap<>();
        for (JsonNode r : rows(json, "pv")) {
            String vg = Json.text(r, "vg_name");
            out.put(req(r, "pv_name"), new PvExport(req(r, "pv_name"), vg == null ? "" : vg, Json.text(r, "vg_exported") != null));
        }
        return out;
    }

    /**
     * The UUIDs of the PVs of {@code vg} that {@link io.cryptvol.domain.cmd.Lvm#missingPvQuery()} shows missing,
     * in its order. No report (or an unreadable one): nothing known to be missing; the activation says the rest.
     */
    public static List<String> missingPvs(String pvsJson, String vg) {
        List<String> out = new ArrayList<>();
        try {
            JsonNode report = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pvsJson).path("report");
            for (JsonNode r : report) {
                for (JsonNode pv : r.path("pv")) {
                    if (vg.equals(pv.path("vg_name").asText()) && !pv.path("pv_missing").asText("").isBlank()) {
                        out.add(pv.path("pv_uuid").asText());
                    }
                }
            }
        } catch (java.io.IOException e) {
            return List.of();
        }
        return out;
    }

    public static List<PhysicalVolume> pvs(String json) {
        List<PhysicalVolume> out = new ArrayList<>();
        for (JsonNode r : rows(json, "pv")) {
            out.add(new PhysicalVolume(req(r, "pv_name"), Json.text(r, "pv_uuid"), Json.text(r, "vg_name"),
                    Json.bytes("pvs", r, "pv_size"), Json.bytes("pvs", r, "pv_free")));
        }
        return out;
    }

    public static List<VolumeGroup> vgs(String json) {
        List<VolumeGroup> out = new ArrayList<>();
        for (JsonNode r : rows(json, "vg")) {
            String tags = Json.text(r, "vg_tags");
            out.add(new VolumeGroup(req(r, "vg_name"), Json.text(r, "vg_uuid"), Json.bytes("vgs", r, "vg_size"),
                    Json.bytes("vgs", r, "vg_free"), Json.bytes("vgs", r, "vg_extent_size"),
                    (int) Json.bytes("vgs", r, "pv_count"), (int) Json.bytes("vgs", r, "lv_count"),
                    tags == null ? List.of() : Arrays.stream(tags.split(",")).map(String::strip)
                            .filter(s -> !s.isEmpty()).toList()));
        }
        return out;
    }

    public static List<LogicalVolume> lvs(String json) {
        return foldLvs(rows(json, "lv"));
    }

    /** The LVs of an {@code lvm fullreport}: each "seg" row joined with its "lv" row (an LV without one stays one row). */
    public static List<LogicalVolume> fullReportLvs(String json) {
        JsonNode root = Json.read("lvm fullreport", json);
        List<JsonNode> joined = new ArrayList<>();
        for (JsonNode report : root.path("report")) {
            Map<String, List<JsonNode>> segs = new LinkedHashMap<>();
            for (JsonNode seg : report.path("seg")) {
                segs.computeIfAbsent(Json.text(seg, "lv_uuid"), k -> new ArrayList<>()).add(seg);
            }
            for (JsonNode lv : report.path("lv")) {
                List<JsonNode> mine = segs.getOrDefault(Json.text(lv, "lv_uuid"), List.of());
                if (mine.isEmpty()) {
                    joined.add(lv);
                }
                for (JsonNode seg : mine) {
                    com.fasterxml.jackson.databind.node.ObjectNode row = ((com.fasterxml.jackson.databind.node.ObjectNode) lv).deepCopy();
                    seg.fields().forEachRemaining(f -> row.set(f.getKey(), f.getValue()));
                    joined.add(row);
                }
            }
        }
        return foldLvs(joined);
    }

    private static List<LogicalVolume> foldLvs(List<JsonNode> rows) {
        Map<String, LogicalVolume> byId = new LinkedHashMap<>();
        for (JsonNode r : rows) {
            String name = req(r, "lv_name");
            String vg = req(r, "vg_name");
            LvSegment seg = new LvSegment(Json.text(r, "segtype"), (int) Json.bytes("lvs", r, "stripes"),
                    Json.bytes("lvs", r, "stripe_size"), Json.bytes("lvs", r, "seg_size"), devices(Json.text(r, "devices")));
            String key = vg + "/" + name;
            LogicalVolume prev = byId.get(key);
            if (prev == null) {
                String path = Json.text(r, "lv_path");
                String dm = Json.text(r, "lv_dm_path");
                byId.put(key, new LogicalVolume(name, vg, Json.text(r, "lv_uuid"), Json.bytes("lvs", r, "lv_size"),
                        path != null ? path : "/dev/" + vg + "/" + name,
                        dm != null ? dm : "/dev/mapper/" + dmName(vg) + "-" + dmName(name),
                        active(Json.text(r, "lv_attr"), Json.text(r, "lv_active")), List.of(seg)));
            } else {
                List<LvSegment> segs = new ArrayList<>(prev.segments());
                segs.add(seg);
                byId.put(key, new LogicalVolume(prev.name(), prev.vgName(), prev.uuid(), prev.sizeBytes(), prev.path(),
                        prev.dmPath(), prev.active(), segs));
            }
        }
        return List.copyOf(byId.values());
    }

    /** lv_attr's 5th character is the state ('a' = active); lv_active is "active" or empty. */
    static boolean active(String attr, String lvActive) {
        if (attr != null && attr.length() > 4) {
            return attr.charAt(4) == 'a';
        }
        return lvActive != null && !lvActive.isBlank() && !lvActive.equals("inactive");
    }

    /** "/dev/nvme1n1(0),/dev/nvme2n1(0)" → ["/dev/nvme1n1", "/dev/nvme2n1"]. */
    static List<String> devices(String s) {
        if (s == null) {
            return List.of();
        }
        return Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty())
                .map(x -> x.replaceAll("\\(\\d+\\)$", "")).toList();
    }

    /** device-mapper doubles a '-' inside VG and LV names. */
    public static String dmName(String s) {
        return s.replace("-", "--");
    }

    private static List<JsonNode> rows(String json, String kind) {
        JsonNode root = Json.read(kind + "s", json);
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode report : root.path("report")) {
            report.path(kind).forEach(out::add);
        }
        return out;
    }

    private static String req(JsonNode r, String field) {
        String v = Json.text(r, field);
        if (v == null) {
            throw new CryptvolException("LVM report row without " + field + ": " + r);
        }
        return v;
    }
}

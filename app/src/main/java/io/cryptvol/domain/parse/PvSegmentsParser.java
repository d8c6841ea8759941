package io.cryptvol.domain.parse;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryptvol.domain.model.PvSegment;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code pvs --segments --reportformat json --units b --nosuffix -o FIELDS} ({@link #FIELDS}), and the same rows
 * in {@code lvm fullreport}'s "pvseg" subreport ({@link #fromFullReport}).
 */
public final class PvSegmentsParser {
    public static final List<String> FIELDS = List.of("pv_name", "pv_uuid", "pv_missing", "pe_start", "vg_name",
            "vg_exported", "vg_extent_size", "lv_name", "seg_start_pe", "stripes", "stripe_size", "devices");
    private static final Pattern AREA = Pattern.compile("^(.+)\\((\\d+)\\)$");

    private PvSegmentsParser() {
    }

    public static List<PvSegment> parse(String json) {
        return rows("pvs --segments", json, null);
    }

    /**
     * The "pvseg" rows of {@code lvm fullreport ... --configreport pvseg -o FIELDS}: the same rows {@code pvs --segments}
     * prints (the report's "pv", "vg", "lv" and "seg" rows are other subreports, left out), so the observation's one LVM
     * process gives them and the guide needs no scan of its own.
     */
    public static List<PvSegment> fromFullReport(String json) {
        return rows("lvm fullreport", json, "pvseg");
    }

    /** @param only the one array to read; null: every array (pvs puts the rows under "pvseg", or "pv" on some versions) */
    private static List<PvSegment> rows(String what, String json, String only) {
        JsonNode root = Json.read(what, json);
        List<PvSegment> out = new ArrayList<>();
        for (JsonNode report : root.path("report")) {
            report.fields().forEachRemaining(f -> {
                if (!f.getValue().isArray() || (only != null && !only.equals(f.getKey()))) {
                    return;
                }
                for (JsonNode r : f.getValue()) {
                    String pv = Json.text(r, "pv_name");
                    String vg = Json.text(r, "vg_name");
                    if (pv == null || vg == null) {
                        continue;
                    }
                    out.add(new PvSegment(pv, Json.text(r, "pv_uuid"), Json.text(r, "pv_missing") != null,
                            Json.bytes("pvs", r, "pe_start"), vg, Json.text(r, "vg_exported") != null,
                            Json.bytes("pvs", r, "vg_extent_size"), Json.text(r, "lv_name"),
                            Json.bytes("pvs", r, "seg_start_pe"), (int) Json.bytes("pvs", r, "stripes"),
                            Json.bytes("pvs", r, "stripe_size"), areas(Json.text(r, "devices"))));
                }
            });
        }
        return out;
    }

    /** "/dev/a(0),/dev/b(0)" → the areas in stripe order; a malformed part is left out. */
    static List<PvSegment.Area> areas(String devices) {
        List<PvSegment.Area> out = new ArrayList<>();
        if (devices == null) {
            return out;
        }
        for (String part : devices.split(",")) {
            Matcher m = AREA.matcher(part.strip());
            if (m.matches()) {
                try {
                    out.add(new PvSegment.Area(m.group(1), Long.parseLong(m.group(2))));
                } catch (NumberFormatException e) {
                    // not a number: left out
                }
            }
        }
        return out;
    }
}

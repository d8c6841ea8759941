package io.cryptvol.domain.cmd;

import io.cryptvol.domain.parse.LvmReportParser;

import java.util.ArrayList;
import java.util.List;

/** argv for lvm2. Reports use the field lists {@link LvmReportParser} reads. */
public final class Lvm {
    private Lvm() {
    }

    /** How an LV is laid out over its PVs: stripes (1 = linear) and stripe size in bytes. */
    public record Layout(int stripes, long stripeSizeBytes) {
        public static Layout linear() {
            return new Layout(1, 0);
        }

        public static Layout striped(int stripes, long stripeSizeBytes) {
            return new Layout(stripes, stripeSizeBytes);
        }

        /** -i N -I S, or -i 1 for linear (lvextend otherwise copies the last segment's stripes). */
        List<String> args() {
            if (stripes <= 1) {
                return List.of("-i", "1");
            }
            return List.of("-i", String.valueOf(stripes), "-I", Sizes.stripeSizeArg(stripeSizeBytes));
        }
    }

    public static HostCommand pvcreate(String device) {
        return HostCommand.of("Create PV on " + device, "pvcreate", device);
    }

    public static HostCommand vgcreate(String vg, List<String> pvs, List<String> tags) {
        List<String> a = new ArrayList<>(List.of("vgcreate"));
        for (String t : tags) {
            a.add("--addtag");
            a.add(t);
        }
        a.add(vg);
        a.addAll(pvs);
        return HostCommand.of("Create VG " + vg + " on " + String.join(", ", pvs), a);
    }

    public static HostCommand vgextend(String vg, List<String> pvs) {
        List<String> a = new ArrayList<>(List.of("vgextend", vg));
        a.addAll(pvs);
        return HostCommand.of("Add " + String.join(", ", pvs) + " to VG " + vg, a);
    }

    /** lvcreate -i N -I S -l EXTENTS -n LV VG (no -i/-I for a linear layout). */
    public static HostCommand lvcreate(String vg, String lv, Layout layout, String extents) {
        List<String> a = new ArrayList<>(List.of("lvcreate"));
        if (layout.stripes() > 1) {
            a.addAll(layout.args());
        }
        a.addAll(List.of("-l", extents, "-n", lv, vg));
        String how = layout.stripes() > 1
                ? layout.stripes() + " stripes of " + Sizes.human(layout.stripeSizeBytes()) : "linear";
        return HostCommand.of("Create LV " + vg + "/" + lv + " (" + how + ", " + extents + ")", a);
    }

    /** lvextend -i N -I S -l +100%FREE VG/LV: the new segment keeps the layout given. */
    public static HostCommand lvextend(String vg, String lv, Layout layout, String extents) {
        List<String> a = new ArrayList<>(List.of("lvextend"));
        a.addAll(layout.args());
        a.addAll(List.of("-l", extents, vg + "/" + lv));
        return HostCommand.of("Extend LV " + vg + "/" + lv + " by " + extents, a);
    }

    public static HostCommand activate(String vg) {
        return HostCommand.of("Activate VG " + vg, "vgchange", "-ay", vg);
    }

    public static HostCommand deactivate(String vg) {
        return HostCommand.of("Deactivate VG " + vg, "vgchange", "-an", vg);
    }

    public static HostCommand vgimport(String vg) {
        return HostCommand.of("Import VG " + vg, "vgimport", vg);
    }

    public static HostCommand vgexport(String vg) {
        return HostCommand.of("Export VG " + vg + " (so its volumes can be detached)", "vgexport", vg);
    }

    /** Every PV's UUID, VG and missing flag ({@link LvmReportParser#missingPvs}). */
    public static HostCommand missingPvQuery() {
        return HostCommand.query("Are PVs missing?", "pvs", "--reportformat", "json", "-o", "pv_uuid,pv_missing,vg_name");
    }

    /** Prints "exported" when the VG is exported. */
    public static HostCommand exportedQuery(String vg) {
        return HostCommand.query("Is VG " + vg + " exported?", "vgs", "--noheadings", "-o", "vg_exported", vg);
    }

    /**
     * Every PV segment with its VG and LV, read from LVM metadata only ({@link io.cryptvol.domain.parse.PvSegmentsParser}):
     * lists the LVs of inactive and exported VGs and where their stripes start; missing PVs show as such.
     */
    public static HostCommand pvSegmentsReport() {
        return HostCommand.query("List PV segments (LVM metadata, nothing activated)", "pvs", "--segments",
                "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                String.join(",", io.cryptvol.domain.parse.PvSegmentsParser.FIELDS));
    }

    /** Renames the VG on cloned PVs and gives them new UUIDs, so they can sit next to the originals. */
    public static HostCommand vgimportclone(String newVgName, List<String> pvs) {
        List<String> a = new ArrayList<>(List.of("vgimportclone", "--basevgname", newVgName));
        a.addAll(pvs);
        return HostCommand.of("Import cloned PVs as VG " + newVgName, a);
    }

    public static HostCommand pvsReport() {
        return report("pvs", LvmReportParser.PV_FIELDS, "List PVs");
    }

    /** PVs with their VG and whether it is exported ({@link LvmReportParser#pvExports}). */
    public static HostCommand pvExportReport() {
        return report("pvs", LvmReportParser.PV_EXPORT_FIELDS, "List PVs and their VGs");
    }

    public static HostCommand vgsReport() {
        return report("vgs", LvmReportParser.VG_FIELDS, "List VGs");
    }

    public static HostCommand lvsReport() {
        return report("lvs", LvmReportParser.LV_FIELDS, "List LVs");
    }

    private static HostCommand report(String tool, List<String> fields, String what) {
        return HostCommand.of(what, tool, "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                String.join(",", fields));
    }
}

package io.cryptvol.domain.parse;

import io.cryptvol.domain.Fixtures;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LvmReportParserTest {

    /**
     * {@code lvm fullreport} against {@code pvs}, {@code vgs} and {@code lvs} taken of the same host at the same
     * moment (lvm2 on the test instance, the fields cryptvol asks for): the same objects, in the states that
     * matter: a striped LV with an orphan PV beside it; an LV grown by a linear segment, and an inactive LV.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"orphan", "grown"})
    void fullReportReadsAsPvsVgsAndLvsDo(String state) {
        String full = Fixtures.read("lvm-" + state + "-fullreport.json");
        assertThat(LvmReportParser.pvs(full)).isNotEmpty()
                .containsExactlyInAnyOrderElementsOf(LvmReportParser.pvs(Fixtures.read("lvm-" + state + "-pvs.json")));
        assertThat(LvmReportParser.vgs(full)).isNotEmpty()
                .containsExactlyInAnyOrderElementsOf(LvmReportParser.vgs(Fixtures.read("lvm-" + state + "-vgs.json")));
        assertThat(LvmReportParser.fullReportLvs(full)).isNotEmpty()
                .containsExactlyInAnyOrderElementsOf(LvmReportParser.lvs(Fixtures.read("lvm-" + state + "-lvs.json")));
    }

    @Test
    void fullReportJoinsSegmentsInOrder() {
        List<LogicalVolume> lvs = LvmReportParser.fullReportLvs(Fixtures.read("lvm-grown-fullreport.json"));
        LogicalVolume tlv = lvs.stream().filter(l -> l.name().equals("tlv")).findFirst().orElseThrow();
        assertThat(tlv.segments()).extracting(s -> s.segtype() + "/" + s.stripes()).containsExactly("striped/3", "linear/1");
        assertThat(tlv.segments().get(0).devices()).containsExactly("/dev/nvme0n1", "/dev/nvme1n1", "/dev/nvme2n1");
        assertThat(tlv.segments().get(1).devices()).containsExactly("/dev/nvme3n1");
        assertThat(tlv.active()).isTrue();
        assertThat(lvs.stream().filter(l -> l.name().equals("other")).findFirst().orElseThrow().active()).isFalse();
        // an orphan PV's report entry has no lv or seg rows at all
        assertThat(LvmReportParser.pvs(Fixtures.read("lvm-orphan-fullreport.json")))
                .filteredOn(p -> !p.inVg()).extracting(PhysicalVolume::path).containsExactly("/dev/nvme3n1");
    }

    @Test
    void pvs() {
        List<PhysicalVolume> pvs = LvmReportParser.pvs(Fixtures.read("pvs.json"));
        assertThat(pvs).containsExactly(
                new PhysicalVolume("/dev/nvme1n1", "kX3x2V-1tqP-3S6D-Zc3v-Ez1C-8W0n-Yc4XQa", "myvg", 1069547520L, 0),
                new PhysicalVolume("/dev/nvme2n1", "Q1w2E3-r4T5-y6U7-i8O9-p0A1-s2D3-f4G5hJ", "myvg", 1069547520L, 0),
                new PhysicalVolume("/dev/nvme4n1", "Zz9yX8-wV7u-T6sR-5qP4-oN3m-L2kJ-1iH0gF", "", 1073741824L,
                        1073741824L));
        assertThat(pvs.get(2).inVg()).isFalse();
    }

    /** lvm2 2.03 {@code pvs --reportformat json -o pv_name,vg_name,vg_exported}: in a VG, in an exported VG, in none. */
    @Test
    void pvExports() {
        String json = """
                  {
                      "report": [
                          {
                              "pv": [
                                  {"pv_name":"/dev/nvme1n1", "vg_name":"data", "vg_exported":""},
                                  {"pv_name":"/dev/nvme2n1", "vg_name":"holdvg", "vg_exported":"exported"},
                                  {"pv_name":"/dev/nvme3n1", "vg_name":"", "vg_exported":""}
                              ]
                          }
                      ]
                  }
                """;
        assertThat(LvmReportParser.pvExports(json)).containsExactly(
                java.util.Map.entry("/dev/nvme1n1", new LvmReportParser.PvExport("/dev/nvme1n1", "data", false)),
                java.util.Map.entry("/dev/nvme2n1", new LvmReportParser.PvExport("/dev/nvme2n1", "holdvg", true)),
                java.util.Map.entry("/dev/nvme3n1", new LvmReportParser.PvExport("/dev/nvme3n1", "", false)));
        assertThat(LvmReportParser.pvExports("{\"report\":[{\"pv\":[]}]}")).isEmpty();
        assertThatThrownBy(() -> LvmReportParser.pvExports("not json")).isInstanceOf(io.cryptvol.CryptvolException.class);
    }

    @Test
    void vgsWithTags() {
        List<VolumeGroup> vgs = LvmReportParser.vgs(Fixtures.read("vgs.json"));
        assertThat(vgs.get(0)).isEqualTo(new VolumeGroup("myvg", "Hn4Uq1-Wm2c-Xk8d-Lp0e-Rt5f-Ys6g-Zu7hAb",
                2139095040L, 0, 4194304L, 2, 1, List.of("cryptvol", "set-7f3a")));
        assertThat(vgs.get(1).tags()).isEmpty();
    }

    @Test
    void lvsFoldsSegmentRowsIntoOneLv() {
        List<LogicalVolume> lvs = LvmReportParser.lvs(Fixtures.read("lvs-grown.json"));
        assertThat(lvs).hasSize(2);
        LogicalVolume lv = lvs.get(0);
        assertThat(lv.path()).isEqualTo("/dev/myvg/mylv");
        assertThat(lv.dmPath()).isEqualTo("/dev/mapper/myvg-mylv");
        assertThat(lv.active()).isTrue();
        assertThat(lv.segments()).hasSize(2);
        assertThat(lv.stripes()).isEqualTo(2);
        assertThat(lv.stripeSizeBytes()).isEqualTo(4096);
        assertThat(lv.segtype()).isEqualTo("striped");
        assertThat(lv.uniformlyStriped()).isTrue();
        assertThat(lv.segments().get(1).devices()).containsExactly("/dev/nvme3n1", "/dev/nvme4n1");
        LogicalVolume old = lvs.get(1);
        assertThat(old.active()).isFalse();
        assertThat(old.dmPath()).isEqualTo("/dev/mapper/scratch-old--logs");
        assertThat(old.segtype()).isEqualTo("linear");
    }

    @ParameterizedTest
    @CsvSource(nullValues = "NULL", value = {
            "-wi-ao----, active, true",
            "-wi-a-----, active, true",
            "-wi-------, '',     false",
            "NULL,       active, true",
            "NULL,       '',     false",
            "-wi-s-----, active, false"})
    void activeFromAttrOrLvActive(String attr, String lvActive, boolean expected) {
        assertThat(LvmReportParser.active(attr, lvActive)).isEqualTo(expected);
    }

    @Test
    void emptyReport() {
        assertThat(LvmReportParser.lvs("{\"report\":[{\"lv\":[]}]}")).isEmpty();
    }
}

package io.cryptvol.domain.model;

import io.cryptvol.domain.Fixtures;
import io.cryptvol.domain.parse.LsblkParser;
import io.cryptvol.domain.parse.LvmReportParser;
import io.cryptvol.domain.parse.LuksDumpParser;
import io.cryptvol.domain.parse.MountsParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HostStateTest {
    static final HostState H = HostState.empty()
            .withDevices(LsblkParser.parse(Fixtures.read("lsblk-2.38.json")))
            .withLvm(LvmReportParser.pvs(Fixtures.read("pvs.json")), LvmReportParser.vgs(Fixtures.read("vgs.json")),
                    LvmReportParser.lvs(Fixtures.read("lvs-grown.json")))
            .withLuks(LuksDumpParser.parse("/dev/myvg/mylv", Fixtures.read("luksdump-luks2.txt")))
            .withMounts(MountsParser.findmnt(Fixtures.read("findmnt.json")))
            .withFstab(FstabFile.parse("/dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto\n"));

    @Test
    void lvPathsAreAliases() {
        assertThat(H.deviceByPath("/dev/myvg/mylv")).map(BlockDevice::path).contains("/dev/mapper/myvg-mylv");
        assertThat(H.luksOn("/dev/mapper/myvg-mylv")).map(LuksHeader::version).contains(2);
        assertThat(H.cryptHolderOf("/dev/myvg/mylv")).map(BlockDevice::name).contains("secure");
        assertThat(H.sameDevice("/dev/myvg/mylv", "/dev/mapper/myvg-mylv")).isTrue();
    }

    @Test
    void queries() {
        assertThat(H.pvOn("/dev/nvme4n1")).map(PhysicalVolume::inVg).contains(false);
        assertThat(H.pvsIn("myvg")).hasSize(2);
        assertThat(H.vg("myvg")).map(VolumeGroup::tags).contains(List.of("cryptvol", "set-7f3a"));
        assertThat(H.lv("myvg", "mylv")).map(LogicalVolume::stripes).contains(2);
        assertThat(H.mapping("secure")).isPresent();
        assertThat(H.mountAt("/mnt/data")).map(Mount::source).contains("/dev/mapper/secure");
        assertThat(H.isMounted("/dev/mapper/secure")).isTrue();
        assertThat(H.fstabFor("/mnt/data")).isPresent();
        assertThat(H.keyOpens("/dev/myvg/mylv", "k")).isEmpty();
        assertThat(H.withKeyCheck("/dev/mapper/myvg-mylv", "k", true).keyOpens("/dev/myvg/mylv", "k")).contains(true);
    }

    @Test
    void blkidProbeWinsOverLsblkFstype() {
        assertThat(H.signatureOn("/dev/nvme1n1")).map(Signature::type).contains("LVM2_member"); // from lsblk
        HostState probed = H.withSignature(new Signature("/dev/nvme1n1", null, null, null, null, null, null));
        assertThat(probed.signatureOn("/dev/nvme1n1")).isEmpty();
        assertThat(H.signatureOn("/dev/nvme3n1")).isEmpty();
    }
}

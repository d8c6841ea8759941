package io.cryptvol.domain.parse;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.Fixtures;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.HostState;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LsblkParserTest {

    @Test
    void utilLinux238TreeWithNumbersAndMountpointsArray() {
        List<BlockDevice> roots = LsblkParser.parse(Fixtures.read("lsblk-2.38.json"));
        assertThat(roots).extracting(BlockDevice::path)
                .containsExactly("/dev/nvme0n1", "/dev/nvme1n1", "/dev/nvme2n1", "/dev/nvme3n1");
        BlockDevice d1 = roots.get(1);
        assertThat(d1.sizeBytes()).isEqualTo(1073741824L);
        assertThat(d1.serial()).isEqualTo("vol0123456789abcdef0");
        assertThat(d1.model()).isEqualTo("Amazon Elastic Block Store");
        assertThat(d1.type()).isEqualTo(DeviceType.DISK);
        assertThat(d1.fstype()).isEqualTo("LVM2_member");
        assertThat(d1.mountpoints()).isEmpty(); // [null]
        BlockDevice lv = d1.children().get(0);
        assertThat(lv.type()).isEqualTo(DeviceType.LVM);
        assertThat(lv.path()).isEqualTo("/dev/mapper/myvg-mylv");
        BlockDevice crypt = lv.children().get(0);
        assertThat(crypt.type()).isEqualTo(DeviceType.CRYPT);
        assertThat(crypt.mountpoints()).containsExactly("/mnt/data");
        assertThat(crypt.parentName()).isEqualTo("myvg-mylv");
        assertThat(roots.get(3).children()).isEmpty();
    }

    @Test
    void hostStateDeduplicatesAStripedLvShownUnderEachDisk() {
        HostState h = HostState.empty().withDevices(LsblkParser.parse(Fixtures.read("lsblk-2.38.json")));
        assertThat(h.allDevices()).extracting(BlockDevice::path).containsExactly("/dev/nvme0n1",
                "/dev/nvme0n1p1", "/dev/nvme1n1", "/dev/mapper/myvg-mylv", "/dev/mapper/secure", "/dev/nvme2n1",
                "/dev/nvme3n1");
        assertThat(h.parents("/dev/mapper/myvg-mylv")).containsExactly("/dev/nvme1n1", "/dev/nvme2n1");
        assertThat(h.holders("/dev/nvme2n1")).extracting(BlockDevice::name).containsExactly("myvg-mylv");
        assertThat(h.mapping("secure")).isPresent();
        assertThat(h.mappingBackingDevice("secure")).contains("/dev/mapper/myvg-mylv");
        assertThat(h.mountpointsUnder("/dev/nvme1n1")).containsExactly("/mnt/data");
        assertThat(h.isMounted("/dev/nvme0n1p1")).isTrue();
        assertThat(h.isMounted("/dev/nvme3n1")).isFalse();
    }

    @Test
    void olderLsblkWithStringSizesMountpointAndNoPathColumn() {
        List<BlockDevice> roots = LsblkParser.parse(Fixtures.read("lsblk-2.32.json"));
        assertThat(roots.get(0).path()).isEqualTo("/dev/xvda");
        assertThat(roots.get(0).children().get(0).mountpoints()).containsExactly("/");
        BlockDevice lv = roots.get(1).children().get(0);
        assertThat(lv.path()).isEqualTo("/dev/mapper/myvg-mylv");
        assertThat(lv.sizeBytes()).isEqualTo(107369988096L);
        assertThat(lv.children().get(0).path()).isEqualTo("/dev/mapper/myencryptedlv");
        assertThat(lv.children().get(0).mountpoints()).containsExactly("/mnt/mymountpoint");
    }

    @Test
    void humanSizesAreRejectedWithAHint() {
        assertThatThrownBy(() -> LsblkParser.parse("{\"blockdevices\":[{\"name\":\"sda\",\"size\":\"1G\"}]}"))
                .isInstanceOf(CryptvolException.class).hasMessageContaining("not a byte count");
    }

    @Test
    void garbageIsAnErrorNotACrash() {
        assertThatThrownBy(() -> LsblkParser.parse("lsblk: unknown column: MOUNTPOINTS"))
                .isInstanceOf(CryptvolException.class).hasMessageContaining("lsblk");
    }
}

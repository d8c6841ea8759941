package io.cryptvol.session;

import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabFile;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.model.VolumeGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** What Tab offers after an observation (the inventory's rules, moved here from StageSupport): one row per kind. */
class InventoryNamesTest {
    private static final long G = 1L << 30;

    private static BlockDevice dev(String name, DeviceType type, List<String> mounts, List<BlockDevice> children) {
        return new BlockDevice(name, "/dev/" + (type == DeviceType.CRYPT ? "mapper/" : "") + name, G, null, null, type,
                null, null, null, mounts, null, children);
    }

    static final HostState HOST = HostState.empty()
            .withDevices(List.of(
                    dev("nvme0n1", DeviceType.DISK, List.of(), List.of(dev("nvme0n1p1", DeviceType.PART, List.of("/"), List.of()))),
                    dev("nvme3n1", DeviceType.DISK, List.of(), List.of()), // free
                    dev("nvme1n1", DeviceType.DISK, List.of(), List.of()), // a PV
                    dev("nvme2n1", DeviceType.DISK, List.of(), List.of()), // a file system on it
                    dev("nvme4n1", DeviceType.DISK, List.of(), List.of(dev("secure", DeviceType.CRYPT, List.of("/mnt/data"), List.of()))),
                    dev("loop0", DeviceType.LOOP, List.of(), List.of()),
                    dev("zram0", DeviceType.DISK, List.of(), List.of()),
                    dev("sr0", DeviceType.OTHER, List.of(), List.of())))
            .withSignature(new Signature("/dev/nvme2n1", "ext4", "filesystem", null, null, null, null))
            .withLvm(List.of(new PhysicalVolume("/dev/nvme1n1", "u1", "myvg", G, G)),
                    List.of(new VolumeGroup("myvg", "vgu", G, G, 4L << 20, 1, 0, List.of())), List.of())
            .withMounts(List.of(new Mount("/dev/nvme0n1p1", "/", "ext4", List.of()),
                    new Mount("/dev/mapper/secure", "/mnt/data", "xfs", List.of()),
                    new Mount("tmpfs", "/run", "tmpfs", List.of())))
            .withFstab(FstabFile.parse("/dev/mapper/old /data/old xfs noauto 0 0\nUUID=x / ext4 defaults 0 1\n"));

    static Stream<Arguments> kinds() {
        return Stream.of(
                // free disks first, then the rest; loop, zram and optical drives never
                arguments("device", List.of("/dev/nvme3n1", "/dev/nvme0n1", "/dev/nvme0n1p1", "/dev/nvme1n1", "/dev/nvme2n1",
                        "/dev/nvme4n1")),
                arguments("vg", List.of("myvg")),
                arguments("lv", List.of()),
                arguments("mapping", List.of("secure")),
                // mounted under /mnt or /data, and fstab's mountpoints but /
                arguments("mountpoint", List.of("/data/old", "/mnt/data")));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("kinds")
    void namesOf(String kind, List<String> names) {
        assertThat(Inventory.namesOf(HOST).get(kind)).isEqualTo(names);
    }

    @Test
    void rememberPutsEveryKindOnTheCurrentTarget() {
        Inventory inventory = new Inventory();
        inventory.remember(HOST);
        Map<String, List<String>> expected = Inventory.namesOf(HOST);
        expected.forEach((kind, names) -> assertThat(inventory.get(kind)).as(kind).isEqualTo(names));
        assertThat(expected).containsKeys("device", "vg", "lv", "lvpath", "mapping", "mountpoint");
    }
}

package io.cryptvol.domain.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** (device, noise?, free?) on one host, then the names by kind Tab gets from it. */
class InventoryNamesTest {
    static BlockDevice dev(String name, DeviceType type, String fstype, List<String> mounts, List<BlockDevice> children) {
        return new BlockDevice(name, "/dev/" + name, 1L << 30, null, null, type, fstype, null, null, mounts, null, children);
    }

    @Test
    void noiseFreeAndNames() {
        BlockDevice crypt = new BlockDevice("enc", "/dev/mapper/enc", 1L << 30, null, null, DeviceType.CRYPT, "xfs", null,
                null, List.of("/mnt/data"), null, List.of());
        BlockDevice lv = new BlockDevice("vg-lv", "/dev/mapper/vg-lv", 1L << 30, null, null, DeviceType.LVM, "crypto_LUKS",
                null, null, List.of(), null, List.of(crypt));
        BlockDevice pvDisk = dev("nvme1n1", DeviceType.DISK, "LVM2_member", List.of(), List.of(lv));
        BlockDevice blank = dev("nvme2n1", DeviceType.DISK, null, List.of(), List.of());
        BlockDevice formatted = dev("nvme3n1", DeviceType.DISK, "ext4", List.of(), List.of());
        BlockDevice mounted = dev("nvme0n1", DeviceType.DISK, null, List.of("/"), List.of());
        BlockDevice probedPv = dev("nvme4n1", DeviceType.DISK, null, List.of(), List.of());
        BlockDevice loop = dev("loop0", DeviceType.LOOP, "squashfs", List.of(), List.of());
        BlockDevice dvd = dev("sr0", DeviceType.OTHER, null, List.of(), List.of());
        BlockDevice zram = dev("zram0", DeviceType.DISK, null, List.of(), List.of());
        HostState h = HostState.empty().withDevices(List.of(pvDisk, blank, formatted, mounted, probedPv, loop, dvd, zram))
                .withLvm(List.of(new PhysicalVolume("/dev/nvme4n1", "pv-uuid", "vgx", 1L << 30, 1L << 30)), List.of(), List.of());

        Object[][] rows = {
                {blank, false, true}, {formatted, false, false}, {mounted, false, false}, {pvDisk, false, false},
                {probedPv, false, false}, {lv, false, false}, {crypt, false, false},
                {loop, true, false}, {dvd, true, false}, {zram, true, true},
        };
        for (Object[] r : rows) {
            BlockDevice d = (BlockDevice) r[0];
            assertThat(InventoryNames.noise(d)).as("noise " + d.name()).isEqualTo(r[1]);
            assertThat(InventoryNames.free(h, d)).as("free " + d.name()).isEqualTo(r[2]);
        }
        assertThat(InventoryNames.devices(h).get("device")).as("disks and partitions, free first, no noise")
                .containsExactly("/dev/nvme2n1", "/dev/nvme0n1", "/dev/nvme1n1", "/dev/nvme3n1", "/dev/nvme4n1");
        assertThat(InventoryNames.devices(h).get("mapping")).containsExactly("enc");
        assertThat(InventoryNames.devices(h)).containsOnlyKeys("device", "mapping");
        assertThat(InventoryNames.of(h)).containsKeys("device", "mapping", "vg", "lv", "lvpath", "mountpoint");
        assertThat(InventoryNames.of(h).get("device")).isEqualTo(InventoryNames.devices(h).get("device"));
    }
}

package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.Kdf;
import io.cryptvol.domain.cmd.LuksOptions;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.FstabFile;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LuksHeader;
import io.cryptvol.domain.model.LvSegment;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.VolumeGroup;

import java.util.ArrayList;
import java.util.List;

/**
 * Observed host states of the seed procedure on four 1 GiB NVMe volumes, "as if interrupted after
 * stage k" (what lsblk/pvs/vgs/lvs/luksDump/findmnt/fstab and the key tests would report then).
 */
final class ProvisionStates {
    static final long GIB = 1L << 30;
    static final List<String> DISKS = List.of("/dev/nvme1n1", "/dev/nvme2n1", "/dev/nvme3n1", "/dev/nvme4n1");
    static final String LV_PATH = "/dev/myvg/mylv";
    static final String LV_DM = "/dev/mapper/myvg-mylv";

    static final int PVS = 4, VG = 5, LV = 6, FORMAT = 7, ADD_KEY = 8, OPEN = 9, MKFS = 10, FSTAB = 11, MOUNTED = 12;

    private ProvisionStates() {
    }

    static ProvisionSpec spec() {
        return ProvisionSpec.builder().devices(DISKS).vg("myvg").lv("mylv").keys("data-key-1", "data-key-2")
                .luks(LuksOptions.defaults().withKdf(Kdf.fastForTests())).mapping("secure").mountpoint("/mnt/data")
                .build();
    }

    /** The root disk, with its partition mounted on /. */
    static BlockDevice rootDisk() {
        BlockDevice p1 = new BlockDevice("nvme0n1p1", "/dev/nvme0n1p1", 8 * GIB - GIB / 8, null, null, DeviceType.PART,
                "ext4", "3b1e7f55", "cloudimg-rootfs", List.of("/"), "nvme0n1", List.of());
        return new BlockDevice("nvme0n1", "/dev/nvme0n1", 8 * GIB, "vol0root", "Amazon Elastic Block Store",
                DeviceType.DISK, null, null, null, List.of(), null, List.of(p1));
    }

    /** The state after the first {@code k} stages of the procedure completed (0 = four clean disks). */
    static HostState after(int k) {
        BlockDevice crypt = new BlockDevice("secure", "/dev/mapper/secure", 4 * GIB - 16 * (1 << 20), null, null,
                DeviceType.CRYPT, k >= MKFS ? "xfs" : null, null, null, k >= MOUNTED ? List.of("/mnt/data") : List.of(),
                "myvg-mylv", List.of());
        BlockDevice lv = new BlockDevice("myvg-mylv", LV_DM, 4 * GIB - 4 * 4 * (1 << 20), null, null, DeviceType.LVM,
                k >= FORMAT ? "crypto_LUKS" : null, null, null, List.of(), null,
                k >= OPEN ? List.of(crypt) : List.of());
        List<BlockDevice> devices = new ArrayList<>(List.of(rootDisk()));
        List<PhysicalVolume> pvs = new ArrayList<>();
        for (int i = 0; i < DISKS.size(); i++) {
            String d = DISKS.get(i);
            boolean pv = k > i;
            devices.add(new BlockDevice(d.substring(5), d, GIB, "vol0" + i, "Amazon Elastic Block Store", DeviceType.DISK,
                    pv ? "LVM2_member" : null, null, null, List.of(), null, k >= LV ? List.of(lv) : List.of()));
            if (pv) {
                pvs.add(new PhysicalVolume(d, "pvuuid" + i, k >= VG ? "myvg" : "", GIB - 4 * (1 << 20),
                        k >= LV ? 0 : GIB - 4 * (1 << 20)));
            }
        }
        List<VolumeGroup> vgs = k >= VG ? List.of(new VolumeGroup("myvg", "vguuid", 4 * GIB - 16 * (1 << 20),
                k >= LV ? 0 : 4 * GIB - 16 * (1 << 20), 4 << 20, 4, k >= LV ? 1 : 0, List.of())) : List.of();
        List<LogicalVolume> lvs = k >= LV ? List.of(stripedLv(true)) : List.of();
        HostState h = HostState.empty().withDevices(devices).withLvm(pvs, vgs, lvs)
                .withMounts(new ArrayList<>(List.of(new Mount("/dev/nvme0n1p1", "/", "ext4", List.of("rw")))))
                .withFstab(FstabFile.parse("LABEL=cloudimg-rootfs / ext4 defaults 0 1\n"));
        if (k >= FORMAT) {
            h = h.withLuks(new LuksHeader(LV_PATH, 2, "luksuuid", "aes-xts-plain64", 512, "sha256", "pbkdf2",
                    k >= ADD_KEY ? List.of(0, 1) : List.of(0), 16 << 20));
            if (k < OPEN) { // the caller tests keys only while the mapping is closed
                h = h.withKeyCheck(LV_PATH, "data-key-1", true).withKeyCheck(LV_PATH, "data-key-2", k >= ADD_KEY);
            }
        }
        if (k >= FSTAB) {
            h = h.withFstab(h.fstab().add(FstabEntry.of("/dev/mapper/secure", "/mnt/data", "xfs",
                    "rw,noatime,nouuid,noauto")));
        }
        if (k >= MOUNTED) {
            List<Mount> ms = new ArrayList<>(h.mounts());
            ms.add(new Mount("/dev/mapper/secure", "/mnt/data", "xfs", List.of("rw", "noatime", "nouuid")));
            h = h.withMounts(ms);
        }
        return h;
    }

    static LogicalVolume stripedLv(boolean active) {
        return new LogicalVolume("mylv", "myvg", "lvuuid", 4 * GIB - 16 * (1 << 20), LV_PATH, LV_DM, active,
                List.of(new LvSegment("striped", 4, 4096, 4 * GIB - 16 * (1 << 20), DISKS)));
    }

    /** Replace one disk node (by path) in the lsblk roots. */
    static HostState withDisk(HostState h, BlockDevice replacement) {
        List<BlockDevice> ds = h.devices().stream()
                .map(d -> d.path().equals(replacement.path()) ? replacement : d).toList();
        return h.withDevices(ds);
    }

    static BlockDevice disk(HostState h, String path) {
        return h.deviceByPath(path).orElseThrow();
    }
}

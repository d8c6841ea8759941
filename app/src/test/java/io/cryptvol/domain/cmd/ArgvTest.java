package io.cryptvol.domain.cmd;

import io.cryptvol.CryptvolException;
import io.cryptvol.domain.cmd.HostCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Exact argv of every builder: one row per option set. Expected argv are written as space-joined words. */
class ArgvTest {
    static final LuksOptions FAST_LUKS2 = LuksOptions.defaults().withKdf(Kdf.fastForTests());

    static Stream<Arguments> argv() {
        return Stream.of(
                // ---- LVM
                arguments(Lvm.pvcreate("/dev/nvme1n1"), "pvcreate /dev/nvme1n1"),
                arguments(Lvm.vgcreate("myvg", List.of("/dev/nvme1n1", "/dev/nvme2n1"), List.of()),
                        "vgcreate myvg /dev/nvme1n1 /dev/nvme2n1"),
                arguments(Lvm.vgcreate("myvg", List.of("/dev/nvme1n1"), List.of("cryptvol", "set-1")),
                        "vgcreate --addtag cryptvol --addtag set-1 myvg /dev/nvme1n1"),
                arguments(Lvm.lvcreate("myvg", "mylv", Lvm.Layout.striped(4, 4096), "100%VG"),
                        "lvcreate -i 4 -I 4k -l 100%VG -n mylv myvg"),
                arguments(Lvm.lvcreate("myvg", "mylv", Lvm.Layout.striped(2, 65536), "50%FREE"),
                        "lvcreate -i 2 -I 64k -l 50%FREE -n mylv myvg"),
                arguments(Lvm.lvcreate("myvg", "mylv", Lvm.Layout.linear(), "100%VG"),
                        "lvcreate -l 100%VG -n mylv myvg"),
                arguments(Lvm.vgextend("myvg", List.of("/dev/nvme5n1", "/dev/nvme6n1")),
                        "vgextend myvg /dev/nvme5n1 /dev/nvme6n1"),
                arguments(Lvm.lvextend("myvg", "mylv", Lvm.Layout.striped(4, 4096), "+100%FREE"),
                        "lvextend -i 4 -I 4k -l +100%FREE myvg/mylv"),
                arguments(Lvm.lvextend("myvg", "mylv", Lvm.Layout.linear(), "+100%FREE"),
                        "lvextend -i 1 -l +100%FREE myvg/mylv"),
                arguments(Lvm.activate("myvg"), "vgchange -ay myvg"),
                arguments(Lvm.deactivate("myvg"), "vgchange -an myvg"),
                arguments(Lvm.vgimportclone("myvg_restored", List.of("/dev/nvme7n1", "/dev/nvme8n1")),
                        "vgimportclone --basevgname myvg_restored /dev/nvme7n1 /dev/nvme8n1"),
                arguments(Lvm.pvsReport(),
                        "pvs --reportformat json --units b --nosuffix -o pv_name,pv_uuid,vg_name,pv_size,pv_free"),
                arguments(Lvm.vgsReport(), "vgs --reportformat json --units b --nosuffix -o "
                        + "vg_name,vg_uuid,vg_size,vg_free,vg_extent_size,pv_count,lv_count,vg_tags"),
                arguments(Lvm.lvsReport(), "lvs --reportformat json --units b --nosuffix -o "
                        + "lv_name,vg_name,lv_uuid,lv_size,lv_path,lv_dm_path,lv_active,lv_attr,segtype,stripes,"
                        + "stripe_size,seg_size,devices"),
                // ---- cryptsetup
                arguments(Cryptsetup.luksFormat("/dev/myvg/mylv", LuksOptions.defaults()),
                        "cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 "
                                + "--hash sha256 --pbkdf argon2id --key-file - /dev/myvg/mylv"),
                arguments(Cryptsetup.luksFormat("/dev/myvg/mylv", CipherPreset.LEGACY_LUKS1_SEED.options()),
                        "cryptsetup luksFormat --batch-mode --type luks1 --cipher aes-cbc-essiv:sha256 --key-size 256 "
                                + "--hash ripemd160 --pbkdf pbkdf2 --key-file - /dev/myvg/mylv"),
                arguments(Cryptsetup.luksFormat("/dev/myvg/mylv", FAST_LUKS2),
                        "cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 "
                                + "--hash sha256 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - /dev/myvg/mylv"),
                arguments(Cryptsetup.luksFormat("/dev/x", LuksOptions.defaults()
                                .withKdf(new Kdf("argon2id", null, 4, 65536, 1))),
                        "cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 "
                                + "--hash sha256 --pbkdf argon2id --pbkdf-force-iterations 4 --pbkdf-memory 65536 "
                                + "--pbkdf-parallel 1 --key-file - /dev/x"),
                arguments(Cryptsetup.luksFormat("/dev/x", LuksOptions.defaults()
                                .withKdf(new Kdf("argon2id", 2000, null, null, null))),
                        "cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 "
                                + "--hash sha256 --pbkdf argon2id --iter-time 2000 --key-file - /dev/x"),
                arguments(Cryptsetup.luksFormat("/dev/x", FAST_LUKS2, 32768L),
                        "cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 "
                                + "--hash sha256 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --offset 32768 "
                                + "--key-file - /dev/x"),
                arguments(Cryptsetup.luksAddKey("/dev/myvg/mylv", "/run/cryptvol/ab12cd34.key", Kdf.argon2id()),
                        "cryptsetup luksAddKey --batch-mode --pbkdf argon2id --key-file - /dev/myvg/mylv "
                                + "/run/cryptvol/ab12cd34.key"),
                arguments(Cryptsetup.open("/dev/myvg/mylv", "secure"),
                        "cryptsetup open --type luks --key-file - /dev/myvg/mylv secure"),
                arguments(Cryptsetup.openPlain("/dev/nvme1n1", "cryptvol-wipe-nvme1n1", "aes-xts-plain64", 512),
                        "cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --key-file - "
                                + "/dev/nvme1n1 cryptvol-wipe-nvme1n1"),
                arguments(Cryptsetup.close("secure"), "cryptsetup close secure"),
                arguments(Cryptsetup.resize("secure", true), "cryptsetup resize --key-file - secure"),
                arguments(Cryptsetup.resize("secure", false), "cryptsetup resize secure"),
                arguments(Cryptsetup.status("secure"), "cryptsetup status secure"),
                arguments(Cryptsetup.luksDump("/dev/myvg/mylv"), "cryptsetup luksDump /dev/myvg/mylv"),
                arguments(Cryptsetup.testKey("/dev/myvg/mylv"),
                        "cryptsetup open --test-passphrase --type luks --key-file - /dev/myvg/mylv"),
                arguments(Cryptsetup.luksUuid("/dev/r/lv", "0b1c2d3e-4f50-4617-a829-3a4b5c6d7e8f"),
                        "cryptsetup luksUUID --batch-mode --uuid 0b1c2d3e-4f50-4617-a829-3a4b5c6d7e8f /dev/r/lv"),
                arguments(Cryptsetup.isLuks("/dev/myvg/mylv"), "cryptsetup isLuks /dev/myvg/mylv"),
                arguments(Cryptsetup.erase("/dev/nvme1n1"), "cryptsetup erase --batch-mode /dev/nvme1n1"),
                // ---- filesystems, mounts, modules
                arguments(Filesystems.mkfs(FsType.XFS, "/dev/mapper/secure", null), "mkfs.xfs /dev/mapper/secure"),
                arguments(Filesystems.mkfs(FsType.XFS, "/dev/mapper/secure", "data"),
                        "mkfs.xfs -L data /dev/mapper/secure"),
                arguments(Filesystems.mkfs(FsType.EXT4, "/dev/mapper/secure", null), "mkfs.ext4 /dev/mapper/secure"),
                arguments(Filesystems.grow(FsType.XFS, "/dev/mapper/secure", "/mnt/data"), "xfs_growfs /mnt/data"),
                arguments(Filesystems.grow(FsType.EXT4, "/dev/mapper/secure", "/mnt/data"),
                        "resize2fs /dev/mapper/secure"),
                arguments(Filesystems.freeze("/mnt/data"), "xfs_freeze -f /mnt/data"),
                arguments(Filesystems.thaw("/mnt/data"), "xfs_freeze -u /mnt/data"),
                arguments(Filesystems.newUuid(FsType.XFS, "/dev/mapper/r"), "xfs_admin -U generate /dev/mapper/r"),
                arguments(Filesystems.newUuid(FsType.EXT4, "/dev/mapper/r"), "tune2fs -U random /dev/mapper/r"),
                arguments(Mounts.mkdir("/mnt/data"), "mkdir -p /mnt/data"),
                arguments(Mounts.mount("/dev/mapper/secure", "/mnt/data", FsType.XFS, "rw,noatime,nouuid"),
                        "mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data"),
                arguments(Mounts.umount("/mnt/data"), "umount /mnt/data"),
                arguments(Modprobe.load(Modprobe.DM_CRYPT), "modprobe -a dm_crypt"),
                // ---- wipe, key files, probes
                arguments(Wipe.wipefs("/dev/nvme1n1"), "wipefs -a /dev/nvme1n1"),
                arguments(Wipe.zeroFill("/dev/mapper/cryptvol-wipe-nvme1n1", 1073741824L),
                        "dd if=/dev/zero of=/dev/mapper/cryptvol-wipe-nvme1n1 bs=4M count=1073741824 "
                                + "iflag=count_bytes oflag=direct status=progress"),
                arguments(Wipe.blkdiscard("/dev/nvme1n1"), "blkdiscard /dev/nvme1n1"),
                arguments(KeyFiles.makeDir(), "install -d -m 0700 /run/cryptvol"),
                arguments(KeyFiles.write("/run/cryptvol/ab12cd34.key"),
                        "sh -c umask 077 && cat > \"$1\" sh /run/cryptvol/ab12cd34.key"),
                arguments(KeyFiles.shred("/run/cryptvol/ab12cd34.key"), "shred -u /run/cryptvol/ab12cd34.key"),
                arguments(Probe.lsblk(),
                        "lsblk -J -b -o NAME,PATH,SIZE,SERIAL,MODEL,TYPE,FSTYPE,UUID,LABEL,MOUNTPOINTS,PKNAME"),
                arguments(Probe.lsblkLegacy(),
                        "lsblk -J -b -o NAME,PATH,SIZE,SERIAL,MODEL,TYPE,FSTYPE,UUID,LABEL,MOUNTPOINT,PKNAME"),
                arguments(Probe.blkid("/dev/nvme1n1"), "blkid -p -o export /dev/nvme1n1"),
                arguments(Probe.findmnt(), "findmnt -J -o TARGET,SOURCE,FSTYPE,OPTIONS"),
                arguments(Probe.fuser("/mnt/data"), "fuser -vm /mnt/data"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource
    void argv(HostCommand cmd, String expected) {
        assertThat(cmd.argv()).isEqualTo(List.of(splitWords(expected)));
        assertThat(cmd.stdin()).as("templates never carry stdin").isNull();
        assertThat(cmd.description()).isNotBlank();
    }

    /** Space-split, except the one sh -c script word. */
    private static String[] splitWords(String s) {
        String script = "umask 077 && cat > \"$1\"";
        if (s.contains(script)) {
            String[] rest = s.replace("sh -c " + script + " ", "").split(" ");
            return Stream.concat(Stream.of("sh", "-c", script), Stream.of(rest)).toArray(String[]::new);
        }
        return s.split(" ");
    }

    @Test
    void appendLineIsOneScriptWithLineAndFileAsArguments() {
        HostCommand c = EtcFiles.appendLine("/etc/fstab", "/dev/mapper/secure /mnt/data xfs rw 0 0");
        assertThat(c.argv()).containsExactly("sh", "-c", EtcFiles.APPEND_ONCE, "sh",
                "/dev/mapper/secure /mnt/data xfs rw 0 0", "/etc/fstab");
        assertThat(EtcFiles.APPEND_ONCE).contains("grep -qxF", ">> \"$2\"");
    }

    @Test
    void presetsHaveCompletionNames() {
        assertThat(CipherPreset.names()).containsExactly("luks2-default", "legacy-luks1-seed");
        assertThat(CipherPreset.byName("legacy-luks1-seed")).isEqualTo(CipherPreset.LEGACY_LUKS1_SEED);
        assertThat(CipherPreset.byName("LUKS2_DEFAULT")).isEqualTo(CipherPreset.LUKS2_DEFAULT);
        assertThatThrownBy(() -> CipherPreset.byName("rot13")).hasMessageContaining("luks2-default");
        LuksOptions d = LuksOptions.defaults();
        assertThat(d.type()).isEqualTo(LuksType.LUKS2);
        assertThat(d.kdf().pbkdf()).isEqualTo("argon2id");
        assertThat(d.kdf().forceIterations()).as("the product's default is not the test shortcut").isNull();
    }

    @Test
    void invalidOptionSetsAreRefused() {
        assertThatThrownBy(() -> CipherPreset.LEGACY_LUKS1_SEED.options().withKdf(Kdf.argon2id()))
                .isInstanceOf(CryptvolException.class).hasMessageContaining("LUKS1");
        assertThatThrownBy(() -> new Kdf("pbkdf2", 1000, 1000, null, null)).isInstanceOf(CryptvolException.class);
        assertThatThrownBy(() -> new Kdf("pbkdf2", null, null, 65536, null)).isInstanceOf(CryptvolException.class);
        assertThatThrownBy(() -> Sizes.stripeSizeArg(3000)).isInstanceOf(CryptvolException.class);
        assertThatThrownBy(() -> KeyFiles.path("../etc/passwd")).isInstanceOf(CryptvolException.class);
        assertThat(KeyFiles.path("ab12cd34")).isEqualTo("/run/cryptvol/ab12cd34.key");
    }
}

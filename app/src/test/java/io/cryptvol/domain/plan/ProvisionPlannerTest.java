package io.cryptvol.domain.plan;

import io.cryptvol.domain.cmd.FsType;
import io.cryptvol.domain.model.BlockDevice;
import io.cryptvol.domain.model.DeviceType;
import io.cryptvol.domain.model.FstabEntry;
import io.cryptvol.domain.model.HostState;
import io.cryptvol.domain.model.LogicalVolume;
import io.cryptvol.domain.model.LvSegment;
import io.cryptvol.domain.model.Mount;
import io.cryptvol.domain.model.PathInfo;
import io.cryptvol.domain.model.PhysicalVolume;
import io.cryptvol.domain.model.Signature;
import io.cryptvol.domain.model.VolumeGroup;
import io.cryptvol.domain.plan.Refusal.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.cryptvol.domain.plan.ProvisionStates.*;
import static io.cryptvol.domain.plan.StepKind.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ProvisionPlannerTest {

    static ProvisionPlanner planner() {
        AtomicInteger n = new AtomicInteger();
        return new ProvisionPlanner(() -> "tok" + n.incrementAndGet());
    }

    // ---- resume after an interruption ------------------------------------------------------------

    static Stream<Arguments> interruptedAfter() {
        return Stream.of(
                arguments(0, List.of(CREATE_PV, CREATE_PV, CREATE_PV, CREATE_PV, CREATE_VG, CREATE_LV, LOAD_MODULES,
                        LUKS_FORMAT, LUKS_ADD_KEY, HEADER_BACKUP, OPEN_MAPPING, MAKE_FS, ADD_FSTAB, MOUNT)),
                arguments(1, List.of(CREATE_PV, CREATE_PV, CREATE_PV, CREATE_VG, CREATE_LV, LOAD_MODULES,
                        LUKS_FORMAT, LUKS_ADD_KEY, HEADER_BACKUP, OPEN_MAPPING, MAKE_FS, ADD_FSTAB, MOUNT)),
                arguments(3, List.of(CREATE_PV, CREATE_VG, CREATE_LV, LOAD_MODULES,
                        LUKS_FORMAT, LUKS_ADD_KEY, HEADER_BACKUP, OPEN_MAPPING, MAKE_FS, ADD_FSTAB, MOUNT)),
                arguments(PVS, List.of(CREATE_VG, CREATE_LV, LOAD_MODULES,
                        LUKS_FORMAT, LUKS_ADD_KEY, HEADER_BACKUP, OPEN_MAPPING, MAKE_FS, ADD_FSTAB, MOUNT)),
                arguments(VG, List.of(CREATE_LV, LOAD_MODULES, LUKS_FORMAT, LUKS_ADD_KEY, HEADER_BACKUP, OPEN_MAPPING, MAKE_FS,
                        ADD_FSTAB, MOUNT)),
                arguments(LV, List.of(LOAD_MODULES, LUKS_FORMAT, LUKS_ADD_KEY, HEADER_BACKUP, OPEN_MAPPING, MAKE_FS, ADD_FSTAB, MOUNT)),
                // one key slot: the second key was never added, so nothing was opened or written inside
                arguments(FORMAT, List.of(LOAD_MODULES, LUKS_ADD_KEY, HEADER_BACKUP, OPEN_MAPPING, MAKE_FS, ADD_FSTAB, MOUNT)),
                // both keys in, mapping closed: the filesystem inside can't be seen -> open, then re-plan
                arguments(ADD_KEY, List.of(LOAD_MODULES, OPEN_MAPPING)),
                arguments(OPEN, List.of(MAKE_FS, ADD_FSTAB, MOUNT)),
                arguments(MKFS, List.of(ADD_FSTAB, MOUNT)),
                arguments(FSTAB, List.of(MOUNT)),
                arguments(MOUNTED, List.of()));
    }

    @ParameterizedTest(name = "after stage {0}: {1}")
    @MethodSource
    void interruptedAfter(int k, List<StepKind> remaining) {
        PlanResult r = planner().plan(spec(), after(k));
        assertThat(r.refusals()).isEmpty();
        assertThat(r.plan().kinds()).isEqualTo(remaining);
        assertThat(r.plan().steps().stream().filter(PlanStep::replanAfter).map(PlanStep::kind).toList())
                .isEqualTo(k == ADD_KEY ? List.of(OPEN_MAPPING) : List.of());
    }

    @Test
    void fullPlanHasTheSeedsCommandsInOrder() {
        Plan p = planner().plan(spec(), after(0)).plan();
        List<String> lines = p.steps().stream().flatMap(s -> s.commands().stream())
                .map(c -> String.join(" ", c.command().argv())).toList();
        assertThat(lines).containsExactly(
                "pvcreate /dev/nvme1n1", "pvcreate /dev/nvme2n1", "pvcreate /dev/nvme3n1", "pvcreate /dev/nvme4n1",
                "vgcreate myvg /dev/nvme1n1 /dev/nvme2n1 /dev/nvme3n1 /dev/nvme4n1",
                "lvcreate -i 4 -I 4k -l 100%VG -n mylv myvg",
                "modprobe -a dm_crypt",
                "cryptsetup luksFormat --batch-mode --type luks2 --cipher aes-xts-plain64 --key-size 512 --hash sha256 "
                        + "--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - /dev/myvg/mylv",
                "install -d -m 0700 /run/cryptvol",
                String.join(" ", io.cryptvol.domain.cmd.KeyFiles.tmpfsCheck().argv()),
                "sh -c umask 077 && cat > \"$1\" sh /run/cryptvol/tok1.key",
                "cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "
                        + "/dev/myvg/mylv /run/cryptvol/tok1.key",
                "install -d -m 0700 /run/cryptvol",
                String.join(" ", io.cryptvol.domain.cmd.KeyFiles.tmpfsCheck().argv()),
                "cryptsetup luksHeaderBackup --batch-mode /dev/myvg/mylv --header-backup-file /run/cryptvol/tok2.hdr",
                String.join(" ", io.cryptvol.domain.cmd.HeaderFiles.fetch("/run/cryptvol/tok2.hdr").argv()),
                "cryptsetup open --type luks --key-file - /dev/myvg/mylv secure",
                "mkfs.xfs /dev/mapper/secure",
                "sh -c " + io.cryptvol.domain.cmd.EtcFiles.APPEND_ONCE
                        + " sh /dev/mapper/secure /mnt/data xfs rw,noatime,nouuid,noauto 0 0 /etc/fstab",
                "mkdir -p /mnt/data",
                "mount -t xfs -o rw,noatime,nouuid /dev/mapper/secure /mnt/data");
    }

    @Test
    void keysAreReferencesByNameAndTheKeyFileIsShredInAFinally() {
        Plan p = planner().plan(spec(), after(0)).plan();
        PlanStep format = p.steps().get(7);
        assertThat(format.keys()).containsExactly(KeyRef.named("data-key-1"));
        PlanStep add = p.steps().get(8);
        assertThat(add.commands()).extracting(StepCommand::stdinKey)
                .containsExactly(null, null, KeyRef.named("data-key-2"), KeyRef.named("data-key-1"));
        assertThat(add.cleanup()).extracting(c -> String.join(" ", c.command().argv()))
                .containsExactly("shred -u /run/cryptvol/tok1.key");
        assertThat(p.steps()).allSatisfy(s -> s.commands().forEach(c -> assertThat(c.command().stdin()).isNull()));
    }

    @Test
    void afterReopenTheReplanSeesTheFilesystemAndDoesNotReformat() {
        // rebooted after mkfs: mapping closed, keys tested -> open and re-plan; after the open, xfs is seen
        PlanResult closed = planner().plan(spec(), after(ADD_KEY));
        assertThat(closed.plan().kinds()).containsExactly(LOAD_MODULES, OPEN_MAPPING);
        HostState reopened = after(MKFS);
        assertThat(planner().plan(spec(), reopened).plan().kinds()).containsExactly(ADD_FSTAB, MOUNT);
    }

    @Test
    void anInactiveLvIsActivatedFirst() {
        HostState h = after(MKFS);
        h = h.withLvm(h.pvs(), h.vgs(), List.of(stripedLv(false)));
        assertThat(planner().plan(spec(), h).plan().kinds()).containsExactly(ACTIVATE_VG, ADD_FSTAB, MOUNT);
    }

    @Test
    void onlyTheSecondKeyOpensThenTheFirstIsAddedWithIt() {
        HostState h = after(FORMAT).withKeyCheck(LV_PATH, "data-key-1", false).withKeyCheck(LV_PATH, "data-key-2", true);
        Plan p = planner().plan(spec(), h).plan();
        PlanStep add = p.steps().get(1);
        assertThat(add.kind()).isEqualTo(LUKS_ADD_KEY);
        assertThat(add.commands()).extracting(StepCommand::stdinKey)
                .containsExactly(null, null, KeyRef.named("data-key-1"), KeyRef.named("data-key-2"));
        assertThat(p.steps().get(2).kind()).isEqualTo(HEADER_BACKUP); // the header changed: a backup of it
        assertThat(p.steps().get(3).keys()).containsExactly(KeyRef.named("data-key-2"));
    }

    @Test
    void crypttabLineWhenAsked() {
        ProvisionSpec s = ProvisionSpec.builder().devices(DISKS).vg("myvg").lv("mylv").keys("k1", "k2")
                .mapping("secure").mountpoint("/mnt/data").crypttab(true).fstab(false).fs(FsType.EXT4).build();
        Plan p = planner().plan(s, after(OPEN)).plan();
        assertThat(p.kinds()).containsExactly(MAKE_FS, ADD_CRYPTTAB, MOUNT);
        assertThat(p.steps().get(1).command().argv()).contains("secure /dev/myvg/mylv none luks,noauto", "/etc/crypttab");
        assertThat(p.steps().get(2).command().argv()).containsSequence("-o", "rw,noatime"); // no nouuid on ext4
    }

    @Test
    void linearWhenOneStripe() {
        ProvisionSpec s = ProvisionSpec.builder().devices("/dev/nvme1n1", "/dev/nvme2n1").vg("v").lv("l").keys("k")
                .stripes(1).mapping("m").mountpoint("/mnt/m").build();
        Plan p = planner().plan(s, after(0)).plan();
        assertThat(p.kinds()).containsExactly(CREATE_PV, CREATE_PV, CREATE_VG, CREATE_LV, LOAD_MODULES, LUKS_FORMAT,
                HEADER_BACKUP, OPEN_MAPPING, MAKE_FS, ADD_FSTAB, MOUNT);
        assertThat(p.steps().get(3).command().argv()).containsExactly("lvcreate", "-l", "100%VG", "-n", "l", "v");
    }

    // ---- refusals --------------------------------------------------------------------------------

    static Stream<Arguments> refusals() {
        return Stream.<Arguments>of(
                refuse("missing device", h -> h.withDevices(h.devices().stream()
                        .filter(d -> !d.path().equals("/dev/nvme4n1")).toList()), 0,
                        Reason.MISSING_DEVICE, "/dev/nvme4n1: no such block device"),
                refuse("xfs on a device", h -> h.withSignature(new Signature("/dev/nvme2n1", "xfs", "filesystem", "u",
                        null, null, null)), 0, Reason.HAS_SIGNATURE, "/dev/nvme2n1: has a xfs signature"),
                refuse("lsblk fstype alone counts", h -> withDisk(h, disk(h, "/dev/nvme3n1").withFstype("ext4")), 0,
                        Reason.HAS_SIGNATURE, "/dev/nvme3n1: has a ext4 signature"),
                refuse("partition table", h -> h.withSignature(new Signature("/dev/nvme1n1", null, null, null, null,
                        null, "gpt")), 0, Reason.HAS_SIGNATURE, "/dev/nvme1n1: has a gpt partition table signature"),
                refuse("device mounted", h -> withDisk(h, disk(h, "/dev/nvme1n1").withMountpoints(List.of("/srv"))), 0,
                        Reason.MOUNTED, "/dev/nvme1n1: is mounted at /srv"),
                refuse("device has holders", h -> withDisk(h, disk(h, "/dev/nvme1n1").withChildren(List.of(
                        new BlockDevice("nvme1n1p1", "/dev/nvme1n1p1", 1 << 20, null, null, DeviceType.PART, null,
                                null, null, List.of(), "nvme1n1", List.of())))), 0,
                        Reason.HAS_HOLDERS, "/dev/nvme1n1: is in use by /dev/nvme1n1p1"),
                refuse("PV of another VG", h -> h.withLvm(List.of(new PhysicalVolume("/dev/nvme2n1", "x", "othervg",
                        1, 0)), h.vgs(), h.lvs()), 0, Reason.PV_OF_OTHER_VG, "/dev/nvme2n1: is a PV of VG othervg"),
                refuse("unequal sizes", h -> withDisk(h, new BlockDevice("nvme4n1", "/dev/nvme4n1", 2 * GIB, "v", null,
                        DeviceType.DISK, null, null, null, List.of(), null, List.of())), 0,
                        Reason.UNEQUAL_SIZES, "myvg: a striped LV needs devices of one size, got /dev/nvme1n1 1 GiB, "
                                + "/dev/nvme2n1 1 GiB, /dev/nvme3n1 1 GiB, /dev/nvme4n1 2 GiB"),
                refuse("VG on other PVs", h -> h.withLvm(h.pvs().stream().map(p -> p.path().equals("/dev/nvme4n1")
                                ? new PhysicalVolume(p.path(), p.uuid(), "", p.sizeBytes(), p.freeBytes()) : p).toList(),
                        h.vgs(), h.lvs()), VG, Reason.VG_HAS_OTHER_PVS, "VG myvg: exists on /dev/nvme1n1, /dev/nvme2n1, "
                        + "/dev/nvme3n1, not on /dev/nvme1n1, /dev/nvme2n1, /dev/nvme3n1, /dev/nvme4n1"),
                refuse("VG holds another LV", h -> h.withLvm(h.pvs(), h.vgs(), List.of(new LogicalVolume("other",
                        "myvg", "u", GIB, "/dev/myvg/other", "/dev/mapper/myvg-other", true, List.of()))), VG,
                        Reason.VG_HAS_OTHER_LVS, "VG myvg: already holds LV other but not mylv"),
                refuse("LV with 2 stripes", h -> h.withLvm(h.pvs(), h.vgs(), List.of(new LogicalVolume("mylv", "myvg",
                        "u", GIB, LV_PATH, LV_DM, true, List.of(new LvSegment("striped", 2, 4096, GIB, List.of()))))),
                        LV, Reason.LV_LAYOUT_DIFFERS, "/dev/myvg/mylv: exists with 2 stripe(s)"),
                refuse("xfs directly on the LV", h -> h.withSignature(Signature.of(LV_PATH, "xfs")), LV,
                        Reason.FOREIGN_SIGNATURE, "/dev/myvg/mylv: has a xfs signature, not LUKS; refusing to format it"),
                refuse("LUKS the keys don't open", h -> h.withKeyCheck(LV_PATH, "data-key-1", false)
                                .withKeyCheck(LV_PATH, "data-key-2", false), ADD_KEY, Reason.LUKS_KEY_DOES_NOT_OPEN,
                        "/dev/myvg/mylv: refusing to re-format: it has a LUKS header that none of the keys "
                                + "'data-key-1', 'data-key-2' opens"),
                refuse("LUKS keys not tested", h -> HostState.empty().withDevices(h.devices()).withLvm(h.pvs(), h.vgs(),
                        h.lvs()).withLuks(h.luksOn(LV_PATH).orElseThrow()), ADD_KEY, Reason.LUKS_KEY_NOT_CHECKED,
                        "/dev/myvg/mylv: has a LUKS header; test key(s) 'data-key-1', 'data-key-2'"),
                refuse("mapping name open on another device", h -> h.withDevices(Stream.concat(h.devices().stream(),
                                Stream.of(foreignDiskWithMapping("secure"))).toList()), ADD_KEY,
                        Reason.MAPPING_ELSEWHERE, "/dev/mapper/secure: is already open on /dev/nvme9n1"),
                refuse("another filesystem in the mapping", h -> h.withSignature(Signature.of("/dev/mapper/secure",
                        "ext4")), MKFS, Reason.FILESYSTEM_DIFFERS, "/dev/mapper/secure: holds ext4, not xfs"),
                refuse("fstab mounts something else there", h -> h.withFstab(h.fstab().add(FstabEntry.of(
                                "UUID=abcd", "/mnt/data", "ext4", "defaults"))), 0, Reason.FSTAB_CONFLICT,
                        "/etc/fstab: already mounts UUID=abcd on /mnt/data"),
                refuse("mountpoint busy", h -> h.withMounts(Stream.concat(h.mounts().stream(), Stream.of(new Mount(
                        "/dev/nvme0n1p2", "/mnt/data", "ext4", List.of()))).toList()), 0, Reason.MOUNTPOINT_BUSY,
                        "/mnt/data: already has /dev/nvme0n1p2 mounted on it"),
                refuse("a file at the mountpoint, before any pvcreate", h -> h.withPath("/mnt/data",
                        PathInfo.parse("file")), 0, Reason.MOUNTPOINT_NOT_DIRECTORY,
                        "mountpoint '/mnt/data': exists on the host and is not a directory"),
                refuse("the mountpoint below a file", h -> h.withPath("/mnt/data", PathInfo.parse("blocked /mnt")), 0,
                        Reason.MOUNTPOINT_NOT_DIRECTORY, "mountpoint '/mnt/data': cannot be made: '/mnt' is not a directory"),
                refuse("a symbolic link as the mountpoint", h -> h.withPath("/mnt/data", PathInfo.parse("symlink")), 0,
                        Reason.MOUNTPOINT_NOT_DIRECTORY, "mountpoint '/mnt/data': is a symbolic link"),
                refuse("a directory with files in it", h -> h.withPath("/mnt/data", PathInfo.parse("dir-nonempty")), 0,
                        Reason.MOUNTPOINT_NOT_EMPTY, "mountpoint '/mnt/data': is a directory with files in it"),
                refuse("bad spec", h -> h, -1, Reason.INVALID_STRIPES, "--stripes 5: is more than the 4 PV(s)"));
    }

    static Arguments refuse(String name, UnaryOperator<HostState> change, int stage, Reason reason, String line) {
        return arguments(name, change, stage, reason, line);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void refusals(String name, UnaryOperator<HostState> change, int stage, Reason reason, String line) {
        ProvisionSpec s = stage >= 0 ? spec() : ProvisionSpec.builder().devices(DISKS).vg("myvg").lv("mylv")
                .keys("k").stripes(5).mapping("secure").mountpoint("/mnt/data").build();
        PlanResult r = planner().plan(s, change.apply(after(Math.max(stage, 0))));
        assertThat(r.isRefused()).as(name).isTrue();
        assertThat(r.refusals()).extracting(Refusal::reason).contains(reason);
        assertThat(r.refusals()).extracting(Refusal::line).anySatisfy(l -> assertThat(l).startsWith(line));
    }

    static BlockDevice foreignDiskWithMapping(String mapping) {
        BlockDevice crypt = new BlockDevice(mapping, "/dev/mapper/" + mapping, GIB, null, null, DeviceType.CRYPT, null,
                null, null, List.of(), "nvme9n1", List.of());
        return new BlockDevice("nvme9n1", "/dev/nvme9n1", GIB, null, null, DeviceType.DISK, "crypto_LUKS", null, null,
                List.of(), null, List.of(crypt));
    }

    @Test
    void anLvIsNotADiskToBuildOn() {
        ProvisionSpec s = ProvisionSpec.builder().devices(LV_DM).vg("v2").lv("l2").keys("k").mapping("m2")
                .mountpoint("/mnt/m2").build();
        PlanResult r = planner().plan(s, after(LV));
        assertThat(r.refusals()).extracting(Refusal::line).containsExactly("/dev/mapper/myvg-mylv: is a lvm device, "
                + "not a disk or partition");
    }

    @Test
    void everyRefusalIsReportedAtOnce() {
        HostState h = after(0).withSignature(Signature.of("/dev/nvme1n1", "xfs"))
                .withSignature(Signature.of("/dev/nvme2n1", "crypto_LUKS"));
        List<String> subjects = new ArrayList<>();
        planner().plan(spec(), h).refusals().forEach(r -> subjects.add(r.subject()));
        assertThat(subjects).containsExactly("/dev/nvme1n1", "/dev/nvme2n1");
    }
}

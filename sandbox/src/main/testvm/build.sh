#!/usr/bin/env bash
# Builds the cryptvol test instance: a Debian cloud kernel + an initramfs holding a minimal Debian
# rootfs (lvm2, cryptsetup, xfsprogs, openssh-server, ...). Prints the cache directory that holds
# vmlinuz and initrd.img on stdout (everything else goes to stderr).
#
#   build.sh [--variant systemd|aws|init]
#
# Variants (the kernel command line each needs is in the image's `cmdline` file):
#   systemd (default)  boots as an EC2 AMI does: systemd as PID 1 (Debian's systemd-sysv), udev, dbus,
#                      journald, the systemd-cryptsetup and fstab generators, systemd-networkd for the
#                      NIC, sshd as a unit; units in systemd/.
#   aws                systemd plus the AWS CLI (Debian's awscli, with its python3): for the unattended
#                      unlock's VM test only (#18), so the other tests keep the smaller image.
#   init               the old small custom /init (no udev, no systemd): kept only as the boot-time
#                      benchmark's baseline and booted by one VM test (BootVariantsVmTest).
#
# Cache: ${CRYPTVOL_CACHE:-$HOME/.cache/cryptvol}/testvm/<sha256 of the recipe files and the variant>/
# Rebuilt only when the recipe (this script, init, lvm.conf snippet, systemd/) changes. The build happens
# in a temporary directory that is renamed into place at the end, so an interrupted build never leaves a
# broken cache entry; a lock serialises concurrent builds.
#
# Needs (Debian): qemu-system-x86 qemu-utils mmdebstrap cpio kmod (see deps.sh), root for mmdebstrap.
# Env: CRYPTVOL_CACHE (cache root), CRYPTVOL_TESTVM_KERNEL (a linux-image-*-cloud-amd64 package name
# to use instead of the newest), CRYPTVOL_TESTVM_SUITE (default bookworm), CRYPTVOL_TESTVM_VARIANT
# (default systemd; --variant wins).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
variant=${CRYPTVOL_TESTVM_VARIANT:-systemd}
while (($#)); do
    case "$1" in
        --variant) variant=${2:-}; shift 2 || { echo "usage: $0 [--variant systemd|aws|init]" >&2; exit 2; } ;;
        *) echo "usage: $0 [--variant systemd|aws|init]" >&2; exit 2 ;;
    esac
done
case "$variant" in
    systemd|aws|init) ;;
    *) echo "testvm-build: unknown variant '$variant' (systemd, aws or init)" >&2; exit 2 ;;
esac
recipe=("$here/build.sh" "$here/init" "$here/lvm-local.conf" "$here"/systemd/*)
suite=${CRYPTVOL_TESTVM_SUITE:-bookworm}
kernel_pkg=${CRYPTVOL_TESTVM_KERNEL:-}

log() { printf '%s\n' "testvm-build: $*" >&2; }
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"   # depmod and friends, also when the caller's PATH lacks the sbin dirs

key=$( { cat "${recipe[@]}"; printf 'suite=%s kernel=%s variant=%s\n' "$suite" "$kernel_pkg" "$variant"; } | sha256sum | cut -c1-16)
root=${CRYPTVOL_CACHE:-$HOME/.cache/cryptvol}/testvm
out=$root/$key

if [[ -f $out/vmlinuz && -f $out/initrd.img ]]; then
    echo "$out"
    exit 0
fi

for tool in mmdebstrap apt-get apt-cache dpkg cpio gzip depmod; do
    command -v "$tool" >/dev/null || { log "missing $tool: run scripts/testvm/deps.sh (apt-get install qemu-system-x86 qemu-utils mmdebstrap cpio kmod)"; exit 2; }
done

mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
if [[ -f $out/vmlinuz && -f $out/initrd.img ]]; then   # built by another process meanwhile
    echo "$out"
    exit 0
fi

rm -rf "$root"/.build-*   # we hold the lock: any other build dir is left over from a killed build
work=$(mktemp -d "$root/.build-XXXXXX")
chmod 0755 "$work"   # apt-get download runs as _apt
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

# 1. Kernel: the newest linux-image-*-cloud-amd64 known to apt.
if [[ -z $kernel_pkg ]]; then
    kernel_pkg=$(apt-cache search --names-only '^linux-image-[0-9].*-cloud-amd64$' | awk '{print $1}' | sort -V | tail -n 1)
    if [[ -z $kernel_pkg ]]; then
        log "no linux-image-*-cloud-amd64 known to apt; run apt-get update"
        exit 2
    fi
fi
log "kernel package $kernel_pkg"
(cd "$work" && apt-get download -q "$kernel_pkg" >&2)
mkdir "$work/kernel"
dpkg -x "$work"/linux-image-*.deb "$work/kernel"
kver=$(ls "$work/kernel/lib/modules" | head -n 1)
[[ -n $kver && -f $work/kernel/boot/vmlinuz-$kver ]] || { log "no vmlinuz in $kernel_pkg"; exit 1; }

# 2. Root file system.
include=lvm2,dmsetup,cryptsetup-bin,xfsprogs,openssh-server,kmod,iproute2,util-linux,procps,e2fsprogs,psmisc,lsof
include+=,openssl  # SSM key transfer (exec/SsmExecutor): the one-time key pair and the decrypt
if [[ $variant != init ]]; then
    include+=,systemd-sysv,udev,dbus,cryptsetup
fi
if [[ $variant == aws ]]; then include+=,awscli; fi
log "mmdebstrap $suite (minbase, variant $variant)"
mmdebstrap --quiet --variant=minbase --mode=root --include="$include" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    "$suite" "$work/rootfs.tar" >&2
mkdir "$work/root"
tar -C "$work/root" -xf "$work/rootfs.tar"
rm -f "$work/rootfs.tar"
r=$work/root
for bin in cryptsetup lvm pvcreate vgcreate lvcreate mkfs.xfs xfs_growfs sshd lsblk blkid wipefs fuser lsof shred dmsetup modprobe; do
    PATH="$r/usr/sbin:$r/usr/bin:$r/sbin:$r/bin" command -v "$bin" >/dev/null || { log "rootfs lacks $bin"; exit 1; }
done

# 3. Kernel modules, fstab, sshd, then what the variant boots with.
mkdir -p "$r/lib/modules"
cp -a "$work/kernel/lib/modules/$kver" "$r/lib/modules/"
printf '# <file system> <mount point> <type> <options> <dump> <pass>\n' > "$r/etc/fstab"
ln -sf /proc/self/mounts "$r/etc/mtab"
rm -f "$r"/etc/ssh/ssh_host_*          # the host's key comes at every boot (fw_cfg)
echo cryptvol-test > "$r/etc/hostname"
echo "127.0.0.1 localhost cryptvol-test" > "$r/etc/hosts"
rm -rf "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/var/cache/debconf/*-old
# Trim what the test instance never runs (xfsprogs drags python3 and libicu in for xfs_scrub;
# full perl and iconv charsets are unused); a smaller initramfs unpacks faster under TCG.
[[ $variant == aws ]] || rm -rf "$r"/usr/lib/python3*   # the AWS CLI is python
rm -rf "$r"/usr/lib/x86_64-linux-gnu/perl "$r"/usr/share/perl \
       "$r"/usr/lib/x86_64-linux-gnu/libicudata.so.* "$r"/usr/lib/x86_64-linux-gnu/gconv \
       "$r"/usr/share/zoneinfo "$r"/usr/share/i18n "$r"/usr/share/common-licenses \
       "$r"/usr/share/bash-completion "$r"/usr/share/lintian "$r"/usr/lib/apt "$r"/var/lib/apt \
       "$r"/lib/modules/"$kver"/kernel/sound "$r"/lib/modules/"$kver"/kernel/drivers/gpu \
       "$r"/lib/modules/"$kver"/kernel/drivers/infiniband "$r"/lib/modules/"$kver"/kernel/net/sunrpc \
       "$r"/lib/modules/"$kver"/kernel/fs/nfs* "$r"/lib/modules/"$kver"/kernel/fs/smb \
       "$r"/lib/modules/"$kver"/kernel/fs/ceph "$r"/lib/modules/"$kver"/kernel/net/ceph
depmod -b "$r" "$kver"
echo "$kernel_pkg" > "$r/etc/cryptvol-testvm-kernel"

if [[ $variant == init ]]; then
    # No udev: lvm2 and libdevmapper create the /dev/mapper and /dev/VG nodes themselves.
    sed -i -e 's/^\(\s*\)#\?\s*udev_sync = .*/\1udev_sync = 0/' \
           -e 's/^\(\s*\)#\?\s*udev_rules = .*/\1udev_rules = 0/' \
           -e 's/^\(\s*\)#\?\s*obtain_device_list_from_udev = .*/\1obtain_device_list_from_udev = 0/' \
           "$r/etc/lvm/lvm.conf"
    install -m 0644 "$here/lvm-local.conf" "$r/etc/lvm/lvmlocal.conf"
    install -m 0755 "$here/init" "$r/init"
    cmdline="rdinit=/init"
else
    # As an EC2 AMI: Debian's own lvm.conf (udev_sync, udev_rules, event autoactivation), systemd as PID 1.
    # Only what cloud-init would do (keys) and the serial control channel are ours.
    s=$here/systemd
    install -m 0755 "$s/cryptvol-instance.sh" "$r/usr/local/sbin/cryptvol-instance"
    install -m 0755 "$s/cryptvol-serial.sh" "$r/usr/local/sbin/cryptvol-serial"
    install -m 0755 "$s/cryptvol-rdinit.sh" "$r/sbin/cryptvol-rdinit"
    install -m 0644 "$s/cryptvol-instance.service" "$s/cryptvol-serial.service" "$r/etc/systemd/system/"
    install -m 0644 "$s/10-eth0.network" "$r/etc/systemd/network/10-eth0.network"
    install -m 0644 "$s/sshd-cryptvol.conf" "$r/etc/ssh/sshd_config.d/cryptvol.conf"
    install -m 0644 "$s/61-cryptvol-ec2-nvme-model.rules" "$r/etc/udev/rules.d/61-cryptvol-ec2-nvme-model.rules"
    chroot "$r" systemctl enable -q systemd-networkd.service cryptvol-instance.service cryptvol-serial.service ssh.service
    chroot "$r" systemctl set-default -q multi-user.target
    # the serial console is the host's control channel: no getty on it; no timers that wake the CPU
    chroot "$r" systemctl mask -q serial-getty@ttyS0.service getty@tty1.service getty-static.service \
        apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
        systemd-networkd-wait-online.service 2>/dev/null || true
    # udev's hardware database only names devices; 10 MB less to unpack
    rm -rf "$r"/usr/lib/udev/hwdb.bin "$r"/usr/lib/udev/hwdb.d "$r"/lib/udev/hwdb.bin "$r"/etc/udev/hwdb.bin
    [[ -x $r/lib/systemd/system-generators/systemd-cryptsetup-generator || -x $r/usr/lib/systemd/system-generators/systemd-cryptsetup-generator ]] \
        || { log "rootfs lacks the systemd-cryptsetup generator"; exit 1; }
    cmdline="rdinit=/sbin/cryptvol-rdinit net.ifnames=0"
fi

# 4. Pack.
log "packing initramfs"
mkdir "$work/out"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/out/vmlinuz"
(cd "$r" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$work/out/initrd.img"
echo "$kernel_pkg" > "$work/out/kernel-package"
echo "$kver" > "$work/out/kernel-version"
echo "$variant" > "$work/out/variant"
echo "$cmdline" > "$work/out/cmdline"
rm -rf "$work/root" "$work/kernel"

mv -T "$work/out" "$out"
# keep the eight newest images (three variants; other branches may use other recipes); drop older ones
ls -1dt "$root"/*/ 2>/dev/null | tail -n +9 | xargs -r rm -rf
log "built $out in $(( $(date +%s) - start )) s ($(du -sh "$out/initrd.img" | cut -f1) initrd)"
echo "$out"

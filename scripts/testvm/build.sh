#!/usr/bin/env bash
# Builds the cryptvol test instance: a Debian cloud kernel + an initramfs holding a minimal Debian
# rootfs (lvm2, cryptsetup, xfsprogs, openssh-server, ...). Prints the cache directory that holds
# vmlinuz and initrd.img on stdout (everything else goes to stderr).
#
# Cache: ${CRYPTVOL_CACHE:-$HOME/.cache/cryptvol}/testvm/<sha256 of the recipe files>/
# Rebuilt only when the recipe (this script, init, lvm.conf snippet) changes. The build happens in a
# temporary directory that is renamed into place at the end, so an interrupted build never leaves a
# broken cache entry; a lock serialises concurrent builds.
#
# Needs (Debian): qemu-system-x86 qemu-utils mmdebstrap cpio kmod (see deps.sh), root for mmdebstrap.
# Env: CRYPTVOL_CACHE (cache root), CRYPTVOL_TESTVM_KERNEL (a linux-image-*-cloud-amd64 package name
# to use instead of the newest), CRYPTVOL_TESTVM_SUITE (default bookworm).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
recipe=("$here/build.sh" "$here/init" "$here/lvm-local.conf")
suite=${CRYPTVOL_TESTVM_SUITE:-bookworm}
kernel_pkg=${CRYPTVOL_TESTVM_KERNEL:-}

log() { printf '%s\n' "testvm-build: $*" >&2; }

key=$( { cat "${recipe[@]}"; printf 'suite=%s kernel=%s\n' "$suite" "$kernel_pkg"; } | sha256sum | cut -c1-16)
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
log "mmdebstrap $suite (minbase)"
mmdebstrap --quiet --variant=minbase --mode=root \
    --include=lvm2,dmsetup,cryptsetup-bin,xfsprogs,openssh-server,kmod,iproute2,util-linux,procps,e2fsprogs,psmisc,lsof \
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

# 3. Kernel modules, lvm without udev, fstab, sshd, init.
mkdir -p "$r/lib/modules"
cp -a "$work/kernel/lib/modules/$kver" "$r/lib/modules/"
sed -i -e 's/^\(\s*\)#\?\s*udev_sync = .*/\1udev_sync = 0/' \
       -e 's/^\(\s*\)#\?\s*udev_rules = .*/\1udev_rules = 0/' \
       -e 's/^\(\s*\)#\?\s*obtain_device_list_from_udev = .*/\1obtain_device_list_from_udev = 0/' \
       "$r/etc/lvm/lvm.conf"
install -m 0644 "$here/lvm-local.conf" "$r/etc/lvm/lvmlocal.conf"
printf '# <file system> <mount point> <type> <options> <dump> <pass>\n' > "$r/etc/fstab"
ln -sf /proc/self/mounts "$r/etc/mtab"
rm -f "$r"/etc/ssh/ssh_host_*          # generated at every boot by /init
rm -rf "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/var/cache/debconf/*-old
# Trim what the test instance never runs (xfsprogs drags python3 and libicu in for xfs_scrub;
# full perl and iconv charsets are unused); a smaller initramfs unpacks faster under TCG.
rm -rf "$r"/usr/lib/python3* "$r"/usr/lib/x86_64-linux-gnu/perl "$r"/usr/share/perl \
       "$r"/usr/lib/x86_64-linux-gnu/libicudata.so.* "$r"/usr/lib/x86_64-linux-gnu/gconv \
       "$r"/usr/share/zoneinfo "$r"/usr/share/i18n "$r"/usr/share/common-licenses \
       "$r"/usr/share/bash-completion "$r"/usr/share/lintian "$r"/usr/lib/apt "$r"/var/lib/apt \
       "$r"/lib/modules/"$kver"/kernel/sound "$r"/lib/modules/"$kver"/kernel/drivers/gpu \
       "$r"/lib/modules/"$kver"/kernel/drivers/infiniband "$r"/lib/modules/"$kver"/kernel/net/sunrpc \
       "$r"/lib/modules/"$kver"/kernel/fs/nfs* "$r"/lib/modules/"$kver"/kernel/fs/smb \
       "$r"/lib/modules/"$kver"/kernel/fs/ceph "$r"/lib/modules/"$kver"/kernel/net/ceph
depmod -b "$r" "$kver"
install -m 0755 "$here/init" "$r/init"
echo "$kernel_pkg" > "$r/etc/cryptvol-testvm-kernel"

# 4. Pack.
log "packing initramfs"
mkdir "$work/out"
cp "$work/kernel/boot/vmlinuz-$kver" "$work/out/vmlinuz"
(cd "$r" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$work/out/initrd.img"
echo "$kernel_pkg" > "$work/out/kernel-package"
echo "$kver" > "$work/out/kernel-version"
rm -rf "$work/root" "$work/kernel"

mv -T "$work/out" "$out"
# keep the three newest images (other branches may use other recipes); drop older ones
ls -1dt "$root"/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
log "built $out in $(( $(date +%s) - start )) s ($(du -sh "$out/initrd.img" | cut -f1) initrd)"
echo "$out"

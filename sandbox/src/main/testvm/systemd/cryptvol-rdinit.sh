#!/bin/sh
# rdinit of the systemd variant: what an AMI's initramfs does before systemd runs, here for the instance's
# root volume. The root file system is this initramfs (in RAM); /etc, where cryptvol writes its boot-time
# files (fstab, crypttab, lvm metadata backups, modules-load.d), is overlaid with a directory on the
# instance's root disk (virtio, /dev/vda, made ext4 on first use), so that what was written before a reboot
# or a stop is there when systemd's generators read it, as on an EBS root volume.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in virtio_pci virtio_blk ext4 overlay; do modprobe -q "$m"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/vda ]; then
    blkid -p /dev/vda >/dev/null 2>&1 || mkfs.ext4 -q -L cryptvol-root /dev/vda
    mkdir -p /.root
    if mount -t ext4 -o noatime /dev/vda /.root; then
        mkdir -p /.root/etc /.root/etc.work
        mount -t overlay overlay -o lowerdir=/etc,upperdir=/.root/etc,workdir=/.root/etc.work /etc \
            || echo "cryptvol-rdinit: cannot overlay /etc: it is not persistent" > /dev/console
    fi
else
    echo "cryptvol-rdinit: no root disk (/dev/vda): /etc is not persistent" > /dev/console
fi
# The sandbox's AWS endpoints for the instance (instance metadata, KMS), when the host gives them (fw_cfg), as
# an environment file the unattended-unlock unit reads; on EC2 the file is absent and the defaults apply.
modprobe -q qemu_fw_cfg 2>/dev/null
aws_env=/sys/firmware/qemu_fw_cfg/by_name/opt/cryptvol/aws_env/raw
if [ -r "$aws_env" ]; then
    mkdir -p /etc/cryptvol && cat "$aws_env" > /etc/cryptvol/aws.env
else
    rm -f /etc/cryptvol/aws.env
fi
exec /sbin/init "$@"

#!/bin/sh
# cryptvol test instance, systemd variant: what EC2's cloud-init would do before sshd starts.
# - root's authorized key from the kernel command line (cryptvol.authkey=<base64 of the line>),
#   as the instance metadata's public key;
# - the SSH host key from the host (qemu fw_cfg), so a reboot keeps it as on EC2 (without it the
#   guest makes its own);
# - the host keys printed on the console between the markers EC2's console output uses.
set -eu
umask 077
mkdir -p /root/.ssh
: > /root/.ssh/authorized_keys
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        cryptvol.authkey=*) printf '%s' "${arg#cryptvol.authkey=}" | base64 -d >> /root/.ssh/authorized_keys
                            echo >> /root/.ssh/authorized_keys ;;
    esac
done
chmod 0700 /root /root/.ssh
chmod 0600 /root/.ssh/authorized_keys

modprobe -q qemu_fw_cfg 2>/dev/null || true
fw=/sys/firmware/qemu_fw_cfg/by_name/opt/cryptvol/ssh_host_ecdsa_key/raw
rm -f /etc/ssh/ssh_host_*
if [ -r "$fw" ]; then
    cat "$fw" > /etc/ssh/ssh_host_ecdsa_key
    ssh-keygen -y -f /etc/ssh/ssh_host_ecdsa_key > /etc/ssh/ssh_host_ecdsa_key.pub
else
    ssh-keygen -q -t ecdsa -N '' -f /etc/ssh/ssh_host_ecdsa_key
fi
chmod 0600 /etc/ssh/ssh_host_ecdsa_key
chmod 0644 /etc/ssh/ssh_host_ecdsa_key.pub
{
    echo "-----BEGIN SSH HOST KEY KEYS-----"
    cat /etc/ssh/ssh_host_*_key.pub
    echo "-----END SSH HOST KEY KEYS-----"
} > /dev/ttyS0

#!/usr/bin/env bash
# Boots the cryptvol test instance for a human: builds (or reuses) the image, makes a throwaway
# client key, starts qemu with sshd forwarded to 127.0.0.1:PORT, pins the host key from the console
# and prints the ssh command. Ctrl-C stops it. The Java driver is io.cryptvol.sandbox.QemuInstance.
#
#   scripts/testvm/boot.sh [--port N] [--variant systemd|init] [IMAGE=SERIAL ...]
#                                                            e.g. disk0.img=vol0123456789abcdef0
#   (make an image with: truncate -s 1G disk0.img)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=2222
variant=()
disks=()
while (($#)); do
    case "$1" in
        --port) port=$2; shift 2 ;;
        --variant) variant=(--variant "$2"); shift 2 ;;
        *=*) disks+=("$1"); shift ;;
        *) echo "usage: $0 [--port N] [--variant systemd|init] [IMAGE=SERIAL ...]" >&2; exit 2 ;;
    esac
done

img=$("$here/build.sh" "${variant[@]}")
kargs=$(cat "$img/cmdline" 2>/dev/null || echo rdinit=/init)   # what the variant boots with
dir=$(mktemp -d "${TMPDIR:-/tmp}/cryptvol-testvm-XXXXXX")
chmod 0700 "$dir"
ssh-keygen -q -t ecdsa -N '' -C cryptvol-testvm -f "$dir/id_ecdsa"
authkey=$(base64 -w0 < "$dir/id_ecdsa.pub")

args=()
i=0
for d in "${disks[@]}"; do
    file=$(realpath "${d%%=*}"); serial=${d#*=}
    args+=(-blockdev "{\"driver\":\"raw\",\"node-name\":\"disk$i\",\"file\":{\"driver\":\"file\",\"filename\":\"$file\"}}"
           -device "{\"driver\":\"nvme\",\"id\":\"nvme$i\",\"drive\":\"disk$i\",\"serial\":\"$serial\"}")
    i=$((i+1))
done

qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -nographic -no-reboot -vga none \
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
    -append "console=ttyS0 $kargs panic=-1 quiet cryptvol.authkey=$authkey" \
    -qmp "unix:$dir/qmp.sock,server=on,wait=off" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \
    -device virtio-rng-pci "${args[@]}" < /dev/null > "$dir/console.log" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null; wait $qemu 2>/dev/null; rm -rf "$dir"' EXIT
start=$(date +%s)
until grep -q -- '-----END SSH HOST KEY KEYS-----' "$dir/console.log"; do
    kill -0 $qemu 2>/dev/null || { cat "$dir/console.log" >&2; echo "qemu exited" >&2; exit 1; }
    sleep 0.5
done
sed -n '/-----BEGIN SSH HOST KEY KEYS-----/,/-----END SSH HOST KEY KEYS-----/p' "$dir/console.log" \
    | grep -v -- '-----' | awk -v p="[127.0.0.1]:$port" '{print p, $1, $2}' | tr -d '\r' > "$dir/known_hosts"
echo "booted in $(( $(date +%s) - start )) s; console log: $dir/console.log; QMP: $dir/qmp.sock"
echo "ssh -i $dir/id_ecdsa -o UserKnownHostsFile=$dir/known_hosts -o StrictHostKeyChecking=yes -p $port root@127.0.0.1"
echo "Ctrl-C stops the instance."
wait $qemu

#!/bin/sh
# Control channel on the serial console (only the host process can write there):
#   cryptvol:sync  -> flush every dirty page to the disks, answer "cryptvol: synced"
stty -F /dev/ttyS0 -echo 2>/dev/null || true
while IFS= read -r line; do
    case "$line" in
        *cryptvol:sync*) sync; echo "cryptvol: synced" ;;
    esac
done < /dev/ttyS0 > /dev/ttyS0 2>&1

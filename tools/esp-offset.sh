#!/usr/bin/env bash
# Print the byte offset of the EFI System Partition in a disk image, for
# mtools' `-i IMAGE@@OFFSET`: the first GPT partition of type EF00 (sgdisk's
# code for the ESP type GUID), or 0 for an image that is a bare FAT file
# system with no partition table. Exit 1 (with a message) otherwise.
#   tools/esp-offset.sh IMAGE
set -euo pipefail

img=${1:?usage: tools/esp-offset.sh IMAGE}
[ -f "$img" ] || { echo "esp-offset: no such file: $img" >&2; exit 1; }
command -v sgdisk >/dev/null || { echo "esp-offset: no sgdisk (apt-get install gdisk)" >&2; exit 1; }

# `sgdisk -p` ends with one row per partition:
#   Number  Start (sector)  End (sector)  Size  Code  Name
#      1            2048        133119   64.0 MiB  EF00  EFI system partition
# The size is two words, so the code is field 6.
table=$(sgdisk -p "$img" 2>/dev/null || true)
sector=$(sed -n 's/^Sector size (logical): \([0-9]*\) bytes.*/\1/p' <<<"$table")
first=$(awk '$1 ~ /^[0-9]+$/ && $6 == "EF00" { print $2; exit }' <<<"$table")
if [ -n "$first" ] && [ -n "$sector" ]; then
    echo $((first * sector))
elif MTOOLS_SKIP_CHECK=1 minfo -i "$img" :: >/dev/null 2>&1; then
    echo 0
else
    echo "esp-offset: $img has no EFI System Partition (GPT type EF00) and is not a FAT image" >&2
    exit 1
fi

#!/usr/bin/env bash
# `make install`: copy the loader onto a mounted EFI System Partition.
#   tools/install-esp.sh LOADER ESP REMOVABLE FORCE
#     LOADER     the built BOOTX64.EFI
#     ESP        mount point of the ESP (e.g. /boot/efi)
#     REMOVABLE  1: also install as EFI/BOOT/BOOTX64.EFI, the removable-media
#                path firmware boots with no boot entry (USB sticks)
#     FORCE      1: overwrite an EFI/BOOT/BOOTX64.EFI that is not Pagoda's
# Always installs ESP/EFI/pagoda/pagoda.efi (a firmware boot entry points at
# it: README "Boot it on your machine"). Copies go through a temporary name
# and a rename, so an interrupted install never leaves half a loader.
set -euo pipefail

loader=$1 esp=$2 removable=${3:-} force=${4:-}
die() { echo "make install: $*" >&2; exit 1; }

[ -n "$esp" ] || die "set ESP to the mounted EFI System Partition, e.g. make install ESP=/boot/efi"
[ -d "$esp" ] || die "ESP=$esp is not a directory (is the partition mounted?)"
[ -f "$loader" ] || die "no $loader (run make)"
# Firmware reads FAT only; a different file system is probably the wrong
# directory (/boot instead of /boot/efi), but a copy there harms nothing.
fstype=$(stat -f -c %T "$esp" 2>/dev/null || echo unknown)
[ "$fstype" = msdos ] || [ "$fstype" = vfat ] ||
    echo "make install: warning: $esp is on $fstype, not FAT: firmware will not find it there" >&2

# copy SRC DEST: DEST.new, then rename over DEST.
copy() {
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.new"
    mv -f "$2.new" "$2"
    echo "installed $2"
}

# Refuse before copying anything: a failed install changes nothing.
fallback=$esp/EFI/BOOT/BOOTX64.EFI
if [ "$removable" = 1 ] && [ -e "$fallback" ] && ! cmp -s "$loader" "$fallback" && [ "$force" != 1 ]; then
    die "$fallback exists and is not this Pagoda build (another OS's fallback loader, or an older Pagoda?); FORCE=1 replaces it"
fi

copy "$loader" "$esp/EFI/pagoda/pagoda.efi"
[ "$removable" = 1 ] && copy "$loader" "$fallback"
sync -f "$esp"   # a USB stick may be pulled right after
cat <<MSG
To boot it from the firmware's menu, add a boot entry (as root; the disk and
partition number of the ESP, see lsblk):
  efibootmgr --create --disk /dev/sdX --part N --label Pagoda --loader '\\EFI\\pagoda\\pagoda.efi'
MSG

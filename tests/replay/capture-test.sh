#!/usr/bin/env bash
# Memory-map capture, end to end in QEMU + OVMF: boot a copy of
# build/pagoda.img (make image) with capture=1 in test mode, read
# \EFI\pagoda\memmap.txt back out of the image with mtools, and replay it
# (build/tools/replay). Then the failure path: with a read-only capture file
# on the ESP the write must fail with a message and the boot go on.
# Prints "PASS capture-NAME" or "FAIL capture-NAME: why"; exits 1 on any
# failure. Logs and captures go to $LOGDIR.
#   tests/replay/capture-test.sh [--save]
#     --save   also copy each capture to tests/replay/maps/qemu-NAME.txt
#              (how the example maps were made; regenerate the golden files
#              afterwards with tests/replay/replay-test.sh --update)
set -uo pipefail
cd "$(dirname "$0")/../.."

LOGDIR=${LOGDIR:-build/test-logs}
IMAGE=build/pagoda.img
REPLAY=build/tools/replay
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
CAPTURE=EFI/pagoda/memmap.txt
MAPS=tests/replay/maps
save=0
[ "${1:-}" = --save ] && save=1

for f in "$IMAGE" "$REPLAY"; do
    [ -e "$f" ] || { echo "FAIL capture-setup: no $f (make && make image)"; exit 1; }
done
mkdir -p "$LOGDIR"
work=$(mktemp -d "${TMPDIR:-/tmp}/pagoda-capture.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf 'capture=1\ncmdline=pagoda.test\n' > "$work/capture.conf"
failed=0

fail() { echo "FAIL capture-$1: $2"; failed=1; }
mtools() { MTOOLS_SKIP_CHECK=1 "$@"; }

# value LINE KEY: the value of KEY=... in a "key=value ..." line.
value() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# check_capture NAME LOG FILE: the capture agrees with the boot report of
# the same boot, and replays cleanly.
check_capture() {
    local name=$1 log=$2 file=$3 out report_cpus cap_cpus written descs
    written=$(grep -a '^pagoda: capture: .*descriptors' "$log" | sed 's/.*: \([0-9]*\) descriptors.*/\1/')
    descs=$(value "$(grep '^memmap ' "$file")" count)
    [ -n "$written" ] && [ "$written" = "$descs" ] ||
        { fail "$name" "loader wrote ${written:-?} descriptors, file has ${descs:-?}"; return; }
    [ "$(tail -n 1 "$file")" = end ] || { fail "$name" "no 'end' line"; return; }
    report_cpus=$(value "$(grep -a '^pagoda: cpus ' "$log")" expected)
    cap_cpus=$(value "$(grep '^cpus ' "$file")" count)
    [ "$report_cpus" = "$cap_cpus" ] || { fail "$name" "cpus: report $report_cpus, capture $cap_cpus"; return; }
    out="$LOGDIR/capture-$name.replay"
    "$REPLAY" "$file" > "$out" 2>&1 || { fail "$name" "replay exit $? (see $out)"; return; }
    [ "$(grep -c 'check=pass$' "$out")" -eq 2 ] || { fail "$name" "page-table check failed (see $out)"; return; }
    echo "PASS capture-$name ($descs descriptors, $cap_cpus cpus)"
}

# capture NAME RUN.SH-ARGS...: boot with capture=1, read the file back.
capture() {
    local name=$1 img="$work/$1.img" log="$LOGDIR/capture-$1.log" file="$LOGDIR/capture-$1.txt"
    shift
    cp "$IMAGE" "$img"
    ./run.sh -d "$img" -t -C "$work/capture.conf" -T "$BOOT_TIMEOUT" -l "$log" "$@" \
        >/dev/null 2>"$log.stderr" || { fail "$name" "run.sh exit $? (see $log)"; return; }
    local off
    off=$(tools/esp-offset.sh "$img") &&
        mtools mcopy -n -i "$img@@$off" "::/$CAPTURE" "$file" 2>>"$log.stderr" ||
        { fail "$name" "no $CAPTURE in the image"; return; }
    check_capture "$name" "$log" "$file"
    [ "$save" = 1 ] && cp "$file" "$MAPS/qemu-$name.txt"
    rm -f "$img"
}

# A read-only memmap.txt (FAT attribute R): the loader can neither delete
# nor create it, says so, and boots on; the old file is left as it was.
capture_readonly() {
    local name=readonly img="$work/readonly.img" log="$LOGDIR/capture-readonly.log" off
    cp "$IMAGE" "$img"
    off=$(tools/esp-offset.sh "$img")
    echo 'an older capture' > "$work/old.txt"
    mtools mcopy -i "$img@@$off" "$work/old.txt" "::/$CAPTURE" && mtools mattrib -i "$img@@$off" +r "::/$CAPTURE" ||
        { fail "$name" "cannot prepare the image"; return; }
    ./run.sh -d "$img" -t -C "$work/capture.conf" -T "$BOOT_TIMEOUT" -l "$log" \
        >/dev/null 2>"$log.stderr" || { fail "$name" "run.sh exit $? (see $log)"; return; }
    grep -aq '^pagoda: capture: cannot create .*booting on' "$log" ||
        { fail "$name" "no 'cannot create' message"; return; }
    mtools mcopy -n -i "$img@@$off" "::/$CAPTURE" "$work/after.txt" && cmp -s "$work/old.txt" "$work/after.txt" ||
        { fail "$name" "the read-only file changed"; return; }
    echo "PASS capture-$name (write refused, boot passed)"
    rm -f "$img"
}

capture 128m -m 128M
capture 1g -m 1G
capture 4g -m 4G -c 4
capture 16g -m 16G -c 4
capture 1g-qemu64 -m 1G -p qemu64
capture_readonly
exit $failed

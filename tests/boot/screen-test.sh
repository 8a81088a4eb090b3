#!/usr/bin/env bash
# Screenshot tests: boot in QEMU + OVMF (not in test mode: the kernel must
# stay up to be photographed), let run.sh -s take a screendump through the
# QEMU monitor once the kernel printed its result= line, then check the
# picture with check_screen.py: the memory bar's colours, and the console
# text read back with the kernel's own font against the serial log.
# Prints "PASS name: ..." / "FAIL name: why" lines; exits 1 if any failed.
# Artefacts in $LOGDIR: NAME.png (the screen), NAME.log (serial).
#
#   screen        OVMF's default mode (1280x800), font at 1x
#   screen-hidpi  1920x1080 (QEMU VGA xres/yres, which OVMF adopts), font at 2x
#   screen-early-fault  a fault before the AP bring-up, before the kernel
#                 draws anything: the screen must show the loader's lines, the
#                 kernel's and the fault report, from the loader's banner on
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

LOGDIR=${LOGDIR:-build/test-logs}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
FONT=build/kernel/font/font.psf      # what the Makefile's font block embedded
mkdir -p "$LOGDIR"
[ -f "$FONT" ] || { echo "FAIL screen: no $FONT (run make)"; exit 1; }

# shot NAME SCALE [run.sh args...]: boot, screenshot, check.
shot() {
    local name=$1 scale=$2 ppm="$LOGDIR/$1.ppm" log="$LOGDIR/$1.log"; shift 2
    ./run.sh -m 1G -p max -T "$BOOT_TIMEOUT" -s "$ppm" -l "$log" "$@" >/dev/null 2>"$log.stderr"
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL $name: run.sh -s exit $rc ($(grep -E 'result=|FAULT|PANIC' "$log" 2>/dev/null | head -2 | tr '\n' ' '))"
        return 1
    fi
    python3 tests/boot/check_screen.py --name "$name" --scale "$scale" --image "$ppm" --log "$log" \
        --font "$FONT" --source kernel/fbcon.c --png "$LOGDIR/$name.png"
    local ok=$?
    rm -f "$ppm"                     # the PNG holds the same pixels
    return $ok
}

# early_fault_shot NAME: the kernel faults on purpose before the bring-up;
# run.sh -s exits 1 (the kernel failed) once the result= line is out.
early_fault_shot() {
    local name=$1 ppm="$LOGDIR/$1.ppm" log="$LOGDIR/$1.log"
    ./run.sh -m 1G -p max -c 2 -T "$BOOT_TIMEOUT" -s "$ppm" -l "$log" \
        -a "pagoda.crash=null pagoda.crash.early" >/dev/null 2>"$log.stderr"
    local rc=$?
    if [ $rc -ne 1 ] || ! grep -q '^pagoda: result=fail reason=fault-vector-14' "$log"; then
        echo "FAIL $name: run.sh -s exit $rc, wanted 1 with a page-fault report"
        return 1
    fi
    python3 tests/boot/check_screen.py --name "$name" --early --image "$ppm" --log "$log" \
        --font "$FONT" --source kernel/fbcon.c --png "$LOGDIR/$name.png"
    local ok=$?
    rm -f "$ppm"
    return $ok
}

# One VM each, all at once; results printed in a fixed order.
shot screen 1 > "$LOGDIR/screen.result" 2>&1 &
shot screen-hidpi 2 -q "-vga none -device VGA,xres=1920,yres=1080" > "$LOGDIR/screen-hidpi.result" 2>&1 &
early_fault_shot screen-early-fault > "$LOGDIR/screen-early-fault.result" 2>&1 &
failed=0
for job in $(jobs -p); do wait "$job" || failed=1; done
cat "$LOGDIR/screen.result" "$LOGDIR/screen-hidpi.result" "$LOGDIR/screen-early-fault.result"
rm -f "$LOGDIR/screen.result" "$LOGDIR/screen-hidpi.result" "$LOGDIR/screen-early-fault.result"
exit $failed

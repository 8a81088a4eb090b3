#!/usr/bin/env bash
# Boot Pagoda in QEMU + OVMF. Builds nothing: run `make` first (`make run` does both).
# Interactive runs open a window only where there is a display ($DISPLAY or
# $WAYLAND_DISPLAY); otherwise the serial console on the terminal is all.
#
#   ./run.sh [options]
#     -c N        CPUs (default 2); -S TOPO for a full -smp string (e.g. 6,sockets=2,cores=3)
#     -m SIZE     guest RAM (default 1G); 16G and up are backed by a sparse file
#     -p MODEL    CPU model (default max; qemu64 has no 1 GiB pages)
#     -k FILE     boot this kernel ELF instead of the embedded one (copied to the ESP
#                 as \EFI\pagoda\kernel.elf, also with -C)
#     -M 'FILE [STRING]'  a module: FILE is copied to \EFI\pagoda\ on the ESP and,
#                 unless -C, listed as module=\EFI\pagoda\NAME [STRING]; repeatable
#     -a ARGS     kernel command line (pagoda.conf cmdline=)
#     -C FILE     use FILE as \EFI\pagoda\pagoda.conf (overrides -k/-a)
#     -e DIR      ESP directory to boot (default esp/)
#     -d IMG      boot the raw disk image IMG (make image) instead of an ESP directory.
#                 IMG is used in place, like a USB stick: what the loader writes there
#                 (a memory-map capture) stays. The pagoda.conf and kernel that
#                 -t/-a/-k/-C make go into IMG's ESP for this run only (mtools); what
#                 they replaced is put back when run.sh exits
#     -t          test mode: kernel runs its checks and exits QEMU with its verdict;
#                 exit 0 on pass, 1 on fail, 124 on timeout, 2 on anything else
#     -r          expect the loader to refuse the kernel: exit 0 when the firmware
#                 reports the boot option failed and moves on, 1 if a kernel ran
#     -T SECS     timeout for -t/-r/-s (default 60)
#     -s FILE     screenshot: boot (not in test mode), wait for the kernel's result= line,
#                 save the screen to FILE through the QEMU monitor (PPM; PNG if FILE ends
#                 in .png), stop QEMU; exit 0 if the kernel passed, 1 if it failed
#     -l FILE     also write the serial log to FILE (-t/-r/-s)
#     -E FILE     log QEMU's debug console (port 0xE9, where many Limine kernels
#                 print) to FILE, next to serial
#     -g          debug with gdb: QEMU's gdb stub on tcp::$PAGODA_GDB_PORT (1234), the
#                 loader prints its image base and waits (pagoda.conf gdb=1); the
#                 serial log also goes to $PAGODA_SERIAL_LOG (build/gdb-serial.log),
#                 where `gdb -x tools/pagoda.gdb` (from the tree's top) reads the base
#     -Q 7|10     emulator: 7 = the system's qemu-system-x86_64 (Debian 12: 7.2; or
#                 $QEMU), 10 = QEMU 10 from bookworm-backports ($PAGODA_QEMU10, else
#                 what tools/emulators.sh fetched); default $PAGODA_EMULATOR or 7
#     -F FW       firmware: ovmf-2022 (the system's, $OVMF_DIR), ovmf-2025 (Debian 13's,
#                 $PAGODA_OVMF2025_DIR or tools/emulators.sh's), ovmf-2025-strictnx (its
#                 secboot.strictnx build, with EFI_MEMORY_ATTRIBUTE_PROTOCOL; adds
#                 smm=on and the secure pflash it needs; Secure Boot itself stays off,
#                 no keys enrolled); default $PAGODA_FIRMWARE or ovmf-2022
#     -q ARGS     extra QEMU arguments (word-split)
#     -h          this help
set -euo pipefail

OVMF_DIR=${OVMF_DIR:-/usr/share/OVMF}
QEMU=${QEMU:-qemu-system-x86_64}
EMULATORS_DIR=$(dirname "$0")/build/emulators   # tools/emulators.sh puts them there
DEBUG_EXIT_PASS=33   # kernel writes 0x10 to isa-debug-exit: (0x10 << 1) | 1
DEBUG_EXIT_FAIL=35   # 0x11
REJECT_MARKER='BdsDxe: failed to start Boot'
FIRMWARE_FAULT_MARKER='!!!! X64 Exception'   # OVMF's exception dump: the loader crashed
# Guests this big (GiB) get file-backed RAM; the environment may lower it
# (tests/bench/memory-scale.sh: every size on the same host path).
SPARSE_RAM_MIN_GIB=${SPARSE_RAM_MIN_GIB:-16}

cpus=2 smp= mem=1G model=max kernel= cmdline= conf= esp=esp mode=interactive timeout=60
log= gdb=0 extra= shot= disk= debugcon=
emulator=${PAGODA_EMULATOR:-7} firmware=${PAGODA_FIRMWARE:-ovmf-2022}
modules=()
GDB_PORT=${PAGODA_GDB_PORT:-1234}
GDB_SERIAL=${PAGODA_SERIAL_LOG:-build/gdb-serial.log}

usage() { sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "run.sh: $*" >&2; exit 2; }

while getopts "c:S:m:p:k:M:a:C:e:d:trs:T:l:E:gq:Q:F:h" opt; do
    case $opt in
        c) cpus=$OPTARG ;;  S) smp=$OPTARG ;;  m) mem=$OPTARG ;;  p) model=$OPTARG ;;
        k) kernel=$OPTARG ;; a) cmdline=$OPTARG ;; C) conf=$OPTARG ;; e) esp=$OPTARG ;;
        d) disk=$OPTARG ;;  M) modules+=("$OPTARG") ;;  E) debugcon=$OPTARG ;;
        t) mode=test ;;     r) mode=reject ;;   T) timeout=$OPTARG ;; l) log=$OPTARG ;;
        s) mode=screenshot; shot=$OPTARG ;;
        g) gdb=1 ;;         q) extra=$OPTARG ;;  h) usage; exit 0 ;;
        Q) emulator=$OPTARG ;; F) firmware=$OPTARG ;;
        *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || die "unexpected argument '$1' (options only; see -h)"

case $emulator in
    7) ;;
    10) QEMU=${PAGODA_QEMU10:-$EMULATORS_DIR/bin/qemu-system-x86_64}
        command -v "$QEMU" >/dev/null || die "no QEMU 10 (run tools/emulators.sh, or set PAGODA_QEMU10)" ;;
    *) die "-Q $emulator: 7 or 10" ;;
esac
# secure_flash: the secboot builds keep their variables in SMM and refuse
# to start on a machine without it.
ovmf_code=OVMF_CODE_4M.fd secure_flash=0
case $firmware in
    ovmf-2022) ;;
    ovmf-2025|ovmf-2025-strictnx)
        OVMF_DIR=${PAGODA_OVMF2025_DIR:-$EMULATORS_DIR/ovmf2025/usr/share/OVMF}
        [ -d "$OVMF_DIR" ] || die "no OVMF 2025.02 at $OVMF_DIR (run tools/emulators.sh, or set PAGODA_OVMF2025_DIR)"
        if [ "$firmware" = ovmf-2025-strictnx ]; then
            ovmf_code=OVMF_CODE_4M.secboot.strictnx.fd secure_flash=1
        fi ;;
    *) die "-F $firmware: ovmf-2022, ovmf-2025 or ovmf-2025-strictnx" ;;
esac
OVMF_CODE=$OVMF_DIR/$ovmf_code
OVMF_VARS=$OVMF_DIR/OVMF_VARS_4M.fd
[ -f "$OVMF_CODE" ] || die "no $OVMF_CODE (apt-get install ovmf)"
[ -f "$esp/EFI/BOOT/BOOTX64.EFI" ] || die "no $esp/EFI/BOOT/BOOTX64.EFI (run make)"
command -v "$QEMU" >/dev/null || die "no $QEMU (apt-get install qemu-system-x86)"

work=$(mktemp -d "${TMPDIR:-/tmp}/pagoda-run.XXXXXX")
qemu_pid=
disk_put=()   # -d: ESP paths run.sh wrote into the image
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
    [ ${#disk_put[@]} -gt 0 ] && disk_restore
    [ -L "$work/ramdir" ] && rm -rf "$(readlink "$work/ramdir")"
    rm -rf "$work"
}
trap cleanup EXIT

# A private ESP copy: the config and an external kernel go in without
# touching the build tree, and parallel runs do not share state.
cp -r "$esp" "$work/esp"
mkdir -p "$work/esp/EFI/pagoda"
[ "$mode" = test ] && cmdline="pagoda.test${cmdline:+ $cmdline}"
[ -n "$kernel" ] && [ -e "$kernel" ] && cp "$kernel" "$work/esp/EFI/pagoda/kernel.elf"
module_lines=()
for m in "${modules[@]}"; do
    m_file=${m%% *} m_string=
    [ "$m_file" != "$m" ] && m_string=${m#* }
    [ -f "$m_file" ] || die "no module file $m_file"
    cp "$m_file" "$work/esp/EFI/pagoda/$(basename "$m_file")"
    module_lines+=("module=\\EFI\\pagoda\\$(basename "$m_file")${m_string:+ $m_string}")
done
if [ -n "$conf" ]; then
    cp "$conf" "$work/esp/EFI/pagoda/pagoda.conf"
elif [ -n "$kernel" ] || [ -n "$cmdline" ] || [ "$gdb" = 1 ] || [ ${#modules[@]} -gt 0 ]; then
    {
        [ -n "$kernel" ] && echo 'kernel=\EFI\pagoda\kernel.elf'
        [ -n "$cmdline" ] && echo "cmdline=$cmdline"
        [ ${#module_lines[@]} -gt 0 ] && printf '%s\n' "${module_lines[@]}"
        true
    } > "$work/esp/EFI/pagoda/pagoda.conf"
fi
[ "$gdb" = 1 ] && echo 'gdb=1' >> "$work/esp/EFI/pagoda/pagoda.conf"
cp "$OVMF_VARS" "$work/vars.fd"

# -d: the files made above go into the image's ESP; cleanup puts back the
# ones they replace (saved under $work/disk-saved), or deletes them.
disk_mtools() { MTOOLS_SKIP_CHECK=1 "$@"; }
disk_put_file() {   # disk_put_file REL: $work/esp/REL -> the image's ::/REL
    local rel=$1
    mkdir -p "$work/disk-saved/$(dirname "$rel")"
    disk_mtools mcopy -n -i "$disk_esp" "::/$rel" "$work/disk-saved/$rel" 2>/dev/null || true
    disk_mtools mmd -i "$disk_esp" ::/EFI ::/EFI/pagoda 2>/dev/null || true
    disk_mtools mcopy -D o -i "$disk_esp" "$work/esp/$rel" "::/$rel" || die "cannot write $rel into $disk"
    disk_put+=("$rel")
}
disk_restore() {
    local rel
    for rel in "${disk_put[@]}"; do
        if [ -f "$work/disk-saved/$rel" ]; then
            disk_mtools mcopy -D o -i "$disk_esp" "$work/disk-saved/$rel" "::/$rel"
        else
            disk_mtools mdel -i "$disk_esp" "::/$rel"
        fi || echo "run.sh: could not restore $rel in $disk" >&2
    done
    disk_put=()
}
boot_drive="format=raw,file=fat:rw:$work/esp"
if [ -n "$disk" ]; then
    [ -f "$disk" ] || die "no disk image $disk (make image)"
    command -v mcopy >/dev/null || die "no mcopy (apt-get install mtools)"
    disk_esp="$disk@@$("$(dirname "$0")/tools/esp-offset.sh" "$disk")" || exit 2
    if [ -n "$conf" ] || [ -n "$kernel" ] || [ -n "$cmdline" ] || [ "$gdb" = 1 ] || [ ${#modules[@]} -gt 0 ]; then
        disk_put_file EFI/pagoda/pagoda.conf
        if [ -n "$kernel" ] && [ -f "$work/esp/EFI/pagoda/kernel.elf" ]; then
            disk_put_file EFI/pagoda/kernel.elf
        fi
        for m in "${modules[@]}"; do
            disk_put_file "EFI/pagoda/$(basename "${m%% *}")"
        done
    fi
    boot_drive="format=raw,file=$disk"
fi

# RAM: large guests get a sparse file as backing so the host commits only
# what the guest touches (QEMU cannot allocate more than ~16 GiB here).
ram_args=(-m "$mem")
gib=$(echo "$mem" | sed -n 's/^\([0-9]\+\)[Gg]$/\1/p')
machine=q35
if [ -n "$gib" ] && [ "$gib" -ge "$SPARSE_RAM_MIN_GIB" ]; then
    # On tmpfs when there is one: first-touch faults on a disk-backed file
    # cost about a millisecond each, which the kernel's bitmaps notice.
    ramdir=$work
    [ -d /dev/shm ] && [ -w /dev/shm ] && ramdir=$(mktemp -d /dev/shm/pagoda-ram.XXXXXX)
    [ "$ramdir" != "$work" ] && ln -s "$ramdir" "$work/ramdir"
    truncate -s "${gib}G" "$ramdir/ram"
    ram_args=(-object "memory-backend-file,id=ram,size=${gib}G,mem-path=$ramdir/ram,share=on" -m "${gib}G")
    machine="q35,memory-backend=ram"
fi

flash_args=()
if [ "$secure_flash" = 1 ]; then
    machine="$machine,smm=on"
    flash_args=(-global driver=cfi.pflash01,property=secure,value=on)
fi

args=(-machine "$machine" "${flash_args[@]}" -cpu "$model" -smp "${smp:-$cpus}" "${ram_args[@]}"
      -drive "if=pflash,format=raw,unit=0,file=$OVMF_CODE,readonly=on"
      -drive "if=pflash,format=raw,unit=1,file=$work/vars.fd"
      -drive "$boot_drive"
      -device isa-debug-exit,iobase=0xf4,iosize=0x04
      -net none -no-reboot)
# -g: no -S; the loader itself waits for gdb (gdb=1), after printing its
# image base, which gdb needs before any loader breakpoint can be set.
if [ "$gdb" = 1 ]; then
    args+=(-gdb "tcp::$GDB_PORT")
    mkdir -p "$(dirname "$GDB_SERIAL")"
    rm -f "$GDB_SERIAL"
    echo "run.sh: gdb stub on tcp::$GDB_PORT; serial log $GDB_SERIAL; now, from $(cd "$(dirname "$0")" && pwd): gdb -x tools/pagoda.gdb" >&2
fi
if [ -n "$debugcon" ]; then
    mkdir -p "$(dirname "$debugcon")"
    : > "$debugcon"
    args+=(-debugcon "file:$(cd "$(dirname "$debugcon")" && pwd)/$(basename "$debugcon")"
           -global isa-debugcon.iobase=0xe9)
fi
# shellcheck disable=SC2206
[ -n "$extra" ] && args+=($extra)

if [ "$mode" = interactive ]; then
    # A window only where there is a display to put it on (a GTK/SDL
    # QEMU dies without one); the serial console is on the terminal either way.
    display=()
    [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && display=(-display none)
    serial=(-serial mon:stdio)
    if [ "$gdb" = 1 ]; then
        serial=(-chardev "stdio,id=con,mux=on,logfile=$GDB_SERIAL" -serial chardev:con -mon chardev=con)
    fi
    [ ${#display[@]} -gt 0 ] && echo "run.sh: no display (\$DISPLAY, \$WAYLAND_DISPLAY): serial console only; Ctrl-a x quits" >&2
    "$QEMU" "${args[@]}" "${display[@]}" "${serial[@]}"
    exit $?
fi

# Screenshot mode: QEMU's monitor on a socket (HMP, one command per prompt;
# screendump answers once the file is written).
monitor_args=(-monitor none)
if [ "$mode" = screenshot ]; then
    monitor_args=(-monitor "unix:$work/monitor.sock,server=on,wait=off")
    mkdir -p "$(dirname "$shot")"
    shot=$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")
    shot_fmt=ppm
    case $shot in *.png) shot_fmt=png ;; esac
fi
monitor() {
    python3 - "$work/monitor.sock" "$@" <<'PY'
import socket, sys
mon = socket.socket(socket.AF_UNIX)
mon.settimeout(30)
mon.connect(sys.argv[1])
def prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        data = mon.recv(4096)
        if not data:
            return
        buf += data
prompt()
for cmd in sys.argv[2:]:
    mon.sendall(cmd.encode() + b"\n")
    prompt()
PY
}

# Test, reject and screenshot modes: serial to a file, watched until a verdict.
serial="$work/serial.log"
[ "$gdb" = 1 ] && serial=$GDB_SERIAL
: > "$serial"
"$QEMU" "${args[@]}" -serial "file:$serial" -display none "${monitor_args[@]}" &
qemu_pid=$!
tail -n +1 -f "$serial" --pid="$qemu_pid" 2>/dev/null &
tail_pid=$!

status=
deadline=$((SECONDS + timeout))
while kill -0 "$qemu_pid" 2>/dev/null; do
    if [ "$mode" = reject ] && grep -q "$REJECT_MARKER" "$serial"; then
        status=reject-seen; break
    fi
    if [ "$mode" = reject ] && grep -q 'pagoda: kernel started' "$serial"; then
        status=kernel-ran; break
    fi
    if [ "$mode" = screenshot ] && grep -q '^pagoda: result=' "$serial"; then
        status=result-seen; break
    fi
    if grep -qF "$FIRMWARE_FAULT_MARKER" "$serial"; then status=firmware-exception; break; fi
    if [ $SECONDS -ge $deadline ]; then status=timeout; break; fi
    sleep 0.2
done
if [ -z "$status" ]; then
    wait "$qemu_pid" && rc=0 || rc=$?
    status=exit-$rc
fi
if [ "$status" = result-seen ]; then
    # The console draws a line on screen just after sending it to serial:
    # give the last one time to land, then take the picture and stop.
    sleep 0.5
    rm -f "$shot"
    monitor "screendump $shot -f $shot_fmt" quit || true
fi
kill "$qemu_pid" 2>/dev/null || true
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=
sleep 0.3; kill "$tail_pid" 2>/dev/null || true
[ -n "$log" ] && tr -d '\r' < "$serial" > "$log"   # plain LF lines for tools

case "$mode:$status" in
    test:exit-$DEBUG_EXIT_PASS) exit 0 ;;
    test:exit-$DEBUG_EXIT_FAIL) echo "run.sh: kernel reported failure" >&2; exit 1 ;;
    reject:reject-seen)
        if grep -q 'pagoda: kernel started' "$serial"; then exit 1; fi
        exit 0 ;;
    screenshot:result-seen)
        [ -s "$shot" ] || { echo "run.sh: no screenshot written to $shot" >&2; exit 2; }
        grep '^pagoda: result=' "$serial" | tail -n 1 | grep -q 'result=pass' && exit 0
        echo "run.sh: kernel reported failure" >&2; exit 1 ;;
    reject:kernel-ran) echo "run.sh: the loader booted a kernel it should have refused" >&2; exit 1 ;;
    *:timeout) echo "run.sh: timeout after ${timeout}s" >&2; exit 124 ;;
    *) echo "run.sh: QEMU ended with ${status}" >&2; exit 2 ;;
esac

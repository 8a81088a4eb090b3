#!/usr/bin/env bash
# The outside view: after the kernel has run every self-check (address
# spaces entered and destroyed, the recursive slot and the temporary window
# installed and removed), QEMU itself, not the kernel, is asked what is left:
#  - `info registers -a`: every CPU is back on the kernel's root, PCID 0
#    (the CR3 each CPU printed in its online line);
#  - `info tlb` (QEMU's own walk of CPU 0's tables): no leaf in the lower
#    half, none in the recursive slot 509, none at the window, none with U,
#    and exactly as many leaves as the kernel's audit counted (leaves=N in
#    `check ptaccess-clean`).
# The kernel is booted without test mode (it halts after its verdict and
# stays up), with a second QEMU monitor on a socket next to run.sh's.
# Prints "PASS name" / "FAIL name: why" lines.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

LOGDIR=${LOGDIR:-build/test-logs}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
mkdir -p "$LOGDIR"

# view NAME CPU-MODEL CPUS [PAGING]: PAGING=4 asks pagoda.conf for 4 levels
# (-cpu max gets 5 by default).
view() {
    local name=$1 model=$2 cpus=$3 log="$LOGDIR/$1.log" dir conf=()
    dir=$(mktemp -d)
    local sock="$dir/monitor.sock"
    [ -n "${4:-}" ] && printf 'paging=%s\n' "$4" > "$dir/pagoda.conf" && conf=(-C "$dir/pagoda.conf")
    setsid ./run.sh -p "$model" -c "$cpus" "${conf[@]}" -q "-display none -monitor unix:$sock,server=on,wait=off" \
        </dev/null >"$dir/serial" 2>"$log.stderr" &
    local pid=$!
    local deadline=$((SECONDS + BOOT_TIMEOUT))
    until grep -q '^pagoda: result=' "$dir/serial" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ] || ! kill -0 "$pid" 2>/dev/null; then
            tr -d '\r' <"$dir/serial" >"$log"
            kill -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            rm -rf "$dir"
            echo "FAIL $name: no verdict within ${BOOT_TIMEOUT}s"; return
        fi
        sleep 0.5
    done
    local why
    local want_levels=4
    [ "$model" = max ] && [ "${4:-5}" = 5 ] && want_levels=5
    why=$(python3 - "$sock" "$dir/serial" "$cpus" "$want_levels" <<'PY'
import re, socket, sys

sock, serial_path, cpus, want_levels = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
WINDOW = 0xFFFFFE7FFFFFF000             # PT_TEMP_WINDOW, at either level count

serial = open(serial_path, errors="replace").read().replace("\r", "")
levels = re.search(r"^pagoda: hhdm base=\S+ page=\S+ end=\S+ levels=(\d)$", serial, re.M)
levels = int(levels.group(1)) if levels else 0
# Where the canonical higher half starts, and root slot 509 (QEMU prints
# addresses sign-extended from bit 47 or, with LA57, bit 56).
LOWER_END = 0xFF00000000000000 if levels == 5 else 0xFFFF800000000000
SLOT_509 = ((0xFFFD000000000000, 0xFFFE000000000000) if levels == 5
            else (0xFFFFFE8000000000, 0xFFFFFF0000000000))

mon = socket.socket(socket.AF_UNIX)
mon.settimeout(60)
mon.connect(sock)
def reply():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        data = mon.recv(1 << 16)
        if not data:
            break
        buf += data
    return buf.decode(errors="replace")
reply()
def ask(cmd):
    mon.sendall(cmd.encode() + b"\n")
    return reply()
regs, tlb = ask("info registers -a"), ask("info tlb")
mon.sendall(b"quit\n")

problems = []
if levels != want_levels:
    problems.append(f"paging levels {levels}, want {want_levels}")
if "pagoda: result=pass" not in serial:
    problems.append("kernel verdict is not pass")
online = set(re.findall(r"^pagoda: cpu index=\d+ apic=\d+ cr3=0x([0-9a-f]+) online$", serial, re.M))
cr3s = [int(v, 16) for v in re.findall(r"CR3=([0-9a-f]+)", regs)]
if len(online) != 1:
    problems.append(f"online lines name {len(online)} CR3 values")
elif len(cr3s) != cpus or any(v != int(next(iter(online)), 16) for v in cr3s):
    problems.append(f"CR3s {[hex(v) for v in cr3s]} are not all the kernel root 0x{next(iter(online))} with PCID 0")
# Caches on everywhere: CR0.CD (bit 30) and CR0.NW (bit 29) come out of
# INIT set; a CPU that never clears them runs uncached on real hardware
# (TCG ignores them, so only this outside view can tell).
CR0_CD_NW = (1 << 30) | (1 << 29)
cr0s = [int(v, 16) for v in re.findall(r"CR0=([0-9a-f]+)", regs)]
if len(cr0s) != cpus or any(v & CR0_CD_NW for v in cr0s):
    problems.append(f"CR0s {[hex(v) for v in cr0s]}: caches disabled (CD/NW) on some CPU")
audit = re.search(r"^pagoda: check ptaccess-clean=\w+ .*leaves=(\d+)", serial, re.M)
leaves = [(int(va, 16), flags) for va, flags in
          re.findall(r"^([0-9a-f]{16}): [0-9a-f]{16} (\S+)$", tlb.replace("\r", ""), re.M)]
if not audit:
    problems.append("no leaves= in ptaccess-clean")
elif int(audit.group(1)) != len(leaves):
    problems.append(f"QEMU sees {len(leaves)} leaves, the kernel's audit counted {audit.group(1)}")
for va, flags in leaves:
    where = ("lower half" if va < LOWER_END else "recursive slot" if SLOT_509[0] <= va < SLOT_509[1]
             else "window" if va == WINDOW else "user page" if len(flags) > 7 and flags[7] == "U" else None)
    if where:
        problems.append(f"{where} still mapped at {va:#x} ({flags})")
        break
print("; ".join(problems) if problems else f"ok cpus={len(cr3s)} leaves={len(leaves)}")
PY
)
    wait "$pid" 2>/dev/null
    tr -d '\r' <"$dir/serial" >"$log"
    rm -rf "$dir"
    case $why in
        ok*) echo "PASS $name (${why#ok })" ;;
        *) echo "FAIL $name: $why" ;;
    esac
}

view outside-view-max-smp4 max 4
view outside-view-max-smp4-4level max 4 4
view outside-view-qemu64-smp1 qemu64 1

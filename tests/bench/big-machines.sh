#!/usr/bin/env bash
# Big machines: AP bring-up and the self-checks at 128-1024 CPUs on QEMU 10
# (TCG emulates x2APIC there; QEMU 7.2's does not, and IDs above 254 need it).
# For each CPU count two boots in test mode, one after the other:
#   parallel   the default start, every check (smp-translate, smp-stress ...)
#   serial     one AP at a time with the SDM's waits (pagoda.smp=serial
#              pagoda.smp.init_delay=legacy), ended right after the boot
#              report (pagoda.stop=online): only its bring-up time is used
# and one table row: the kernel's `bringup_us` of both and their ratio, the
# `smp-stress` time and the `smp-translate` reads of the parallel boot, its
# wall time (run.sh: the ESP copy, then QEMU's start to the verdict) and the
# verdict: pass when the parallel boot passed every check and both boots had
# every CPU online; otherwise `fail` with the log to read. A failed row does
# not stop the table; the script exits 1 after it if any row failed.
#
#   COUNTS="128 288 512" tests/bench/big-machines.sh   (the default; `make bench`)
#   COUNTS=1024 tests/bench/big-machines.sh             only when asked: ~5 minutes and 8 GiB
#   tests/bench/big-machines.sh --logs PARALLEL_LOG [SERIAL_LOG]
#                                the row of saved serial logs, no boot
#
# Machine per count (x2APIC IDs above 255 need interrupt remapping with
# x2APIC destinations: kernel-irqchip=split and intel-iommu eim=on):
#   sockets    1 up to 128 CPUs, 2 up to 288, 4 above (1024: 4 x 256 cores)
#   RAM        2 GiB up to 288, 4 GiB up to 512, 8 GiB above (each AP costs
#              128 KiB; the checks' per-CPU tables grow with the count)
#   firmware   OVMF 2022.11 up to 512 CPUs; above, OVMF 2025.02: with 1024
#              vCPUs 2022.11 printed nothing in 11 minutes (docs/design.md)
#   timeout    600 s up to 128, 900 s up to 288, 1800 s up to 512, 2700 s above
# Needs QEMU 10 (and, above 512, OVMF 2025.02) from tools/emulators.sh; where
# it cannot be had the script says "skipped: why" and exits 0.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

COUNTS=${COUNTS:-"128 288 512"}
LOGDIR=${LOGDIR:-build/bench-logs}
X2APIC_QEMU="-machine kernel-irqchip=split -device intel-iommu,intremap=on,eim=on"
SERIAL_ARGS="pagoda.smp=serial pagoda.smp.init_delay=legacy pagoda.stop=online"
FORMAT='%-5s %-9s %-7s %12s %12s %7s %12s %9s %7s %s\n'

# ---- Reading a serial log ----------------------------------------------

# field LOG REGEX-WITH-ONE-GROUP: the group on the first matching line.
field() {
    tr -d '\r' < "$1" | sed -n "s/$2/\1/p" | head -1
}
smp_expected() { field "$1" '^pagoda: smp online=[0-9]* expected=\([0-9]*\) .*'; }
apic_mode()    { field "$1" '^pagoda: smp online=.* apic=\([a-z0-9]*\).*'; }
# bringup_us LOG: the bring-up time, only if every expected CPU came online.
bringup_us() {
    tr -d '\r' < "$1" | sed -n 's/^pagoda: smp online=\([0-9]*\) expected=\1 bringup_us=\([0-9]*\).*/\2/p' | head -1
}
# stress_us LOG: the smp-stress time (" us=": call_us= is another figure).
stress_us()       { field "$1" '^pagoda: check smp-stress=pass .* us=\([0-9]*\).*'; }
translate_reads() { field "$1" '^pagoda: check smp-translate=pass .* reads=\([0-9]*\).*'; }
passed_checks()   { tr -d '\r' < "$1" | grep -q '^pagoda: result=pass'; }
stopped_online()  { tr -d '\r' < "$1" | grep -q '^pagoda: stopped after the bring-up (pagoda.stop=online)'; }

# parallel_ok RC LOG / serial_ok RC LOG: did that boot do its job?
parallel_ok() { [ "$1" = 0 ] && [ -f "$2" ] && passed_checks "$2" && [ -n "$(bringup_us "$2")" ]; }
serial_ok()   { [ "$1" = 0 ] && [ -f "$2" ] && stopped_online "$2" && [ -n "$(bringup_us "$2")" ]; }

or_dash() { if [ -n "$1" ]; then echo "$1"; else echo -; fi; }
mmss() { if [[ $1 =~ ^[0-9]+$ ]]; then printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); else echo -; fi; }

# row CPUS FIRMWARE PAR_RC PAR_LOG SER_RC SER_LOG WALL_S: one table row;
# SER_LOG - : no serial boot to judge (--logs with one log).
row() {
    local n=$1 fw=$2 prc=$3 plog=$4 src=$5 slog=$6 wall=$7 p='' s='' ratio=- verdict=pass why=()
    [ -f "$plog" ] && p=$(bringup_us "$plog")
    [ -f "$slog" ] && s=$(bringup_us "$slog")
    if [[ $p =~ ^[0-9]+$ && $s =~ ^[0-9]+$ && $p -gt 0 ]]; then
        ratio=$(awk -v s="$s" -v p="$p" 'BEGIN { printf "%.1fx", s / p }')
    fi
    parallel_ok "$prc" "$plog" || why+=("$plog")
    [ "$slog" = - ] || serial_ok "$src" "$slog" || why+=("$slog")
    [ ${#why[@]} -eq 0 ] || verdict="fail ${why[*]}"
    # shellcheck disable=SC2059  # FORMAT is the table's one format
    printf "$FORMAT" "$n" "$fw" "$(or_dash "$([ -f "$plog" ] && apic_mode "$plog")")" \
        "$(or_dash "$p")" "$(or_dash "$s")" "$ratio" \
        "$(or_dash "$([ -f "$plog" ] && stress_us "$plog")")" \
        "$(or_dash "$([ -f "$plog" ] && translate_reads "$plog")")" "$(mmss "$wall")" "$verdict"
    [ "$verdict" = pass ]
}

header() {
    # shellcheck disable=SC2059
    printf "$FORMAT" cpus firmware apic parallel_us serial_us ratio stress_us translate wall verdict
}

# ---- Saved logs: --logs PARALLEL_LOG [SERIAL_LOG] ---------------------

if [ "${1:-}" = --logs ]; then
    if [ $# -lt 2 ] || [ ! -f "$2" ]; then echo "usage: $0 --logs PARALLEL_LOG [SERIAL_LOG]" >&2; exit 2; fi
    header
    row "$(or_dash "$(smp_expected "$2")")" - 0 "$2" 0 "${3:--}" -
    exit
fi

# ---- Booting -------------------------------------------------------------

# machine CPUS: "SMP FIRMWARE RAM TIMEOUT" for that count.
machine() {
    local n=$1 sockets=4 fw='ovmf-2022' mem=8G timeout=2700
    [ "$n" -le 288 ] && sockets=2
    [ "$n" -le 128 ] && sockets=1
    [ "$n" -gt 512 ] && fw='ovmf-2025'
    [ "$n" -le 512 ] && mem=4G timeout=1800
    [ "$n" -le 288 ] && mem=2G timeout=900
    [ "$n" -le 128 ] && timeout=600
    # cores rounded up: QEMU takes fewer CPUs than sockets x cores
    echo "$n,sockets=$sockets,cores=$(( (n + sockets - 1) / sockets )) $fw $mem $timeout"
}

# boot LOG SMP FIRMWARE RAM TIMEOUT [CMDLINE]: one test-mode boot on QEMU 10;
# run.sh's exit status.
boot() {
    local log=$1 smp=$2 fw=$3 mem=$4 timeout=$5 args=()
    [ -n "${6:-}" ] && args=(-a "$6")
    rm -f "$log"
    ./run.sh -t -Q 10 -F "$fw" -S "$smp" -m "$mem" -T "$timeout" -q "$X2APIC_QEMU" -l "$log" "${args[@]}" \
        >/dev/null 2>"$log.stderr"
}

# What the caller said wins: a path, or a _SKIP reason (then the part counts
# as absent even where tools/emulators.sh has it); the rest comes from there.
emulators() {
    local q10=${PAGODA_QEMU10:-} q10_skip=${PAGODA_QEMU10_SKIP:-}
    local ovmf=${PAGODA_OVMF2025_DIR:-} ovmf_skip=${PAGODA_OVMF2025_SKIP:-}
    if [ -z "$q10$q10_skip" ] || [ -z "$ovmf$ovmf_skip" ]; then
        eval "$(tools/emulators.sh 2>/dev/null)"
    fi
    [ -n "$q10$q10_skip" ] && PAGODA_QEMU10=$q10 PAGODA_QEMU10_SKIP=$q10_skip
    [ -n "$ovmf$ovmf_skip" ] && PAGODA_OVMF2025_DIR=$ovmf PAGODA_OVMF2025_SKIP=$ovmf_skip
    export PAGODA_QEMU10 PAGODA_OVMF2025_DIR
}
emulators
if [ -z "${PAGODA_QEMU10:-}" ]; then
    echo "big-machines: skipped: ${PAGODA_QEMU10_SKIP:-no QEMU 10} (x2APIC and more than 255 CPUs need QEMU 10's TCG)"
    exit 0
fi
mkdir -p "$LOGDIR"
echo "big-machines: QEMU 10 ($PAGODA_QEMU10), TCG; logs $LOGDIR/big-N-{parallel,serial}.log"
header
failed=0
for n in $COUNTS; do
    if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -eq 0 ]; then echo "$n: not a CPU count: skipped"; continue; fi
    read -r smp fw mem timeout <<<"$(machine "$n")"
    if [ "$fw" = ovmf-2025 ] && [ -z "${PAGODA_OVMF2025_DIR:-}" ]; then
        echo "$n: skipped: ${PAGODA_OVMF2025_SKIP:-no OVMF 2025.02} (OVMF 2022.11 does not reach the loader with $n vCPUs)"
        continue
    fi
    plog=$LOGDIR/big-$n-parallel.log slog=$LOGDIR/big-$n-serial.log
    t0=$SECONDS
    boot "$plog" "$smp" "$fw" "$mem" "$timeout"; prc=$?
    wall=$((SECONDS - t0))
    boot "$slog" "$smp" "$fw" "$mem" "$timeout" "$SERIAL_ARGS"; src=$?
    row "$n" "$fw" "$prc" "$plog" "$src" "$slog" "$wall" || failed=$((failed + 1))
done
[ $failed -eq 0 ]

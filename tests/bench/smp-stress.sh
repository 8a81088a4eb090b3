#!/usr/bin/env bash
# The memory manager on many CPUs: the kernel's smp-stress check (every CPU
# allocates, maps, writes, unmaps and frees 4 KiB frames at once; a fixed
# total of 128 rounds shared out, at least 2 per CPU) timed at 8, 32 and 128
# CPUs under QEMU (TCG), with per-CPU frame caches and lazy heap-window
# flushes (now) beside pagoda.mm.pcpu=0 (the global lock and a shootdown of
# every CPU per unmap: before), in the same run. Reads the kernel's own
# `pagoda: check smp-stress=pass ... us=N` line, the IPIs it sent, and
# call_us: one empty cross-CPU call on the same boot (waking every CPU and
# waiting for all), the floor that grows with the CPU count whatever the
# memory manager does; round_ns: the median CPU's time per round (its own
# TSC around its rounds: the memory manager's cost on one CPU while all the
# others run theirs, without the wait for the call to reach it); locks: the
# times the global lock was taken during the run. "fail": the boot did not
# pass (see the log; the baseline at 128 CPUs here ends in "did not
# acknowledge a TLB shootdown within 5000 ms").
# Targets, both printed: the whole run at 128 CPUs within 2x of 8 CPUs, and
# the median round likewise. Slow: QEMU with 128 vCPUs on a small host takes
# minutes per boot, the baseline far longer.
set -uo pipefail
cd "$(dirname "$0")/../.."

COUNTS=${COUNTS:-"8 32 128"}
LOGDIR=${LOGDIR:-build/bench-logs}
TIMEOUT=${TIMEOUT:-1800}
mkdir -p "$LOGDIR"

# CPUS MODE -> "us ipis call_us round_ns locks", or "fail - - - -"
stress() {
    local log="$LOGDIR/stress-$1-$2.log" args=()
    [ "$2" = before ] && args=(-a "pagoda.mm.pcpu=0")
    if ./run.sh -t -m 1G -c "$1" -T "$TIMEOUT" -l "$log" "${args[@]}" >/dev/null 2>&1; then
        tr -d '\r' <"$log" | sed -n \
            's/^pagoda: check smp-stress=pass .* ipis=\([0-9]*\) global_locks=\([0-9]*\) .* us=\([0-9]*\) call_us=\([0-9]*\) round_ns=\([0-9]*\) .*/\3 \1 \4 \5 \2/p'
    else
        echo "fail - - - -"
    fi
}

# target WHAT A8 A128: "met" or "missed" for A128 <= 2 x A8, when both are numbers.
target() {
    [[ $2 =~ ^[0-9]+$ && $3 =~ ^[0-9]+$ ]] || return 0
    printf 'target: %s at 128 CPUs (%s) within 2 x 8 CPUs (%s): %s\n' "$1" "$3" "$2" \
        "$([ "$3" -le $((2 * $2)) ] && echo met || echo missed)"
}

FORMAT='%-6s %10s %6s %6s %9s %9s | %12s %6s %11s %9s | %9s\n'
printf "$FORMAT" cpus now_us ipis locks call_us round_ns before_us locks before_ipis round_ns speedup
declare -A now round
for n in $COUNTS; do
    read -r a ai ac ar al < <(stress "$n" now)
    read -r b bi _ br bl < <(stress "$n" before)
    now[$n]=$a
    round[$n]=$ar
    speedup=-
    if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ && $a -gt 0 ]]; then
        speedup=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1fx", b / a }')
    fi
    printf "$FORMAT" "$n" "$a" "$ai" "$al" "$ac" "$ar" "$b" "$bl" "$bi" "$br" "$speedup"
done
target "the whole run (us)" "${now[8]:-}" "${now[128]:-}"
target "the median CPU's round (ns)" "${round[8]:-}" "${round[128]:-}"

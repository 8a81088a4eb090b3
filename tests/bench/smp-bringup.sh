#!/usr/bin/env bash
# AP bring-up time under QEMU (TCG) for 1..32 CPUs: the parallel scheme
# (all INITs, then all SIPIs) against one-at-a-time with the SDM's full waits
# (pagoda.smp=serial pagoda.smp.init_delay=legacy: what a loader that starts
# its APs one by one does), in the same run. Reads the kernel's own `pagoda: smp ... bringup_us=N` line.
# Target: 32 CPUs come up in under 2x the time 2 CPUs take.
set -uo pipefail
cd "$(dirname "$0")/../.."

COUNTS=${COUNTS:-"1 2 4 8 16 32"}
LOGDIR=${LOGDIR:-build/bench-logs}
mkdir -p "$LOGDIR"

bringup_us() {   # CPUS MODE -> microseconds, or "fail"
    local log="$LOGDIR/smp-$1-$2.log" args=()
    [ "$2" = serial ] && args=(-a "pagoda.smp=serial pagoda.smp.init_delay=legacy")
    if ./run.sh -t -m 1G -c "$1" -T 240 -l "$log" "${args[@]}" >/dev/null 2>&1; then
        sed -n 's/^pagoda: smp online=[0-9]* expected=[0-9]* bringup_us=\([0-9]*\).*/\1/p' "$log" | tr -d '\r'
    else
        echo fail
    fi
}

printf '%-6s %14s %14s %8s\n' cpus parallel_us serial_us ratio
declare -A par
for n in $COUNTS; do
    p=$(bringup_us "$n" parallel)
    s=$(bringup_us "$n" serial)
    par[$n]=$p
    ratio=-
    if [[ $p =~ ^[0-9]+$ && $s =~ ^[0-9]+$ && $p -gt 0 ]]; then
        ratio=$(awk -v s="$s" -v p="$p" 'BEGIN { printf "%.1fx", s / p }')
    fi
    printf '%-6s %14s %14s %8s\n' "$n" "$p" "$s" "$ratio"
done
if [[ ${par[2]:-} =~ ^[0-9]+$ && ${par[32]:-} =~ ^[0-9]+$ ]]; then
    verdict=$(( par[32] < 2 * par[2] ? 1 : 0 ))
    printf 'target: 32 CPUs (%s us) < 2 x 2 CPUs (%s us): %s\n' "${par[32]}" "${par[2]}" \
        "$([ $verdict = 1 ] && echo met || echo missed)"
fi

#!/usr/bin/env bash
# Boot time, phase by phase, from the loader's entry to every CPU online on
# the final tables (issue: "Boot time at the limit"). For each CPU count,
# BOOTS boots of Pagoda (parallel start) and, in the same run, of the
# baseline: the same loader and kernel starting the APs one at a time with
# the SDM's waits (pagoda.smp=serial pagoda.smp.init_delay=legacy), what a
# loader that starts its APs one by one does. Every figure comes from the
# kernel's `pagoda: timeline` line (TSC stamps on the guest's one clock):
#
#   loader    loader entry -> just before ExitBootServices
#   exit      the firmware's ExitBootServices (not Pagoda's work)
#   handoff   ExitBootServices return -> kernel entry (tables built, CR3, jump)
#   kernel    kernel entry -> the bring-up's start
#   bringup   the bring-up's start -> last AP online
#   total     loader entry -> last AP online
#   over      total - exit: the time budget's figure, goal <= 10000 us
#
# Median and range (min-max) of the boots; the verdict compares the median
# of `over` with the goal. A second table splits the loader's and the
# kernel's shares at their steps (the `pagoda: phases` line): medians of
# the parallel boots, so a row that misses shows where its time went. Boots stop right after the report
# (pagoda.stop=online): the self-checks are not part of the boot.
#
#   COUNTS="1 2 8 32 128" BOOTS=5 tests/bench/boot-phases.sh
# 128 CPUs run on QEMU 7.2 (xAPIC IDs below 255 suffice); with PAGODA_QEMU10
# (a qemu-system-x86_64 command, tools/emulators.sh) a row on QEMU 10 too.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

COUNTS=${COUNTS:-"1 2 8 32 128"}
BOOTS=${BOOTS:-5}
GOAL_US=${GOAL_US:-10000}
LOGDIR=${LOGDIR:-build/bench-logs}
mkdir -p "$LOGDIR"
rm -f "$LOGDIR"/*.phases   # the steps table reads this run's boots only
PHASES=(loader exit handoff kernel bringup total over)
FIELDS=(loader_us exit_us handoff_us kernel_us bringup_us total_us over_exit_us)

# boot CPUS MODE I [QEMU]: one boot; prints the seven phase values, or "fail WHY".
boot() {
    local n=$1 mode=$2 i=$3 qemu=${4:-} log args
    log="$LOGDIR/boot-$n-$mode-$i${qemu:+-q10}.log"
    args="pagoda.stop=online"
    [ "$mode" = serial ] && args+=" pagoda.smp=serial pagoda.smp.init_delay=legacy"
    if ! QEMU=${qemu:-${QEMU:-qemu-system-x86_64}} ./run.sh -t -m 2G -c "$n" -T 600 -l "$log" \
        -a "$args" >/dev/null 2>&1; then
        echo "fail run.sh ($log)"
        return
    fi
    if ! grep -q "^pagoda: smp online=$n expected=$n " "$log"; then
        echo "fail not every CPU online ($log)"
        return
    fi
    local line f v out=()
    line=$(grep '^pagoda: timeline ' "$log" | tr -d '\r')
    grep '^pagoda: phases ' "$log" | tr -d '\r' >"$log.phases"
    for f in "${FIELDS[@]}"; do
        v=$(sed -n "s/.* $f=\([0-9]*\).*/\1/p" <<<"$line")
        [[ $v =~ ^[0-9]+$ ]] || { echo "fail no $f in the timeline ($log)"; return; }
        out+=("$v")
    done
    echo "${out[*]}"
}

# stats V...: "median min-max" (the lower median for an even count).
stats() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%d %d-%d", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# row CPUS MODE [QEMU]: BOOTS boots, then one table row per mode.
row() {
    local n=$1 mode=$2 qemu=${3:-} i r failed=0
    local -a cols
    for ((k = 0; k < ${#PHASES[@]}; k++)); do cols[k]=""; done
    for ((i = 1; i <= BOOTS; i++)); do
        r=$(boot "$n" "$mode" "$i" "$qemu")
        if [[ $r == fail* ]]; then
            echo "  $n CPUs $mode boot $i: $r" >&2
            failed=$((failed + 1))
            continue
        fi
        read -r -a vals <<<"$r"
        for ((k = 0; k < ${#PHASES[@]}; k++)); do cols[k]+="${vals[k]} "; done
    done
    local label="$n${qemu:+ (QEMU 10)}"
    if [ -z "${cols[0]}" ]; then
        printf '| %s | %s | all %d boots failed | | | | | | | |\n' "$label" "$mode" "$BOOTS"
        return
    fi
    local line="| $label | $mode"
    for ((k = 0; k < ${#PHASES[@]}; k++)); do
        # shellcheck disable=SC2086  # the values are words
        line+=" | $(stats ${cols[k]})"
    done
    local over_median
    # shellcheck disable=SC2086
    over_median=$(stats ${cols[6]} | cut -d' ' -f1)
    local verdict="-"
    if [ "$mode" = parallel ]; then
        verdict=$([ "$over_median" -le "$GOAL_US" ] && echo met || echo "missed by $((over_median - GOAL_US))")
    fi
    [ $failed -gt 0 ] && verdict+=" ($failed failed)"
    echo "$line | $verdict |"
}

echo "Boot phases, microseconds: median min-max of $BOOTS boots each (TCG, -cpu max, 2 GiB)"
echo "goal: over = total - exit <= $GOAL_US us; baseline: serial start with the SDM's waits, same run"
echo
echo "| CPUs | start | loader | exit (firmware) | handoff | kernel | bringup | total | over | goal |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for n in $COUNTS; do
    row "$n" parallel
    row "$n" serial
done
if [ -n "${PAGODA_QEMU10:-}" ]; then
    row 128 parallel "$PAGODA_QEMU10"
fi

# steps_row CPUS [QEMU]: the median of every phases field over the parallel
# boots of that row (from the logs boot() left).
STEPS=(loader_init loader_config loader_kernel loader_memory loader_cpus loader_platform
       loader_dry_run loader_exit_prep kernel_early kernel_mm kernel_apic kernel_timer
       kernel_apic_timer kernel_smp_prep)
steps_row() {
    local n=$1 qemu=${2:-} f vals line
    local files=() p suffix=${qemu:+-q10}
    for p in "$LOGDIR"/boot-"$n"-parallel-*.log.phases; do
        [[ $p =~ -parallel-[0-9]+$suffix\.log\.phases$ ]] && files+=("$p")
    done
    [ ${#files[@]} -gt 0 ] || return 0
    line="| $n${qemu:+ (QEMU 10)}"
    for f in "${STEPS[@]}"; do
        vals=$(sed -n "s/.* ${f}_us=\([0-9]*\).*/\1/p" "${files[@]}")
        # shellcheck disable=SC2086  # the values are words
        line+=" | $([ -n "$vals" ] && stats $vals | cut -d' ' -f1 || echo -)"
    done
    echo "$line |"
}

echo
echo "Steps of the parallel boots, microseconds, median (loader: init, config, kernel file,"
echo "memory, MP Services, platform, dry run, exit preparation; kernel: early, memory manager,"
echo "APIC and firmware APs, TSC calibration, LAPIC timer, bring-up preparation)"
echo
header="| CPUs"
for f in "${STEPS[@]}"; do header+=" | $f"; done
echo "$header |"
echo "|---$(printf '|---%.0s' "${STEPS[@]}")|"
for n in $COUNTS; do
    steps_row "$n"
done
[ -n "${PAGODA_QEMU10:-}" ] && steps_row 128 "$PAGODA_QEMU10"
exit 0

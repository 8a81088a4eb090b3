#!/usr/bin/env bash
# Kernel start-up against guest RAM, at 4 and 5 paging levels: QEMU (TCG)
# boots of 1 GiB, 16 GiB, 256 GiB and 1 TiB (sparse file-backed; 1 TiB needs
# 46 physical address bits) in test mode, 2 CPUs. Reads from the boot report:
# kernel_us (kernel entry to the AP bring-up) and mm_us (to the memory
# manager ready: tracker, allocator bitmaps zeroed, tables adopted), the
# kernel-data bytes (the allocator's bitmaps, which grow with RAM, plus the
# tracker) and the loader's page-table frames. The last columns compare
# growth against 1 GiB: start-up should not grow faster than the metadata.
# Every size gets file-backed RAM (SPARSE_RAM_MIN_GIB=1): run.sh's default
# gives guests under 16 GiB anonymous memory, which the host backs with
# transparent huge pages, and under load their first touch stalls in the
# host's compaction for up to seconds (1 GiB then looked slower than 16 GiB).
# SIZES and LEVELS pick a subset (e.g. SIZES="1G 16G" LEVELS=5).
set -uo pipefail
cd "$(dirname "$0")/../.."

SIZES=${SIZES:-"1G 16G 256G 1024G"}
LEVELS=${LEVELS:-"4 5"}
LOGDIR=${LOGDIR:-build/bench-logs}
export SPARSE_RAM_MIN_GIB=1
mkdir -p "$LOGDIR"

field() {   # field LOG REGEX-WITH-ONE-GROUP
    sed -n "s/$2/\1/p" "$1" | tr -d '\r' | head -1
}

boot() {   # boot SIZE LEVELS -> "kernel_us mm_us kernel_data pt_frames" or "fail"
    local log="$LOGDIR/memscale-$1-$2.log" conf="$LOGDIR/memscale-$2.conf" model=max
    printf 'cmdline=pagoda.test\npaging=%s\n' "$2" > "$conf"
    [ "$1" = 1024G ] && model=max,phys-bits=46
    if ./run.sh -t -p "$model" -m "$1" -c 2 -T 900 -C "$conf" -l "$log" >/dev/null 2>&1; then
        echo "$(field "$log" '^pagoda: timeline .* kernel_us=\([0-9]*\) .*')" \
             "$(field "$log" '^pagoda: timeline .* mm_us=\([0-9]*\)$')" \
             "$(field "$log" '^pagoda: memory type=kernel-data bytes=\([0-9]*\)$')" \
             "$(field "$log" '^pagoda: pagetables frames=\([0-9]*\) .*')"
    else
        echo fail
    fi
}

printf '%-7s %6s %12s %12s %14s %10s %12s %12s\n' ram levels kernel_us mm_us kernel_data pt_frames \
    time_growth data_growth
for lv in $LEVELS; do
    base_k= base_d=
    for size in $SIZES; do
        read -r k m d f <<<"$(boot "$size" "$lv")"
        if [ "$k" = fail ] || [ -z "${f:-}" ]; then
            printf '%-7s %6s %12s\n' "$size" "$lv" fail
            continue
        fi
        [ -z "$base_k" ] && base_k=$k base_d=$d
        printf '%-7s %6s %12s %12s %14s %10s %11sx %11sx\n' "$size" "$lv" "$k" "$m" "$d" "$f" \
            "$(awk -v a="$k" -v b="$base_k" 'BEGIN { printf "%.1f", a / b }')" \
            "$(awk -v a="$d" -v b="$base_d" 'BEGIN { printf "%.1f", a / b }')"
    done
done

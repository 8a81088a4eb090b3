#!/usr/bin/env bash
# The Limine path's AP start under QEMU (TCG) for 1..32 CPUs, the loader's
# parallel start (limine_smp=parallel, the kernel's waits) against one AP at
# a time with the SDM's full waits (limine_smp=serial), in the same run, with
# the full test kernel (build/limine/lk-rev6.elf, booted as
# tests/limine/limine-tests.sh boots it). Two intervals, both from the TSC
# the loader reads right after ExitBootServices:
#   parked   - every AP said alive and spins on goto_address (the loader's
#              `mp ... ebs_to_parked_us=`);
#   running  - the last AP ran the kernel's own AP entry (the kernel's
#              `all_running_tsc=` minus the loader's `ebs_tsc=`). This
#              includes the kernel's own checks before it writes the
#              goto_addresses (its `release_tsc=`): release_to_running is
#              printed apart, the part the loader's parked APs account for.
# One clock: QEMU gives every vCPU the same TSC (no offsets written).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

COUNTS=${COUNTS:-"1 2 4 8 16 32"}
LOGDIR=${LOGDIR:-build/bench-logs}
KERNEL=build/limine/lk-rev6.elf
mkdir -p "$LOGDIR"

# file_facts FILE: as tests/limine/limine-tests.sh (the kernel checks its file).
file_facts() {
    python3 -c 'import sys
h = 2166136261
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 16777619) & 0xffffffff
print("lk.file_size=%d lk.file_fnv=%d" % (len(open(sys.argv[1], "rb").read()), h))' "$1"
}

# run CPUS MODE -> "parked_us running_us release_to_running_us", or "fail"
run() {
    local cpus=$1 mode=$2 log="$LOGDIR/limine-mp-$1-$2" dir="$LOGDIR/limine-mp-$1-$2.files" mem=1G
    [ "$cpus" -ge 32 ] && mem=2G
    rm -rf "$dir"; mkdir -p "$dir"
    tests/limine/lk-pattern.py 1 70001 "$dir/lk-mod1.bin"
    tests/limine/lk-pattern.py 2 4096 "$dir/lk-mod2.bin"
    tests/limine/lk-pattern.py 3 5000 "$dir/lk-internal.bin"
    {
        echo 'kernel=\EFI\pagoda\kernel.elf'
        echo "cmdline=lk.probe=1 lk.cpus=$cpus lk.modules=2 lk.now=$(date +%s) $(file_facts "$KERNEL")"
        echo 'module=\EFI\pagoda\lk-mod1.bin lk-pattern 1 70001'
        echo 'module=\EFI\pagoda\lk-mod2.bin lk-pattern 2 4096'
        echo "limine_smp=$mode"
    } > "$dir/pagoda.conf"
    ./run.sh -t -c "$cpus" -m "$mem" -k "$KERNEL" -C "$dir/pagoda.conf" -M "$dir/lk-mod1.bin" \
        -M "$dir/lk-mod2.bin" -M "$dir/lk-internal.bin" -T 240 -l "$log.serial" >/dev/null 2>&1
    local mp ap
    mp=$(grep -m1 '^pagoda: limine: mp aps=' "$log.serial" | tr -d '\r')
    ap=$(grep -m1 '^lk: check mp_ap=pass' "$log.serial" | tr -d '\r')
    if [ -z "$mp" ] || [ -z "$ap" ]; then echo fail; return; fi
    awk -v mp="$mp" -v ap="$ap" 'function f(s, k) { return match(s, " " k "=[0-9]+") ? substr(s, RSTART + length(k) + 2, RLENGTH - length(k) - 2) : "" }
        BEGIN { hz = f(mp, "tsc_hz"); ebs = f(mp, "ebs_tsc"); run = f(ap, "all_running_tsc"); rel = f(ap, "release_tsc")
                printf "%.0f %.0f %.0f\n", f(mp, "ebs_to_parked_us"), (run - ebs) / (hz / 1e6), (run - rel) / (hz / 1e6) }'
}

printf '%-5s | %-28s | %-28s\n' "" "parallel (us)" "serial, SDM waits (us)"
printf '%-5s | %8s %8s %10s | %8s %8s %10s\n' cpus parked running 'rel->run' parked running 'rel->run'
for n in $COUNTS; do
    p=$(run "$n" parallel)
    s=$(run "$n" serial)
    [ "$p" = fail ] && p="fail - -"
    [ "$s" = fail ] && s="fail - -"
    read -r p1 p2 p3 <<<"$p"
    read -r s1 s2 s3 <<<"$s"
    printf '%-5s | %8s %8s %10s | %8s %8s %10s\n' "$n" "$p1" "$p2" "$p3" "$s1" "$s2" "$s3"
done
echo "logs: $LOGDIR/limine-mp-*.serial; loader's own INIT-to-decided time: the 'mp ... bringup_us=' line"

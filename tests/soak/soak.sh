#!/usr/bin/env bash
# Soak: boot N random machine configurations in test mode, one after the
# other, and print a table (configuration, result, time) and a summary.
# Not part of `make test`; `make soak N=200` (or `make soak 200`) runs it.
#
#   tests/soak/soak.sh [N]     N configurations (default 20)
#   SOAK_SEED=S                the seed (default: from the clock); printed first,
#                              so a run can be repeated exactly
#   SOAK_ONLY=I[,J...]         of that seed's sequence, boot only these (1-based)
#   SOAK_DRY=1                 print the configurations, boot nothing
#
# Dimensions, each drawn from a seeded generator of our own (the same
# sequence for a seed on any machine):
#   emulator   QEMU 7.2 (the system's) or 10 (tools/emulators.sh), where there
#   firmware   OVMF 2022.11, 2025.02, 2025.02 strictnx, where there
#   CPU model  max or qemu64
#   CPUs       1-64, log-uniform (as many 1-2 as 33-64 CPU boots: big ones cost
#              the most, small ones find the most bring-up edge cases); 1-4 on
#              strictnx, whose SMM gathers every vCPU on each SMI: under TCG on
#              2 host cores 54 vCPUs did not reach the loader in 10 minutes
#   RAM        128 MiB-64 GiB in powers of two (16 GiB and up sparse-backed)
#   paging     4 or 5 levels on max (pagoda.conf paging=), only when the
#              loader knows the key; otherwise left out and said so
#   AP start   parallel or serial (pagoda.smp=serial)
# A boot passes when run.sh -t exits 0 (the kernel's verdict), the report
# says result=pass and every expected CPU came online.
# Logs: $LOGDIR/soak/NNN.log (serial) and NNN.conf.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

N=${1:-${N:-20}}
SEED=${SOAK_SEED:-$(date +%s)}
LOGDIR=${LOGDIR:-build/test-logs}/soak
LOADER=esp/EFI/BOOT/BOOTX64.EFI
MEM_SIZES=(128M 256M 512M 1G 2G 4G 8G 16G 32G 64G)
SMM_MAX_CPUS=4
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -gt 0 ] || { echo "soak: N must be a positive number, not '$N'" >&2; exit 2; }
[ -f "$LOADER" ] || { echo "soak: no $LOADER (run make)" >&2; exit 2; }
mkdir -p "$LOGDIR"

# A 64-bit LCG (Knuth's MMIX constants; bash arithmetic wraps at 2^64) and
# its high bits: reproducible from the seed alone.
# Both set R (not echo: a $(...) subshell would not advance the state).
rng=$SEED R=
rand() {   # rand N: R = 0..N-1
    rng=$(( rng * 6364136223846793005 + 1442695040888963407 ))
    R=$(( ((rng >> 33) & 0x7fffffff) % $1 ))
}
pick() { rand $#; shift "$R"; R=$1; }   # pick WORD...: R = one of them

# What this machine can run.
eval "$(tools/emulators.sh 2>/dev/null)"
export PAGODA_QEMU10 PAGODA_OVMF2025_DIR
emulators=(7) firmwares=(ovmf-2022) notes=()
if [ -n "${PAGODA_QEMU10:-}" ]; then emulators+=(10); else notes+=("${PAGODA_QEMU10_SKIP:-no QEMU 10}"); fi
if [ -n "${PAGODA_OVMF2025_DIR:-}" ]; then firmwares+=(ovmf-2025 ovmf-2025-strictnx)
else notes+=("${PAGODA_OVMF2025_SKIP:-no OVMF 2025.02}"); fi
# Does the loader know paging=? Its refusal of a bad value names the key.
paging_key=0
strings "$LOADER" | grep -q 'paging must be' && paging_key=1
[ "$paging_key" = 1 ] || notes+=("paging: the loader has no paging= key yet; every boot uses its default")

echo "soak: seed $SEED, $N configurations (SOAK_SEED=$SEED to repeat)"
for note in "${notes[@]}"; do echo "soak: not drawn: $note"; done
only=",${SOAK_ONLY:-},"
printf '%-4s %-3s %-19s %-6s %4s %5s %-6s %-8s %-6s %6s\n' '#' emu firmware model cpus ram paging start result secs
passed=0 failed=0 total_ms=0 failures=()
for i in $(seq 1 "$N"); do
    # Draw every dimension for every index, so SOAK_ONLY sees the same ones.
    pick "${emulators[@]}"; emu=$R
    pick "${firmwares[@]}"; fw=$R
    pick max qemu64; model=$R
    rand 6; k=$R lo=$((1 << R))                    # CPUs in [2^k, 2^(k+1)); the last band takes 64 too
    rand $((k == 5 ? lo + 1 : lo)); cpus=$((lo + R))
    [ "$fw" = ovmf-2025-strictnx ] && cpus=$(( (cpus - 1) % SMM_MAX_CPUS + 1 ))
    pick "${MEM_SIZES[@]}"; mem=$R
    pick 4 5; levels=$R
    pick parallel serial; start=$R
    [ "$paging_key" = 1 ] && [ "$model" = max ] || levels=-
    [ -z "${SOAK_ONLY:-}" ] || [[ $only == *",$i,"* ]] || continue

    tag=$(printf '%03d' "$i") log=$LOGDIR/$tag.log conf=$LOGDIR/$tag.conf
    cmdline=pagoda.test
    [ "$start" = serial ] && cmdline+=" pagoda.smp=serial"
    {
        echo "cmdline=$cmdline"
        [ "$levels" = - ] || echo "paging=$levels"
    } > "$conf"
    # Generous: a loaded 2-core host runs 64 vCPUs at a crawl, and the
    # strictnx build's SMM gathers every vCPU on each SMI.
    timeout=$((180 + 8 * cpus))
    [ "$fw" = ovmf-2025-strictnx ] && timeout=$((timeout + 60 * cpus))
    if [ "${SOAK_DRY:-0}" = 1 ]; then
        printf '%-4s %-3s %-19s %-6s %4s %5s %-6s %-8s\n' "$i" "$emu" "$fw" "$model" "$cpus" "$mem" "$levels" "$start"
        continue
    fi
    t0=$(date +%s%3N)
    ./run.sh -t -Q "$emu" -F "$fw" -p "$model" -c "$cpus" -m "$mem" -C "$conf" -T "$timeout" -l "$log" \
        >/dev/null 2>"$log.stderr"
    rc=$?
    ms=$(( $(date +%s%3N) - t0 ))
    result=pass
    if [ $rc -ne 0 ]; then
        result="exit$rc"; [ $rc -eq 124 ] && result=timeout
    elif ! grep -q '^pagoda: result=pass' "$log"; then
        result='no-verdict'
    elif ! grep -Eq "^pagoda: smp online=$cpus expected=$cpus " "$log"; then
        result='cpus-missing'
    fi
    printf '%-4s %-3s %-19s %-6s %4s %5s %-6s %-8s %-6s %4d.%d\n' "$i" "$emu" "$fw" "$model" "$cpus" "$mem" "$levels" \
        "$start" "$result" $((ms / 1000)) $((ms % 1000 / 100))
    total_ms=$((total_ms + ms))
    if [ "$result" = pass ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures+=("$i")
    fi
done
boots=$((passed + failed))
echo "soak: seed $SEED: $boots boots, $passed passed, $failed failed, $((total_ms / 1000)) s" \
     "($((total_ms / 1000 / (boots > 0 ? boots : 1))) s a boot)"
if [ $failed -gt 0 ]; then
    echo "soak: failed: $(IFS=,; echo "${failures[*]}") (logs $LOGDIR/NNN.log; again: SOAK_SEED=$SEED SOAK_ONLY=$(IFS=,; echo "${failures[*]}") tests/soak/soak.sh $N)"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

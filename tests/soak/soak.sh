#!/usr/bin/env bash
# Soak: boot N random machine configurations in test mode, one after the
# other or SOAK_JOBS at once, and print a table (configuration, result, time)
# in index order and a summary.
# Not part of `make test`; `make soak N=200` (or `make soak 200`) runs it.
#
#   tests/soak/soak.sh [N]     N configurations (default 20)
#   SOAK_SEED=S                the seed (default: from the clock); printed first,
#                              so a run can be repeated exactly
#   SOAK_ONLY=I[,J...]         of that seed's sequence, boot only these (1-based)
#   SOAK_DRY=1                 print the configurations, boot nothing
#   SOAK_JOBS=K                up to K boots at once (default 1); each row's
#                              time is still its own boot's wall time. Boot
#                              timeouts assume a boot has a host core: on 2
#                              cores K=2 is the most that keeps them meaningful
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
# Logs: $LOGDIR/soak/NNN.log (serial), NNN.conf, NNN.log.stderr (run.sh's),
# NNN.result (verdict and milliseconds).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

N=${1:-${N:-20}}
SEED=${SOAK_SEED:-$(date +%s)}
LOGDIR=${LOGDIR:-build/test-logs}/soak
LOADER=esp/EFI/BOOT/BOOTX64.EFI
MEM_SIZES=(128M 256M 512M 1G 2G 4G 8G 16G 32G 64G)
SMM_MAX_CPUS=4
JOBS=${SOAK_JOBS:-1}
positive() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
positive "$N" || { echo "soak: N must be a positive number, not '$N'" >&2; exit 2; }
positive "$JOBS" || { echo "soak: SOAK_JOBS must be a positive number, not '$JOBS'" >&2; exit 2; }
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
grep -qaF "paging must be" "$LOADER" && paging_key=1   # not strings | grep -q: under pipefail its SIGPIPE read as no
[ "$paging_key" = 1 ] || notes+=("paging: the loader has no paging= key yet; every boot uses its default")

# Every configuration is drawn before the first boot, in index order, so a
# seed gives the same ones whatever SOAK_JOBS and SOAK_ONLY are and however
# the boots finish.
declare -a EMU FW MODEL CPUS MEM LEVELS START
for i in $(seq 1 "$N"); do
    pick "${emulators[@]}"; EMU[i]=$R
    pick "${firmwares[@]}"; FW[i]=$R
    pick max qemu64; MODEL[i]=$R
    rand 6; k=$R lo=$((1 << R))                    # CPUs in [2^k, 2^(k+1)); the last band takes 64 too
    rand $((k == 5 ? lo + 1 : lo)); CPUS[i]=$((lo + R))
    [ "${FW[i]}" = ovmf-2025-strictnx ] && CPUS[i]=$(( (CPUS[i] - 1) % SMM_MAX_CPUS + 1 ))
    pick "${MEM_SIZES[@]}"; MEM[i]=$R
    pick 4 5; LEVELS[i]=$R
    pick parallel serial; START[i]=$R
    [ "$paging_key" = 1 ] && [ "${MODEL[i]}" = max ] || LEVELS[i]=-
done

tag() { printf '%03d' "$1"; }
config_cols() {   # config_cols I: the row's configuration columns
    printf '%-4s %-3s %-19s %-6s %4s %5s %-6s %-8s' "$1" "${EMU[$1]}" "${FW[$1]}" "${MODEL[$1]}" \
        "${CPUS[$1]}" "${MEM[$1]}" "${LEVELS[$1]}" "${START[$1]}"
}

# boot I: boot configuration I in test mode; its verdict and wall time go to
# NNN.result as "RESULT MS" (written whole, then renamed: the parent reads it
# only once it is complete).
boot() {
    local i=$1 tag log conf cmdline timeout t0 rc ms result cpus=${CPUS[$1]}
    tag=$(tag "$i"); log=$LOGDIR/$tag.log conf=$LOGDIR/$tag.conf
    cmdline=pagoda.test
    [ "${START[i]}" = serial ] && cmdline+=" pagoda.smp=serial"
    {
        echo "cmdline=$cmdline"
        [ "${LEVELS[i]}" = - ] || echo "paging=${LEVELS[i]}"
    } > "$conf"
    # Generous: a loaded 2-core host runs 64 vCPUs at a crawl, and the
    # strictnx build's SMM gathers every vCPU on each SMI.
    timeout=$((180 + 8 * cpus))
    [ "${FW[i]}" = ovmf-2025-strictnx ] && timeout=$((timeout + 60 * cpus))
    t0=$(date +%s%3N)
    ./run.sh -t -Q "${EMU[i]}" -F "${FW[i]}" -p "${MODEL[i]}" -c "$cpus" -m "${MEM[i]}" -C "$conf" \
        -T "$timeout" -l "$log" >/dev/null 2>"$log.stderr"
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
    echo "$result $ms" > "$LOGDIR/$tag.result.tmp" && mv "$LOGDIR/$tag.result.tmp" "$LOGDIR/$tag.result"
}

# flush [final]: print the rows of the finished boots that no unfinished
# boot precedes, so the table is in index order whatever order the boots end
# in. final: every boot has ended; one without a result (its job was killed)
# is a failure, no-result.
passed=0 failed=0 total_ms=0 failures=() next=0
flush() {
    local i f result ms
    while [ "$next" -lt "${#todo[@]}" ]; do
        i=${todo[next]} f=$LOGDIR/$(tag "${todo[next]}").result
        if [ -f "$f" ]; then
            read -r result ms < "$f"
        elif [ "${1:-}" = final ]; then
            result=no-result ms=0
        else
            return 0
        fi
        printf '%s %-6s %4d.%d\n' "$(config_cols "$i")" "$result" $((ms / 1000)) $((ms % 1000 / 100))
        total_ms=$((total_ms + ms))
        if [ "$result" = pass ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1)); failures+=("$i")
        fi
        next=$((next + 1))
    done
}

# Stopped early: stop the boots under way too (their run.sh kills its QEMU
# on TERM; background jobs ignore the terminal's SIGINT).
stop_boots() {
    local p
    for p in $(jobs -p); do pkill -TERM -P "$p"; kill -TERM "$p" 2>/dev/null; done
    exit 130
}

echo "soak: seed $SEED, $N configurations (SOAK_SEED=$SEED to repeat)"
for note in "${notes[@]}"; do echo "soak: not drawn: $note"; done
[ "$JOBS" -gt 1 ] && echo "soak: up to $JOBS boots at once (SOAK_JOBS)"
only=",${SOAK_ONLY:-},"
todo=()
for i in $(seq 1 "$N"); do
    [ -z "${SOAK_ONLY:-}" ] || [[ $only == *",$i,"* ]] || continue
    todo+=("$i")
done
printf '%-4s %-3s %-19s %-6s %4s %5s %-6s %-8s %-6s %6s\n' '#' emu firmware model cpus ram paging start result secs
if [ "${SOAK_DRY:-0}" = 1 ]; then
    for i in "${todo[@]}"; do config_cols "$i"; echo; done
    todo=()
fi
trap stop_boots INT TERM
wall0=$(date +%s)
for i in "${todo[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; flush; done
    rm -f "$LOGDIR/$(tag "$i").result"
    boot "$i" &
done
wait
flush final
[ "$JOBS" -gt 1 ] && [ "${#todo[@]}" -gt 0 ] &&
    echo "soak: wall time $(( $(date +%s) - wall0 )) s with up to $JOBS boots at once; the secs column is each boot's own"
boots=$((passed + failed))
echo "soak: seed $SEED: $boots boots, $passed passed, $failed failed, $((total_ms / 1000)) s" \
     "($((total_ms / 1000 / (boots > 0 ? boots : 1))) s a boot)"
if [ $failed -gt 0 ]; then
    echo "soak: failed: $(IFS=,; echo "${failures[*]}") (logs $LOGDIR/NNN.log; again: SOAK_SEED=$SEED SOAK_ONLY=$(IFS=,; echo "${failures[*]}") tests/soak/soak.sh $N)"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

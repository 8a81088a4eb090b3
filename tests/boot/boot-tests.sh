#!/usr/bin/env bash
# QEMU + OVMF boot tests: one VM per case, hard timeout each, two at a time.
# Each case prints "PASS name" or "FAIL name: why"; logs go to $LOGDIR.
# Good boots run the kernel in test mode and assert on its boot report and
# exit status; bad kernels must be refused with their own message while the
# firmware moves on to its next boot option.
set -uo pipefail
cd "$(dirname "$0")/../.."

LOGDIR=${LOGDIR:-build/test-logs}
JOBS=${JOBS:-2}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
KERNEL_ELF=build/kernel/pagoda.elf
BAD_DIR=build/bad-kernels
mkdir -p "$LOGDIR"
. tests/boot/cpu-identity.sh

# Paging levels: -cpu max has LA57, so the loader picks 5 levels there unless
# pagoda.conf says paging=4; qemu64 has not. The direct map's base follows.
hhdm_for_levels() { [ "$1" = 5 ] && echo 0xff00000000000000 || echo 0xffff800000000000; }
levels_for() {   # levels_for CPU-MODEL PAGING(4|5|empty)
    case $1 in max*) [ "${2:-5}" = 4 ] && echo 4 || echo 5 ;; *) echo 4 ;; esac
}
# paging_conf NAME PAGING CMDLINE: a pagoda.conf with paging= and the test
# command line (run.sh -C replaces the one -t/-a would write); prints its path.
paging_conf() {
    local f="$LOGDIR/$1.conf"
    printf 'cmdline=pagoda.test%s\npaging=%s\n' "${3:+ $3}" "$2" > "$f"
    echo "$f"
}

# The self-checks a test-mode boot runs, in this order (README "Self-checks").
# With one CPU online the smp-* ones report skipped; with more, all pass.
CHECKS_BASE="kernel-wx stack hhdm fresh-map accounting pagetables-minimal fault-text-write fault-null-read heap-slice"
CHECKS_SMP="smp-cr3 smp-memtypes smp-translate smp-stress smp-shootdown"
# Address spaces and the page-table access demos: meaningful on one CPU too.
CHECKS_ASPACE="aspace ptaccess-direct ptaccess-recursive ptaccess-window ptaccess-clean"

# The timeline's stamps are in boot order and its phases add up to its total
# (each phase is rounded down to a microsecond on its own).
timeline_consistent() {
    local line phases
    line=$(grep '^pagoda: timeline ' "$1" | tr -d '\r')
    phases=$(grep '^pagoda: phases ' "$1" | tr -d '\r')
    [ -n "$phases" ] || { echo "no phases line"; return 1; }
    awk '{
        for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        if (!(v["tsc_loader_entry"] < v["tsc_exit_return"] && v["tsc_exit_return"] < v["tsc_kernel_entry"] &&
              v["tsc_kernel_entry"] < v["tsc_all_online"])) { print "timeline stamps out of order: " $0; exit 1 }
        sum = v["loader_us"] + v["exit_us"] + v["handoff_us"] + v["kernel_us"] + v["bringup_us"]
        if (sum > v["total_us"] || v["total_us"] - sum > 5) { print "timeline phases add up to " sum ", total_us=" v["total_us"]; exit 1 }
    }' <<<"$line" || return 1
    # The steps split the loader and kernel shares: every stamp was taken,
    # in order (a missing or backward one reads 0 and the sum falls short),
    # and they add up to the timeline figures within rounding (1 us a step).
    awk -v tl="$line" '
        function fields(s, a,   n, i, kv, f) { n = split(s, f, " "); for (i = 3; i <= n; i++) { split(f[i], kv, "="); a[kv[1]] = kv[2] } }
        { fields($0, p); fields(tl, t); l = 0; k = 0; nl = 0; nk = 0
          for (f in p) { if (f ~ /^loader_/) { l += p[f]; nl++ } else if (f ~ /^kernel_/) { k += p[f]; nk++ } }
          if (nl != 8 || nk != 6) { print "phases: " nl " loader and " nk " kernel steps, want 8 and 6"; exit 1 }
          if (l > t["loader_us"] || t["loader_us"] - l > nl) { print "loader steps add up to " l ", loader_us=" t["loader_us"]; exit 1 }
          if (k > t["kernel_us"] || t["kernel_us"] - k > nk) { print "kernel steps add up to " k ", kernel_us=" t["kernel_us"]; exit 1 } }' <<<"$phases"
}

# The loader's TSC estimate (the ACPI PM timer across its run) against the
# kernel's PIT measurement: two clocks, read independently, whose intervals
# must overlap (|loader - pit| within the sum of their bounds); and the
# loader's bound must be the PM timer's (QEMU has one), at most 0.1%.
loader_estimate_close() {
    local line
    line=$(grep '^pagoda: timer tsc_hz=' "$1" | tr -d '\r')
    awk '{
        for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        split(v["pit"], p, ":"); pit = p[1]
        if (pit == 0) { print "no PIT measurement: " $0; exit 1 }
        if (v["loader_ppm"] == 0 || v["loader_ppm"] > 1000) { print "loader_ppm=" v["loader_ppm"] ": not a PM-timer bound"; exit 1 }
        d = v["loader_estimate"] - pit; if (d < 0) d = -d
        if (d * 1000000 > pit * (v["pit_ppm"] + v["loader_ppm"])) { print "loader_estimate=" v["loader_estimate"] " and pit=" pit " differ by more than their bounds (" v["pit_ppm"] " + " v["loader_ppm"] " ppm)"; exit 1 }
    }' <<<"$line"
}

# checks_in_order LOG NCPU: the log's check lines are exactly the expected
# names and states, in order, and the verdict counts them.
checks_in_order() {
    local log=$1 ncpu=$2 want got smp_state=pass name npass nskip unexplained
    [ "$ncpu" -eq 1 ] && smp_state=skipped
    want=$(for name in $CHECKS_BASE; do echo "$name=pass"; done
           for name in $CHECKS_SMP; do echo "$name=$smp_state"; done
           for name in $CHECKS_ASPACE; do echo "$name=pass"; done)
    got=$(grep -oE '^pagoda: check [a-z0-9-]+=[a-z]+' "$log" | sed 's/^pagoda: check //')
    [ "$got" = "$want" ] || { echo "checks: got [$(echo $got)] want [$(echo $want)]"; return 1; }
    npass=$(grep -c '=pass$' <<<"$want")
    nskip=$(grep -c '=skipped$' <<<"$want")
    grep -Eq "^pagoda: result=pass checks=$npass skipped=$nskip$" "$log" ||
        { echo "missing /result=pass checks=$npass skipped=$nskip/"; return 1; }
    unexplained=$(grep -E '^pagoda: check smp-' "$log" | grep -v '=skipped reason=single-cpu$')
    if [ "$ncpu" -eq 1 ] && [ -n "$unexplained" ]; then
        echo "smp-* checks not skipped for single-cpu: $unexplained"; return 1
    fi
}

# stress_locks_bounded LOG NCPU: with per-CPU frame caches and heap slices
# the stress run takes the global kmem lock at most twice per CPU (a cache
# refill, a slice's set-up), however many rounds it runs.
stress_locks_bounded() {
    awk -v n="$2" '
    /^pagoda: check smp-stress=pass/ {
        for (i = 1; i <= NF; i++) if ($i ~ /^global_locks=[0-9]+$/) { split($i, kv, "="); locks = kv[2]; found = 1 }
    }
    END {
        if (!found) { print "no global_locks= in the smp-stress line"; exit 1 }
        if (locks > 2 * n) { print "smp-stress took the global lock " locks " times at " n " CPUs (bound " 2 * n ")"; exit 1 }
    }' "$1"
}

# expect LOG REGEX...: every regex must match a line of LOG.
expect() {
    local log=$1; shift
    for re in "$@"; do
        grep -Eq -- "$re" "$log" || { echo "missing /$re/"; return 1; }
    done
}

# good NAME CPU MEM SMP PAGE [CMDLINE [PAGING]]: a test-mode boot that must pass
# every check; PAGING=4 asks pagoda.conf for 4-level paging.
# From the environment (good_q10): GOOD_QEMU_ARGS, extra QEMU arguments;
# GOOD_NCPU, the CPUs expected when -device adds some to SMP's count;
# GOOD_TIMEOUT, for boots slower than BOOT_TIMEOUT allows.
good() {
    local name=$1 cpu=$2 mem=$3 smp=$4 page=$5 args=${6:-} paging=${7:-} log="$LOGDIR/$1.log" why
    local levels conf=() timeout=${GOOD_TIMEOUT:-$BOOT_TIMEOUT}
    levels=$(levels_for "$cpu" "$paging")
    [ -n "$paging" ] && conf=(-C "$(paging_conf "$name" "$paging" "$args")")
    # With 1 TiB OVMF alone needs one to several minutes to reach the loader.
    [ "$mem" = 1024G ] && timeout=$((BOOT_TIMEOUT * 4))
    ./run.sh -t -p "$cpu" -m "$mem" -S "$smp" -T "$timeout" -l "$log" ${args:+-a "$args"} "${conf[@]}" \
        ${GOOD_QEMU_ARGS:+-q "$GOOD_QEMU_ARGS"} >/dev/null 2>"$log.stderr"
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL $name: run.sh exit $rc ($(grep -E 'result=|FAULT|PANIC' "$log" | head -2 | tr '\n' ' '))"
        return
    fi
    local ncpu=${GOOD_NCPU:-${smp%%,*}}
    why=$(expect "$log" \
        "^pagoda: hhdm base=$(hhdm_for_levels "$levels") page=$page end=0x[0-9a-f]+ levels=$levels\$" \
        '^pagoda: kernel phys=0x[0-9a-f]+ virt=0xffffffff80000000 ' \
        '^pagoda: memory type=usable bytes=[1-9][0-9]*$' \
        '^pagoda: memory type=kernel-image bytes=[1-9]' \
        '^pagoda: memory type=kernel-pagetables bytes=[1-9]' \
        '^pagoda: memory total=[1-9][0-9]* ' \
        '^pagoda: pagetables frames=([0-9]+) minimum=\1$' \
        "^pagoda: cpus expected=$ncpu source=mp-services bsp_apic=[0-9]+ firmware_aps_init=$([ "$ncpu" = 1 ] && echo none || echo loader)\$" \
        '^pagoda: timeline loader_us=[0-9]+ exit_us=[0-9]+ handoff_us=[0-9]+ kernel_us=[0-9]+ bringup_us=[0-9]+ total_us=[0-9]+ over_exit_us=[0-9]+ tsc_loader_entry=[0-9]+ tsc_exit_return=[0-9]+ tsc_kernel_entry=[0-9]+ tsc_all_online=[0-9]+ mm_us=[0-9]+$' \
        '^pagoda: timer tsc_hz=[1-9][0-9]{8,10} source=(cpuid15|pit|cpuid16|loader) bound_ppm=([0-9]{1,3}|[1-9][0-9]{3}) reason=(all-agree|majority|preferred|only-source) loader_estimate=[0-9]+ loader_ppm=[0-9]+ calib_us=[0-9]+ pit=[0-9]+:[a-z]+ ' \
        '^pagoda: check accounting=pass .* structures=ok$' \
        '^pagoda: check heap-slice=pass cpu=0 cycles=768/ok catch_ups=[1-9][0-9]* reused=yes partial=ok large=shared structures=ok$' \
        "^pagoda: smp online=$ncpu expected=$ncpu bringup_us=[0-9]+ .*( parked=0| reason=single-cpu)$" \
        '^pagoda: result=pass') || { echo "FAIL $name: $why"; return; }
    why=$(checks_in_order "$log" "$ncpu") || { echo "FAIL $name: $why"; return; }
    why=$(timeline_consistent "$log") || { echo "FAIL $name: $why"; return; }
    why=$(loader_estimate_close "$log") || { echo "FAIL $name: $why"; return; }
    local l5=
    [ "$levels" = 5 ] && l5='L5=0x[0-9a-f]+ '
    why=$(expect "$log" \
        "^pagoda: check aspace=pass spaces=[0-9]+ cpus=$ncpu other_space_faulted=$ncpu/$ncpu unmap_inside=faulted .*totals=exact$" \
        "^pagoda: check ptaccess-direct=pass va=0x[0-9a-f]+ ${l5}L4=0x[0-9a-f]+ L3=0x[0-9a-f]+ L2=0x[0-9a-f]+ L1=0x[0-9a-f]+ ns=[0-9]+\$" \
        "^pagoda: check ptaccess-recursive=pass slot=509 .*agree=$ncpu/$ncpu\$" \
        "^pagoda: check ptaccess-window=pass .* maps=$levels .*agree=yes\$" \
        "^pagoda: check ptaccess-clean=pass slot=empty window=unmapped faulted=$ncpu/$ncpu totals=exact leaves=[1-9][0-9]* unreserved=0 structures=ok\$") ||
        { echo "FAIL $name: $why"; return; }
    # AP start-up waits: by the CPU's vendor and family as this emulator
    # shows them (tests/boot/cpu-identity.sh); pagoda.smp.init_delay=legacy
    # brings the SDM's back.
    local waits
    waits=$(ap_waits_expected "$cpu")
    [[ " $args " == *" pagoda.smp.init_delay=legacy "* ]] && waits='init_wait_us=10000 sipi_wait_us=200 waits=legacy-asked'
    if [ "$ncpu" -gt 1 ]; then
        why=$(expect "$log" "^pagoda: smp online=$ncpu .* $waits parked=0\$") || { echo "FAIL $name: $why"; return; }
        why=$(expect "$log" \
            "^pagoda: check smp-translate=pass cpus=$ncpu reads=$((ncpu * (ncpu - 1)))$" \
            "^pagoda: check smp-stress=pass cpus=$ncpu .*errors=0 .*totals=exact structures=ok " \
            "^pagoda: check smp-shootdown=pass .*faulted=$ncpu/$ncpu") || { echo "FAIL $name: $why"; return; }
        why=$(stress_locks_bounded "$log" "$ncpu") || { echo "FAIL $name: $why"; return; }
    fi
    # One "online" line per CPU, each printed by the CPU itself, all on one CR3.
    local lines cr3s
    lines=$(grep -cE '^pagoda: cpu index=[0-9]+ apic=[0-9]+ cr3=0x[0-9a-f]+ online$' "$log")
    cr3s=$(grep -oE '^pagoda: cpu index=[0-9]+ apic=[0-9]+ cr3=0x[0-9a-f]+ online$' "$log" | sed 's/.*cr3=//' | sort -u | wc -l)
    [ "$lines" -eq "$ncpu" ] && [ "$cr3s" -eq 1 ] || { echo "FAIL $name: $lines cpu lines, $cr3s CR3 values"; return; }
    # RAM actually reported: usable + everything RAM-like must be close to -m.
    local want_mib got_mib
    want_mib=$(numfmt --from=iec "$mem" | awk '{print int($1/1048576)}')
    got_mib=$(awk -F'bytes=' '/^pagoda: memory type=(usable|boot-services|loader-reclaimable|kernel-|acpi-|ap-tramp)/ {s+=$2} END {print int(s/1048576)}' "$log")
    if [ "$got_mib" -gt "$want_mib" ] || [ "$got_mib" -lt $((want_mib * 9 / 10)) ]; then
        echo "FAIL $name: RAM in report ${got_mib} MiB, guest has ${want_mib} MiB"; return
    fi
    echo "PASS $name"
}

# bad NAME EXPECTED-MESSAGE run.sh-args...: the loader must refuse and return.
bad() {
    local name=$1 msg=$2 log="$LOGDIR/$1.log"; shift 2
    ./run.sh -r -T "$BOOT_TIMEOUT" -l "$log" "$@" >/dev/null 2>"$log.stderr"
    local rc=$?
    if [ $rc -ne 0 ]; then echo "FAIL $name: run.sh -r exit $rc"; return; fi
    grep -Fq -- "$msg" "$log" || { echo "FAIL $name: no message '$msg'"; return; }
    grep -Fq 'not booting; returning to the firmware' "$log" || { echo "FAIL $name: no return"; return; }
    echo "PASS $name"
}

# outcome NAME WANT-RC RUN-ARGS REGEX...: a test-mode boot with RUN-ARGS
# (split at spaces) must end with run.sh exit status WANT-RC and print a line
# matching each REGEX.
outcome() {
    local name=$1 want_rc=$2 args=$3 log="$LOGDIR/$1.log" why; shift 3
    # shellcheck disable=SC2086
    ./run.sh -t $args -T "$BOOT_TIMEOUT" -l "$log" >/dev/null 2>"$log.stderr"
    local rc=$?
    [ $rc -eq "$want_rc" ] || { echo "FAIL $name: run.sh exit $rc, want $want_rc"; return; }
    why=$(expect "$log" "$@") || { echo "FAIL $name: $why"; return; }
    echo "PASS $name"
}

# crash NAME KIND VECTOR-REGEX [PAGING]: an unexpected fault must be reported with
# vector, error, RIP, CR2 and CPU, and end the run with the failure status 1
# (never a reboot, never a hang).
crash() {
    local args="-a pagoda.crash=$2"
    [ -n "${4:-}" ] && args="-C $(paging_conf "$1" "$4" "pagoda.crash=$2")"
    outcome "$1" 1 "$args" \
        "^pagoda: FAULT cpu=0 vector=$3 error=0x[0-9a-f]+ rip=0xffffffff8[0-9a-f]+ cr2=0x[0-9a-f]+" \
        '^pagoda:   backtrace: 0xffffffff8' \
        "^pagoda: result=fail reason=fault-vector-"
}

# laggard NAME WORD [REGEX...]: the CPU with APIC ID 2 does not answer in
# time. WORD=withhold: it never gets its SIPIs. WORD=late: it says alive only
# after the BSP's deadline (its parking INIT withheld, as when INIT stays
# pending in SMM), finds its slot parked and halts itself. Either way it is
# reported by APIC ID, never counted or listed online, and the three other
# CPUs pass every check. Extra REGEXes must match too.
laggard() {
    local name=$1 word=$2 out; shift 2
    out=$(outcome "$name" 0 "-c 4 -a pagoda.smp.$word=2" \
        '^pagoda: cpu apic=2 did not answer; carrying on without it$' \
        '^pagoda: smp online=3 expected=4 .* parked=1$' \
        '^pagoda: check smp-cr3=pass' \
        '^pagoda: check smp-translate=pass cpus=3 reads=6$' \
        '^pagoda: check smp-stress=pass cpus=3 .*errors=0 .*totals=exact' \
        '^pagoda: check smp-shootdown=pass .*faulted=3/3' \
        '^pagoda: check aspace=pass spaces=4 cpus=3 other_space_faulted=3/3 ' \
        '^pagoda: result=pass checks=19 skipped=0$' "$@")
    [ "$out" = "PASS $name" ] || { echo "$out"; return; }
    local log="$LOGDIR/$name.log" listed
    listed=$(grep -cE '^pagoda: cpu index=[0-9]+ apic=[0-9]+ cr3=0x[0-9a-f]+ online$' "$log")
    [ "$listed" -eq 3 ] || { echo "FAIL $name: $listed CPUs listed online, want 3"; return; }
    if grep -Eq '^pagoda: cpu index=[0-9]+ apic=2 ' "$log"; then
        echo "FAIL $name: the CPU that did not answer is listed online"; return
    fi
    echo "PASS $name"
}

# translate_broken NAME [PAGING]: the test of smp-translate. One CPU runs it on tables
# of its own (pagoda.break=translate); the check must fail (status 1), and
# only it. That CPU's write faults, so the others do not read its page: 4
# reads, not 6.
translate_broken() {
    local args="-a pagoda.break=translate"
    [ -n "${2:-}" ] && args="-C $(paging_conf "$1" "$2" pagoda.break=translate)"
    outcome "$1" 1 "-c 3 $args" \
        '^pagoda: check smp-translate=fail cpus=3 reads=4 bad_cpus=1 first_bad_cpu=2$' \
        '^pagoda: check smp-stress=pass cpus=3 .* structures=ok ' \
        '^pagoda: result=fail reason=smp-translate checks_passed=18 checks_failed=1 checks_skipped=0$'
}

# deaf NAME: the CPU with APIC ID 2 comes online, then stops answering
# (halted, interrupts off). The first IPI that needs its answer (a TLB
# shootdown or a cross-CPU call, whichever the kernel sends first) must not
# wait forever: the kernel panics naming that CPU, and the run ends with the
# failure status.
deaf() {
    outcome "$1" 1 "-c 4 -a pagoda.smp.deaf=2" \
        '^pagoda: PANIC on cpu 0: smp: cpus apic=2 did not (take a cross-CPU call|acknowledge a TLB shootdown) within [0-9]+ ms$' \
        '^pagoda: result=fail reason=panic'
}

# good_q10 NAME NCPU MEM SMP QEMU-ARGS [REGEX...]: `good` (every check, in
# order) on QEMU 10, for what QEMU 7.2's TCG cannot run: x2APIC, more than
# 255 CPUs: $PAGODA_QEMU10 (an executable or wrapper script), else what
# tools/emulators.sh fetched, as run.sh finds it; without one the case is
# SKIPped, saying
# why. NCPU CPUs must come online (SMP's count plus -device ones), in x2APIC
# mode, as OVMF leaves it; each REGEX must match a line too. More than 255
# CPUs need interrupt remapping with x2APIC destinations (FIELD-NOTES).
X2APIC_MACHINE="-machine kernel-irqchip=split -device intel-iommu,intremap=on,eim=on"
good_q10() {
    local name=$1 ncpu=$2 mem=$3 smp=$4 qargs=$5 out why; shift 5
    local q10=${PAGODA_QEMU10:-build/emulators/bin/qemu-system-x86_64}
    if ! command -v "$q10" >/dev/null; then
        echo "SKIP $name: no QEMU 10 (PAGODA_QEMU10 unset, tools/emulators.sh fetched none; needed for x2APIC, more than 255 CPUs)"
        return
    fi
    out=$(PAGODA_EMULATOR=10 PAGODA_QEMU10=$q10 GOOD_QEMU_ARGS="$X2APIC_MACHINE $qargs" GOOD_NCPU=$ncpu \
          GOOD_TIMEOUT=$Q10_TIMEOUT good "$name" max "$mem" "$smp" 1G)
    [ "$out" = "PASS $name" ] || { echo "$out"; return; }
    why=$(expect "$LOGDIR/$name.log" "^pagoda: smp online=$ncpu expected=$ncpu .* apic=x2apic " "$@") ||
        { echo "FAIL $name: $why"; return; }
    echo "PASS $name"
}
# 288 vCPUs on 2 busy host cores: ~50 s to the loader (OVMF 2022.11), ~2 min
# to the verdict (docs/design.md, "Limits").
Q10_TIMEOUT=${Q10_TIMEOUT:-900}

cases=()
# CPU models: max has 1 GiB pages, qemu64 has not. Memory sizes from tiny
# to past 4 GiB (q35 splits RAM around the PCI hole) to sparse-backed; CPU
# counts 1, 2, 4, 8 spread over both models.
for spec in "max 128M 1 1G" "max 1G 2 1G" "max 4G 4 1G" "max 16G 8 1G" \
            "qemu64 128M 2 2M" "qemu64 1G 1 2M" "qemu64 4G 8 2M" "qemu64 16G 4 2M"; do
    set -- $spec
    cases+=("good boot-$1-$2-smp$3 $1 $2 $3 $4")
done
cases+=("good boot-max-1G-sparse-apic max 1G 6,sockets=2,cores=3 1G")  # APIC IDs 0,1,2,4,5,6
cases+=("good boot-max-1G-smp4-serial max 1G 4 1G pagoda.smp=serial")
cases+=("good boot-max-1G-smp2-legacy-init max 1G 2 1G pagoda.smp.init_delay=legacy")
cases+=("good boot-max-256G-smp32 max 256G 32 1G")
# Every -cpu max case boots with 5 levels (the loader's default on an LA57
# CPU); these run the same machines with 4 (paging=4). Not doubled, to stay
# within CI's time: 256G-smp32 (1 TiB covers both modes at the big end) and
# the cases whose subject does not touch paging (APIC ID layout, INIT waits,
# CPUs that do not answer, bad kernels: their placement check is host-tested
# at both level counts in test_hhdm_plan).
for spec in "128M 1" "1G 2" "4G 4" "16G 8"; do
    set -- $spec
    cases+=("good boot-max-$1-smp$2-4level max $1 $2 1G '' 4")
done
cases+=("good boot-max-1G-smp4-serial-4level max 1G 4 1G pagoda.smp=serial 4")
# 1 TiB (QEMU needs 46 physical address bits), sparse-backed, both modes.
cases+=("good boot-max-1T-smp4 max,phys-bits=46 1024G 4 1G")
cases+=("good boot-max-1T-smp4-4level max,phys-bits=46 1024G 4 1G '' 4")
cases+=("translate_broken smp-translate-detects-other-tables-4level 4")
cases+=("crash crash-stack-overflow-4level stack '8 \\(double fault\\)' 4")
# x2APIC with a sparse ID far above 255: 2 CPUs of a 4x128 topology plus
# socket 3 core 5 (APIC ID 3 * 128 + 5 = 389); OVMF switches to x2APIC.
cases+=("good_q10 boot-q10-x2apic-sparse 3 1G 2,maxcpus=512,sockets=4,cores=128 '-device max-x86_64-cpu,socket-id=3,core-id=5,thread-id=0' '^pagoda: cpu index=2 apic=389 cr3=0x[0-9a-f]+ online$'")
# More CPUs than the old fixed list (256) and than xAPIC can address.
cases+=("good_q10 boot-q10-smp288 288 2G 288,sockets=2,cores=144 '' '^pagoda: cpus expected=288 ' '^pagoda: cpu index=287 apic=[0-9]+ cr3=0x[0-9a-f]+ online$'")
cases+=("laggard smp-cpu-never-answers withhold")
cases+=("deaf smp-cpu-stops-answering")
cases+=("laggard smp-cpu-answers-late late '^pagoda: cpu apic=2 answered after the deadline; halted$'")
cases+=("translate_broken smp-translate-detects-other-tables")
cases+=("crash crash-null-read null '14 \\(page fault\\)'")
cases+=("crash crash-stack-overflow stack '8 \\(double fault\\)'")
cases+=("crash crash-invalid-opcode ud '6 \\(invalid opcode\\)'")

python3 tests/boot/mkbadelf.py "$KERNEL_ELF" "$BAD_DIR" >/dev/null || { echo "FAIL mkbadelf"; exit 1; }
while IFS=$'\t' read -r file msg; do
    [ -n "$file" ] && cases+=("bad bad-${file%.elf} '$msg' -k $BAD_DIR/$file")
done < "$BAD_DIR/cases.tsv"
cases+=("bad bad-missing-file 'kernel file \\EFI\\pagoda\\kernel.elf: not found' -k /nonexistent/kernel.elf")
printf 'bogus=1\n' > "$BAD_DIR/unknown-key.conf"
cases+=("bad bad-config-key \"unknown key 'bogus'\" -C $BAD_DIR/unknown-key.conf")
printf 'verbose=maybe\n' > "$BAD_DIR/bad-value.conf"
printf 'paging=5\n' > "$BAD_DIR/paging5.conf"
cases+=("bad bad-paging5-without-la57 'paging=5 refused: the CPU has no 5-level paging' -p qemu64 -C $BAD_DIR/paging5.conf")
cases+=("bad bad-config-value 'verbose must be 0 or 1' -C $BAD_DIR/bad-value.conf")

export -f good good_q10 bad outcome crash laggard deaf translate_broken expect checks_in_order stress_locks_bounded timeline_consistent loader_estimate_close cpu_identity ap_waits_expected \
    hhdm_for_levels levels_for paging_conf
export LOGDIR BOOT_TIMEOUT CHECKS_BASE CHECKS_SMP CHECKS_ASPACE X2APIC_MACHINE Q10_TIMEOUT
# ONLY=REGEX runs the cases whose name matches (for debugging one case).
printf '%s\n' "${cases[@]}" | awk -v re="${ONLY:-.}" '$2 ~ re' | xargs -d '\n' -P "$JOBS" -I{} bash -c '{}'

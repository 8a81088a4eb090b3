#!/usr/bin/env bash
# The Limine-protocol test kernels (build/limine/lk-*.elf, tests/limine/)
# against Pagoda's loader. Prints "PASS name", "FAIL name: why" or
# "SKIP name: why" lines; logs go to $LOGDIR/limine/.
#
# static-*  no QEMU: each build holds the requests, markers and ELF shapes it
#           is meant to (tests/limine/lk-scan.py, readelf) - a test of the
#           test kernels, so a boot failure is the loader's, not the build's.
# boot-*    one VM each, ./run.sh -t with the kernel (-k), our own pagoda.conf
#           (-C: cmdline, module= lines) and the module files (-M); the
#           kernel's report on the debug console (-E, port 0xE9) must be
#           exactly the expected check lines, all pass, in order, the same
#           lines on serial, and the isa-debug-exit status "pass".
# refuse-*  ./run.sh -r: the loader prints its reason and
#           "not booting; returning to the firmware", and no kernel code runs.
# run-sh-debugcon  a probe boot of lk-rev6.elf (any protocol): run.sh -E logs
#           port 0xE9 with the same report lines as serial.
#
# While the loader does not serve the Limine protocol (no "$LK_LOADER_MARKER"
# in BOOTX64.EFI, and a probe boot of lk-rev6.elf finds its base-revision tag
# unanswered) the boot and refuse cases print SKIP. LK_ALLOW_MISSING="mp
# mp_ap" accepts those checks as "missing" (a loader without MP yet).
# ONLY=REGEX picks cases by name; JOBS (default 2) VMs at a time.
set -uo pipefail
cd "$(dirname "$0")/../.."

LOGDIR=${LOGDIR:-build/test-logs}/limine
JOBS=${JOBS:-2}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
LK_DIR=build/limine
LK_LOADER_MARKER=${LK_LOADER_MARKER:-protocol=limine}
LK_ALLOW_MISSING=${LK_ALLOW_MISSING:-}
LOADER=esp/EFI/BOOT/BOOTX64.EFI
mkdir -p "$LOGDIR"

# The report order of tests/limine/lk_main.c for base revision $1 (0-notag:
# revision 0 without a tag, so no base_revision check), with optional extra
# checks after it.
checks_for() {
    local rev=$1; shift
    [ "$rev" = 0-notag ] && rev=0 || echo base_revision
    [ "$rev" -ge 2 ] && echo markers
    echo unknown_request
    echo entry_regs entry_flags entry_cr entry_segs | tr ' ' '\n'
    [ "$rev" -ge 5 ] && echo entry_tables
    echo pat pic stack bootloader_info firmware_type hhdm identity memmap memmap_efi efi_memmap \
         executable_address executable_file cmdline entry_point paging_mode framebuffer modules \
         rsdp smbios efi_system_table date ioapic | tr ' ' '\n'
    [ "$rev" -ge 5 ] && echo lapic iommu | tr ' ' '\n'
    echo mp mp_ap | tr ' ' '\n'
    for extra in "$@"; do echo "$extra"; done
}

# report_ok LOG REV EXTRA...: LOG's check lines are the expected names, in
# order, each pass (or missing when allowed), and the result line counts them.
report_ok() {
    local log=$1 rev=$2 want got name verdict n=0 m=0 line; shift 2
    want=$(checks_for "$rev" "$@")
    got=$(grep -oE '^lk: check [a-z0-9_]+=[a-z]+' "$log" | sed 's/^lk: check //')
    [ "$(sed 's/=.*//' <<<"$got")" = "$want" ] ||
        { echo "check names: got [$(echo $(sed 's/=.*//' <<<"$got"))] want [$(echo $want)]"; return 1; }
    while IFS= read -r line; do
        name=${line%%=*} verdict=${line#*=}
        n=$((n + 1))
        if [ "$verdict" = missing ] && [[ " $LK_ALLOW_MISSING " == *" $name "* ]]; then
            m=$((m + 1)); continue
        fi
        [ "$verdict" = pass ] || { echo "$(grep -m1 "^lk: check $name=" "$log")"; return 1; }
    done <<<"$got"
    grep -qx "lk: result=pass checks=$n missing=$m" "$log" || { echo "no 'lk: result=pass checks=$n missing=$m'"; return 1; }
}

# file_facts FILE: its size and FNV-1a-32 (lk_fnv1a32 in lk_lib.c) as cmdline keys.
file_facts() {
    python3 -c 'import sys
h = 2166136261
data = open(sys.argv[1], "rb").read()
for b in data:
    h = ((h ^ b) * 16777619) & 0xffffffff
print("lk.file_size=%d lk.file_fnv=%d" % (len(data), h))' "$1"
}

# loader_said SERIAL-LOG: "; loader: LINE" for the loader's refusal, if any.
loader_said() {
    local line
    line=$(grep -m1 -B1 'not booting; returning to the firmware' "$1" | head -1 | tr -d '\r')
    [ -n "$line" ] && echo "; loader: $line"
}

# boot NAME KERNEL REV RUN-ARGS [EXTRA-CHECK...]: a test-mode boot with two
# configured modules and the kernel's internal one; RUN-ARGS split at spaces.
boot() {
    local name=$1 kernel=$2 rev=$3 args=$4 log="$LOGDIR/$1" dir="$LOGDIR/$1.files" cpus why; shift 4
    cpus=${LK_CPUS:-$(sed -n 's/.*-c \([0-9]*\).*/\1/p' <<<"$args")}; cpus=${cpus:-2}
    rm -rf "$dir"; mkdir -p "$dir"
    tests/limine/lk-pattern.py 1 70001 "$dir/lk-mod1.bin"
    tests/limine/lk-pattern.py 2 4096 "$dir/lk-mod2.bin"
    tests/limine/lk-pattern.py 3 5000 "$dir/lk-internal.bin"   # lk_requests.c's internal module
    {
        echo 'kernel=\EFI\pagoda\kernel.elf'
        echo "cmdline=lk.probe=1 lk.cpus=$cpus lk.modules=2 lk.now=$(date +%s) $(file_facts "$kernel")${LK_CMDLINE_EXTRA:+ $LK_CMDLINE_EXTRA}"
        echo 'module=\EFI\pagoda\lk-mod1.bin lk-pattern 1 70001'
        echo 'module=\EFI\pagoda\lk-mod2.bin lk-pattern 2 4096'
        [ -z "${LK_CONF_EXTRA:-}" ] || echo "$LK_CONF_EXTRA"
    } > "$dir/pagoda.conf"
    # shellcheck disable=SC2086
    ./run.sh -t $args ${LK_QEMU_EXTRA:+-q "$LK_QEMU_EXTRA"} -k "$kernel" -C "$dir/pagoda.conf" -M "$dir/lk-mod1.bin" -M "$dir/lk-mod2.bin" \
        -M "$dir/lk-internal.bin" -T "$BOOT_TIMEOUT" -l "$log.serial" -E "$log.e9" >/dev/null 2>"$log.stderr"
    local rc=$?
    why=$(report_ok "$log.e9" "$rev" "$@") || {
        echo "FAIL $name: $why (run.sh exit $rc; $log.e9$(loader_said "$log.serial"))"; return; }
    [ "$(grep '^lk: ' "$log.serial")" = "$(grep '^lk: ' "$log.e9")" ] ||
        { echo "FAIL $name: serial and port 0xE9 reports differ"; return; }
    [ $rc -eq 0 ] || { echo "FAIL $name: run.sh exit $rc after a passing report"; return; }
    echo "PASS $name"
}

# boot_serial NAME KERNEL REV RUN-ARGS: boot with limine_smp=serial; the
# loader must also say it started every AP one at a time with the SDM's waits.
boot_serial() {
    local out cpus
    out=$(LK_CONF_EXTRA=limine_smp=serial boot "$@")
    cpus=$(sed -n 's/.*-c \([0-9]*\).*/\1/p' <<<"$4")
    if [[ $out == PASS* ]] && ! grep -Eq "^pagoda: limine: mp aps=$((cpus - 1)) parked=0 .*mode=serial init_wait_us=10000 sipi_wait_us=200 " \
            "$LOGDIR/$1.serial"; then
        out="FAIL $1: no 'mp aps=$((cpus - 1)) parked=0 ... mode=serial' line with the SDM's waits ($LOGDIR/$1.serial)"
    fi
    echo "$out"
}

# boot_q10 NAME KERNEL REV CPUS RUN-ARGS QEMU-EXTRA MP-REGEX [LOADER-REGEX]: a boot
# on QEMU 10, whose TCG emulates x2APIC (QEMU 7.2's does not), found through
# $PAGODA_QEMU10: a qemu-system-x86_64 10.x that runs as is (e.g. a wrapper
# that sets QEMU_MODULE_DIR, LD_LIBRARY_PATH and -L for an extracted
# package). Without one the case is skipped. CPUS is the count the loader
# must list; QEMU-EXTRA goes to run.sh -q whole. The kernel's mp line must
# match MP-REGEX and the loader's log LOADER-REGEX, so that a QEMU without
# x2APIC cannot pass the case vacuously.
boot_q10() {
    local name=$1 kernel=$2 rev=$3 cpus=$4 args=$5 extra=$6 mpre=$7 ldre=${8:-} out
    if [ -z "${PAGODA_QEMU10:-}" ] || ! "$PAGODA_QEMU10" --version 2>/dev/null | grep -Eq 'version (1[0-9]|[2-9][0-9])\.'; then
        echo "SKIP $name: no QEMU 10 (set PAGODA_QEMU10 to a qemu-system-x86_64 10.x that runs as is)"; return
    fi
    out=$(QEMU=$PAGODA_QEMU10 LK_CPUS=$cpus LK_QEMU_EXTRA=$extra boot "$name" "$kernel" "$rev" "$args")
    if [[ $out == PASS* ]]; then
        grep -Eq "^lk: check mp=pass .*$mpre" "$LOGDIR/$name.e9" ||
            out="FAIL $name: the mp line does not match /$mpre/ ($LOGDIR/$name.e9)"
        [ -z "$ldre" ] || grep -Eq "$ldre" "$LOGDIR/$name.serial" ||
            out="FAIL $name: the loader did not say /$ldre/ ($LOGDIR/$name.serial)"
    fi
    echo "$out"
}

# boot_fw NAME KERNEL REV RUN-ARGS QEMU-EXTRA FW-REGEX [EXTRA-CHECK...]: boot
# through lk-fwstate.efi (tests/limine/fwstate/), a stand-in for a firmware
# that leaves state behind (the BSP's MTRRs changed after the APs were set
# up; every VT-d unit's translation, queued invalidation and interrupt
# remapping on), which then starts Pagoda's loader from
# \EFI\pagoda\loader.efi. QEMU-EXTRA goes to run.sh -q whole; the kernel
# gets lk.fwstate=1. The stand-in's log must match FW-REGEX, so that the
# state the case is about was really there.
boot_fw() {
    local name=$1 kernel=$2 rev=$3 args=$4 extra=$5 want=$6 esp="$LOGDIR/$1.esp" out; shift 6
    rm -rf "$esp"; cp -r esp "$esp"; mkdir -p "$esp/EFI/pagoda"
    mv "$esp/EFI/BOOT/BOOTX64.EFI" "$esp/EFI/pagoda/loader.efi"
    cp "$LK_DIR/lk-fwstate.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
    out=$(LK_QEMU_EXTRA=$extra LK_CMDLINE_EXTRA=lk.fwstate=1 boot "$name" "$kernel" "$rev" "$args -e $esp" "$@")
    if [[ $out == PASS* ]] && ! grep -Eq "$want" "$LOGDIR/$name.serial"; then
        out="FAIL $name: the firmware stand-in did not say /$want/ ($LOGDIR/$name.serial)"
    fi
    rm -rf "$esp"
    echo "$out"
}

# refuse NAME REASON-REGEX RUN-ARGS: the loader refuses, with a reason line
# matching REASON-REGEX (case-insensitive) just before its return to the
# firmware, and no kernel code runs.
refuse() {
    local name=$1 reason=$2 args=$3 log="$LOGDIR/$1"
    # shellcheck disable=SC2086
    ./run.sh -r $args -T "$BOOT_TIMEOUT" -l "$log.serial" -E "$log.e9" >/dev/null 2>"$log.stderr"
    local rc=$?
    if grep -q '^lk: ' "$log.serial" "$log.e9"; then echo "FAIL $name: the kernel ran"; return; fi
    [ $rc -eq 0 ] || { echo "FAIL $name: run.sh -r exit $rc"; return; }
    grep -Fq 'not booting; returning to the firmware' "$log.serial" || { echo "FAIL $name: no return"; return; }
    # The reason is one of the lines just before the return, not any line
    # (the loader's config echo names modules and kernels too).
    grep -B3 -F 'not booting; returning to the firmware' "$log.serial" | grep -Eiq -- "$reason" ||
        { echo "FAIL $name: the refusal$(loader_said "$log.serial") does not match /$reason/"; return; }
    echo "PASS $name"
}

# newer NAME: a kernel asking for base revision 7 (newer than any served).
# The spec allows two answers and recommends the first: refuse it (reason
# naming the revision), or boot it with revision 6 (word 2 left at 7, word 1
# = 6) and pass every revision-6 check.
newer() {
    local name=$1 log="$LOGDIR/$1"
    if ! boot "$name.boot" $LK_DIR/lk-rev7.elf 6 '-c 2' >"$log.verdict"; then :; fi
    if grep -q '^PASS' "$log.verdict"; then echo "PASS $name (booted at revision 6)"; return; fi
    if ! grep -q '^lk: ' "$log.boot.serial" && grep -B3 -F 'not booting; returning to the firmware' "$log.boot.serial" |
        grep -Eiq 'revision'; then
        echo "PASS $name (refused)"; return
    fi
    echo "FAIL $name: neither refused for its revision nor booted at 6: $(cut -c6- "$log.verdict")"
}

# static NAME KERNEL SCAN-SUMMARY READELF-REGEX...: the build holds what it should.
static() {
    local name=$1 kernel=$2 summary=$3 out re; shift 3
    [ -f "$kernel" ] || { echo "FAIL $name: no $kernel (make limine-kernels)"; return; }
    out=$(tests/limine/lk-scan.py "$kernel") || { echo "FAIL $name: lk-scan.py failed"; return; }
    grep -qx "summary $summary" <<<"$out" ||
        { echo "FAIL $name: scan says '$(tail -1 <<<"$out")', want 'summary $summary'"; return; }
    out=$(readelf -hlrdW "$kernel" 2>&1)
    for re in "$@"; do
        grep -Eq -- "$re" <<<"$out" || { echo "FAIL $name: readelf shows no /$re/"; return; }
    done
    echo "PASS $name"
}

HIGH_ENTRY='Entry point address: +0xffffffff8'
static static-rev0 $LK_DIR/lk-rev0.elf "type=EXEC requests=19 outside=0 duplicates=0 tags=1 revision=0 markers=ok" "$HIGH_ENTRY"
static static-rev0-notag $LK_DIR/lk-rev0-notag.elf "type=EXEC requests=19 outside=0 duplicates=0 tags=0 revision=0 markers=ok" "$HIGH_ENTRY"
static static-rev1 $LK_DIR/lk-rev1.elf "type=EXEC requests=19 outside=0 duplicates=0 tags=1 revision=1 markers=ok" "$HIGH_ENTRY"
for rev in 2 3 6; do
    static static-rev$rev $LK_DIR/lk-rev$rev.elf \
        "type=EXEC requests=19 outside=1 duplicates=0 tags=1 revision=$rev markers=ok" "$HIGH_ENTRY"
done
static static-rev7 $LK_DIR/lk-rev7.elf "type=EXEC requests=19 outside=1 duplicates=0 tags=1 revision=7 markers=ok" "$HIGH_ENTRY"
static static-pie $LK_DIR/lk-pie.elf "type=DYN requests=19 outside=1 duplicates=0 tags=1 revision=6 markers=ok" \
    'LOAD +0x[0-9a-f]+ 0x0000000000000000 ' 'DYNAMIC ' 'R_X86_64_RELATIVE'
static static-pie-relr $LK_DIR/lk-pie-relr.elf "type=DYN requests=19 outside=1 duplicates=0 tags=1 revision=6 markers=ok" \
    'LOAD +0x[0-9a-f]+ 0x0000000000000000 ' '\(RELR\) ' '\(RELRSZ\) +[1-9]'
static static-quirks $LK_DIR/lk-quirks.elf "type=EXEC requests=19 outside=1 duplicates=0 tags=1 revision=6 markers=ok" \
    'LOAD +0x[0-9a-f]+ 0xffffffff8[0-9a-f]*[1-9a-f][0-9a-f]{0,2} .* RW ' \
    'LOAD +0x[0-9a-f]+ 0x0+ 0x0+ 0x000000 0x000000 ' 'LOAD .* 0x0[0-9a-f]{5} 0x1[0-9a-f]{6} RW' 'GNU_STACK'
static static-la57 $LK_DIR/lk-la57.elf "type=EXEC requests=19 outside=1 duplicates=0 tags=1 revision=6 markers=ok" "$HIGH_ENTRY"
static static-x2apic $LK_DIR/lk-x2apic.elf "type=EXEC requests=19 outside=1 duplicates=0 tags=1 revision=6 markers=ok" "$HIGH_ENTRY"
static static-dup $LK_DIR/lk-dup.elf "type=EXEC requests=20 outside=1 duplicates=1 tags=1 revision=6 markers=ok" "$HIGH_ENTRY"
static static-reqmod $LK_DIR/lk-reqmod.elf "type=EXEC requests=19 outside=1 duplicates=0 tags=1 revision=6 markers=ok" "$HIGH_ENTRY"
static static-keepiommu $LK_DIR/lk-keepiommu.elf "type=EXEC requests=20 outside=1 duplicates=0 tags=1 revision=6 markers=ok" "$HIGH_ENTRY"

cases=()
for rev in 0 1 2 3 6; do
    cases+=("boot boot-rev$rev $LK_DIR/lk-rev$rev.elf $rev '-c 2'")
done
cases+=("boot boot-rev0-notag $LK_DIR/lk-rev0-notag.elf 0-notag '-c 2'")
cases+=("boot boot-rev6-cpu1 $LK_DIR/lk-rev6.elf 6 '-c 1'")
cases+=("boot boot-rev6-cpu8 $LK_DIR/lk-rev6.elf 6 '-c 8'")
cases+=("boot boot-rev6-cpu32 $LK_DIR/lk-rev6.elf 6 '-c 32 -m 2G'")
cases+=("boot boot-rev6-qemu64 $LK_DIR/lk-rev6.elf 6 '-c 2 -p qemu64'")
cases+=("boot_serial boot-rev6-serial $LK_DIR/lk-rev6.elf 6 '-c 4'")
cases+=("boot boot-rev3-qemu64 $LK_DIR/lk-rev3.elf 3 '-c 2 -p qemu64'")
cases+=("boot boot-pie $LK_DIR/lk-pie.elf 6 '-c 2' pie_reloc")
cases+=("boot boot-pie-relr $LK_DIR/lk-pie-relr.elf 6 '-c 2' pie_reloc")
cases+=("boot boot-quirks $LK_DIR/lk-quirks.elf 6 '-c 2' quirks")
cases+=("boot boot-x2apic $LK_DIR/lk-x2apic.elf 6 '-c 4'")
cases+=("boot boot-la57-max $LK_DIR/lk-la57.elf 6 '-c 2 -p max'")
# IOMMUs (q35 with an intel-iommu; lk-fwstate.efi turns it on): off at
# revision 6, left on for a kernel with the keep-IOMMU request. The stand-in
# also leaves the BSP's MTRRs different from the APs'.
VTD_ON='VT-d 0x[0-9A-F]+: gsts=0x[89A-F][0-9A-F]{7}'
cases+=("boot_fw boot-rev6-fw-vtd $LK_DIR/lk-rev6.elf 6 '-c 2' '-device intel-iommu,intremap=on' '$VTD_ON'")
cases+=("boot_fw boot-keep-iommu-fw-vtd $LK_DIR/lk-keepiommu.elf 6 '-c 2' '-device intel-iommu,intremap=on' '$VTD_ON'")
AMDVI_ON='AMD-Vi 0x[0-9A-F]+: control=0x[0-9A-F]*[13579BDF] '
cases+=("boot_fw boot-rev6-fw-amdvi $LK_DIR/lk-rev6.elf 6 '-c 2' '-device amd-iommu' '$AMDVI_ON'")
cases+=("boot_fw boot-keep-iommu-fw-amdvi $LK_DIR/lk-keepiommu.elf 6 '-c 2' '-device amd-iommu' '$AMDVI_ON'")
# x2APIC (QEMU 10): asked and available -> on everywhere; the firmware's
# x2APIC (OVMF turns it on for the APIC ID 389 of the sparse topology) ->
# back to xAPIC when not asked, the ID-389 CPU left out; kept when asked.
SPARSE_389='-device max-x86_64-cpu,socket-id=3,core-id=5,thread-id=0'
cases+=("boot_q10 q10-x2apic-asked $LK_DIR/lk-x2apic.elf 6 4 '-c 4' '' 'cpus=4 .*x2apic=1'")
cases+=("boot_q10 q10-x2apic-firmware-reverted $LK_DIR/lk-rev6.elf 6 2 '-S 2,maxcpus=512,sockets=4,cores=128' '$SPARSE_389' 'cpus=2 .*x2apic=0 .*madt_cpus=3' 'left x2APIC on; every CPU goes back to xAPIC'")
cases+=("boot_q10 q10-x2apic-firmware-asked $LK_DIR/lk-x2apic.elf 6 3 '-S 2,maxcpus=512,sockets=4,cores=128' '$SPARSE_389' 'cpus=3 .*x2apic=1 .*madt_cpus=3'")
cases+=("newer newer-revision-7")
cases+=("refuse refuse-la57-on-4-level 'paging|5-level|la57' '-p qemu64 -k $LK_DIR/lk-la57.elf'")
cases+=("refuse refuse-duplicate-request 'duplicate' '-k $LK_DIR/lk-dup.elf'")
cases+=("refuse refuse-required-module 'lk-not-there' '-k $LK_DIR/lk-reqmod.elf'")
printf 'kernel=\\EFI\\pagoda\\kernel.elf\nmodule=\\EFI\\pagoda\\lk-not-there.bin\n' > "$LOGDIR/missing-module.conf"
cases+=("refuse refuse-module-file-missing 'lk-not-there' '-k $LK_DIR/lk-rev6.elf -C $LOGDIR/missing-module.conf'")

# A probe boot of lk-rev6.elf, whatever protocol the loader boots it with:
# run.sh -E must log port 0xE9, the same report lines as serial. It also
# tells whether the loader serves the protocol: a kernel that ran with its
# base-revision tag unanswered was booted some other way.
probe="$LOGDIR/probe"
./run.sh -t -k $LK_DIR/lk-rev6.elf -a lk.probe=1 -T "$BOOT_TIMEOUT" -l "$probe.serial" -E "$probe.e9" >/dev/null 2>&1
if [ -z "$(grep '^lk: ' "$probe.serial" 2>/dev/null)" ]; then
    echo "FAIL run-sh-debugcon: the probe kernel printed nothing on serial ($probe.serial)"
elif [ "$(grep '^lk: ' "$probe.serial")" != "$(grep '^lk: ' "$probe.e9" 2>/dev/null)" ]; then
    echo "FAIL run-sh-debugcon: port 0xE9 log $probe.e9 differs from serial"
else
    echo "PASS run-sh-debugcon"
fi

# Does the loader serve the protocol? Its binary names it, or the probe saw
# the tag answered. Only a kernel that ran with its tag untouched means "not
# yet": anything else runs the cases, so a loader that serves the protocol
# badly fails them instead of being skipped.
loader_serves_limine() {
    # grep without -q reads all of strings' output: no SIGPIPE under pipefail
    strings "$LOADER" | grep -F -- "$LK_LOADER_MARKER" >/dev/null && return 0
    ! grep -q '^lk: check base_revision=fail tag word 2 still 6' "$probe.e9"
}
if ! loader_serves_limine; then
    printf '%s\n' "${cases[@]}" | awk -v re="${ONLY:-.}" '$2 ~ re { print "SKIP " $2 ": loader does not serve the Limine protocol yet" }'
    exit 0
fi
export -f boot boot_serial boot_q10 boot_fw refuse newer report_ok checks_for file_facts loader_said
export LOGDIR BOOT_TIMEOUT LK_ALLOW_MISSING LK_DIR
printf '%s\n' "${cases[@]}" | awk -v re="${ONLY:-.}" '$2 ~ re' | xargs -d '\n' -P "$JOBS" -I{} bash -c '{}'

#!/usr/bin/env bash
# The firmware x emulator matrix (docs/testing.md): the boot tests' cases
# again, a representative few, on the cells other than the one the whole
# suite runs on (QEMU 7.2 + OVMF 2022.11, the system's):
#
#   QEMU 7.2 + OVMF 2025.02            QEMU 10 + OVMF 2022.11
#   QEMU 7.2 + OVMF 2025.02 strictnx   QEMU 10 + OVMF 2025.02
#                                      QEMU 10 + OVMF 2025.02 strictnx
#
# Each case is the same function, with the same expectations, as in
# tests/boot/boot-tests.sh or tests/limine/limine-tests.sh, run through
# run.sh's -Q/-F defaults (PAGODA_EMULATOR, PAGODA_FIRMWARE). Lines are
# "PASS CELL/name", "FAIL CELL/name: why", "SKIP CELL/name: why" (a cell
# whose emulator or firmware tools/emulators.sh could not fetch). Logs in
# $LOGDIR/matrix/CELL/. MATRIX_CELLS=REGEX picks cells by name.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

LOGDIR=${LOGDIR:-build/test-logs}
MATRIX_CELLS=${MATRIX_CELLS:-.}

# What each kind of cell runs (case names of the two scripts, anchored):
#   the core boot at 2 CPUs (every self-check, the kernel's AP start), SMP
#   at 8 CPUs on the 2 MiB-page model above 4 GiB, one refusal (the
#   firmware must take the loader's error and move on), a Limine kernel with
#   its MP request at 8 CPUs (the loader's own AP start and entry path).
# strictnx: the same at 2 CPUs only. Its secboot build runs SMM, and every
# SMI gathers all vCPUs; under TCG on 2 host cores that costs seconds per
# CPU, and the point of the cell (nothing the loader runs before
# ExitBootServices lives in data pages) does not depend on the CPU count.
BOOT_CASES_FULL='^(boot-max-1G-smp2|boot-qemu64-4G-smp8|bad-config-key)$'
LIMINE_CASES_FULL='^boot-rev6-cpu8$'
BOOT_CASES_NX='^(boot-max-1G-smp2|bad-config-key)$'
LIMINE_CASES_NX='^boot-rev6$'

# cell EMULATOR FIRMWARE BOOT-REGEX LIMINE-REGEX
cell() {
    local emu=$1 fw=$2 boot_re=$3 lk_re=$4 name="q$1-$2" why=
    [[ $name =~ $MATRIX_CELLS ]] || return 0
    [ "$emu" = 10 ] && [ -z "${PAGODA_QEMU10:-}" ] && why=${PAGODA_QEMU10_SKIP:-no QEMU 10}
    [[ $fw == ovmf-2025* ]] && [ -z "${PAGODA_OVMF2025_DIR:-}" ] && why="${why:+$why; }${PAGODA_OVMF2025_SKIP:-no OVMF 2025.02}"
    if [ -n "$why" ]; then
        for re in "$boot_re" "$lk_re"; do
            re=${re#^(} re=${re%)$} re=${re#^} re=${re%$}
            tr '|' '\n' <<<"$re" | sed "s|^|SKIP $name/|; s|\$|: $why|"
        done
        return 0
    fi
    local env=(PAGODA_EMULATOR="$emu" PAGODA_FIRMWARE="$fw" LOGDIR="$LOGDIR/matrix/$name")
    mkdir -p "$LOGDIR/matrix/$name"
    {
        env "${env[@]}" ONLY="$boot_re" tests/boot/boot-tests.sh
        # The static-* cases look at the test kernels' files, not at a boot:
        # the main run has them.
        env "${env[@]}" ONLY="$lk_re" tests/limine/limine-tests.sh | grep -v '^PASS static-'
    } | sed -E "s#^(PASS|FAIL|SKIP) #\\1 $name/#"
}

# The emulator and firmware: from the caller (tests/run-all.sh), else fetched
# now (fast when already there).
if [ -z "${PAGODA_QEMU10:-}${PAGODA_QEMU10_SKIP:-}" ] || [ -z "${PAGODA_OVMF2025_DIR:-}${PAGODA_OVMF2025_SKIP:-}" ]; then
    eval "$(tools/emulators.sh 2>/dev/null)"
    export PAGODA_QEMU10 PAGODA_OVMF2025_DIR
fi

cell 7 ovmf-2025 "$BOOT_CASES_FULL" "$LIMINE_CASES_FULL"
cell 7 ovmf-2025-strictnx "$BOOT_CASES_NX" "$LIMINE_CASES_NX"
cell 10 ovmf-2022 "$BOOT_CASES_FULL" "$LIMINE_CASES_FULL"
cell 10 ovmf-2025 "$BOOT_CASES_FULL" "$LIMINE_CASES_FULL"
cell 10 ovmf-2025-strictnx "$BOOT_CASES_NX" "$LIMINE_CASES_NX"

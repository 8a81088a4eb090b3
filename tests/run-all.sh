#!/usr/bin/env bash
# Every test: host unit/property tests (cmocka, ASan+UBSan), short libFuzzer
# runs, then the QEMU boot tests. Ends with one line "N passed, N failed, N skipped"
# (skipped: SKIP lines, cases whose feature the build does not have yet).
# `make test` builds everything first and runs this.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
LOGDIR=${LOGDIR:-build/test-logs}
export LOGDIR
mkdir -p "$LOGDIR"
passed=0 failed=0 skipped=0

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)...".
host_tests() {
    for t in build/host/tests/test_*; do
        [ -x "$t" ] || continue
        local name log p f
        name=$(basename "$t") log="$LOGDIR/$name.log"
        "$t" > "$log" 2>&1
        local rc=$?
        p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
        f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
        p=${p:-0} f=${f:-0}
        if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed before its summary
        echo "host $name: $p passed, $f failed"
        [ "$f" -ne 0 ] && grep -E '^\[  FAILED  \]|ERROR|runtime error' "$log" | head -5
        passed=$((passed + p)) failed=$((failed + f))
    done
}

fuzz_smoke() {
    for fz in build/fuzz/fuzz_*; do
        [ -x "$fz" ] || continue
        local name corpus log
        name=$(basename "$fz") corpus="build/fuzz-corpus/$name" log="$LOGDIR/$name.log"
        mkdir -p "$corpus"
        if "$fz" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$corpus" > "$log" 2>&1; then
            echo "PASS fuzz $name ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
            passed=$((passed + 1))
        else
            echo "FAIL fuzz $name (see $log)"; grep -E 'ERROR|SUMMARY' "$log" | head -3
            failed=$((failed + 1))
        fi
    done
}

# Scripts that print "PASS name" / "FAIL name: why" lines.
count_lines() {
    local out
    out=$("$@")
    echo "$out"
    passed=$((passed + $(grep -c '^PASS' <<<"$out")))
    failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
}

lint() {
    if make -s lint > "$LOGDIR/lint.log" 2>&1; then
        echo "PASS lint (cppcheck)"; passed=$((passed + 1))
    else
        echo "FAIL lint (cppcheck): see $LOGDIR/lint.log"; head -5 "$LOGDIR/lint.log"; failed=$((failed + 1))
    fi
}

# The matrix's second emulator and firmware (tools/emulators.sh, fetched
# on first use): PAGODA_QEMU10 for the cases that need QEMU 10 and for
# tests/boot/matrix.sh; what cannot be had comes with its reason
# (PAGODA_*_SKIP) and those cases are skipped. Values already in the
# environment win.
emulators() {
    local qemu10=${PAGODA_QEMU10:-} ovmf2025=${PAGODA_OVMF2025_DIR:-}
    eval "$(tools/emulators.sh 2>"$LOGDIR/emulators.log")"
    PAGODA_QEMU10=${qemu10:-${PAGODA_QEMU10:-}} PAGODA_OVMF2025_DIR=${ovmf2025:-${PAGODA_OVMF2025_DIR:-}}
    [ -n "$PAGODA_QEMU10" ] && PAGODA_QEMU10_SKIP=
    [ -n "$PAGODA_OVMF2025_DIR" ] && PAGODA_OVMF2025_SKIP=
    export PAGODA_QEMU10 PAGODA_OVMF2025_DIR PAGODA_QEMU10_SKIP PAGODA_OVMF2025_SKIP
    echo "emulators: ${PAGODA_QEMU10:+QEMU 10 $PAGODA_QEMU10}${PAGODA_QEMU10_SKIP:+cells skipped: $PAGODA_QEMU10_SKIP};" \
         "${PAGODA_OVMF2025_DIR:+OVMF 2025.02 $PAGODA_OVMF2025_DIR}${PAGODA_OVMF2025_SKIP:+cells skipped: $PAGODA_OVMF2025_SKIP}"
}

boot_tests() {
    local out
    emulators
    out=$(tests/boot/boot-tests.sh; tests/elf/elf-tests.sh; tests/boot/screen-test.sh; tests/boot/outside-view.sh; tests/replay/capture-test.sh
          tests/boot/gdb-test.sh; tests/boot/headless-test.sh; tests/limine/limine-tests.sh
          tests/secureboot/sb-tests.sh; tests/boot/matrix.sh)
    echo "$out"
    passed=$((passed + $(grep -c '^PASS' <<<"$out")))
    failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
    skipped=$((skipped + $(grep -c '^SKIP' <<<"$out")))
}

host_tests
count_lines tests/replay/replay-test.sh
lint
fuzz_smoke
[ "${SKIP_BOOT:-0}" = 1 ] || boot_tests
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

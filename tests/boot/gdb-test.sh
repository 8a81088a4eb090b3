#!/usr/bin/env bash
# The README's gdb session, in batch mode: `./run.sh -g` boots, gdb runs
# tools/pagoda.gdb (loader symbols at the image base the loader prints,
# kernel symbols at their link addresses), stops in efi_main and in kmain
# and prints a backtrace in each. Prints "PASS gdb-..." / "FAIL gdb-...: why".
# Logs: $LOGDIR/gdb.log (gdb), gdb-serial.log, gdb-run.stderr.
set -uo pipefail
cd "$(dirname "$0")/../.."

LOGDIR=${LOGDIR:-build/test-logs}
GDB_TEST_TIMEOUT=${GDB_TEST_TIMEOUT:-180}
mkdir -p "$LOGDIR"
command -v gdb >/dev/null || { echo "FAIL gdb-session: no gdb (apt-get install gdb)"; exit 0; }

# A port of our own, so the test can run beside another QEMU with -g.
export PAGODA_GDB_PORT=${PAGODA_GDB_PORT:-$((20000 + RANDOM % 20000))}
export PAGODA_SERIAL_LOG=$LOGDIR/gdb-serial.log
export PAGODA_GDB_TIMEOUT=$GDB_TEST_TIMEOUT
rm -f "$PAGODA_SERIAL_LOG"   # never let gdb read a base from an older run

# A line of efi_main itself (not a callee): where step 3 starts.
line=$(grep -n 'features = platform_cpu_features();' efi/main.c | cut -d: -f1)
[ -n "$line" ] || { echo "FAIL gdb-session: step 3 not found in efi/main.c"; exit 0; }

./run.sh -t -g -T "$GDB_TEST_TIMEOUT" >/dev/null 2>"$LOGDIR/gdb-run.stderr" &
run_pid=$!
timeout "$GDB_TEST_TIMEOUT" gdb -batch -nx -x tools/pagoda.gdb \
    -ex "tbreak efi/main.c:$line" -ex continue -ex 'echo === loader backtrace\n' -ex bt \
    -ex 'hbreak kmain' -ex continue -ex 'echo === kernel backtrace\n' -ex bt \
    -ex kill > "$LOGDIR/gdb.log" 2>&1
gdb_rc=$?
kill "$run_pid" 2>/dev/null
wait "$run_pid" 2>/dev/null

# The backtrace printed after each marker must start in that function.
first_frame_after() { sed -n "/^=== $1 backtrace/{n;p;q}" "$LOGDIR/gdb.log"; }
loader=$(first_frame_after loader)
kernel=$(first_frame_after kernel)
base=$(grep -ao 'loader image base 0x[0-9a-f]*' "$PAGODA_SERIAL_LOG" 2>/dev/null | head -1)

if [ -z "$base" ]; then
    echo "FAIL gdb-base: the loader printed no image base (see $PAGODA_SERIAL_LOG)"
elif ! grep -q "loader symbols at ${base##* }" "$LOGDIR/gdb.log"; then
    echo "FAIL gdb-base: tools/pagoda.gdb did not load the loader at ${base##* } (gdb exit $gdb_rc, see $LOGDIR/gdb.log)"
else
    echo "PASS gdb-base (${base})"
fi
if [[ $loader =~ ^#0\ +efi_main\ \(.*\)\ at\ efi/main\.c:[0-9]+ ]]; then
    echo "PASS gdb-loader-backtrace"
else
    echo "FAIL gdb-loader-backtrace: first frame '${loader}' (gdb exit $gdb_rc, see $LOGDIR/gdb.log)"
fi
# kmain's first line may be an inlined helper (include/x86/cpu.h): the
# frame is kmain's all the same, and below it the ELF entry.
if [[ $kernel =~ ^#0\ +kmain\ \( ]] && sed -n '/^=== kernel backtrace/,$p' "$LOGDIR/gdb.log" |
        grep -Eq '^#1 .* in kernel_entry \(\) at kernel/entry\.S:[0-9]+'; then
    echo "PASS gdb-kernel-backtrace"
else
    echo "FAIL gdb-kernel-backtrace: first frame '${kernel}' (gdb exit $gdb_rc, see $LOGDIR/gdb.log)"
fi

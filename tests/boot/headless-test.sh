#!/usr/bin/env bash
# `make run` on a machine without a display (an SSH session, a container):
# ./run.sh in its interactive mode, with $DISPLAY and $WAYLAND_DISPLAY unset,
# must boot with the serial console on the terminal, not die opening a
# window (QEMU with the GTK UI installed stops with "gtk initialization
# failed"). Prints "PASS run-headless" or "FAIL run-headless: why".
set -uo pipefail
cd "$(dirname "$0")/../.."

LOGDIR=${LOGDIR:-build/test-logs}
HEADLESS_TIMEOUT=${HEADLESS_TIMEOUT:-120}
log=$LOGDIR/run-headless.log
mkdir -p "$LOGDIR"

# Its own session, so that QEMU (run.sh's foreground child) can be stopped
# with it as one process group. The log exists before the first look at it:
# the background job's redirection happens in the child, maybe later.
: >"$log"
setsid env -u DISPLAY -u WAYLAND_DISPLAY ./run.sh </dev/null >"$log" 2>&1 &
pid=$!
deadline=$((SECONDS + HEADLESS_TIMEOUT))
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    grep -aq '^pagoda: result=' "$log" && break
    sleep 0.5
done
kill -- -"$pid" 2>/dev/null
wait "$pid" 2>/dev/null

if grep -aq '^pagoda: result=pass' "$log"; then
    echo "PASS run-headless"
else
    why=$(grep -aE 'gtk|display|run.sh:' "$log" | head -1)
    echo "FAIL run-headless: no result=pass on the terminal${why:+ ($why)}; see $log"
fi

#!/usr/bin/env bash
# Host tests of the memory-map replay (build/tools/replay; format in
# docs/memmap-capture.md). About a second, no QEMU.
#
#   maps/*.txt  captures from QEMU + OVMF (qemu-*) and synthetic maps with
#               real firmware's quirks (synth-*). Each must:
#                 - exit with the status its "# expect-exit: N" line gives
#                   (default 0);
#                 - print every "# expect: TEXT" line it carries (the
#                   intent of the map: warning counts, a tracker line, ...);
#                 - when it exits 0: build page tables with exactly the
#                   computed minimum of frames, 1 GiB and 2 MiB CPUs alike,
#                   and keep the direct map in its window; a QEMU capture
#                   also has no sanitiser warnings (OVMF's map is clean);
#                 - print exactly expected/NAME.out (the golden file).
#   bad/*.txt   malformed files: exit 1 with the message of their
#               "# expect-error: [LINE: ]TEXT" line.
#
# Prints "PASS replay-NAME" or "FAIL replay-NAME: why"; exits 1 on failure.
#   tests/replay/replay-test.sh [--update]
#     --update  rewrite the golden files from the current output (review
#               the diff before committing it)
set -uo pipefail
cd "$(dirname "$0")/../.."

REPLAY=${REPLAY:-build/tools/replay}
DIR=tests/replay
LOGDIR=${LOGDIR:-build/test-logs}
CLEAN_WARNINGS='warnings zero_length=0 wrapped=0 overlaps=0 unaligned=0 unknown_types=0'
update=0
[ "${1:-}" = --update ] && update=1
[ -x "$REPLAY" ] || { echo "FAIL replay-setup: no $REPLAY (run make)"; exit 1; }
mkdir -p "$LOGDIR" "$DIR/expected"
failed=0

fail() { echo "FAIL replay-$1: $2"; failed=1; }

# has OUTPUT TEXT: some line of OUTPUT contains TEXT.
has() { grep -qF -- "$2" <<<"$1"; }

# The properties every map that replays cleanly must have.
check_clean() {
    local name=$1 out=$2
    [ "$(grep -c '^pagetables cpu=.* check=pass$' <<<"$out")" -eq 2 ] ||
        { echo "page tables not minimal: $(grep '^pagetables' <<<"$out" | tr '\n' ' ')"; return 1; }
    has "$out" 'check hhdm-window=pass' || { echo "direct map leaves its window"; return 1; }
    if [[ $name == qemu-* ]] && ! has "$out" "$CLEAN_WARNINGS"; then
        echo "warnings on an OVMF map: $(grep '^warnings' <<<"$out")"; return 1
    fi
}

check_map() {
    local f=$1 name out rc want golden why
    name=$(basename "$f" .txt)
    out=$("$REPLAY" "$f" 2>&1)
    rc=$?
    want=$(sed -n 's/^# expect-exit: //p' "$f")
    [ "$rc" = "${want:-0}" ] || { fail "$name" "exit $rc, expected ${want:-0}: $(tail -n 1 <<<"$out")"; return; }
    while IFS= read -r e; do
        has "$out" "$e" || { fail "$name" "no line with '$e'"; return; }
    done < <(sed -n 's/^# expect: //p' "$f")
    if [ "$rc" = 0 ]; then
        why=$(check_clean "$name" "$out") || { fail "$name" "$why"; return; }
    fi
    golden=$DIR/expected/$name.out
    [ "$update" = 1 ] && printf '%s\n' "$out" > "$golden"
    [ -f "$golden" ] || { fail "$name" "no $golden (--update writes it)"; return; }
    diff -u "$golden" <(printf '%s\n' "$out") > "$LOGDIR/replay-$name.diff" ||
        { fail "$name" "output differs from $golden (see $LOGDIR/replay-$name.diff)"; return; }
    echo "PASS replay-$name"
}

check_bad() {
    local f=$1 name out rc want
    name=bad-$(basename "$f" .txt)
    want=$(sed -n 's/^# expect-error: //p' "$f")
    [ -n "$want" ] || { fail "$name" "no '# expect-error:' line"; return; }
    out=$("$REPLAY" "$f" 2>&1)
    rc=$?
    [ "$rc" = 1 ] || { fail "$name" "exit $rc, expected 1 (malformed)"; return; }
    # The message is "replay: FILE:LINE: problem" or "replay: FILE: problem".
    has "$out" "$f:$want" || has "$out" "$f: $want" || { fail "$name" "said '$out', expected '$want'"; return; }
    echo "PASS replay-$name"
}

for f in "$DIR"/maps/*.txt; do check_map "$f"; done
for f in "$DIR"/bad/*.txt; do check_bad "$f"; done
exit $failed

#!/usr/bin/env bash
# The second emulator and firmware of the test matrix (docs/testing.md), from
# Debian's package archive, next to the system's own QEMU 7.2 / OVMF 2022.11
# and without touching them: QEMU 10.0 from bookworm-backports and OVMF
# 2025.02 from Debian 13 (trixie), unpacked under build/emulators/.
#
#   tools/emulators.sh [fetch]   fetch what is missing (fast when present), then
#                                print the environment to use, one KEY=VALUE a line:
#                                  PAGODA_QEMU10=CMD        a qemu-system-x86_64 (wrapper)
#                                  PAGODA_OVMF2025_DIR=DIR  OVMF_CODE_4M*.fd, OVMF_VARS_4M.fd
#                                or, for a part that cannot be had,
#                                  PAGODA_QEMU10_SKIP=why / PAGODA_OVMF2025_SKIP=why
#                                (also one line on stderr); exit 0 if both are there,
#                                1 if either is missing
#   tools/emulators.sh env       the same lines for what is already fetched (no network)
#   tools/emulators.sh refresh   forget what was fetched and fetch again
#
# The tests read that output (`eval "$(tools/emulators.sh)"`) and report the
# cells they cannot run as skipped, with the reason. No root needed beyond
# what apt-get itself asks: the sources list, package lists and download cache
# are private (build/emulators/apt/), nothing is installed with dpkg; the
# packages are only unpacked (dpkg -x).
#
# Integrity: `apt-get update` accepts the suites' InRelease files only when
# they verify against the Debian archive keyring (signed-by below), and
# `apt-get download` checks each .deb's SHA256 against the Packages index that
# signed Release lists; a .deb that does not match is refused. So what is
# unpacked here is what Debian signed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

DIR=${PAGODA_EMULATORS_DIR:-$PWD/build/emulators}
APT_DIR=$DIR/apt
KEYRING=${PAGODA_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
QEMU_SUITE=bookworm-backports
QEMU_PKGS="qemu-system-x86 qemu-system-common qemu-system-data"
OVMF_SUITE=trixie
OVMF_PKGS="ovmf"
QEMU_ROOT=$DIR/qemu10
OVMF_ROOT=$DIR/ovmf2025
QEMU_WRAPPER=$DIR/bin/qemu-system-x86_64
OVMF_DIR=$OVMF_ROOT/usr/share/OVMF
# The files the matrix uses; all must be in the unpacked ovmf package.
OVMF_FILES="OVMF_CODE_4M.fd OVMF_CODE_4M.secboot.strictnx.fd OVMF_VARS_4M.fd"
QEMU_VERSION_RE='^QEMU emulator version 10\.'

say() { echo "emulators: $*" >&2; }

# The Debian mirror this machine's apt already uses for bookworm; the extra
# suites come from the same place. DEBIAN_MIRROR=URL overrides.
mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    apt-get indextargets --format '$(RELEASE) $(CREATED_BY) $(REPO_URI)' 2>/dev/null |
        awk '$1 == "bookworm" && $2 == "Packages" { print $3; exit }'
}

# apt_private ARGS...: apt-get on the private sources list, lists and cache.
apt_private() {
    apt-get -q -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache" \
        -o Dir::State::status=/var/lib/dpkg/status -o APT::Get::List-Cleanup=0 "$@"
}

# update: the private package lists, fetched again when older than a day
# (or missing), so a second run needs no network.
update() {
    local url stamp=$APT_DIR/lists/.updated
    if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -1440)" ]; then return 0; fi
    command -v apt-get >/dev/null || { echo "no apt-get (not a Debian system)"; return 1; }
    [ -r "$KEYRING" ] || { echo "no $KEYRING (apt-get install debian-archive-keyring)"; return 1; }
    url=$(mirror)
    [ -n "$url" ] || { echo "no Debian bookworm source in the system's apt configuration (set DEBIAN_MIRROR=URL)"; return 1; }
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
    {
        echo "deb [signed-by=$KEYRING] $url $QEMU_SUITE main"
        echo "deb [signed-by=$KEYRING] $url $OVMF_SUITE main"
    } > "$APT_DIR/sources.list"
    # apt drops to its sandbox user for downloads; let it write here.
    [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1 && chown -R _apt "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
    if ! apt_private update > "$APT_DIR/update.log" 2>&1; then
        echo "apt-get update of $QEMU_SUITE/$OVMF_SUITE failed: $(grep -E '^(E|W):' "$APT_DIR/update.log" | head -1)"
        return 1
    fi
    # apt-get update exits 0 when a source is unreachable (W: lines): the
    # lists must be there.
    if grep -qE '^(E:|W: Failed to fetch|Err:)' "$APT_DIR/update.log"; then
        echo "apt-get update of $QEMU_SUITE/$OVMF_SUITE: $(grep -E '^(E:|W: Failed)' "$APT_DIR/update.log" | head -1 | sed 's/^[EW]: //')"
        return 1
    fi
    touch "$stamp"
}

# fetch_debs SUITE ROOT PKG...: download PKG/SUITE (verified by apt-get) and
# unpack them into ROOT (replacing what was there).
fetch_debs() {
    local suite=$1 root=$2 pkg debs=$2.debs; shift 2
    rm -rf "$debs" "$root.tmp"
    mkdir -p "$debs" "$root.tmp"
    [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1 && chown _apt "$debs"
    local specs=()
    for pkg in "$@"; do specs+=("$pkg/$suite"); done
    if ! (cd "$debs" && apt_private download "${specs[@]}") > "$root.log" 2>&1; then
        echo "apt-get download ${specs[*]} failed: $(grep -E '^(E|W):' "$root.log" | head -1)"
        return 1
    fi
    for pkg in "$debs"/*.deb; do
        dpkg -x "$pkg" "$root.tmp" || { echo "dpkg -x $(basename "$pkg") failed"; return 1; }
    done
    rm -rf "$root"
    mv "$root.tmp" "$root"
    ls "$debs" > "$root/.debs"
    rm -rf "$debs"
}

# write_wrapper: a qemu-system-x86_64 that runs the unpacked QEMU 10 with its
# own modules, libraries and data (firmware blobs, option ROMs), and no audio
# (the backports build would try the host's sound system).
write_wrapper() {
    mkdir -p "$(dirname "$QEMU_WRAPPER")"
    cat > "$QEMU_WRAPPER.tmp" <<EOF
#!/bin/sh
# Written by tools/emulators.sh: QEMU 10 ($QEMU_SUITE) unpacked at $QEMU_ROOT.
R='$QEMU_ROOT'
export QEMU_MODULE_DIR=\$R/usr/lib/x86_64-linux-gnu/qemu
export LD_LIBRARY_PATH=\$R/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
exec "\$R/usr/bin/qemu-system-x86_64" -L "\$R/usr/share/qemu" -L "\$R/usr/share/seabios" -audio none "\$@"
EOF
    chmod +x "$QEMU_WRAPPER.tmp"
    mv "$QEMU_WRAPPER.tmp" "$QEMU_WRAPPER"
}

# qemu_ok: the wrapper runs and is QEMU 10 (libraries resolve on this host).
qemu_ok() {
    [ -x "$QEMU_WRAPPER" ] && [ -x "$QEMU_ROOT/usr/bin/qemu-system-x86_64" ] &&
        "$QEMU_WRAPPER" --version 2>/dev/null | grep -Eq "$QEMU_VERSION_RE"
}

ovmf_ok() {
    local f
    for f in $OVMF_FILES; do [ -s "$OVMF_DIR/$f" ] || return 1; done
}

# why_qemu_broken: the reason a fetched QEMU 10 does not run here.
why_qemu_broken() {
    local missing
    missing=$(LD_LIBRARY_PATH=$QEMU_ROOT/usr/lib/x86_64-linux-gnu ldd "$QEMU_ROOT/usr/bin/qemu-system-x86_64" 2>/dev/null |
              awk '/not found/ { print $1 }' | tr '\n' ' ')
    if [ -n "$missing" ]; then echo "QEMU 10 needs libraries this host lacks: $missing"; return; fi
    echo "QEMU 10 does not run: $("$QEMU_WRAPPER" --version 2>&1 | head -1)"
}

fetch() {
    local why
    if ! qemu_ok || ! ovmf_ok; then
        why=$(update) || { qemu_ok || QEMU_SKIP=$why; ovmf_ok || OVMF_SKIP=$why; return; }
    fi
    if ! qemu_ok; then
        # shellcheck disable=SC2086
        if why=$(fetch_debs "$QEMU_SUITE" "$QEMU_ROOT" $QEMU_PKGS); then
            write_wrapper
            qemu_ok || QEMU_SKIP=$(why_qemu_broken)
        else
            QEMU_SKIP=$why
        fi
    fi
    if ! ovmf_ok; then
        # shellcheck disable=SC2086
        if why=$(fetch_debs "$OVMF_SUITE" "$OVMF_ROOT" $OVMF_PKGS); then
            ovmf_ok || OVMF_SKIP="the $OVMF_SUITE ovmf package has not all of: $OVMF_FILES"
        else
            OVMF_SKIP=$why
        fi
    fi
}

# report: the environment on stdout; on stderr one line for what is missing.
report() {
    local missing=()
    if [ -z "$QEMU_SKIP" ] && qemu_ok; then
        echo "PAGODA_QEMU10=$QEMU_WRAPPER"
    else
        QEMU_SKIP=${QEMU_SKIP:-not fetched (tools/emulators.sh)}
        echo "PAGODA_QEMU10_SKIP='QEMU 10: ${QEMU_SKIP//\'/}'"; missing+=("QEMU 10")
    fi
    if [ -z "$OVMF_SKIP" ] && ovmf_ok; then
        echo "PAGODA_OVMF2025_DIR=$OVMF_DIR"
    else
        OVMF_SKIP=${OVMF_SKIP:-not fetched (tools/emulators.sh)}
        echo "PAGODA_OVMF2025_SKIP='OVMF 2025.02: ${OVMF_SKIP//\'/}'"; missing+=("OVMF 2025.02")
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ ${#missing[@]} -eq 2 ] && [ "$QEMU_SKIP" = "$OVMF_SKIP" ]; then
        say "no QEMU 10, no OVMF 2025.02: $QEMU_SKIP"
    else
        [ -n "$QEMU_SKIP" ] && say "no QEMU 10: $QEMU_SKIP"
        [ -n "$OVMF_SKIP" ] && say "no OVMF 2025.02: $OVMF_SKIP"
    fi
    return 1
}

QEMU_SKIP= OVMF_SKIP=
case ${1:-fetch} in
    fetch) fetch; report ;;
    env) report ;;
    refresh) rm -rf "$DIR"; fetch; report ;;
    *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The packages Pagoda needs, in one place: the Makefile asks before it
# builds anything, `make deps` installs them, .ci/run and the README name
# the same Debian 12 packages.
#
#   tools/deps.sh check [GOAL...]   which packages the make goals need and are
#                                   missing; says how to install them; exit 1 if any
#   tools/deps.sh ensure [GOAL...]  check; where packages are missing and apt-get
#                                   exists, install them (sudo if not root; DEPS_INSTALL=0
#                                   only reports), then check again
#   tools/deps.sh install           install all of them with apt-get (sudo if not root)
#   tools/deps.sh list              the Debian package names, one line
#
# Each package is probed by a command or a file it installs, not through
# dpkg, so the check also passes where the tools came from elsewhere.
set -euo pipefail

# package | probe (cmd:NAME or file:PATH, glob allowed) | goals that need it
# "build" is what `make` (all) needs; every other goal needs build too.
PACKAGES='
build-essential     | cmd:gcc                                        | build
build-essential     | cmd:make                                       | build
gnu-efi             | file:/usr/lib/crt0-efi-x86_64.o                | build
console-setup-linux | file:/usr/share/consolefonts/Lat15-Terminus16.psf.gz | build
qemu-system-x86     | cmd:qemu-system-x86_64                         | run test
ovmf                | file:/usr/share/OVMF/OVMF_CODE_4M.fd           | run test
python3             | cmd:python3                                    | test
libcmocka-dev       | file:/usr/include/cmocka.h                     | test test-host
clang               | cmd:clang                                      | test test-fuzz
libclang-rt-14-dev  | file:/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a | test test-fuzz
mtools              | cmd:mcopy                                      | test image
gdisk               | cmd:sgdisk                                     | test image
cppcheck            | cmd:cppcheck                                   | test lint
gdb                 | cmd:gdb                                        | test
sbsigntool          | cmd:sbsign                                     | test sign
swtpm               | cmd:swtpm                                      | test
openssl             | cmd:openssl                                    | test
'

all_packages() {
    sed -n 's/^\([a-z0-9.+-]*\) *|.*/\1/p' <<<"$PACKAGES" | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//'
}

present() {
    local probe=$1
    case $probe in
        cmd:*) command -v "${probe#cmd:}" >/dev/null 2>&1 ;;
        file:*) compgen -G "${probe#file:}" >/dev/null ;;
    esac
}

# wanted TAGS GOAL: does a package tagged TAGS matter for GOAL?
wanted() {
    local goals=$1 goal=$2
    case $goal in
        clean|deps) return 1 ;;
    esac
    [[ " $goals " == *" build "* ]] && return 0
    [[ " $goals " == *" $goal "* ]]
}

check() {
    local goals=("$@") missing=() line pkg probe tags goal
    [ ${#goals[@]} -gt 0 ] || goals=(all)
    while IFS='|' read -r pkg probe tags; do
        pkg=$(echo $pkg) probe=$(echo $probe) tags=$(echo $tags)
        [ -n "$pkg" ] || continue
        for goal in "${goals[@]}"; do
            case $goal in
                screenshots) goal=test ;;         # QEMU and python3
                bench|soak) goal=run ;;           # tests/bench/smp-bringup.sh, tests/soak/ boot QEMU
                all|install|*/*|*.*) goal=build ;;
            esac
            if wanted "$tags" "$goal" && ! present "$probe"; then
                [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
                echo "missing: ${probe#*:} (Debian package $pkg)" >&2
                break
            fi
        done
    done <<<"$PACKAGES"
    [ ${#missing[@]} -eq 0 ] && return 0
    MISSING=("${missing[@]}")
    echo "install with: sudo make deps   (or: sudo apt-get install -y ${missing[*]})" >&2
    echo "other distributions: README.md, \"Packages\"" >&2
    return 1
}

# install PACKAGE...: apt-get, as root or through sudo. Its output goes to
# stderr: the Makefile runs `ensure` inside $(shell), which keeps stdout.
install() {
    local sudo=()
    if ! command -v apt-get >/dev/null; then
        echo "deps.sh: no apt-get; install by hand: README.md, \"Packages\", names them for Fedora and Arch" >&2
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "deps.sh: run as root (no sudo)" >&2; exit 1; }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >&2
}

# A fresh Debian machine needs nothing but `make run` / `make test`: what
# is missing is named, then installed.
ensure() {
    MISSING=()
    check "$@" 2>&1 && return 0
    [ "${DEPS_INSTALL:-1}" != 0 ] && command -v apt-get >/dev/null || return 1
    echo "deps.sh: installing ${MISSING[*]} (DEPS_INSTALL=0 only reports)" >&2
    install "${MISSING[@]}"
    check "$@"
}

case ${1:-} in
    check) shift; check "$@" ;;
    ensure) shift; ensure "$@" >&2 ;;
    install) read -ra all <<<"$(all_packages)"; install "${all[@]}" ;;
    list) all_packages; echo ;;
    *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

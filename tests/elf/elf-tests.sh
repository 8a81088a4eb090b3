#!/usr/bin/env bash
# QEMU + OVMF boot tests of the ELF kinds the loader accepts besides
# Pagoda's own ET_EXEC kernel (tests/elf/, built by `make elf-kernels`,
# which `make test` does). Each case prints "PASS name" or "FAIL name: why";
# logs go to $LOGDIR.
#  - Before booting a file, readelf must show that it really is the kind
#    its case is about (RELR present, each symbol relocation type present,
#    an empty PT_LOAD...), so no case can pass on a file that lost its point.
#  - Good kernels run their own checks of what the loader did (relocated
#    pointers against RIP-relative addresses, .bss, unaligned segments) and
#    exit QEMU with their verdict; the loader's relocation line is checked.
#  - Bad kernels (linked so, or made by tests/elf/mkbadpie.py) must be
#    refused with their own message while the firmware moves on.
set -uo pipefail
cd "$(dirname "$0")/../.."

LOGDIR=${LOGDIR:-build/test-logs}
JOBS=${JOBS:-2}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
ELFT=build/elf
BAD_DIR=build/bad-pie
PAGE=4096
mkdir -p "$LOGDIR"

# load_lines FILE: "vaddr filesz memsz" of each PT_LOAD, in decimal.
load_lines() {
    readelf -lW "$1" | awk '$1 == "LOAD" {print $3, $5, $6}' |
        while read -r va fs ms; do echo $((va)) $((fs)) $((ms)); done
}

# kind FILE WHAT: is FILE of that kind? Prints why not.
kind() {
    local f=$1 what=$2
    case $what in
        dyn) readelf -h "$f" | grep -Eq 'Type: +DYN' ;;
        exec) readelf -h "$f" | grep -Eq 'Type: +EXEC' ;;
        linked-at-0) [ "$(load_lines "$f" | sort -n | head -1 | cut -d' ' -f1)" = 0 ] ;;
        relr) readelf -d "$f" | grep -q '(RELR)' ;;
        rela-relative) readelf -rW "$f" | grep -q 'R_X86_64_RELATIVE' ;;
        r64) readelf -rW "$f" | grep -Eq 'R_X86_64_64 +[0-9a-f]+ [a-z_]' ;;
        glob-dat) readelf -rW "$f" | grep -q 'R_X86_64_GLOB_DAT' ;;
        jump-slot) readelf -rW "$f" | grep -q 'R_X86_64_JUMP_SLOT' ;;
        empty-load) load_lines "$f" | awk '$3 == 0' | grep -q . ;;
        unaligned-load) load_lines "$f" | awk -v p=$PAGE '$3 > 0 && $1 % p != 0' | grep -q . ;;
        big-bss) load_lines "$f" | awk '$3 - $2 > 32 * 1048576' | grep -q . ;;
        interp) readelf -lW "$f" | grep -q 'INTERP' ;;
        note|gnu_relro|gnu_eh_frame|gnu_stack)
            readelf -lW "$f" | grep -q "^ *$(echo "$what" | tr a-z A-Z) " ;;
        *) echo "unknown kind $what"; return 1 ;;
    esac || { echo "$f is not $what"; return 1; }
}

# elf_good NAME FILE KINDS LOADER-REGEX: a test-mode boot of FILE that must pass.
elf_good() {
    local name=$1 file=$2 kinds=$3 loader_re=$4 log="$LOGDIR/$1.log" why k
    [ -f "$file" ] || { echo "FAIL $name: no $file (make elf-kernels)"; return; }
    for k in $kinds; do
        why=$(kind "$file" "$k") || { echo "FAIL $name: $why"; return; }
    done
    # These kernels never read the boot info, so the loader's progress lines
    # (which it leaves to the kernel, bootinfo.loader_log) reach COM1 only
    # when the loader writes them itself: pagoda.serial=sync.
    ./run.sh -t -k "$file" -a pagoda.serial=sync -T "$BOOT_TIMEOUT" -l "$log" >/dev/null 2>"$log.stderr"
    local rc=$?
    [ $rc -eq 0 ] || { echo "FAIL $name: run.sh exit $rc ($(grep -E 'elftest: check .*=fail|rejected' "$log" | head -2 | tr '\n' ' '))"; return; }
    grep -q '^elftest: result=pass$' "$log" || { echo "FAIL $name: no result=pass"; return; }
    if grep -q '^elftest: check .*=fail' "$log"; then echo "FAIL $name: a check failed"; return; fi
    grep -Eq -- "$loader_re" "$log" || { echo "FAIL $name: missing /$loader_re/"; return; }
    echo "PASS $name"
}

# elf_bad NAME MESSAGE FILE [KINDS]: the loader must refuse FILE and return.
elf_bad() {
    local name=$1 msg=$2 file=$3 kinds=${4:-} log="$LOGDIR/$1.log" why k
    [ -f "$file" ] || { echo "FAIL $name: no $file (make elf-kernels)"; return; }
    for k in $kinds; do
        why=$(kind "$file" "$k") || { echo "FAIL $name: $why"; return; }
    done
    ./run.sh -r -k "$file" -T "$BOOT_TIMEOUT" -l "$log" >/dev/null 2>"$log.stderr"
    local rc=$?
    [ $rc -eq 0 ] || { echo "FAIL $name: run.sh -r exit $rc"; return; }
    grep -Fq -- "$msg" "$log" || { echo "FAIL $name: no message '$msg'"; return; }
    grep -Fq 'not booting; returning to the firmware' "$log" || { echo "FAIL $name: no return"; return; }
    echo "PASS $name"
}

RELOC_LINE='^pagoda: kernel: position-independent, slide 0xffffffff80000000, '
cases=()
cases+=("elf_good elf-pie-relr $ELFT/pie-relr.elf 'dyn linked-at-0 relr rela-relative note gnu_relro gnu_eh_frame gnu_stack unaligned-load' '${RELOC_LINE}[1-9][0-9]* RELA \\+ [1-9][0-9]* RELR relocations applied\$'")
cases+=("elf_good elf-shared-symbols $ELFT/shared-sym.elf 'dyn linked-at-0 rela-relative r64 glob-dat jump-slot' '${RELOC_LINE}[1-9][0-9]* RELA \\+ 0 RELR relocations applied\$'")
cases+=("elf_good elf-quirks $ELFT/quirks.elf 'exec empty-load unaligned-load big-bss note gnu_eh_frame gnu_stack' '^pagoda: kernel: 3 segments, '")
cases+=("elf_bad elf-bad-undefined-symbol \"undefined symbol 'elftest_missing_function'\" $ELFT/shared-undefined.elf 'dyn jump-slot'")
cases+=("elf_bad elf-bad-interp 'PT_INTERP: the kernel asks for a dynamic linker' $ELFT/pie-interp.elf 'dyn interp'")
if [ -f "$ELFT/pie-relr.elf" ]; then
    python3 tests/elf/mkbadpie.py "$ELFT/pie-relr.elf" "$BAD_DIR" >/dev/null || { echo "FAIL mkbadpie"; exit 1; }
    while IFS=$'\t' read -r file msg; do
        [ -n "$file" ] && cases+=("elf_bad elf-bad-${file%.elf} '$msg' $BAD_DIR/$file")
    done < "$BAD_DIR/cases.tsv"
fi

export -f elf_good elf_bad kind load_lines
export LOGDIR BOOT_TIMEOUT PAGE
# ONLY=REGEX runs the cases whose name matches.
printf '%s\n' "${cases[@]}" | awk -v re="${ONLY:-.}" '$2 ~ re' | xargs -d '\n' -P "$JOBS" -I{} bash -c '{}'

#!/usr/bin/env bash
# Secure Boot and measured boot, end to end (docs/secure-boot.md):
#  - image layout: every byte of BOOTX64.EFI is hashed by Authenticode or
#    legitimately excluded, the signer's digest is that walk's, a flipped
#    byte in any hashed region breaks the signature (sbverify), sbsign
#    warns of no gap;
#  - in the snakeoil Secure Boot firmware (OVMF_CODE_4M.snakeoil.fd, a copy
#    of its VARS; PK/KEK/db = /usr/share/ovmf/PkKek-1-snakeoil.pem): the
#    signed loader boots the embedded kernel, the unsigned one is refused by
#    the firmware, a pinned external kernel boots, and a tampered kernel,
#    module or config, an unpinned config and a config naming an unpinned
#    kernel are each refused with their own message;
#  - with swtpm attached: the PCRs the TPM holds after the loader measured
#    (read through TPM2_PCR_Read) equal tools/tpm-replay's replay of the
#    event log the loader wrote.
# Prints "PASS sb-NAME", "FAIL sb-NAME: why" or "SKIP sb-NAME: why"
# (sbsigntool or swtpm missing); logs under $LOGDIR/secureboot/.
#   ONLY=REGEX JOBS=N tests/secureboot/sb-tests.sh   (N boots at a time, default 2)
set -uo pipefail
cd "$(dirname "$0")/../.."

LOGDIR=${LOGDIR:-build/test-logs}/secureboot
BOOT_TIMEOUT=${BOOT_TIMEOUT:-180}
FW_CODE=/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd
FW_VARS=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
SNAKEOIL_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
SNAKEOIL_PASS=snakeoil
SB_MACHINE="-machine smm=on -global driver=cfi.pflash01,property=secure,value=on"
LOADER=${SB_LOADER:-esp/EFI/BOOT/BOOTX64.EFI}
KERNEL=build/kernel/pagoda.elf
LIMINE_KERNEL=build/limine/lk-rev6.elf
PIN=build/tools/pagoda-pin
REPLAY=build/tools/tpm-replay
IMAGE=build/pagoda.img
PCRS_COMPARED=10          # PCRs 0-9: the firmware's and the loader's (8, 9)
JOBS=${JOBS:-2}
mkdir -p "$LOGDIR"

only() { [[ $1 =~ ${ONLY:-.} ]]; }
pass() { echo "PASS sb-$1"; }
fail() { echo "FAIL sb-$1: $2"; }
skip() { echo "SKIP sb-$1: $2"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

ALL="pe-layout signed-embedded unsigned-refused pinned-kernel tampered-kernel tampered-module
     tampered-config unpinned-config unpinned-kernel verify-no-sb tpm-pcrs"
if ! command -v sbsign >/dev/null || ! command -v sbverify >/dev/null; then
    for c in $ALL; do only "$c" && skip "$c" "no sbsign/sbverify (apt-get install sbsigntool)"; done
    exit 0
fi
for f in "$LOADER" "$KERNEL" "$PIN" "$REPLAY" "$FW_CODE" "$FW_VARS" "$SNAKEOIL_KEY"; do
    [ -e "$f" ] || { echo "FAIL sb-setup: no $f (make; apt-get install ovmf)"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pagoda-sb.XXXXXX")
swtpm_pid=
trap '[ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null; rm -rf "$work"' EXIT
# run.sh takes its firmware as OVMF_DIR/OVMF_{CODE,VARS}_4M.fd (and copies
# the VARS for each run, so the enrolled keys never change).
mkdir -p "$work/fw"
ln -s "$FW_CODE" "$work/fw/OVMF_CODE_4M.fd"
ln -s "$FW_VARS" "$work/fw/OVMF_VARS_4M.fd"
openssl rsa -passin "pass:$SNAKEOIL_PASS" -in "$SNAKEOIL_KEY" -out "$work/db.key" 2>/dev/null ||
    { echo "FAIL sb-setup: cannot decrypt $SNAKEOIL_KEY"; exit 1; }

# signed_loader OUT [CONF]: BOOTX64.EFI with CONF's hash enrolled, signed.
signed_loader() {
    cp "$LOADER" "$1.unsigned"
    [ -n "${2:-}" ] && { "$PIN" "$1.unsigned" "$2" >/dev/null || return 1; }
    sbsign --key "$work/db.key" --cert "$SNAKEOIL_CERT" --output "$1" "$1.unsigned" 2>"$1.sbsign.log" >/dev/null
}

# esp NAME LOADER: a fresh ESP directory with LOADER as the removable-media path.
esp() {
    rm -rf "$work/$1"
    mkdir -p "$work/$1/EFI/BOOT" "$work/$1/EFI/pagoda"
    cp "$2" "$work/$1/EFI/BOOT/BOOTX64.EFI"
    echo "$work/$1"
}

# boot NAME MODE ESP [run.sh args...]: one boot in the Secure Boot firmware;
# MODE -t (kernel verdict) or -r (refused, firmware moves on).
boot() {
    local name=$1 mode=$2 dir=$3; shift 3
    OVMF_DIR="$work/fw" ./run.sh -e "$dir" "$mode" -c 1 -T "$BOOT_TIMEOUT" -l "$LOGDIR/$name.log" \
        -q "$SB_MACHINE ${SB_EXTRA_QEMU:-}" "$@" >/dev/null 2>&1
}

# refused NAME ESP WANT: the loader refused with WANT (a fixed string) and
# the firmware went on (Security Violation) without any kernel running.
refused() {
    local name=$1 dir=$2 want=$3
    boot "$name" -r "$dir" || { fail "$name" "not refused (run.sh $?; $LOGDIR/$name.log)"; return; }
    grep -aqF "$want" "$LOGDIR/$name.log" || { fail "$name" "no '$want' in $LOGDIR/$name.log"; return; }
    grep -aq 'Security Violation' "$LOGDIR/$name.log" ||
        { fail "$name" "the firmware was not told Security Violation"; return; }
    pass "$name"
}

chain_line() { grep -a -m1 '^pagoda: chain ' "$1"; }

case_pe_layout() {
    local n=pe-layout t="$work/layout.efi" out
    out=$(python3 tests/secureboot/pe_authenticode.py "$LOADER") || { fail $n "unsigned: $out"; return; }
    signed_loader "$t" || { fail $n "sbsign failed"; return; }
    grep -q 'gaps between' "$t.sbsign.log" && { fail $n "sbsign: $(head -1 "$t.sbsign.log")"; return; }
    out=$(python3 tests/secureboot/pe_authenticode.py --signed "$t") || { fail $n "signed: $out"; return; }
    sbverify --cert "$SNAKEOIL_CERT" "$t" >/dev/null 2>&1 || { fail $n "sbverify refuses the signed loader"; return; }
    # Enrolling into a signed loader would break its signature: refused.
    printf 'x=1\n' > "$work/x.conf"
    "$PIN" "$t" "$work/x.conf" >/dev/null 2>&1 && { fail $n "pagoda-pin wrote into a signed loader"; return; }
    [ "$("$PIN" "$t" --show)" = none ] || { fail $n "the unpinned loader shows a pin"; return; }
    # One flipped byte per hashed region must break the signature; the
    # checksum field (excluded) must not.
    out=$(python3 - "$t" "$SNAKEOIL_CERT" <<'PY'
import subprocess, sys
sys.path.insert(0, "tests/secureboot")
import pe_authenticode as pa
img = open(sys.argv[1], "rb").read()
hashed, excluded, _, _ = pa.regions(img)
def verifies(data):
    open(sys.argv[1] + ".t", "wb").write(data)
    return subprocess.run(["sbverify", "--cert", sys.argv[2], sys.argv[1] + ".t"],
                          capture_output=True).returncode == 0
for lo, hi in hashed:
    at = (lo + hi) // 2
    d = bytearray(img); d[at] ^= 0x01
    if verifies(bytes(d)):
        print(f"byte 0x{at:x} in hashed region [0x{lo:x},0x{hi:x}) changed, signature still verifies")
lo, hi, _ = excluded[0]
d = bytearray(img); d[lo] ^= 0x01
if not verifies(bytes(d)):
    print("the checksum field is hashed")
PY
)
    [ -z "$out" ] || { fail $n "$out"; return; }
    pass $n
}

case_signed_embedded() {
    local n=signed-embedded conf="$work/emb.conf" dir line
    printf 'cmdline=pagoda.test\n' > "$conf"
    signed_loader "$work/emb.efi" "$conf" || { fail $n "sign"; return; }
    dir=$(esp emb "$work/emb.efi")
    boot $n -t "$dir" -C "$conf" || { fail $n "boot did not pass ($LOGDIR/$n.log)"; return; }
    line=$(chain_line "$LOGDIR/$n.log")
    [[ $line == *"secure_boot=on"*"verify=on config=pinned"* ]] || { fail $n "mode line: '$line'"; return; }
    pass $n
}

case_unsigned_refused() {
    local n=unsigned-refused dir
    dir=$(esp unsigned "$LOADER")
    boot $n -r "$dir" || { fail $n "not refused ($LOGDIR/$n.log)"; return; }
    grep -aq 'Access Denied' "$LOGDIR/$n.log" || { fail $n "no 'Access Denied' from the firmware"; return; }
    grep -aq 'Pagoda .* boot loader' "$LOGDIR/$n.log" && { fail $n "the unsigned loader ran"; return; }
    pass $n
}

# A pinned external kernel: conf with kernel= and kernel_sha256=.
kernel_conf() {   # kernel_conf OUT KERNEL_FILE [extra lines]
    local out=$1 k=$2; shift 2
    { echo 'kernel=\EFI\pagoda\kernel.elf'; echo "kernel_sha256=$(sha "$k")"
      echo 'cmdline=pagoda.test'; printf '%s\n' "$@"; } > "$out"
}

case_pinned_kernel() {
    local n=pinned-kernel conf="$work/pk.conf" dir line
    kernel_conf "$conf" "$KERNEL"
    signed_loader "$work/pk.efi" "$conf" || { fail $n "sign"; return; }
    dir=$(esp pk "$work/pk.efi")
    boot $n -t "$dir" -C "$conf" -k "$KERNEL" || { fail $n "boot did not pass ($LOGDIR/$n.log)"; return; }
    grep -aq 'pagoda: refused' "$LOGDIR/$n.log" && { fail $n "something was refused"; return; }
    pass $n
}

case_tampered_kernel() {
    local n=tampered-kernel conf="$work/tk.conf" dir
    kernel_conf "$conf" "$KERNEL"
    signed_loader "$work/tk.efi" "$conf" || { fail $n "sign"; return; }
    cp "$KERNEL" "$work/tk.elf"
    printf 'X' >> "$work/tk.elf"     # still a valid ELF: only the hash tells
    dir=$(esp tk "$work/tk.efi")
    cp "$conf" "$dir/EFI/pagoda/pagoda.conf"; cp "$work/tk.elf" "$dir/EFI/pagoda/kernel.elf"
    refused $n "$dir" 'pagoda: refused \EFI\pagoda\kernel.elf: SHA-256 differs from its pin (kernel_sha256= in the config)'
}

case_unpinned_kernel() {
    local n=unpinned-kernel conf="$work/uk.conf" dir
    printf 'kernel=\\EFI\\pagoda\\kernel.elf\ncmdline=pagoda.test\n' > "$conf"
    signed_loader "$work/uk.efi" "$conf" || { fail $n "sign"; return; }
    dir=$(esp uk "$work/uk.efi")
    cp "$conf" "$dir/EFI/pagoda/pagoda.conf"; cp "$KERNEL" "$dir/EFI/pagoda/kernel.elf"
    refused $n "$dir" 'pagoda: refused \EFI\pagoda\kernel.elf: not pinned (no kernel_sha256= in the config)'
}

case_tampered_module() {
    local n=tampered-module conf="$work/tm.conf" dir
    [ -e "$LIMINE_KERNEL" ] || { fail $n "no $LIMINE_KERNEL (make)"; return; }
    head -c 4096 /dev/urandom > "$work/mod.bin"
    kernel_conf "$conf" "$LIMINE_KERNEL" "module=\\EFI\\pagoda\\mod.bin sha256=$(sha "$work/mod.bin") m"
    signed_loader "$work/tm.efi" "$conf" || { fail $n "sign"; return; }
    dir=$(esp tm "$work/tm.efi")
    cp "$conf" "$dir/EFI/pagoda/pagoda.conf"; cp "$LIMINE_KERNEL" "$dir/EFI/pagoda/kernel.elf"
    cp "$work/mod.bin" "$dir/EFI/pagoda/mod.bin"
    printf '\x01' | dd of="$dir/EFI/pagoda/mod.bin" bs=1 seek=100 conv=notrunc status=none
    refused $n "$dir" 'pagoda: refused \EFI\pagoda\mod.bin: SHA-256 differs from its pin (sha256= on its module= line or file_sha256=)'
}

case_tampered_config() {
    local n=tampered-config conf="$work/tc.conf" dir
    printf 'cmdline=pagoda.test\n' > "$conf"
    signed_loader "$work/tc.efi" "$conf" || { fail $n "sign"; return; }
    dir=$(esp tc "$work/tc.efi")
    printf 'cmdline=pagoda.test\nverbose=1\n' > "$dir/EFI/pagoda/pagoda.conf"
    refused $n "$dir" 'pagoda: refused \EFI\pagoda\pagoda.conf: SHA-256 differs from its pin (the hash enrolled in BOOTX64.EFI)'
}

case_unpinned_config() {
    local n=unpinned-config dir
    signed_loader "$work/uc.efi" || { fail $n "sign"; return; }
    dir=$(esp uc "$work/uc.efi")
    printf 'cmdline=pagoda.test\n' > "$dir/EFI/pagoda/pagoda.conf"
    refused $n "$dir" 'pagoda: refused \EFI\pagoda\pagoda.conf: not pinned (Secure Boot is on and BOOTX64.EFI has no config hash enrolled)'
}

# Secure Boot off (the plain firmware), verify=1: an unpinned kernel is
# refused all the same, and the mode line says so.
case_verify_no_sb() {
    local n=verify-no-sb dir line
    dir=$(esp vnsb "$LOADER")
    printf 'kernel=\\EFI\\pagoda\\kernel.elf\ncmdline=pagoda.test\nverify=1\n' > "$dir/EFI/pagoda/pagoda.conf"
    cp "$KERNEL" "$dir/EFI/pagoda/kernel.elf"
    ./run.sh -e "$dir" -r -c 1 -T "$BOOT_TIMEOUT" -l "$LOGDIR/$n.log" >/dev/null 2>&1 ||
        { fail $n "not refused ($LOGDIR/$n.log)"; return; }
    line=$(chain_line "$LOGDIR/$n.log")
    [[ $line == *"secure_boot=off setup_mode="*" verify=on config=unpinned"* ]] || { fail $n "mode line: '$line'"; return; }
    grep -aqF 'pagoda: refused \EFI\pagoda\kernel.elf: not pinned (no kernel_sha256= in the config)' "$LOGDIR/$n.log" ||
        { fail $n "no refusal naming the kernel"; return; }
    pass $n
}

# swtpm's socket for QEMU's tpm-tis; the TPM's state lives for this boot.
start_swtpm() {
    mkdir -p "$work/tpm"
    swtpm socket --tpm2 --tpmstate "dir=$work/tpm" --ctrl "type=unixio,path=$work/tpm/sock" \
        --flags startup-clear --log "file=$LOGDIR/swtpm.log" &
    swtpm_pid=$!
    for _ in $(seq 50); do [ -S "$work/tpm/sock" ] && return 0; sleep 0.1; done
    return 1
}
stop_swtpm() { kill "$swtpm_pid" 2>/dev/null; wait "$swtpm_pid" 2>/dev/null; swtpm_pid=; }

case_tpm_pcrs() {
    local n=tpm-pcrs conf="$work/tpm.conf" img="$work/tpm.img" i want got
    command -v swtpm >/dev/null || { skip $n "no swtpm (apt-get install swtpm swtpm-tools)"; return; }
    [ -e "$IMAGE" ] || { fail $n "no $IMAGE (make image)"; return; }
    kernel_conf "$conf" "$KERNEL" 'capture=1'
    signed_loader "$work/tpm.efi" "$conf" || { fail $n "sign"; return; }
    cp "$IMAGE" "$img"
    local off=$((1024 * 1024))   # the ESP's offset (Makefile IMAGE_HEAD_MIB)
    MTOOLS_SKIP_CHECK=1 mcopy -o -i "$img@@$off" "$work/tpm.efi" ::/EFI/BOOT/BOOTX64.EFI ||
        { fail $n "mcopy"; return; }
    start_swtpm || { fail $n "swtpm did not start ($LOGDIR/swtpm.log)"; return; }
    SB_EXTRA_QEMU="-chardev socket,id=chrtpm,path=$work/tpm/sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0" \
        OVMF_DIR="$work/fw" ./run.sh -d "$img" -t -c 1 -T "$BOOT_TIMEOUT" -l "$LOGDIR/$n.log" -C "$conf" -k "$KERNEL" \
        -q "$SB_MACHINE -chardev socket,id=chrtpm,path=$work/tpm/sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0" \
        >/dev/null 2>&1
    local rc=$?
    stop_swtpm
    [ $rc -eq 0 ] || { fail $n "boot did not pass ($LOGDIR/$n.log)"; return; }
    grep -aq 'pagoda: measured kernel \\EFI\\pagoda\\kernel.elf .* into PCR 9' "$LOGDIR/$n.log" ||
        { fail $n "the kernel was not measured into PCR 9"; return; }
    MTOOLS_SKIP_CHECK=1 mcopy -o -i "$img@@$off" ::/EFI/pagoda/tpm-eventlog.bin "$LOGDIR/tpm-eventlog.bin" ||
        { fail $n "no tpm-eventlog.bin on the ESP"; return; }
    "$REPLAY" -v "$LOGDIR/tpm-eventlog.bin" > "$LOGDIR/tpm-replay.txt" 2>"$LOGDIR/tpm-replay.err" ||
        { fail $n "tpm-replay: $(tail -1 "$LOGDIR/tpm-replay.err")"; return; }
    for ((i = 0; i < PCRS_COMPARED; i++)); do
        want=$(sed -n "s/^pcr$i=//p" "$LOGDIR/tpm-replay.txt")
        got=$(sed -n "s/^pagoda: tpm pcr$i=//p" "$LOGDIR/$n.log" | tr -d '\r' | head -1)
        [ -n "$got" ] || { fail $n "the loader read no PCR $i from the TPM"; return; }
        [ "$want" = "$got" ] || { fail $n "PCR $i: TPM $got, replay $want"; return; }
    done
    # The loader's own events (EV_IPL) carry the files' SHA-256: the config
    # in PCR 8, the kernel in PCR 9.
    grep -q "^event pcr=8 type=0xd sha256=$(sha "$conf") " "$LOGDIR/tpm-replay.txt" ||
        { fail $n "no PCR 8 event with the config's SHA-256"; return; }
    grep -q "^event pcr=9 type=0xd sha256=$(sha "$KERNEL") " "$LOGDIR/tpm-replay.txt" ||
        { fail $n "no PCR 9 event with the kernel's SHA-256"; return; }
    # The kernel got the log: its report names the loader's copy.
    local copy
    copy=$(sed -n 's/^pagoda: tpm event_log=\(0x[0-9a-f]*\) bytes=[0-9]* truncated=.*/\1/p' "$LOGDIR/$n.log" | tr -d '\r')
    grep -aqE "^pagoda: tpm event_log=$copy bytes=[1-9][0-9]* format=tcg2 final_events=0x[0-9a-f]+ secure_boot=(on|off) verified=(yes|no) measured=yes" "$LOGDIR/$n.log" ||
        { fail $n "the kernel's report does not show the loader's event log copy ($copy)"; return; }
    pass $n
}

# JOBS cases at a time (each has its own files under $work and its own
# log); their lines are printed in case order.
running=()
flush_one() {
    local c=${running[0]}
    wait "${pids[$c]}"
    cat "$work/out.$c"
    running=("${running[@]:1}")
}
declare -A pids
for c in $ALL; do
    only "$c" || continue
    "case_${c//-/_}" > "$work/out.$c" 2>&1 &
    pids[$c]=$!
    running+=("$c")
    [ ${#running[@]} -ge "$JOBS" ] && flush_one
done
while [ ${#running[@]} -gt 0 ]; do flush_one; done
exit 0

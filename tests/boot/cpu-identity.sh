# Sourced by tests/boot/boot-tests.sh: what a QEMU CPU model shows the guest,
# asked from the emulator run.sh will use (PAGODA_EMULATOR; QMP
# query-cpu-model-expansion), so that expectations depending on it hold in
# every cell of the matrix (tests/boot/matrix.sh). QEMU 7.2's `max` is
# AuthenticAMD family 0xF like qemu64; QEMU 10's `max` has family 0.

# cpu_identity MODEL: "VENDOR FAMILY" for MODEL (run.sh -p syntax:
# NAME[,prop=value...]), cached per emulator and model in $LOGDIR.
cpu_identity() {
    local model=$1 qemu cache
    case ${PAGODA_EMULATOR:-7} in
        10) qemu=${PAGODA_QEMU10:-build/emulators/bin/qemu-system-x86_64} ;;
        *) qemu=${QEMU:-qemu-system-x86_64} ;;
    esac
    cache="$LOGDIR/cpu-identity.q${PAGODA_EMULATOR:-7}.${model//[^a-zA-Z0-9=.-]/_}"
    if [ ! -s "$cache" ]; then
        python3 - "$qemu" "$model" > "$cache.$$" <<'PY'
import json, subprocess, sys
qemu, spec = sys.argv[1], sys.argv[2].split(",")
props = {}
for kv in spec[1:]:
    k, _, v = kv.partition("=")
    props[k] = int(v, 0) if v.isdigit() else {"on": True, "off": False}.get(v, v)
cmds = [{"execute": "qmp_capabilities"},
        {"execute": "query-cpu-model-expansion",
         "arguments": {"type": "full", "model": {"name": spec[0], "props": props}}},
        {"execute": "quit"}]
out = subprocess.run([qemu, "-machine", "none", "-display", "none", "-qmp", "stdio"],
                     input="".join(json.dumps(c) + "\n" for c in cmds), capture_output=True,
                     text=True, timeout=60).stdout
for line in out.splitlines():
    r = json.loads(line).get("return") if line.startswith("{") else None
    if isinstance(r, dict) and "model" in r:
        print(r["model"]["props"]["vendor"], r["model"]["props"]["family"])
PY
        mv "$cache.$$" "$cache"
    fi
    cat "$cache"
}

# ap_waits_expected MODEL: the AP start-up waits the kernel must choose for
# that CPU (README "Kernel command line": no wait after INIT and 10 us
# between SIPIs for Intel family >= 6, AMD >= 0xF, Hygon >= 0x18, as in
# Linux; the SDM's 10 ms and 200 us for anything else).
ap_waits_expected() {
    local vendor family
    read -r vendor family <<<"$(cpu_identity "$1")"
    [ -n "$vendor" ] || { echo "unknown-cpu-identity(QMP query failed)"; return; }
    case "$vendor" in
        GenuineIntel) [ "${family:-0}" -ge 6 ] ;;
        AuthenticAMD) [ "${family:-0}" -ge 15 ] ;;
        HygonGenuine) [ "${family:-0}" -ge 24 ] ;;
        *) false ;;
    esac && { echo 'init_wait_us=0 sipi_wait_us=10 waits=modern'; return; }
    echo 'init_wait_us=10000 sipi_wait_us=200 waits=legacy-cpu'
}

# gdb for a Pagoda run started with `./run.sh -g`: the loader's symbols at
# the address the firmware loaded it, the kernel's at their link addresses.
# From the tree's top, after run.sh:
#
#   gdb -x tools/pagoda.gdb
#
# The loader prints `pagoda: loader image base 0x...` on serial, then (with
# gdb=1, which run.sh -g sets) spins until pagoda_gdb_wait is 0. This script
# waits for that line in the serial log run.sh keeps ($PAGODA_SERIAL_LOG,
# default build/gdb-serial.log), loads build/efi/loader.so at the base (its
# sections sit at ImageBase + their VMA: the PE is linked at image base 0),
# loads build/kernel/pagoda.elf, attaches to QEMU ($PAGODA_GDB_PORT, 1234)
# and releases the loader. The CPU stays stopped: set breakpoints, then
# `continue`. Loader code is identity-mapped, so `break` works there; the
# kernel's addresses are not mapped until the loader's jump, so use
# `hbreak` for the kernel (`hbreak kmain`). $PAGODA_GDB_TIMEOUT (seconds,
# default 300) bounds the wait for the serial line.

set pagination off
set confirm off

python
import os
import re
import time

def pagoda_attach():
    log = os.environ.get("PAGODA_SERIAL_LOG", "build/gdb-serial.log")
    port = os.environ.get("PAGODA_GDB_PORT", "1234")
    deadline = time.time() + float(os.environ.get("PAGODA_GDB_TIMEOUT", "300"))
    pattern = re.compile(rb"pagoda: loader image base (0x[0-9a-f]+)")
    base = None
    while base is None:
        try:
            with open(log, "rb") as f:
                m = pattern.search(f.read())
            base = int(m.group(1), 16) if m else None
        except FileNotFoundError:
            pass
        if base is None:
            if time.time() > deadline:
                raise gdb.GdbError("pagoda.gdb: no 'loader image base' line in %s (is ./run.sh -g running?)" % log)
            time.sleep(0.2)
    gdb.execute("file build/kernel/pagoda.elf")
    gdb.execute("add-symbol-file build/efi/loader.so -o %#x" % base)
    gdb.execute("target remote localhost:%s" % port)
    gdb.execute("set var pagoda_gdb_wait = 0")
    print("pagoda.gdb: loader symbols at %#x, kernel symbols at their link addresses; "
          "the loader is released: set breakpoints (hbreak for the kernel), then continue" % base)

pagoda_attach()
end

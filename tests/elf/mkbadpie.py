#!/usr/bin/env python3
"""Write bad variants of a good PIE kernel, one relocation defect per file.

usage: mkbadpie.py GOOD_PIE_ELF OUTDIR

GOOD_PIE_ELF is build/elf/pie-relr.elf: an ET_DYN with a PT_DYNAMIC naming
a RELA table (at least one entry) and a RELR table. Each variant changes
one field of the dynamic table, of a table it names or of the program
header, so that the loader refuses the file for exactly that reason, in
shared/elf_reloc.c, shared/elf.c or the placement check (efi/paging.c),
before ExitBootServices. Also writes
OUTDIR/cases.tsv, one line per variant:

    <file name> TAB <substring of the message the loader must print>

The substrings are copied from elf_strerror() in shared/elf.c (and the
detail efi/kernel.c appends) and from the placement message (efi/paging.c,
shared/hhdm_plan.c); if a message changes there, change it here.
Standard library only.
"""

import os
import struct
import sys

PT_LOAD, PT_DYNAMIC = 1, 2
DT_NULL, DT_NEEDED, DT_RELA, DT_RELASZ, DT_RELAENT = 0, 1, 7, 8, 9
DT_DEBUG, DT_RELRSZ, DT_RELR = 21, 35, 36
R_X86_64_PC32 = 2
OUTSIDE = 0x4000_0000          # 1 GiB: past any test kernel's image
HHDM_BASE = 0xFFFF_8000_0000_0000   # include/bootinfo.h: the direct map's window

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
DYN = struct.Struct("<qQ")
RELA = struct.Struct("<QQq")

MSG = {
    "RELR": "malformed RELR table (bitmap before any address)",
    "TARGET": "relocation target outside the loaded image",
    "TYPE": "unsupported relocation type 2",
    "ENTSIZE": "DT_RELAENT, DT_RELRENT or DT_SYMENT is not the ELF64 entry size",
    "TABLE": "relocation, symbol or string table outside the loaded image",
    "MALFORMED": "malformed dynamic table",
    "NEEDED": "the kernel needs a shared library (DT_NEEDED)",
    "DYNAMIC": "PT_DYNAMIC repeated, empty or outside the loaded segments",
    # efi/paging.c and shared/hhdm_plan.c: the placement check sees slid addresses.
    "IN_DIRECT_MAP": "direct map (HHDM) 0xffff800000000000-0xfffffe0000000000",
}


class Pie:
    def __init__(self, raw):
        self.raw = bytearray(raw)
        eh = EHDR.unpack_from(raw, 0)
        self.phoff, self.phentsize, self.phnum = eh[5], eh[9], eh[10]
        self.ph = [list(PHDR.unpack_from(raw, self.phoff + i * self.phentsize))
                   for i in range(self.phnum)]
        dyn = next(p for p in self.ph if p[0] == PT_DYNAMIC)
        self.dyn_off = dyn[2]
        self.ndyn = dyn[5] // DYN.size

    def dyn(self):
        return [DYN.unpack_from(self.raw, self.dyn_off + i * DYN.size) for i in range(self.ndyn)]

    def dyn_index(self, tag):
        return next(i for i, (t, _) in enumerate(self.dyn()) if t == tag)

    def dyn_value(self, tag):
        return self.dyn()[self.dyn_index(tag)][1]

    def set_dyn(self, i, tag, val):
        DYN.pack_into(self.raw, self.dyn_off + i * DYN.size, tag, val)

    def file_offset(self, vaddr):
        for p in self.ph:
            if p[0] == PT_LOAD and p[3] <= vaddr < p[3] + p[5]:
                return p[2] + vaddr - p[3]
        sys.exit("mkbadpie: 0x%x is not in the file" % vaddr)

    def set_phdr(self, i, field, value):
        self.ph[i][field] = value
        PHDR.pack_into(self.raw, self.phoff + i * self.phentsize, *self.ph[i])


VARIANTS = []


def variant(name, kind):
    def register(fn):
        VARIANTS.append((name, kind, fn))
        return fn
    return register


@variant("relr-bitmap-first", "RELR")
def v_relr_bitmap_first(pie):
    struct.pack_into("<Q", pie.raw, pie.file_offset(pie.dyn_value(DT_RELR)), 0x3)


@variant("relr-target-outside", "TARGET")
def v_relr_target_outside(pie):
    struct.pack_into("<Q", pie.raw, pie.file_offset(pie.dyn_value(DT_RELR)), OUTSIDE)


@variant("rela-type-pc32", "TYPE")
def v_rela_type(pie):
    at = pie.file_offset(pie.dyn_value(DT_RELA))
    off, info, addend = RELA.unpack_from(pie.raw, at)
    RELA.pack_into(pie.raw, at, off, (info & ~0xffffffff) | R_X86_64_PC32, addend)


@variant("relaent-16", "ENTSIZE")
def v_relaent(pie):
    pie.set_dyn(pie.dyn_index(DT_RELAENT), DT_RELAENT, 16)


@variant("relr-table-outside", "TABLE")
def v_relr_table_outside(pie):
    pie.set_dyn(pie.dyn_index(DT_RELRSZ), DT_RELRSZ, OUTSIDE)


@variant("dynamic-no-null", "MALFORMED")
def v_no_null(pie):
    for i, (tag, _) in enumerate(pie.dyn()):
        if tag == DT_NULL:
            pie.set_dyn(i, DT_DEBUG, 0)


@variant("needs-library", "NEEDED")
def v_needed(pie):
    pie.set_dyn(pie.dyn_index(DT_NULL), DT_NEEDED, 1)


@variant("dynamic-outside", "DYNAMIC")
def v_dynamic_outside(pie):
    i = next(i for i, p in enumerate(pie.ph) if p[0] == PT_DYNAMIC)
    pie.set_phdr(i, 3, OUTSIDE)


@variant("linked-in-direct-map", "IN_DIRECT_MAP")
def v_linked_in_direct_map(pie):
    """Relinked (headers only) at HHDM_BASE + 2 MiB: an ET_DYN in the higher
    half is not slid, and lands in the direct map's window."""
    delta = HHDM_BASE + 0x200000
    for i, p in enumerate(pie.ph):
        if p[0] in (PT_LOAD, PT_DYNAMIC) and p[5] > 0:
            pie.set_phdr(i, 3, p[3] + delta)
    entry = struct.unpack_from("<Q", pie.raw, 24)[0]
    struct.pack_into("<Q", pie.raw, 24, entry + delta)


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    with open(argv[1], "rb") as f:
        raw = f.read()
    outdir = argv[2]
    os.makedirs(outdir, exist_ok=True)
    lines = []
    for i, (name, kind, mutate) in enumerate(VARIANTS, 1):
        pie = Pie(raw)
        mutate(pie)
        fname = "%02d-%s.elf" % (i, name)
        with open(os.path.join(outdir, fname), "wb") as f:
            f.write(bytes(pie.raw))
        lines.append("%s\t%s\n" % (fname, MSG[kind]))
    with open(os.path.join(outdir, "cases.tsv"), "w") as f:
        f.writelines(lines)
    print("mkbadpie: %d variants in %s" % (len(VARIANTS), outdir))


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
"""Write bad variants of a good kernel ELF, one defect per file.

usage: mkbadelf.py GOOD_KERNEL_ELF OUTDIR

Each variant changes as little as possible of GOOD_KERNEL_ELF so that the
loader refuses it for exactly one reason: its validator (shared/elf.c)
for a malformed file, its placement check (efi/paging.c) for a valid one
linked over a window the loader maps itself. Also writes OUTDIR/cases.tsv,
one line per variant:

    <file name> TAB <substring of the message the loader must print>

The substrings below are copied from elf_strerror() in shared/elf.c, and
for the placement variants from paging_check_placement() in efi/paging.c
and the window names in shared/hhdm_plan.c; if a message changes there,
change it here (the boot test will say so).
Standard library only.
"""

import copy
import os
import struct
import sys

# ---- ELF constants (from <elf.h>) -------------------------------------------

EI_MAG1, EI_CLASS, EI_DATA, EI_VERSION = 1, 4, 5, 6
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB, ELFDATA2MSB = 1, 2
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
EM_386, EM_X86_64 = 3, 62
PT_NULL, PT_LOAD = 0, 1
PF_X, PF_W, PF_R = 1, 2, 4
PN_XNUM = 0xFFFF

PAGE = 4096
HIGHER_HALF_BASE = 0xFFFF_8000_0000_0000
TOP_PAGE = 0xFFFF_FFFF_FFFF_F000
ELF_MAX_SEGMENTS = 16          # include/elfcheck.h
GIB = 1 << 30
# include/bootinfo.h: the windows the loader maps besides the kernel.
HHDM_BASE = 0xFFFF_8000_0000_0000
HHDM_END = 0xFFFF_FE00_0000_0000
KSTACK_WINDOW = 0xFFFF_FF00_0000_0000
KSTACK_WINDOW_END = 0xFFFF_FF80_0000_0000

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
EHDR_FIELDS = ("e_ident e_type e_machine e_version e_entry e_phoff e_shoff e_flags "
               "e_ehsize e_phentsize e_phnum e_shentsize e_shnum e_shstrndx").split()
PHDR = struct.Struct("<IIQQQQQQ")
PHDR_FIELDS = "p_type p_flags p_offset p_vaddr p_paddr p_filesz p_memsz p_align".split()

# ---- expected messages: distinctive parts of elf_strerror() ------------------

MSG = {
    "EMPTY": "empty file",
    "TRUNCATED": "file shorter than the ELF header",
    "MAGIC": "bad magic: not an ELF file",
    "CLASS": "not a 64-bit ELF",
    "ENDIAN": "not little-endian",
    "VERSION": "unsupported ELF version",
    "MACHINE": "not an x86_64 ELF",
    "TYPE": "e_type neither ET_EXEC nor ET_DYN",
    "PHENTSIZE": "e_phentsize smaller than Elf64_Phdr",
    "PHNUM": "no program headers, or too many",
    "PHDRS_OUTSIDE": "program-header table outside the file",
    "NO_LOAD": "no loadable segment",
    "TOO_MANY_LOADS": "too many PT_LOAD segments",
    "FILESZ_GT_MEMSZ": "p_filesz > p_memsz",
    "SEG_OUTSIDE": "PT_LOAD extends past the end of the file",
    "ALIGN": "p_align not 0, 1 or a power of two",
    "VADDR_WRAP": "wraps around the address space",
    "NONCANONICAL": "non-canonical segment address",
    "LOWER_HALF": "segment below the higher half",
    "OFFSET_MISMATCH": "differ modulo the page size",
    "SEG_TOO_BIG": "larger than ELF_MAX_IMAGE_BYTES",
    "OVERLAP": "PT_LOAD segments overlap or share a page",
    "WX": "both writable and executable",
    "ENTRY": "entry point not in an executable PT_LOAD",
    # efi/paging.c: a valid ELF placed over one of the loader's windows.
    "IN_DIRECT_MAP": "direct map (HHDM) 0xffff800000000000-0xfffffe0000000000",
    "IN_STACK_WINDOW": "kernel stack window 0xffffff0000000000-0xffffff8000000000",
}


class Elf:
    """A parsed ELF64: header and program headers as dicts, plus the bytes.

    to_bytes() writes the (possibly mutated) headers back over the original
    bytes; the program-header table always goes where it was read from,
    so mutating e_phoff makes the header lie about it."""

    def __init__(self, raw):
        self.raw = bytearray(raw)
        self.eh = dict(zip(EHDR_FIELDS, EHDR.unpack_from(raw, 0)))
        self.eh["e_ident"] = bytearray(self.eh["e_ident"])
        self.table_at = self.eh["e_phoff"]
        self.stride = self.eh["e_phentsize"]
        self.ph = [dict(zip(PHDR_FIELDS, PHDR.unpack_from(raw, self.table_at + i * self.stride)))
                   for i in range(self.eh["e_phnum"])]

    def loads(self):
        return [p for p in self.ph if p["p_type"] == PT_LOAD]

    def text(self):
        return next(p for p in self.loads() if p["p_flags"] & PF_X)

    def data(self):
        return next(p for p in self.loads() if p["p_flags"] & PF_W)

    def last_in_file(self):
        """The PT_LOAD whose file bytes end last (with at least one byte)."""
        return max((p for p in self.loads() if p["p_filesz"] > 0),
                   key=lambda p: p["p_offset"] + p["p_filesz"])

    def to_bytes(self):
        out = bytearray(self.raw)
        eh = dict(self.eh, e_ident=bytes(self.eh["e_ident"]))
        EHDR.pack_into(out, 0, *(eh[f] for f in EHDR_FIELDS))
        for i, p in enumerate(self.ph):
            PHDR.pack_into(out, self.table_at + i * self.stride, *(p[f] for f in PHDR_FIELDS))
        return bytes(out)


def page_down(x):
    return x & ~(PAGE - 1)


def seg_end(p):
    return p["p_vaddr"] + p["p_memsz"]


# ---- the variants --------------------------------------------------------------
# Each takes a fresh copy of the good Elf and returns the bad file's bytes.

VARIANTS = []


def variant(name, kind):
    def register(fn):
        VARIANTS.append((name, kind, fn))
        return fn
    return register


@variant("empty", "EMPTY")
def v_empty(elf):
    return b""


@variant("truncated-header", "TRUNCATED")
def v_truncated_header(elf):
    return elf.to_bytes()[:EHDR.size // 2]


@variant("bad-magic", "MAGIC")
def v_bad_magic(elf):
    elf.eh["e_ident"][EI_MAG1] = ord("X")
    return elf.to_bytes()


@variant("class32", "CLASS")
def v_class32(elf):
    elf.eh["e_ident"][EI_CLASS] = ELFCLASS32
    return elf.to_bytes()


@variant("big-endian", "ENDIAN")
def v_big_endian(elf):
    elf.eh["e_ident"][EI_DATA] = ELFDATA2MSB
    return elf.to_bytes()


@variant("ident-version-0", "VERSION")
def v_ident_version(elf):
    elf.eh["e_ident"][EI_VERSION] = 0
    return elf.to_bytes()


def header_field_variant(name, kind, field, value):
    """A variant that sets one ELF header field and nothing else."""
    def mutate(elf):
        elf.eh[field] = value
        return elf.to_bytes()
    variant(name, kind)(mutate)


for _name, _kind, _field, _value in [
    ("e-version-2", "VERSION", "e_version", 2),
    ("machine-i386", "MACHINE", "e_machine", EM_386),
    # ET_DYN is a kind the loader accepts (a PIE); an object file is not.
    # PIE refusals: tests/elf/mkbadpie.py.
    ("type-rel", "TYPE", "e_type", ET_REL),
    ("phentsize-8", "PHENTSIZE", "e_phentsize", 8),
    ("phnum-0", "PHNUM", "e_phnum", 0),
    ("phnum-xnum", "PHNUM", "e_phnum", PN_XNUM),
]:
    header_field_variant(_name, _kind, _field, _value)


@variant("phoff-past-eof", "PHDRS_OUTSIDE")
def v_phoff_past_eof(elf):
    elf.eh["e_phoff"] = len(elf.raw) + PAGE
    return elf.to_bytes()


@variant("phoff-wrap", "PHDRS_OUTSIDE")
def v_phoff_wrap(elf):
    elf.eh["e_phoff"] = (1 << 64) - 16
    return elf.to_bytes()


@variant("header-only", "PHDRS_OUTSIDE")
def v_header_only(elf):
    return elf.to_bytes()[:EHDR.size]


@variant("no-load", "NO_LOAD")
def v_no_load(elf):
    for p in elf.loads():
        p["p_type"] = PT_NULL
    return elf.to_bytes()


@variant("too-many-loads", "TOO_MANY_LOADS")
def v_too_many_loads(elf):
    """Append a new table at EOF: the original entries plus copies of the
    text PT_LOAD up to ELF_MAX_SEGMENTS + 1 loads. Each copy is valid on
    its own, so the count is the first thing that fails."""
    extra = ELF_MAX_SEGMENTS + 1 - len(elf.loads())
    elf.ph += [copy.copy(elf.text()) for _ in range(extra)]
    elf.table_at = elf.eh["e_phoff"] = len(elf.raw)
    elf.eh["e_phnum"] = len(elf.ph)
    elf.raw += bytes(len(elf.ph) * elf.stride)
    return elf.to_bytes()


@variant("filesz-gt-memsz", "FILESZ_GT_MEMSZ")
def v_filesz_gt_memsz(elf):
    d = elf.data()
    d["p_filesz"] = d["p_memsz"] + 1
    return elf.to_bytes()


@variant("segment-past-eof", "SEG_OUTSIDE")
def v_segment_past_eof(elf):
    p = elf.last_in_file()
    p["p_filesz"] = len(elf.raw) - p["p_offset"] + 1
    p["p_memsz"] = max(p["p_memsz"], p["p_filesz"])
    return elf.to_bytes()


@variant("truncated-segment", "SEG_OUTSIDE")
def v_truncated_segment(elf):
    p = elf.last_in_file()
    cut = p["p_offset"] + p["p_filesz"] // 2
    assert cut >= elf.table_at + len(elf.ph) * elf.stride, "table would be cut too"
    return elf.to_bytes()[:cut]


@variant("offset-wrap", "SEG_OUTSIDE")
def v_offset_wrap(elf):
    d = elf.data()
    d["p_offset"] = TOP_PAGE + (d["p_vaddr"] % PAGE)
    d["p_filesz"] = max(d["p_filesz"], PAGE)
    d["p_memsz"] = max(d["p_memsz"], d["p_filesz"])
    return elf.to_bytes()


@variant("align-3", "ALIGN")
def v_align(elf):
    elf.text()["p_align"] = 3
    return elf.to_bytes()


@variant("vaddr-wrap", "VADDR_WRAP")
def v_vaddr_wrap(elf):
    t = elf.text()
    t["p_vaddr"] = TOP_PAGE + (t["p_vaddr"] % PAGE)
    t["p_memsz"] = max(t["p_filesz"], 2 * PAGE)
    return elf.to_bytes()


@variant("noncanonical", "NONCANONICAL")
def v_noncanonical(elf):
    # Clearing bit 47 of a higher-half address lands in the hole.
    elf.text()["p_vaddr"] &= ~(1 << 47)
    return elf.to_bytes()


@variant("lower-half", "LOWER_HALF")
def v_lower_half(elf):
    t = elf.text()
    t["p_vaddr"] = 0x400000 + t["p_vaddr"] % PAGE
    return elf.to_bytes()


@variant("offset-mismatch", "OFFSET_MISMATCH")
def v_offset_mismatch(elf):
    elf.text()["p_vaddr"] += 8
    return elf.to_bytes()


@variant("memsz-huge", "SEG_TOO_BIG")
def v_memsz_huge(elf):
    elf.data()["p_memsz"] = 1 << 40
    return elf.to_bytes()


@variant("image-span-huge", "SEG_TOO_BIG")
def v_image_span_huge(elf):
    """Move the data segment 2 GiB away from the text: each segment is
    fine, the image is not."""
    d = elf.data()
    below = d["p_vaddr"] - 2 * GIB
    d["p_vaddr"] = below if below >= HIGHER_HALF_BASE else d["p_vaddr"] + 2 * GIB
    return elf.to_bytes()


@variant("overlap", "OVERLAP")
def v_overlap(elf):
    t, d = elf.text(), elf.data()
    d["p_vaddr"] = page_down(t["p_vaddr"]) + d["p_vaddr"] % PAGE
    return elf.to_bytes()


@variant("share-page", "OVERLAP")
def v_share_page(elf):
    """Start the data segment on the text's last page."""
    t, d = elf.text(), elf.data()
    d["p_vaddr"] = page_down(seg_end(t) - 1) + d["p_vaddr"] % PAGE
    return elf.to_bytes()


@variant("text-wx", "WX")
def v_text_wx(elf):
    elf.text()["p_flags"] |= PF_W
    return elf.to_bytes()


@variant("entry-in-data", "ENTRY")
def v_entry_in_data(elf):
    elf.eh["e_entry"] = elf.data()["p_vaddr"]
    return elf.to_bytes()


@variant("entry-zero", "ENTRY")
def v_entry_zero(elf):
    elf.eh["e_entry"] = 0
    return elf.to_bytes()


# ---- valid ELFs over the loader's windows (efi/paging.c) ------------------------
# The whole image moves by a page-aligned delta, entry included, so
# elf_validate accepts it and only the placement check can refuse it. The
# handoff identity page has no variant: it is in the lower half, which
# elf_validate refuses first (bad-lower-half); tests/host/test_hhdm_plan.c
# covers that window.

def move_image(elf, new_lo):
    delta = new_lo - page_down(min(p["p_vaddr"] for p in elf.loads()))
    for p in elf.loads():
        p["p_vaddr"] += delta
    elf.eh["e_entry"] += delta
    return elf.to_bytes()


def image_pages(elf):
    loads = elf.loads()
    return page_down(max(seg_end(p) for p in loads) + PAGE - 1) - page_down(min(p["p_vaddr"] for p in loads))


@variant("in-direct-map", "IN_DIRECT_MAP")
def v_in_direct_map(elf):
    """The issue's reproduction: linked at 0xffff800000200000."""
    return move_image(elf, HHDM_BASE + 0x200000)


@variant("straddles-direct-map-end", "IN_DIRECT_MAP")
def v_straddles_direct_map_end(elf):
    """Only the first page is in the direct map's window."""
    return move_image(elf, HHDM_END - PAGE)


@variant("in-stack-window", "IN_STACK_WINDOW")
def v_in_stack_window(elf):
    """On the BSP stack's guard page and the stack itself."""
    return move_image(elf, KSTACK_WINDOW)


@variant("straddles-stack-window", "IN_STACK_WINDOW")
def v_straddles_stack_window(elf):
    """Ends one page into the stack window, starts below it."""
    return move_image(elf, KSTACK_WINDOW + PAGE - image_pages(elf))


# ---- driver ----------------------------------------------------------------------

def check_good(elf):
    """Refuse inputs the variants cannot be derived from."""
    ident = elf.eh["e_ident"]
    if ident[:4] != b"\x7fELF" or ident[EI_CLASS] != ELFCLASS64 or ident[EI_DATA] != ELFDATA2LSB:
        sys.exit("mkbadelf: input is not a little-endian ELF64 file")
    if elf.eh["e_machine"] != EM_X86_64 or elf.eh["e_type"] != ET_EXEC:
        sys.exit("mkbadelf: input is not an x86_64 ET_EXEC")
    try:
        elf.text(), elf.data(), elf.last_in_file()
    except StopIteration:
        sys.exit("mkbadelf: input needs an executable and a writable PT_LOAD")


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    with open(argv[1], "rb") as f:
        raw = f.read()
    if len(raw) < EHDR.size:
        sys.exit("mkbadelf: input shorter than an ELF header")
    good = Elf(raw)
    check_good(good)
    outdir = argv[2]
    os.makedirs(outdir, exist_ok=True)
    lines = []
    for i, (name, kind, make) in enumerate(VARIANTS, 1):
        fname = "%02d-%s.elf" % (i, name)
        with open(os.path.join(outdir, fname), "wb") as f:
            f.write(make(copy.deepcopy(good)))
        lines.append("%s\t%s\n" % (fname, MSG[kind]))
    with open(os.path.join(outdir, "cases.tsv"), "w") as f:
        f.writelines(lines)
    print("mkbadelf: %d variants in %s" % (len(VARIANTS), outdir))


if __name__ == "__main__":
    main(sys.argv)

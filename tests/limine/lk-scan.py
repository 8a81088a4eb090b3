#!/usr/bin/env python3
"""List the Limine requests a test kernel's loaded image holds, as a loader
would find them: 8-byte-aligned {common magic, id} pairs in the file-backed
bytes of the PT_LOAD segments, the start/end markers, the base-revision tag.
A host-side sanity check of the build (tests/limine/limine-tests.sh), written
from PROTOCOL.md, not from either side's C code; not a substitute for the
loader's scanner.

usage: lk-scan.py KERNEL.elf        prints one line per find, then a summary:
  marker start|end VADDR
  base-revision N VADDR [outside]
  request NAME VADDR [outside]
  summary type=EXEC|DYN requests=N outside=N duplicates=N tags=N revision=N markers=ok|none|bad
"""
import struct
import sys

MAGIC = (0xc7b1dd30df4c8b88, 0x0a82e883a194f07b)
START = (0xf6b8f4b39de7d1ae, 0xfab91a6940fcb9cf, 0x785c6ed015d3e316, 0x181e920a7852b9d9)
END = (0xadc0e0531bb10d03, 0x9572709f31764c62)
BASE_REV = (0xf9562b2d5c95a6c8, 0x6a7b384944536bdc)
NAMES = {
    (0xf55038d8e2a1202f, 0x279426fcf5f59740): "bootloader_info",
    (0x4b161536e598651e, 0xb390ad4a2f1f303a): "executable_cmdline",
    (0x8c2f75d90bef28a8, 0x7045a4688eac00c3): "firmware_type",
    (0x224ef0460a8e8926, 0xe1cb0fc25f46ea3d): "stack_size",
    (0x48dcf1cb8ad2b852, 0x63984e959a98244b): "hhdm",
    (0x9d5827dcd881dd75, 0xa3148604f6fab11b): "framebuffer",
    (0x95c1a0edab0944cb, 0xa4e5cb3842f7488a): "paging_mode",
    (0x95a67b819a1b857e, 0xa0b61b723b6a73e0): "mp",
    (0x67cf3d9d378a806f, 0xe304acdfc50c3c62): "memmap",
    (0x13d86c035a1cd3e1, 0x2b0caa89d8f3026a): "entry_point",
    (0xad97e90e83f1ed67, 0x31eb5d1c5ff23b69): "executable_file",
    (0x3e7e279702be32af, 0xca1c4f3bd1280cee): "module",
    (0xc5e77b6b397e7b43, 0x27637845accdcf3c): "rsdp",
    (0x9e9046f11e095391, 0xaa4a520fefbde5ee): "smbios",
    (0x5ceba5163eaaf6d6, 0x0a6981610cf65fcc): "efi_system_table",
    (0x7df62a431d6872d5, 0xa4fcdfb3e57306c8): "efi_memmap",
    (0x502746e184c088aa, 0xfbc5ec83e6327893): "date_at_boot",
    (0x71ba76863cc55f63, 0xb2644a48c516a487): "executable_address",
}
PT_LOAD = 1


def words(data, off, n):
    return struct.unpack_from("<%dQ" % n, data, off) if off + 8 * n <= len(data) else ()


def main(path):
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit("%s: not a 64-bit ELF" % path)
    e_type, = struct.unpack_from("<H", data, 16)
    e_phoff, = struct.unpack_from("<Q", data, 32)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    finds = []                                  # (vaddr, kind, value)
    for i in range(e_phnum):
        p_type, _, p_off, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, e_phoff + i * e_phentsize)
        if p_type != PT_LOAD or not p_filesz:
            continue
        seg = data[p_off:p_off + p_filesz]
        first = (-p_vaddr) % 8                  # 8-byte aligned in memory
        for off in range(first, len(seg) - 15, 8):
            w = words(seg, off, 4)
            va = p_vaddr + off
            if w == START:
                finds.append((va, "marker", "start"))
            elif w[:2] == END:
                finds.append((va, "marker", "end"))
            elif w[:2] == BASE_REV and len(words(seg, off, 3)) == 3:
                finds.append((va, "base-revision", words(seg, off, 3)[2]))
            elif w[:2] == MAGIC:
                finds.append((va, "request", NAMES.get(w[2:4], "unknown-%x-%x" % w[2:4])))
    finds.sort()
    starts = [va for va, k, v in finds if k == "marker" and v == "start"]
    ends = [va for va, k, v in finds if k == "marker" and v == "end"]
    lo = starts[-1] if starts else None
    hi = min((e for e in ends if lo is None or e > lo), default=None)
    markers = "none" if not starts and not ends else ("ok" if lo is not None and hi is not None else "bad")

    def inside(va):
        return (lo is None or va > lo) and (hi is None or va < hi)

    seen, dups, outside, revision, tags = set(), 0, 0, 0, 0
    for va, kind, value in finds:
        tag = "" if kind == "marker" or inside(va) else " outside"
        if kind == "marker":
            print("marker %s %#x" % (value, va))
            continue
        print("%s %s %#x%s" % (kind, value, va, tag))
        if tag:
            outside += 1
        elif kind == "request":
            dups += value in seen
            seen.add(value)
        else:
            revision = value
            tags += 1
    count = sum(1 for va, k, v in finds if k == "request" and inside(va))
    print("summary type=%s requests=%d outside=%d duplicates=%d tags=%d revision=%d markers=%s" %
          ({2: "EXEC", 3: "DYN"}.get(e_type, str(e_type)), count, outside, dups, tags, revision, markers))


if __name__ == "__main__":
    main(sys.argv[1])

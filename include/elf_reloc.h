/* ELF64 dynamic relocations of a loaded kernel image (shared/elf_reloc.c).
 *
 * A position-independent kernel (ET_DYN) carries its relocations in the
 * tables its PT_DYNAMIC names; they live in the loaded image, not at file
 * offsets, so the parser works on the image after the PT_LOADs have been
 * copied in and before the kernel runs. Everything in those tables is
 * untrusted: each address and size is checked against the view with
 * overflow-safe arithmetic, and an error code names what is wrong
 * (elf_strerror in include/elfcheck.h). Pure function over caller memory:
 * used by the loader and tested and fuzzed on the host.
 *
 * Applied (x86-64 psABI; B = slide, S = symbol value, A = addend):
 *   R_X86_64_NONE       nothing
 *   R_X86_64_64         S + A
 *   R_X86_64_GLOB_DAT   S
 *   R_X86_64_JUMP_SLOT  S
 *   R_X86_64_RELATIVE   B + A
 *   RELR (DT_RELR)      *where += B, where from the packed address/bitmap list
 * from DT_RELA and DT_JMPREL (DT_PLTREL must be DT_RELA). Symbols are
 * resolved within the image only: a defined symbol is st_value + B
 * (SHN_ABS: st_value), an undefined weak one 0, an undefined global one a
 * refusal naming it. Anything else (DT_REL, DT_NEEDED, other types) is
 * refused.
 */
#ifndef PAGODA_ELF_RELOC_H
#define PAGODA_ELF_RELOC_H

#include "elfcheck.h"
#include "types.h"

#define ELF_RELOC_NAME_MAX 64   /* bytes of a symbol name kept for the message, NUL included */

/* The loaded image: run-time addresses [lo, lo + size) are the bytes
 * base[0 .. size). slide = run-time address - link-time address; the
 * tables' own addresses (d_ptr, r_offset, RELR words, st_value) are
 * link-time ones. */
struct elf_reloc_view {
    uint8_t *base;
    vaddr_t lo;
    uint64_t size;
    uint64_t slide;
};

/* What elf_relocate did, or where it stopped. */
struct elf_reloc_report {
    uint64_t rela;        /* DT_RELA + DT_JMPREL entries processed */
    uint64_t relr;        /* addresses relocated through DT_RELR */
    uint32_t bad_type;    /* ELF_ERR_RELOC_TYPE: the type */
    char symbol[ELF_RELOC_NAME_MAX];   /* ELF_ERR_RELOC_UNDEFINED: its name ("" if unreadable) */
};

/* The view of a validated image loaded at `base` (elf_validate's output). */
struct elf_reloc_view elf_reloc_view_of(const struct elf_image *img, void *base);

/* Apply the relocations of the dynamic table at run-time address `dyn`,
 * `dyn_size` bytes (dyn_size 0: nothing to do). Two passes over the same
 * checks: the first writes nothing, so a malformed table is refused with
 * the image untouched; the second applies, checking every entry again (a
 * relocation may write into the tables themselves, and no write may ever
 * leave the view). Never reads or writes outside base[0 .. size). */
enum elf_error elf_relocate(const struct elf_reloc_view *v, vaddr_t dyn, uint64_t dyn_size,
                            struct elf_reloc_report *report);

#endif

/* The GDT the loader hands a Limine-protocol kernel (PROTOCOL.md, x86-64
 * "Machine State at Entry"): null, 16-bit code and data (base 0, limit
 * 0xFFFF), 32-bit code and data (base 0, limit 4 GiB), 64-bit code and
 * data, in that order from offset 0, so the kernel may rely on the
 * selectors below. The loader adds a TSS descriptor of base 0 and limit 0
 * after them: at revision 5+ every CPU loads it into TR ("loaded with base
 * 0 and limit 0", LIMINE_LOAD_TR in efi/limine.h). Accessed bits are preset
 * so the CPU never writes the table when it loads a selector.
 * Assembler-safe: efi/limine_entry.S loads the selectors. */
#ifndef PAGODA_X86_LIMINE_GDT_H
#define PAGODA_X86_LIMINE_GDT_H

#include "seg.h"

#define LIMINE_SEL_CODE16 0x08
#define LIMINE_SEL_DATA16 0x10
#define LIMINE_SEL_CODE32 0x18
#define LIMINE_SEL_DATA32 0x20
#define LIMINE_SEL_CODE64 0x28
#define LIMINE_SEL_DATA64 0x30
#define LIMINE_SEL_TSS    0x38     /* 16-byte system descriptor */
/* LTR marks the descriptor busy (type 0x9 -> 0xB, bit 1 of the type in the
 * access byte) and refuses a busy one. */
#define LIMINE_TSS_ACCESS_BYTE (LIMINE_SEL_TSS + 5)
#define LIMINE_TSS_BUSY        0x02

#define SEG_LIMIT_64K    X86_ULL(0xFFFF)   /* byte granularity: limit 0xFFFF */
#define LIMINE_DESC_CODE16 (SEG_LIMIT_64K | SEG_PRESENT | SEG_CODE_DATA | SEG_EXEC | SEG_RW | SEG_ACCESSED)
#define LIMINE_DESC_DATA16 (SEG_LIMIT_64K | SEG_PRESENT | SEG_CODE_DATA | SEG_RW | SEG_ACCESSED)
#define LIMINE_DESC_CODE32 (SEG_CODE32 | SEG_ACCESSED)
#define LIMINE_DESC_DATA32 (SEG_DATA32 | SEG_ACCESSED)
/* 64-bit mode ignores base and limit: both 0 (G clear), as the reference
 * loader's table has them. */
#define LIMINE_DESC_CODE64 (SEG_PRESENT | SEG_CODE_DATA | SEG_EXEC | SEG_RW | SEG_LONG | SEG_ACCESSED)
#define LIMINE_DESC_DATA64 (SEG_PRESENT | SEG_CODE_DATA | SEG_RW | SEG_ACCESSED)
#define LIMINE_DESC_TSS_LO (SEG_TYPE_TSS_AVAIL | SEG_PRESENT)   /* base 0, limit 0 */

#define LIMINE_GDT_WORDS 9                    /* 7 descriptors + the 2-word TSS one */
#define LIMINE_GDT_LIMIT (LIMINE_GDT_WORDS * 8 - 1)

#ifndef __ASSEMBLER__
#include "../types.h"

/* Fill gdt[0 .. LIMINE_GDT_WORDS) in the order above. */
static inline void limine_gdt_fill(uint64_t gdt[LIMINE_GDT_WORDS])
{
    static const uint64_t words[LIMINE_GDT_WORDS] = {
        0, LIMINE_DESC_CODE16, LIMINE_DESC_DATA16, LIMINE_DESC_CODE32, LIMINE_DESC_DATA32,
        LIMINE_DESC_CODE64, LIMINE_DESC_DATA64, LIMINE_DESC_TSS_LO, 0,
    };

    for (int i = 0; i < LIMINE_GDT_WORDS; i++)
        gdt[i] = words[i];
}
_Static_assert(LIMINE_SEL_TSS / 8 + 2 == LIMINE_GDT_WORDS, "TSS descriptor is the last");
#endif

#endif

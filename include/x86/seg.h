/* Code/data segment descriptors by field (Intel SDM Vol. 3A 3.4.5, 5.2.1),
 * for the kernel's GDT (kernel/cpu.c) and the AP trampoline's
 * (shared/ap_trampoline.S). Assembler-safe. In 64-bit mode base and limit are
 * ignored for code and data; every descriptor here is flat: base 0, limit
 * 4 GiB in 4 KiB units. */
#ifndef PAGODA_X86_SEG_H
#define PAGODA_X86_SEG_H

#include "bits.h"

#define SEG_ACCESSED   BIT64(40)
#define SEG_RW         BIT64(41)   /* code: readable; data: writable */
#define SEG_EXEC       BIT64(43)   /* code segment */
#define SEG_CODE_DATA  BIT64(44)   /* S: code/data, not a system descriptor */
#define SEG_PRESENT    BIT64(47)
#define SEG_LONG       BIT64(53)   /* L: 64-bit code */
#define SEG_DB         BIT64(54)   /* D/B: 32-bit default operand size (never with L) */
#define SEG_GRAN_4K    BIT64(55)   /* G: limit counts 4 KiB units */
#define SEG_LIMIT_MAX  (X86_ULL(0xFFFF) | (X86_ULL(0xF) << 48))   /* limit 0xFFFFF */
#define SEG_TYPE_TSS_AVAIL (X86_ULL(0x9) << 40)   /* system: available 64-bit TSS */

/* A present flat code or data descriptor with these type and flag bits. */
#define SEG_FLAT(bits) (SEG_LIMIT_MAX | SEG_GRAN_4K | SEG_PRESENT | SEG_CODE_DATA | (bits))
#define SEG_CODE32     SEG_FLAT(SEG_EXEC | SEG_RW | SEG_DB)
#define SEG_DATA32     SEG_FLAT(SEG_RW | SEG_DB)
#define SEG_CODE64     SEG_FLAT(SEG_EXEC | SEG_RW | SEG_LONG)

#endif

/* The handoff block efi/handoff.S reads: everything the last instructions
 * before a Pagoda kernel need, in one page the loader allocates (below
 * 4 GiB when it enters 5-level paging, which leaves long mode once:
 * include/x86/la57.h). Offsets for the assembler, a struct for C, pinned
 * together below. */
#ifndef PAGODA_EFI_HANDOFF_H
#define PAGODA_EFI_HANDOFF_H

#include "x86/la57.h"   /* LA57_SWITCH_MAX_ADDR: where the block and its tables must lie */

#define HB_FINAL_CR3   0x00   /* the kernel's root (identity-maps handoff's page) */
#define HB_STACK_TOP   0x08   /* RSP at entry + 8 */
#define HB_ENTRY       0x10
#define HB_BOOTINFO    0x18   /* RDI at entry: the boot info's HHDM address */
#define HB_LA57        0x20   /* nonzero: enter 5-level paging first */
#define HB_TRANS_CR3   0x28   /* 5 levels: a root below 4 GiB mapping handoff's page and this block */
#define HB_GDTR_PHYS   0x36   /* u16 limit, u64 base: the block's GDT */
#define HB_SCRATCH     0x40   /* top of a scratch stack in the block's page */
#define HB_GDT         0x48   /* the AP trampoline's GDT layout (TRAMP_SEL_*) */
#define HB_GDT_WORDS   4
#define HB_SIZE        (HB_GDT + HB_GDT_WORDS * 8)

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct handoff_block {
    uint64_t final_cr3, stack_top, entry, bootinfo, la57, trans_cr3;
    uint16_t pad[3];
    uint16_t gdt_limit;
    uint64_t gdt_base;
    uint64_t scratch_top;
    uint64_t gdt[HB_GDT_WORDS];
};
_Static_assert(offsetof(struct handoff_block, final_cr3) == HB_FINAL_CR3, "final cr3");
_Static_assert(offsetof(struct handoff_block, stack_top) == HB_STACK_TOP, "stack");
_Static_assert(offsetof(struct handoff_block, entry) == HB_ENTRY, "entry");
_Static_assert(offsetof(struct handoff_block, bootinfo) == HB_BOOTINFO, "bootinfo");
_Static_assert(offsetof(struct handoff_block, la57) == HB_LA57, "la57");
_Static_assert(offsetof(struct handoff_block, trans_cr3) == HB_TRANS_CR3, "trans cr3");
_Static_assert(offsetof(struct handoff_block, gdt_limit) == HB_GDTR_PHYS, "gdtr");
_Static_assert(offsetof(struct handoff_block, scratch_top) == HB_SCRATCH, "scratch");
_Static_assert(offsetof(struct handoff_block, gdt) == HB_GDT, "gdt");
_Static_assert(sizeof(struct handoff_block) == HB_SIZE, "handoff block");

/* efi/handoff.S: never returns. Runs identity-mapped on the firmware's
 * tables in its own page-aligned section [handoff_start, handoff_end). */
extern char handoff_start[], handoff_end[];
__attribute__((noreturn)) void handoff(const struct handoff_block *hb);
#endif

#endif

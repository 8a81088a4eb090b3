/* The AP start-up trampoline's parameter block and slot table, declared once
 * for shared/ap_trampoline.S and its two users: the kernel (kernel/smp.c,
 * kernel/trampoline.S) and the loader for a Limine kernel (efi/limine_mp.c,
 * efi/limine_ap.S); offsets for the assembler, a struct for C, pinned
 * together by _Static_asserts below.
 *
 * The trampoline is copied to a 4 KiB page below 1 MiB (SIPI vector =
 * page >> 12). Every AP runs it at once: nothing in it is written by an AP,
 * so no AP waits for another. An AP finds its own slot (stack, struct cpu)
 * by scanning the slot table for its APIC ID. */
#ifndef PAGODA_X86_TRAMPOLINE_H
#define PAGODA_X86_TRAMPOLINE_H

#define TRAMP_PARAMS       0xF00   /* parameter block: offset in the page */
#define TRAMP_GDTR         (TRAMP_PARAMS + 0x00)  /* u16 limit, u32 base (lgdtl) */
#define TRAMP_FAR32        (TRAMP_PARAMS + 0x08)  /* u32 offset, u16 selector: into 32-bit code */
#define TRAMP_FAR64        (TRAMP_PARAMS + 0x10)  /* u32 offset, u16 selector: into 64-bit code */
#define TRAMP_CR3_32       (TRAMP_PARAMS + 0x18)  /* u32: transitional PML4, below 4 GiB */
#define TRAMP_EFER_SET     (TRAMP_PARAMS + 0x1C)  /* u32: EFER bits to set (LME, NXE) */
#define TRAMP_ENTRY64      (TRAMP_PARAMS + 0x20)  /* u64: higher-half ap_entry64 */
#define TRAMP_CR3_FINAL    (TRAMP_PARAMS + 0x28)  /* u64: the kernel's shared PML4 */
#define TRAMP_CR4          (TRAMP_PARAMS + 0x30)  /* u32: CR4 bits for paging (PAE, + LA57 for 5 levels) */
#define TRAMP_PARAMS_END   (TRAMP_PARAMS + 0x38)

/* The trampoline's own GDT: null, then one descriptor per selector. */
#define TRAMP_SEL_CODE32   0x08
#define TRAMP_SEL_DATA32   0x10
#define TRAMP_SEL_CODE64   0x18
#define TRAMP_GDT_ENTRIES  4

/* One slot per AP to start, in the kernel's .bss (higher half). */
#define AP_SLOT_APIC_ID    0x00   /* u32 */
#define AP_SLOT_INDEX      0x04   /* u32: CPU index */
#define AP_SLOT_STACK_TOP  0x08   /* u64 */
#define AP_SLOT_CPU        0x10   /* u64: struct cpu * */
#define AP_SLOT_STATE      0x18   /* u32: AP_STATE_* */
#define AP_SLOT_SIZE       0x20

/* Slot states: the bring-up handshake of include/apslots.h. */
#define AP_STATE_EMPTY     0      /* nothing to start here */
#define AP_STATE_READY     1      /* prepared; the AP may take it (the scan checks this) */
#define AP_STATE_ALIVE     2      /* the AP runs kernel code, waits for the BSP's release */
#define AP_STATE_RELEASED  3      /* the BSP counts it: the AP publishes itself */
#define AP_STATE_ONLINE    4      /* in the kernel's CPU table and online count */
#define AP_STATE_PARKED    5      /* never said alive by the deadline: INIT, never runs */
#define AP_STATE_GAVE_UP   6      /* said alive, never released in time: halted itself */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct __attribute__((packed)) tramp_params {
    uint16_t gdt_limit;
    uint32_t gdt_base;
    uint16_t pad0;
    uint32_t far32_offset;
    uint16_t far32_selector;
    uint16_t pad1;
    uint32_t far64_offset;
    uint16_t far64_selector;
    uint16_t pad2;
    uint32_t cr3_32;
    uint32_t efer_set;
    uint64_t entry64;
    uint64_t cr3_final;
    uint32_t cr4;
    uint32_t pad3;
};

_Static_assert(offsetof(struct tramp_params, gdt_limit) == TRAMP_GDTR - TRAMP_PARAMS, "gdtr");
_Static_assert(offsetof(struct tramp_params, far32_offset) == TRAMP_FAR32 - TRAMP_PARAMS, "far32");
_Static_assert(offsetof(struct tramp_params, far64_offset) == TRAMP_FAR64 - TRAMP_PARAMS, "far64");
_Static_assert(offsetof(struct tramp_params, cr3_32) == TRAMP_CR3_32 - TRAMP_PARAMS, "cr3_32");
_Static_assert(offsetof(struct tramp_params, efer_set) == TRAMP_EFER_SET - TRAMP_PARAMS, "efer");
_Static_assert(offsetof(struct tramp_params, entry64) == TRAMP_ENTRY64 - TRAMP_PARAMS, "entry64");
_Static_assert(offsetof(struct tramp_params, cr3_final) == TRAMP_CR3_FINAL - TRAMP_PARAMS, "cr3");
_Static_assert(offsetof(struct tramp_params, cr4) == TRAMP_CR4 - TRAMP_PARAMS, "cr4");
_Static_assert(sizeof(struct tramp_params) == TRAMP_PARAMS_END - TRAMP_PARAMS, "params size");
_Static_assert(TRAMP_PARAMS_END <= 0x1000, "parameter block past the 4 KiB trampoline page");

/* The real-mode image (shared/ap_trampoline.S) and the labels whose
 * physical addresses the parameter block carries. The assembler checks that
 * the code ends before TRAMP_PARAMS. */
extern char trampoline_start[], trampoline_end[], trampoline_gdt[], trampoline_pm32[],
    trampoline_lm64[];

/* What the kernel's and the loader's bring-ups differ in. */
struct tramp_target {
    uint32_t cr3_32;        /* transitional root below 4 GiB, mapping the trampoline page */
    uint32_t efer_set;      /* EFER bits set with paging off (LME, NXE) */
    uint32_t cr4;           /* CR4 before paging (PAE, LA57) */
    uint64_t entry64;       /* 64-bit code reached through the transitional root */
    uint64_t cr3_final;     /* the root the AP runs on */
};

/* The image ends before the parameter block (a fact of the build, checked
 * at run time because the assembler cannot measure relaxed code). */
static inline bool tramp_image_fits(void)
{
    return trampoline_end - trampoline_start <= TRAMP_PARAMS;
}

/* Copy the trampoline to the page at physical `base` (below 1 MiB, 4 KiB
 * aligned: a SIPI vector), reached at `page`, and fill its parameters:
 * absolute addresses, since the AP runs it with CS base = `base`. Inline,
 * as the image exists in the loader and the kernel but not in host tests. */
static inline void tramp_install(uint8_t *page, uint32_t base, const struct tramp_target *t)
{
    struct tramp_params *p = (struct tramp_params *)(page + TRAMP_PARAMS);

    __builtin_memcpy(page, trampoline_start, (size_t)(trampoline_end - trampoline_start));
    *p = (struct tramp_params){
        .gdt_limit = TRAMP_GDT_ENTRIES * sizeof(uint64_t) - 1,
        .gdt_base = base + (uint32_t)(trampoline_gdt - trampoline_start),
        .far32_offset = base + (uint32_t)(trampoline_pm32 - trampoline_start),
        .far32_selector = TRAMP_SEL_CODE32,
        .far64_offset = base + (uint32_t)(trampoline_lm64 - trampoline_start),
        .far64_selector = TRAMP_SEL_CODE64,
        .cr3_32 = t->cr3_32,
        .efer_set = t->efer_set,
        .entry64 = t->entry64,
        .cr3_final = t->cr3_final,
        .cr4 = t->cr4,
    };
}

struct ap_slot {
    uint32_t apic_id;
    uint32_t index;
    uint64_t stack_top;
    void *cpu;
    uint32_t state;
    uint32_t pad;
};

_Static_assert(offsetof(struct ap_slot, apic_id) == AP_SLOT_APIC_ID, "slot apic");
_Static_assert(offsetof(struct ap_slot, index) == AP_SLOT_INDEX, "slot index");
_Static_assert(offsetof(struct ap_slot, stack_top) == AP_SLOT_STACK_TOP, "slot stack");
_Static_assert(offsetof(struct ap_slot, cpu) == AP_SLOT_CPU, "slot cpu");
_Static_assert(offsetof(struct ap_slot, state) == AP_SLOT_STATE, "slot state");
_Static_assert(sizeof(struct ap_slot) == AP_SLOT_SIZE, "slot size");
#endif

#endif

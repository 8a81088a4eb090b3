/* The loader's mapping plan: the {va, pa, len, flags} list it hands to
 * pt_map when it builds the kernel's address space, and the rules that
 * decide which tracker ranges the higher-half direct map (HHDM) covers and
 * how. Pure code in shared/hhdm_plan.c, used by the loader (efi/paging.c)
 * and by the host replay tool (tools/replay.c), so a replayed firmware map
 * is planned by exactly the rules the loader follows. */
#ifndef PAGODA_HHDM_PLAN_H
#define PAGODA_HHDM_PLAN_H

#include "elfcheck.h"
#include "pmem.h"
#include "pt.h"

/* A plan being built in caller storage of `cap` entries. Entries come in
 * increasing va (pt_min_frames needs that). When storage runs out the
 * entry is dropped and `overflow` set; it stays set, so one check after
 * planning is enough. */
struct hhdm_plan {
    struct pt_mapping *m;
    size_t n, cap;
    bool overflow;
    uint64_t beyond_bytes;   /* mappable bytes beyond the direct map's window, left out */
};

/* The parts of the address space that are not the HHDM. An empty identity
 * range, a zero stack_size or a NULL kernel leaves that part out (the
 * replay tool plans the HHDM alone). */
struct hhdm_plan_layout {
    int levels;                            /* 4 or 5: where the direct map lies */
    paddr_t identity_base, identity_end;   /* va == pa, executable: handoff() */
    paddr_t stack_phys;                    /* BSP stack, mapped above a guard page */
    uint64_t stack_size;
    const struct elf_image *kernel;        /* segments at their link addresses */
    paddr_t kernel_phys;                   /* where kernel->lo lives */
};

/* The virtual windows the loader maps besides the kernel's own segments.
 * hhdm_plan_window() is the one definition: the plan places every non-kernel
 * mapping inside its window, and the loader's placement check
 * (hhdm_plan_kernel_collision) refuses a kernel that touches any window, so
 * the two cannot drift apart. The direct map and the stack window are whole
 * PML4 slots reserved by the ABI (include/bootinfo.h), whatever this boot
 * maps of them (the direct map's depends on the level count: 4 levels PML4
 * slots 256..507, 5 levels PML5 slots 256..271); the identity window is the
 * handoff page(s). */
enum hhdm_window {
    HHDM_WINDOW_IDENTITY,      /* [identity_base, identity_end): va == pa */
    HHDM_WINDOW_DIRECT_MAP,    /* [hhdm_window_base(levels), hhdm_window_end(levels)) */
    HHDM_WINDOW_DIRECT_MAP_OTHER, /* the other level count's: never mapped, but kept
                                   * from kernels too, so that where a kernel may be
                                   * linked does not depend on the machine's CPU */
    HHDM_WINDOW_STACK,         /* [KSTACK_WINDOW, KSTACK_WINDOW_END) */
    HHDM_WINDOW_COUNT          /* "none" as a result */
};

struct hhdm_window_span {
    const char *name;          /* for messages: "direct map (HHDM)" */
    vaddr_t base, end;         /* [base, end); empty when base == end */
};

/* Window w of layout l: the identity window is l's, the direct map's
 * follows l->levels, the stack window is fixed by the ABI. */
struct hhdm_window_span hhdm_plan_window(const struct hhdm_plan_layout *l, enum hhdm_window w);

/* The first window (in enum order) that a page of one of the kernel's
 * segments overlaps, with that segment's page-rounded span in *seg_lo,
 * *seg_hi (the pages plan_kernel maps); HHDM_WINDOW_COUNT when the kernel
 * touches none. Needs only the layout's identity range: the stack's and
 * the kernel's physical addresses play no part, so the check runs before
 * anything is allocated. */
enum hhdm_window hhdm_plan_kernel_collision(const struct hhdm_plan_layout *l, const struct elf_image *k,
                                            vaddr_t *seg_lo, vaddr_t *seg_hi);

void hhdm_plan_init(struct hhdm_plan *p, struct pt_mapping *storage, size_t cap);

/* HHDM flags for a tracker type; false for types the kernel never touches
 * through the direct map (reserved, bad, unaccepted, PMEM_NONE). */
bool hhdm_plan_flags(enum pmem_type type, unsigned *flags);

/* The kernel's segments at their link addresses, physical image at phys
 * (segment at v lives at phys + (v - k->lo)), per-segment W/X, global.
 * Also used for Limine kernels (efi/limine_paging.c). */
void hhdm_plan_kernel(struct hhdm_plan *p, const struct elf_image *k, paddr_t phys);

/* Append a mapping, merging it into the previous one when it continues it
 * exactly (same flags, contiguous in both va and pa). */
void hhdm_plan_add(struct hhdm_plan *p, vaddr_t va, paddr_t pa, uint64_t len, unsigned flags);

/* hhdm_window_base(levels) + pa -> pa for every range of `pm`
 * hhdm_plan_flags accepts, clipped to the window's size (126 TiB with 4
 * levels, 4 PiB with 5; what lies above is counted in beyond_bytes).
 * *hhdm_end = end of the highest range mapped (0 if none). */
void hhdm_plan_direct_map(struct hhdm_plan *p, const struct pmem *pm, int levels, uint64_t *hhdm_end);

/* The whole plan, sorted by va: identity < HHDM < stack window and kernel
 * (in address order). Every mapping but the kernel's lies in its window;
 * the caller has refused a kernel that touches a window
 * (hhdm_plan_kernel_collision), so no two mappings overlap. */
void hhdm_plan_all(struct hhdm_plan *p, const struct pmem *pm, const struct hhdm_plan_layout *l,
                   uint64_t *hhdm_end);

#endif

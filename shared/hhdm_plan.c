/* The loader's mapping plan and its windows (include/hhdm_plan.h). Only
 * decides what to map and where; efi/paging.c feeds the plan to pt_map and
 * checks kernels against the windows, tools/replay.c plans into an arena. */
#include <elf.h>

#include "bootinfo.h"
#include "hhdm_plan.h"
#include "x86/pte.h"

/* The windows, defined once (include/hhdm_plan.h). The stack window holds
 * the BSP stack above a guard page, and later the kernel's other stacks. */
_Static_assert(PAGE_SIZE + KERNEL_STACK_SIZE <= KSTACK_WINDOW_END - KSTACK_WINDOW,
               "the BSP stack and its guard page fit the stack window");
_Static_assert(HHDM_END_5LEVEL - HHDM_BASE_5LEVEL == PTE_PHYS_LIMIT,
               "the 5-level direct map covers every physical address an entry can hold");
_Static_assert(HHDM_END_4LEVEL <= KHEAP_WINDOW && HHDM_END_5LEVEL <= KHEAP_WINDOW,
               "the direct map ends below the kernel's windows at either level count");

struct hhdm_window_span hhdm_plan_window(const struct hhdm_plan_layout *l, enum hhdm_window w)
{
    switch (w) {
    case HHDM_WINDOW_IDENTITY:
        return (struct hhdm_window_span){ "handoff identity page", l->identity_base,
                                          MAX(l->identity_base, l->identity_end) };
    case HHDM_WINDOW_DIRECT_MAP:
        return (struct hhdm_window_span){ "direct map (HHDM)", hhdm_window_base(l->levels),
                                          hhdm_window_end(l->levels) };
    case HHDM_WINDOW_DIRECT_MAP_OTHER: {
        const int other = l->levels == PT_LEVELS_MAX ? PT_LEVELS_MIN : PT_LEVELS_MAX;
        return (struct hhdm_window_span){ "direct map (HHDM)", hhdm_window_base(other),
                                          hhdm_window_end(other) };
    }
    case HHDM_WINDOW_STACK:
        return (struct hhdm_window_span){ "kernel stack window", KSTACK_WINDOW, KSTACK_WINDOW_END };
    case HHDM_WINDOW_COUNT:
        break;
    }
    return (struct hhdm_window_span){ "none", 0, 0 };
}

/* The pages plan_kernel maps for one segment. */
static void segment_pages(const struct elf_segment *s, vaddr_t *lo, vaddr_t *hi)
{
    *lo = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
    *hi = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
}

enum hhdm_window hhdm_plan_kernel_collision(const struct hhdm_plan_layout *l, const struct elf_image *k,
                                            vaddr_t *seg_lo, vaddr_t *seg_hi)
{
    for (int w = 0; w < HHDM_WINDOW_COUNT; w++) {
        struct hhdm_window_span win = hhdm_plan_window(l, (enum hhdm_window)w);
        for (size_t i = 0; i < k->nsegs; i++) {
            segment_pages(&k->segs[i], seg_lo, seg_hi);
            if (*seg_lo < win.end && win.base < *seg_hi)
                return (enum hhdm_window)w;
        }
    }
    return HHDM_WINDOW_COUNT;
}

void hhdm_plan_init(struct hhdm_plan *p, struct pt_mapping *storage, size_t cap)
{
    *p = (struct hhdm_plan){ .m = storage, .n = 0, .cap = cap, .overflow = false };
}

/* Reserved and bad memory may be anything (SMRAM, a hole the chipset
 * decodes elsewhere); touching unaccepted memory faults in a confidential
 * VM. MMIO is uncached and the framebuffer write-combining: the PAT type
 * must match what the device tolerates. */
bool hhdm_plan_flags(enum pmem_type type, unsigned *flags)
{
    *flags = PT_MAP_WRITE | PT_MAP_GLOBAL;
    switch (type) {
    case PMEM_RESERVED:
    case PMEM_BAD:
    case PMEM_UNACCEPTED:
    case PMEM_NONE:
        return false;
    case PMEM_MMIO:
        *flags |= PT_MAP_UC;
        return true;
    case PMEM_FRAMEBUFFER:
        *flags |= PT_MAP_WC;
        return true;
    default:
        return true;
    }
}

void hhdm_plan_add(struct hhdm_plan *p, vaddr_t va, paddr_t pa, uint64_t len, unsigned flags)
{
    struct pt_mapping *last = p->n ? &p->m[p->n - 1] : NULL;

    if (last && last->flags == flags && last->va + last->len == va && last->pa + last->len == pa) {
        last->len += len;
        return;
    }
    if (p->n == p->cap) {
        p->overflow = true;
        return;
    }
    p->m[p->n++] = (struct pt_mapping){ .va = va, .pa = pa, .len = len, .flags = flags };
}

void hhdm_plan_direct_map(struct hhdm_plan *p, const struct pmem *pm, int levels, uint64_t *hhdm_end)
{
    const struct hhdm_plan_layout l = { .levels = levels };
    const struct hhdm_window_span win = hhdm_plan_window(&l, HHDM_WINDOW_DIRECT_MAP);
    const paddr_t max_phys = win.end - win.base;
    unsigned flags;

    *hhdm_end = 0;
    for (size_t i = 0; i < pm->count; i++) {
        const struct pmem_range *r = &pm->ranges[i];
        if (!hhdm_plan_flags(r->type, &flags))
            continue;
        paddr_t end = MIN(r->end, max_phys);
        p->beyond_bytes += r->end - MAX(r->base, end);
        if (r->base >= end)
            continue;
        hhdm_plan_add(p, win.base + r->base, r->base, end - r->base, flags);
        *hhdm_end = end;
    }
}

/* W^X comes from the ELF: elf_validate refused any segment both W and X. */
static unsigned segment_flags(uint32_t pf)
{
    unsigned f = PT_MAP_GLOBAL;

    if (pf & PF_W)
        f |= PT_MAP_WRITE;
    if (pf & PF_X)
        f |= PT_MAP_EXEC;
    return f;
}

void hhdm_plan_kernel(struct hhdm_plan *p, const struct elf_image *k, paddr_t phys)
{
    for (size_t i = 0; i < k->nsegs; i++) {
        const struct elf_segment *s = &k->segs[i];
        vaddr_t lo, hi;
        segment_pages(s, &lo, &hi);
        hhdm_plan_add(p, lo, phys + (lo - k->lo), hi - lo, segment_flags(s->flags));
    }
}

/* The page at the window's base stays unmapped: the stack's guard page. */
static void plan_stack(struct hhdm_plan *p, const struct hhdm_plan_layout *l)
{
    const struct hhdm_window_span win = hhdm_plan_window(l, HHDM_WINDOW_STACK);

    if (l->stack_size)
        hhdm_plan_add(p, win.base + PAGE_SIZE, l->stack_phys, l->stack_size,
                      PT_MAP_WRITE | PT_MAP_GLOBAL);
}

void hhdm_plan_all(struct hhdm_plan *p, const struct pmem *pm, const struct hhdm_plan_layout *l,
                   uint64_t *hhdm_end)
{
    const struct hhdm_window_span id = hhdm_plan_window(l, HHDM_WINDOW_IDENTITY);
    const bool kernel_below_stack =
        l->kernel && l->kernel->lo < hhdm_plan_window(l, HHDM_WINDOW_STACK).base;

    if (id.end > id.base)
        hhdm_plan_add(p, id.base, id.base, id.end - id.base, PT_MAP_EXEC);
    hhdm_plan_direct_map(p, pm, l->levels, hhdm_end);
    if (kernel_below_stack)
        hhdm_plan_kernel(p, l->kernel, l->kernel_phys);
    plan_stack(p, l);
    if (l->kernel && !kernel_below_stack)
        hhdm_plan_kernel(p, l->kernel, l->kernel_phys);
}

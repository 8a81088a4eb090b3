/* The loader's mapping plan (include/hhdm_plan.h). Only decides what to
 * map; efi/paging.c feeds the plan to pt_map, tools/replay.c to an arena. */
#include <elf.h>

#include "bootinfo.h"
#include "hhdm_plan.h"

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

void hhdm_plan_direct_map(struct hhdm_plan *p, const struct pmem *pm, uint64_t *hhdm_end)
{
    unsigned flags;

    *hhdm_end = 0;
    for (size_t i = 0; i < pm->count; i++) {
        const struct pmem_range *r = &pm->ranges[i];
        if (!hhdm_plan_flags(r->type, &flags))
            continue;
        paddr_t end = MIN(r->end, HHDM_MAX_PHYS);
        p->beyond_bytes += r->end - MAX(r->base, end);
        if (r->base >= end)
            continue;
        hhdm_plan_add(p, HHDM_BASE + r->base, r->base, end - r->base, flags);
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

static void plan_kernel(struct hhdm_plan *p, const struct elf_image *k, paddr_t phys)
{
    for (size_t i = 0; i < k->nsegs; i++) {
        const struct elf_segment *s = &k->segs[i];
        vaddr_t lo = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
        vaddr_t hi = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
        hhdm_plan_add(p, lo, phys + (lo - k->lo), hi - lo, segment_flags(s->flags));
    }
}

void hhdm_plan_all(struct hhdm_plan *p, const struct pmem *pm, const struct hhdm_plan_layout *l,
                   uint64_t *hhdm_end)
{
    if (l->identity_end > l->identity_base)
        hhdm_plan_add(p, l->identity_base, l->identity_base, l->identity_end - l->identity_base,
                      PT_MAP_EXEC);
    hhdm_plan_direct_map(p, pm, hhdm_end);
    /* The page at KSTACK_WINDOW stays unmapped: the stack's guard page. */
    if (l->stack_size)
        hhdm_plan_add(p, KSTACK_WINDOW + PAGE_SIZE, l->stack_phys, l->stack_size,
                      PT_MAP_WRITE | PT_MAP_GLOBAL);
    if (l->kernel)
        plan_kernel(p, l->kernel, l->kernel_phys);
}

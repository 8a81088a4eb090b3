/* The kernel's address space, built from scratch (nothing is copied from the
 * firmware's tables):
 *   - HHDM: HHDM_BASE + pa -> pa for every tracker range the kernel may touch
 *     (RAM of all kinds, ACPI, firmware runtime, MMIO uncached, framebuffer
 *     write-combining); writable, NX, global; largest leaves alignment allows.
 *   - The kernel ELF at its link address, per-segment permissions (W^X).
 *   - The BSP stack in the stack window, an unmapped guard page below it.
 *   - Identity map of the page(s) holding handoff(): the instruction after
 *     `mov cr3` must still be mapped. The kernel removes it.
 * Page-table frames come from a pool allocated before ExitBootServices, so the
 * tables can be built from the final memory map after it. */
#include <elf.h>

#include "loader.h"

#define POOL_SLACK_FRAMES 32   /* on top of the computed minimum (+25%) */
/* One plan entry per tracker entry at most, plus identity, stack and the
 * kernel's segments. */
#define PLAN_EXTRA_ENTRIES (2 + ELF_MAX_SEGMENTS)

static paddr_t pool_alloc(void *ctx)
{
    struct frame_pool *pool = ctx;

    if (pool->used == pool->frames)
        return 0;
    return pool->base + (pool->used++ << PAGE_SHIFT);
}

static void *identity(void *ctx, paddr_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}

/* HHDM flags for a tracker type; false for types the kernel never touches
 * through the direct map (reserved, bad, unaccepted: touching unaccepted
 * memory faults in a confidential VM). */
static bool hhdm_flags(enum pmem_type t, unsigned *flags)
{
    *flags = PT_MAP_WRITE | PT_MAP_GLOBAL;
    switch (t) {
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

struct plan {
    struct pt_mapping *m;
    size_t n, cap;
    bool overflow;
};

/* Append, merging with the previous mapping when it continues it exactly. */
static void plan_add(struct plan *p, vaddr_t va, paddr_t pa, uint64_t len, unsigned flags)
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

static unsigned segment_flags(uint32_t pf)
{
    unsigned f = PT_MAP_GLOBAL;

    if (pf & PF_W)
        f |= PT_MAP_WRITE;
    if (pf & PF_X)
        f |= PT_MAP_EXEC;
    return f;
}

/* All mappings, sorted by virtual address: identity < HHDM < stacks < kernel. */
static void plan_all(struct plan *p, const struct pmem *pm, const struct kernel_load *k,
                     paddr_t stack_phys, paddr_t id_base, paddr_t id_end, uint64_t *hhdm_end)
{
    unsigned flags;

    plan_add(p, id_base, id_base, id_end - id_base, PT_MAP_EXEC);
    *hhdm_end = 0;
    for (size_t i = 0; i < pm->count; i++) {
        const struct pmem_range *r = &pm->ranges[i];
        if (!hhdm_flags(r->type, &flags))
            continue;
        plan_add(p, HHDM_BASE + r->base, r->base, r->end - r->base, flags);
        *hhdm_end = r->end;
    }
    plan_add(p, KSTACK_WINDOW + PAGE_SIZE, stack_phys, KERNEL_STACK_SIZE, PT_MAP_WRITE | PT_MAP_GLOBAL);
    for (size_t i = 0; i < k->elf.nsegs; i++) {
        const struct elf_segment *s = &k->elf.segs[i];
        vaddr_t lo = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
        vaddr_t hi = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);
        plan_add(p, lo, k->phys + (lo - k->elf.lo), hi - lo, segment_flags(s->flags));
    }
}

/* Plan storage, set by paging_set_plan_storage before the exit. */
static struct pt_mapping *plan_storage;
static size_t plan_capacity;

size_t paging_plan_capacity(const struct pmem *pm)
{
    return pm->capacity + PLAN_EXTRA_ENTRIES;
}

void paging_set_plan_storage(struct pt_mapping *storage, size_t capacity)
{
    plan_storage = storage;
    plan_capacity = capacity;
}

static struct plan make_plan(const struct pmem *pm, const struct kernel_load *k, paddr_t stack_phys,
                             paddr_t id_base, paddr_t id_end, uint64_t *hhdm_end)
{
    struct plan p = { .m = plan_storage, .n = 0, .cap = plan_capacity, .overflow = false };
    plan_all(&p, pm, k, stack_phys, id_base, id_end, hhdm_end);
    return p;
}

uint64_t paging_estimate_frames(const struct pmem *pm, const struct kernel_load *k, unsigned caps)
{
    uint64_t hhdm_end;
    /* Placeholder physical addresses with the worst alignment (4 KiB) for
     * the parts not allocated yet: the estimate then bounds the real need. */
    struct plan p = make_plan(pm, k, PAGE_SIZE, PAGE_SIZE, 3 * PAGE_SIZE, &hhdm_end);
    if (p.overflow)
        return 0;
    uint64_t min = pt_min_frames(p.m, p.n, 4, caps);

    return min + min / 4 + POOL_SLACK_FRAMES;
}

int paging_build(struct pt *pt, struct frame_pool *pool, struct pmem *pm, const struct kernel_load *k,
                 paddr_t stack_phys, paddr_t identity_base, paddr_t identity_end, unsigned caps,
                 uint64_t *min_frames, uint64_t *hhdm_end)
{
    const struct pt_env env = { .alloc_frame = pool_alloc, .free_frame = NULL,
                                .phys_to_ptr = identity, .ctx = pool };
    struct plan p = make_plan(pm, k, stack_phys, identity_base, identity_end, hhdm_end);
    int rc;

    if (p.overflow)
        return -E_CAPACITY;
    rc = pt_init(pt, &env, 4, caps);
    for (size_t i = 0; rc == 0 && i < p.n; i++)
        rc = pt_map(pt, p.m[i].va, p.m[i].pa, p.m[i].len, p.m[i].flags);
    *min_frames = pt_min_frames(p.m, p.n, 4, caps);
    return rc;
}

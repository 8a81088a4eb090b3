/* The kernel's address space, built from scratch (nothing is copied from the
 * firmware's tables):
 *   - HHDM: HHDM_BASE + pa -> pa for every tracker range the kernel may touch
 *     (RAM of all kinds, ACPI, firmware runtime, MMIO uncached, framebuffer
 *     write-combining); writable, NX, global; largest leaves alignment allows.
 *   - The kernel ELF at its link address, per-segment permissions (W^X).
 *   - The BSP stack in the stack window, an unmapped guard page below it.
 *   - Identity map of the page(s) holding handoff(): the instruction after
 *     `mov cr3` must still be mapped. The kernel removes it.
 * With 4 or 5 levels (paging_set_levels): only the direct map's base moves.
 * For 5 levels a small transitional root (paging_build_transition) carries
 * handoff.S through the switch into LA57.
 * What to map and with which flags, and the windows the non-kernel parts
 * live in, is shared/hhdm_plan.c (the replay tool plans firmware maps with
 * it too); this file checks a kernel's placement against those windows,
 * sizes the frame pool and builds the tables. Page-table frames come from a
 * pool allocated before ExitBootServices, so the tables can be built once
 * before it as a dry run and again from the final memory map after it. */
#include "hhdm_plan.h"
#include "loader.h"
#include "x86/pte.h"

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

struct pt_env paging_pool_env(struct frame_pool *pool)
{
    return (struct pt_env){ .alloc_frame = pool_alloc, .free_frame = NULL, .phys_to_ptr = identity,
                            .ctx = pool };
}

/* The level count, set by paging_set_levels before the kernel is loaded. */
static int levels = PT_LEVELS_MIN;

void paging_set_levels(int n)
{
    levels = n;
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

void paging_identity_range(paddr_t *base, paddr_t *end)
{
    *base = ALIGN_DOWN((uintptr_t)handoff_start, PAGE_SIZE);
    *end = ALIGN_UP((uintptr_t)handoff_end, PAGE_SIZE);
}

/* The layout for this kernel (NULL: none yet) with its stack at stack_phys;
 * the identity range is always handoff's page(s). */
static struct hhdm_plan_layout layout_for(const struct kernel_load *k, paddr_t stack_phys)
{
    struct hhdm_plan_layout l = {
        .levels = levels,
        .stack_phys = stack_phys, .stack_size = KERNEL_STACK_SIZE,
        .kernel = k ? &k->elf : NULL, .kernel_phys = k ? k->phys : 0,
    };

    paging_identity_range(&l.identity_base, &l.identity_end);
    return l;
}

EFI_STATUS paging_check_placement(const struct elf_image *elf)
{
    struct hhdm_plan_layout l = layout_for(NULL, 0);
    vaddr_t lo, hi;
    enum hhdm_window w = hhdm_plan_kernel_collision(&l, elf, &lo, &hi);

    if (w == HHDM_WINDOW_COUNT)
        return EFI_SUCCESS;
    struct hhdm_window_span win = hhdm_plan_window(&l, w);
    con_printf("pagoda: kernel rejected: its pages 0x%lx-0x%lx overlap the loader's %s "
               "0x%lx-0x%lx\n", (unsigned long)lo, (unsigned long)hi, win.name,
               (unsigned long)win.base, (unsigned long)win.end);
    return EFI_LOAD_ERROR;
}

/* The plan for layout l. */
static struct hhdm_plan make_plan(const struct pmem *pm, const struct hhdm_plan_layout *l,
                                  uint64_t *hhdm_end)
{
    struct hhdm_plan p;

    hhdm_plan_init(&p, plan_storage, plan_capacity);
    hhdm_plan_all(&p, pm, l, hhdm_end);
    return p;
}

uint64_t paging_estimate_frames(const struct pmem *pm, const struct kernel_load *k, unsigned caps)
{
    uint64_t hhdm_end;
    /* A placeholder stack address with the worst alignment (4 KiB): the
     * estimate then bounds the real need. */
    const struct hhdm_plan_layout l = layout_for(k, PAGE_SIZE);
    struct hhdm_plan p = make_plan(pm, &l, &hhdm_end);
    if (p.overflow)
        return 0;
    if (p.beyond_bytes)
        con_note("pagoda: %lu MiB of memory lies above the direct map's %lu TiB limit (%d levels): "
                   "not mapped\n", (unsigned long)(p.beyond_bytes / MiB),
                   (unsigned long)((hhdm_window_end(levels) - hhdm_window_base(levels)) / TiB), levels);
    uint64_t min = pt_min_frames(p.m, p.n, levels, caps);

    return min + min / 4 + POOL_SLACK_FRAMES;
}

int paging_build(struct pt *pt, struct frame_pool *pool, const struct pmem *pm, const struct kernel_load *k,
                 paddr_t stack_phys, unsigned caps, uint64_t *min_frames, uint64_t *hhdm_end)
{
    const struct pt_env env = paging_pool_env(pool);
    const struct hhdm_plan_layout l = layout_for(k, stack_phys);
    struct hhdm_plan p = make_plan(pm, &l, hhdm_end);
    int rc;

    pool->used = 0;   /* the dry run's tables are rebuilt from scratch */
    if (p.overflow)
        return -E_CAPACITY;
    rc = pt_init(pt, &env, levels, caps);
    for (size_t i = 0; rc == 0 && i < p.n; i++)
        rc = pt_map(pt, p.m[i].va, p.m[i].pa, p.m[i].len, p.m[i].flags);
    *min_frames = pt_min_frames(p.m, p.n, levels, caps);
    return rc;
}

int paging_build_transition(struct frame_pool *pool, paddr_t block, unsigned caps, paddr_t *root)
{
    const struct pt_env env = paging_pool_env(pool);
    paddr_t lo, hi;
    struct pt pt;

    pool->used = 0;
    paging_identity_range(&lo, &hi);
    int rc = pt_init(&pt, &env, PT_LEVELS_MAX, caps);
    if (rc == 0)
        rc = pt_map(&pt, lo, lo, hi - lo, PT_MAP_EXEC);
    if (rc == 0)
        rc = pt_map(&pt, block, block, PAGE_SIZE, PT_MAP_WRITE);
    *root = pt.root;
    return rc;
}

/* Views of physical memory that do not depend on what the responses claim:
 * a page-table walker (CR3, read through the HHDM) and a private window, a
 * page table of this kernel's own hooked into a free top-level slot, that maps
 * any physical page at a fixed address. The HHDM check compares the two; the
 * ACPI, SMBIOS and LAPIC readers use the window, so they work at base
 * revision 3+, where the HHDM leaves firmware memory out. */
#include "lk_kernel.h"
#include "lk_x86.h"

#define LEVEL_BITS 9
#define ENTRIES 512
#define WINDOW_SLOTS 8
#define TOP_SLOT_FIRST 384              /* search the top-level slots 384..510 */
#define TOP_SLOT_LAST 510

static uint64_t window_pdpt[ENTRIES] __attribute__((aligned(4096)));
static uint64_t window_pd[ENTRIES] __attribute__((aligned(4096)));
static uint64_t window_pt[ENTRIES] __attribute__((aligned(4096)));
static uint64_t window_base;            /* 0 until lk_window_init succeeds */

uint64_t lk_hhdm(void)
{
    const struct lk_hhdm_resp *r = lk_req_hhdm.response;
    return r ? r->offset : 0;
}

int lk_la57(void)
{
    return (READ_CR(4) & CR4_LA57) != 0;
}

static uint64_t *table(uint64_t pa)
{
    return (uint64_t *)(lk_hhdm() + (pa & PTE_ADDR));
}

static unsigned index_at(uint64_t va, int level)    /* level 1 = PT ... 5 = PML5 */
{
    return (unsigned)(va >> (12 + LEVEL_BITS * (level - 1))) & (ENTRIES - 1);
}

int lk_walk(uint64_t va, struct lk_walk *w)
{
    if (!lk_hhdm())
        return -1;
    uint64_t entry = READ_CR(3);
    for (int level = lk_la57() ? 5 : 4; level >= 1; level--) {
        entry = table(entry)[index_at(va, level)];
        if (!(entry & PTE_P))
            return -1;
        if (level == 1 || ((level == 2 || level == 3) && (entry & PTE_PS))) {
            uint64_t span = 1UL << (12 + LEVEL_BITS * (level - 1));
            uint64_t frame = level == 1 ? entry & PTE_ADDR : entry & PTE_ADDR & ~(span - 1);
            w->pa = frame + (va & (span - 1));
            w->pte = entry;
            w->level = level;
            return 0;
        }
    }
    return -1;
}

static uint64_t phys_of(const void *p)
{
    struct lk_walk w;
    return lk_walk((uint64_t)(uintptr_t)p, &w) ? 0 : w.pa;
}

/* The top-level table that maps the higher half this kernel runs in: the
 * PML4, or under 5-level paging the PML4 behind PML5[511]. */
static uint64_t *kernel_pml4(void)
{
    uint64_t *top = table(READ_CR(3));
    if (!lk_la57())
        return top;
    return (top[ENTRIES - 1] & PTE_P) ? table(top[ENTRIES - 1]) : NULL;
}

int lk_window_init(void)
{
    if (window_base)
        return 0;
    if (!lk_hhdm())
        return -1;
    uint64_t *pml4 = kernel_pml4();
    uint64_t pdpt = phys_of(window_pdpt), pd = phys_of(window_pd), pt = phys_of(window_pt);
    if (!pml4 || !pdpt || !pd || !pt)
        return -1;
    for (unsigned slot = TOP_SLOT_LAST; slot >= TOP_SLOT_FIRST; slot--) {
        if (pml4[slot] & PTE_P)
            continue;
        window_pd[0] = pt | PTE_P | PTE_W;
        window_pdpt[0] = pd | PTE_P | PTE_W;
        __atomic_store_n(&pml4[slot], pdpt | PTE_P | PTE_W, __ATOMIC_SEQ_CST);
        /* Sign-extended: bits 63..48 (63..57 under LA57) follow bit 47 (56). */
        window_base = (0xffffUL << 48) | ((uint64_t)slot << 39);
        if (lk_la57())
            window_base |= 0x1ffUL << 48;
        return 0;
    }
    return -1;
}

volatile void *lk_window(int slot, uint64_t pa, int uncached)
{
    if (!window_base || slot >= WINDOW_SLOTS)
        return NULL;
    uint64_t va = window_base + (uint64_t)slot * PAGE_SIZE;
    /* NX only when EFER.NXE is on: otherwise bit 63 is reserved and faults. */
    uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
    window_pt[slot] = (pa & ~PAGE_MASK) | PTE_P | PTE_W | nx | (uncached ? PTE_PCD | PTE_PWT : 0);
    invlpg((void *)va);
    return (volatile void *)(va + (pa & PAGE_MASK));
}

int lk_phys_copy(void *dst, uint64_t pa, size_t len)
{
    uint8_t *d = dst;
    while (len) {
        size_t chunk = PAGE_SIZE - (pa & PAGE_MASK);
        if (chunk > len)
            chunk = len;
        volatile const uint8_t *src = lk_window(LK_SLOT_COPY, pa, 0);
        if (!src)
            return -1;
        for (size_t i = 0; i < chunk; i++)
            d[i] = src[i];
        d += chunk, pa += chunk, len -= chunk;
    }
    return 0;
}

int lk_is_hhdm_ptr(const volatile void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p, h = lk_hhdm();
    return h && v >= h && v < LK_HIGHER_HALF_MIN;
}

uint64_t lk_virt_to_phys_hint(uint64_t va)
{
    return va - lk_hhdm();
}

const struct lk_memmap_entry *lk_memmap_find(uint64_t pa)
{
    const struct lk_memmap_resp *m = lk_req_memmap.response;
    if (!m)
        return NULL;
    for (uint64_t i = 0; i < m->count; i++) {
        const struct lk_memmap_entry *e = m->entries[i];
        if (pa >= e->base && pa - e->base < e->length)
            return e;
    }
    return NULL;
}

/* [base, base+len) lies entirely inside entries whose types are in the mask
 * (the map is sorted by base; entries may touch). */
int lk_memmap_covers(uint64_t base, uint64_t len, uint32_t type_mask)
{
    const struct lk_memmap_resp *m = lk_req_memmap.response;
    uint64_t cursor = base, end = base + len;
    if (!m)
        return 0;
    for (uint64_t i = 0; i < m->count && cursor < end; i++) {
        const struct lk_memmap_entry *e = m->entries[i];
        if (!(type_mask & TYPE_BIT(e->type)) || e->base > cursor)
            continue;
        if (e->base + e->length > cursor)
            cursor = e->base + e->length;
    }
    return cursor >= end;
}

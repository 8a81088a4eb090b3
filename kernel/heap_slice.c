/* Per-CPU slices of the kernel heap window (docs/memory.md, "Per-CPU heap
 * slices"): the small fresh mappings (kmem_map_fresh of at most
 * HEAP_SLICE_MAX_PAGES pages) of each online CPU go to its own slice, one
 * page table's span, so that map and unmap take that CPU's mm_lock and
 * never kmem_lock.
 *
 * The first time a CPU maps there, kmem_pin_slice pins the slice's page
 * table (shared/pt.c, I8) under kmem_lock and hands back a copy of the
 * kernel pt. From then on the slice maps and unmaps through that copy,
 * whose alloc_frame gives nothing and whose free_frame panics: inside the
 * pinned table it never needs either, so it writes only that table's
 * entries, and no other CPU writes them without the same mm_lock.
 *
 * Unmaps are flushed lazily like the rest of the heap window (kernel/tlb.c):
 * the pages are held (shared/vslice.c) until every CPU has caught up with
 * the newest held generation; a slice with no free run left asks for that
 * catch-up (one purge, IPIs only to CPUs still behind) and takes its held
 * pages back. Any CPU may unmap pages of any slice, under that slice's
 * CPU's mm_lock. */
#include "kernel.h"
#include "x86/pte.h"

_Static_assert(HEAP_SLICE_SIZE == PT_LEVEL_SIZE(PT_LEVEL_2M), "a slice is one page table's span");
_Static_assert(HEAP_SLICES + (uint64_t)HEAP_SLICES_MAX * HEAP_SLICE_SIZE <= PT_TEMP_WINDOW,
               "the slices stay below the page-table window at the heap window's end");

static unsigned slice_count;   /* CPU indices below this have a slice */

void heap_slices_init(unsigned count)
{
    slice_count = MIN(count, HEAP_SLICES_MAX);
}

static paddr_t no_table(void *ctx)
{
    (void)ctx;
    return 0;   /* pt_map then fails with -E_NOMEM: never inside a pinned table */
}

static void never_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    panic("heap slice: the mapper freed table 0x%lx under a pinned table", pa);
}

/* The slice's table pinned and its view of the kernel pt made, once. */
static int slice_setup(struct cpu *c)
{
    vaddr_t base = HEAP_SLICES + (vaddr_t)c->index * HEAP_SLICE_SIZE;
    paddr_t table;
    struct pt view;

    int rc = kmem_pin_slice(base, &table, &view);
    if (rc != 0)
        return rc;
    view.env.alloc_frame = no_table;
    view.env.free_frame = never_free;
    c->slice.view = view;
    c->slice.table = phys_to_virt(table);
    vslice_init(&c->slice.pages);
    c->slice.base = base;
    return 0;
}

int heap_slice_map(struct cpu *c, paddr_t pa, uint64_t len, unsigned flags, vaddr_t *out)
{
    struct heap_slice *s = &c->slice;
    unsigned pages = (unsigned)(len / PAGE_SIZE), first;
    int rc;

    if (c->index >= slice_count)
        return -E_NOMEM;
    if (s->base == 0 && (rc = slice_setup(c)) != 0)
        return -E_NOMEM;   /* no frame for its table: the shared part may still map */
    rc = vslice_alloc(&s->pages, pages, &first);
    if (rc == -E_NOMEM && s->pages.held_count != 0) {
        kmem_heap_catch_up();
        vslice_release(&s->pages);
        s->catch_ups++;
        rc = vslice_alloc(&s->pages, pages, &first);
    }
    if (rc != 0)
        return rc;
    *out = s->base + (vaddr_t)first * PAGE_SIZE;
    rc = pt_map(&s->view, *out, pa, len, flags);
    if (rc != 0)   /* free pages with nothing mapped, a page-aligned pa, flags the caller checked */
        panic("heap slice: cpu %u cannot map 0x%lx at free page 0x%lx: %d", c->index, pa, *out, rc);
    return 0;
}

bool heap_slice_contains(vaddr_t va)
{
    return va >= HEAP_SLICES && va - HEAP_SLICES < (uint64_t)slice_count * HEAP_SLICE_SIZE;
}

bool heap_slice_is_cpus(vaddr_t va, const struct cpu *c)
{
    return heap_slice_contains(va) && (va - HEAP_SLICES) / HEAP_SLICE_SIZE == c->index;
}

int heap_slice_unmap(vaddr_t va, uint64_t len)
{
    if (!heap_slice_contains(va) || !IS_ALIGNED(va | len, PAGE_SIZE) || len == 0)
        return -E_INVAL;
    unsigned index = (unsigned)((va - HEAP_SLICES) / HEAP_SLICE_SIZE);
    struct cpu *c = smp_cpu(index);   /* only online CPUs map in their slices */
    int rc = -E_INVAL;
    if (c == NULL)
        return -E_INVAL;
    spin_lock(&c->mm_lock);
    struct heap_slice *s = &c->slice;
    unsigned first = (unsigned)((va & (HEAP_SLICE_SIZE - 1)) / PAGE_SIZE);
    unsigned pages = (unsigned)MIN(len / PAGE_SIZE, VSLICE_PAGES + 1);
    if (s->base != 0 && vslice_range_live(&s->pages, first, pages)) {
        /* Live pages are mapped with 4 KiB leaves in the pinned table: no
         * split, no table freed, so the view cannot fail. */
        if ((rc = pt_unmap(&s->view, va, len)) != 0)
            panic("heap slice: cpu %u cannot unmap 0x%lx: %d", index, va, rc);
        rc = vslice_free(&s->pages, first, pages, tlb_heap_unmapped(va, len));
    }
    spin_unlock(&c->mm_lock);
    return rc;
}

/* CPU index i's slice, if that CPU is online and has set its slice up. */
static struct heap_slice *slice_in_use(unsigned i)
{
    struct cpu *c = i < slice_count ? smp_cpu(i) : NULL;
    return c && c->slice.base ? &c->slice : NULL;
}

void heap_slices_release(void)
{
    for (unsigned i = 0; i < smp_cpu_count(); i++)
        if (slice_in_use(i))
            vslice_release(&slice_in_use(i)->pages);
}

/* Each page's entry in the pinned table is present exactly when the page
 * is live: read from the table itself, not through the mapper. */
static bool slice_consistent(const struct heap_slice *s)
{
    if (!vslice_check(&s->pages))
        return false;
    for (unsigned p = 0; p < VSLICE_PAGES; p++)
        if (((s->table[p] & PTE_P) != 0) != vslice_is_live(&s->pages, p))
            return false;
    return true;
}

bool heap_slices_check(void)
{
    for (unsigned i = 0; i < smp_cpu_count(); i++)
        if (slice_in_use(i) && !slice_consistent(slice_in_use(i)))
            return false;
    return true;
}

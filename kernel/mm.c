/* The kernel's memory manager, taken over from the loader: the tracker in
 * the storage the loader filled, the buddy frame allocator over its usable
 * ranges, the loader's page tables (reached through the HHDM) and the
 * kernel's virtual ranges. Removes the loader's transitional identity map. */
#include "kernel.h"
#include "x86/cpu.h"
#include "x86/pte.h"

#define VRANGE_CAPACITY   256

struct kmem kmem;
static struct vrange vrange_storage[VRANGE_CAPACITY];
static struct spinlock kmem_lock;

void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(HHDM_BASE + pa);
}

static void *hhdm_ptr(void *ctx, paddr_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

static paddr_t pt_frame_alloc(void *ctx)
{
    paddr_t pa;
    (void)ctx;
    return falloc_alloc(&kmem.fa, PAGE_SIZE, 0, PMEM_KERNEL_PAGETABLES, &pa) == 0 ? pa : 0;
}

/* Table frames freed by pt_unmap: ours go back to the allocator; the
 * loader's (from its pool, outside the allocator) become usable in the
 * tracker, accounted there. */
static void pt_frame_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    if (falloc_free(&kmem.fa, pa, PAGE_SIZE, PMEM_KERNEL_PAGETABLES) != 0 &&
        pmem_retype(&kmem.pm, pa, pa + PAGE_SIZE, PMEM_USABLE) != 0)
        panic("mm: cannot account freed page-table frame 0x%lx", pa);
}

static void take_over_allocator(void)
{
    uint64_t meta_bytes = ALIGN_UP(falloc_metadata_bytes(&kmem.pm), PAGE_SIZE);
    paddr_t meta = 0;
    int rc;

    /* The bitmap comes out of usable memory before the allocator takes the
     * rest, so it is typed kernel-data and never handed out. */
    if (meta_bytes && (rc = pmem_alloc(&kmem.pm, meta_bytes, PAGE_SIZE, 0, PMEM_KERNEL_DATA, &meta)))
        panic("mm: no memory for the allocator's bitmap (%lu bytes): %d", meta_bytes, rc);
    const struct falloc_env env = { .phys_to_ptr = hhdm_ptr, .ctx = NULL };
    if ((rc = falloc_init(&kmem.fa, &env, &kmem.pm, phys_to_virt(meta), meta_bytes)))
        panic("mm: falloc_init: %d", rc);
}

static void reserve_virtual(const struct bootinfo *bi)
{
    vrange_init(&kmem.vs, vrange_storage, VRANGE_CAPACITY);
    vrange_reserve(&kmem.vs, HHDM_BASE, HHDM_BASE + bi->hhdm_end, VR_HHDM);
    vrange_reserve(&kmem.vs, KSTACK_WINDOW, bi->stack_top - bi->stack_size, VR_GUARD);
    vrange_reserve(&kmem.vs, bi->stack_top - bi->stack_size, bi->stack_top, VR_KERNEL_STACK);
    vrange_reserve(&kmem.vs, bi->kernel_virt, bi->kernel_virt + bi->kernel_size, VR_KERNEL_IMAGE);
}

void kmem_init(const struct bootinfo *bi)
{
    kmem.pm = (struct pmem){ .ranges = phys_to_virt(bi->pmem_ranges),
                             .count = bi->pmem_count,
                             .capacity = bi->pmem_capacity };
    if (!pmem_check(&kmem.pm))
        panic("mm: the loader's tracker is not sorted and disjoint");
    take_over_allocator();

    unsigned caps = ((bi->cpu_features & BI_CPU_1G_PAGES) ? PT_CAP_1G : 0) |
                    ((bi->cpu_features & BI_CPU_NX) ? PT_CAP_NX : 0);
    kmem.pt = (struct pt){ .env = { .alloc_frame = pt_frame_alloc, .free_frame = pt_frame_free,
                                    .phys_to_ptr = hhdm_ptr, .ctx = NULL },
                           .root = bi->pml4, .levels = 4, .caps = caps,
                           .frames_used = bi->pt_frames_used, .shared_from = PT_ENTRIES };
    reserve_virtual(bi);

    /* The identity map only served the CR3 switch. */
    if (kmem_unmap(bi->identity_base, bi->identity_end - bi->identity_base) != 0)
        panic("mm: cannot remove the identity map");
}

int kmem_alloc_frame(uint64_t size, enum pmem_type type, paddr_t *pa)
{
    spin_lock(&kmem_lock);
    int rc = falloc_alloc(&kmem.fa, size, 0, type, pa);
    spin_unlock(&kmem_lock);
    return rc;
}

int kmem_free_frame(paddr_t pa, uint64_t size, enum pmem_type type)
{
    spin_lock(&kmem_lock);
    int rc = falloc_free(&kmem.fa, pa, size, type);
    spin_unlock(&kmem_lock);
    return rc;
}

void kmem_totals(uint64_t totals[PMEM_TYPE_COUNT])
{
    spin_lock(&kmem_lock);
    falloc_totals(&kmem.fa, totals);
    spin_unlock(&kmem_lock);
}

/* Map [pa, pa+len) at a fresh address in the kernel heap window. */
int kmem_map_fresh(paddr_t pa, uint64_t len, unsigned flags, vaddr_t *out)
{
    spin_lock(&kmem_lock);
    int rc = vrange_alloc(&kmem.vs, len, PAGE_SIZE, KHEAP_WINDOW, KHEAP_WINDOW_END, VR_HEAP, out);
    if (rc == 0 && (rc = pt_map(&kmem.pt, *out, pa, len, flags)) != 0)
        vrange_release(&kmem.vs, *out, *out + len);
    spin_unlock(&kmem_lock);
    return rc;
}

/* Unmap, flush every CPU's TLB (before any freed table frame can be
 * reused: the lock is held throughout), release the virtual range if it was
 * reserved. */
int kmem_unmap(vaddr_t va, uint64_t len)
{
    spin_lock(&kmem_lock);
    int rc = pt_unmap(&kmem.pt, va, len);
    tlb_shootdown(va, len);
    if (rc == 0 && vrange_lookup(&kmem.vs, va))
        vrange_release(&kmem.vs, va, va + len);
    spin_unlock(&kmem_lock);
    return rc;
}

/* A kernel stack of `size` (a power of two) in the stack window, with an
 * unmapped guard page below it. On failure nothing stays allocated. */
int kmem_alloc_stack(uint64_t size, vaddr_t *top, paddr_t *pa)
{
    vaddr_t base = 0;
    int rc;

    spin_lock(&kmem_lock);
    rc = falloc_alloc(&kmem.fa, size, 0, PMEM_KERNEL_STACK, pa);
    if (rc == 0 && (rc = vrange_alloc(&kmem.vs, size + PAGE_SIZE, PAGE_SIZE, KSTACK_WINDOW,
                                      KSTACK_WINDOW_END, VR_KERNEL_STACK, &base)) != 0)
        falloc_free(&kmem.fa, *pa, size, PMEM_KERNEL_STACK);
    if (rc == 0 && (rc = pt_map(&kmem.pt, base + PAGE_SIZE, *pa, size,
                                PT_MAP_WRITE | PT_MAP_GLOBAL)) != 0) {
        vrange_release(&kmem.vs, base, base + size + PAGE_SIZE);
        falloc_free(&kmem.fa, *pa, size, PMEM_KERNEL_STACK);
    }
    spin_unlock(&kmem_lock);
    *top = base + PAGE_SIZE + size;
    return rc;
}

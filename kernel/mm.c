/* The kernel's memory manager, taken over from the loader: the tracker in
 * the storage the loader filled, the buddy frame allocator over its usable
 * ranges (adopting the frames of the loader's page tables, so every table
 * frame has one owner), the loader's page tables (reached through the HHDM)
 * and the kernel's virtual ranges. Removes the loader's transitional
 * identity map.
 *
 * At scale (docs/memory.md, "Many CPUs"): 4 KiB frames go through a frame
 * cache per online CPU (struct cpu's `frames`, under its mm_lock; refilled
 * and drained in batches under kmem_lock); small fresh mappings go to the
 * CPU's own slice of the heap window (kernel/heap_slice.c, under the same
 * mm_lock, no kmem_lock); heap-window unmaps are flushed lazily
 * (kernel/tlb.c) with their virtual range and emptied tables quarantined
 * until every CPU has caught up. Lock order: a CPU's mm_lock (all of them
 * in index order when draining), then kmem_lock; never a mm_lock while
 * holding kmem_lock, never two unless all; a CPU that waits long for
 * kmem_lock sleeps between tries. pagoda.mm.pcpu=0 turns all four off (the
 * baseline `make bench` compares against). */
#include "kernel.h"
#include "x86/cpu.h"
#include "x86/pte.h"
#include "pt_recursive.h"

/* Virtual reservations: the boot layout and the checks' own (the old fixed
 * capacity), plus per CPU its stack and a few fresh mappings at once
 * (smp-translate maps one page per CPU while every stack is reserved), plus
 * the heap quarantine. The fixed 256 alone ran out at 128 CPUs. */
#define VRANGE_FIXED      256
#define VRANGE_PER_CPU    4
#define PCPU_KEY          "pagoda.mm.pcpu"   /* =0: no frame caches or slices, every unmap shot down */
/* Heap-window unmaps whose flush is pending on some CPU: each holds its
 * virtual range (and the tables it emptied) back from reuse. At the bound,
 * one purge catches every CPU up: one IPI round per 128 unmaps (at 128
 * CPUs, 32 gave 8 rounds of 127 IPIs in smp-stress). The tables held are
 * a few hundred KiB at most (a table is freed only once empty). */
#define HEAP_QUARANTINE   128

struct kmem kmem;
static struct spinlock kmem_lock;
/* A CPU that cannot have kmem_lock after this many spins sleeps a little
 * (LAPIC timer, HLT) before trying again. Under an emulator with more
 * vCPUs than host cores, spinners take the host time the holder needs to
 * finish (measured: most of smp-stress at 128 vCPUs on 2 cores); on
 * hardware, a wait this long means heavy contention anyway. Part of what
 * pagoda.mm.pcpu=0 turns off. */
#define LOCK_SPINS        512
#define LOCK_SLEEP_US     20
static uint64_t kmem_lock_takes;   /* how often kmem_lock was taken: smp-stress reports it */

void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(kmem.hhdm_base + pa);
}

void kmem_set_layout(const struct bootinfo *bi)
{
    int levels = (int)bi->paging_levels;

    kmem.hhdm_base = bi->hhdm_base;
    kmem.hhdm_max_phys = hhdm_window_end(levels) - hhdm_window_base(levels);
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

/* Table frames the mapper emptied, waiting for the shootdown that follows
 * their unmap: until then another CPU's paging-structure caches may still
 * point at them (include/pt.h, "TLB"), and one pt_unmap may both free a
 * table and then need a frame to split a huge leaf, which must not be that
 * table. Linked through their first entry, which holds the next frame's
 * address: bit 0 (P) clear, so a stale walk still finds it not present.
 * Guarded by kmem_lock, like everything the mapper touches. */
static paddr_t tables_to_free;
/* Tables a lazily flushed heap-window unmap emptied: freed by purge_heap. */
static paddr_t tables_quarantined;
static paddr_t *table_sink = &tables_to_free;   /* where pt_frame_free queues */

static bool pcpu_on;   /* frame caches and lazy heap flushes (PCPU_KEY) */
static struct {
    vaddr_t base, end;
} quarantine[HEAP_QUARANTINE];   /* whole VR_HEAP reservations, unmapped */
static unsigned quarantined;

static void pt_frame_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    *(volatile paddr_t *)phys_to_virt(pa) = *table_sink;
    *table_sink = pa;
}

/* After the shootdown: the waiting table frames go back to the allocator.
 * Every table frame is the allocator's (the kernel's own came from
 * pt_frame_alloc, the loader's were adopted by falloc_init as
 * FALLOC_ADOPTED_TYPE), so a refused free is a frame freed twice or never
 * handed out as a table: a broken invariant of the mapper. */
static void free_tables(paddr_t *list)
{
    while (*list != 0) {
        paddr_t pa = *list;
        int rc;
        *list = *(volatile paddr_t *)phys_to_virt(pa);
        if ((rc = falloc_free(&kmem.fa, pa, PAGE_SIZE, PMEM_KERNEL_PAGETABLES)) != 0)
            panic("mm: page-table frame 0x%lx freed but not allocated as one (%d)", pa, rc);
    }
}

static void free_flushed_tables(void)
{
    free_tables(&tables_to_free);
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

/* The loader's layout overlapping itself (or an empty range) is a broken
 * promise of the boot-info ABI, not something to carry on from. */
static void reserve_or_panic(vaddr_t base, vaddr_t end, enum vrange_kind kind)
{
    int rc = vrange_reserve(&kmem.vs, base, end, kind);
    if (rc != 0)
        panic("mm: cannot reserve %s 0x%lx-0x%lx: %d", vrange_kind_name(kind), base, end, rc);
}

/* Storage for the virtual ranges, sized from the CPU count. */
static void vrange_storage(const struct bootinfo *bi)
{
    uint64_t cap = VRANGE_FIXED + (uint64_t)bi->cpu_count * VRANGE_PER_CPU + HEAP_QUARANTINE;
    uint64_t bytes = PAGE_SIZE;
    paddr_t pa;
    int rc;

    while (bytes < cap * sizeof(struct vrange))
        bytes <<= 1;
    if ((rc = falloc_alloc(&kmem.fa, bytes, 0, PMEM_KERNEL_DATA, &pa)) != 0)
        panic("mm: no memory for %lu virtual ranges: %d", cap, rc);
    vrange_init(&kmem.vs, phys_to_virt(pa), bytes / sizeof(struct vrange));
}

static void reserve_virtual(const struct bootinfo *bi)
{
    vrange_storage(bi);
    if (pcpu_on) {
        heap_slices_init(bi->cpu_count);
        unsigned slices = (unsigned)MIN(bi->cpu_count, HEAP_SLICES_MAX);
        reserve_or_panic(HEAP_SLICES, HEAP_SLICES + (uint64_t)slices * HEAP_SLICE_SIZE,
                         VR_HEAP_SLICES);
    }
    reserve_or_panic(kmem.hhdm_base, kmem.hhdm_base + bi->hhdm_end, VR_HHDM);
    reserve_or_panic(KSTACK_WINDOW, bi->stack_top - bi->stack_size, VR_GUARD);
    reserve_or_panic(bi->stack_top - bi->stack_size, bi->stack_top, VR_KERNEL_STACK);
    reserve_or_panic(bi->kernel_virt, bi->kernel_virt + bi->kernel_size, VR_KERNEL_IMAGE);
    reserve_or_panic(PT_TEMP_WINDOW, PT_TEMP_WINDOW + PAGE_SIZE, VR_OTHER);
}

void kmem_init(const struct bootinfo *bi)
{
    pcpu_on = !cmdline_value_is(cmdline_value(bi->cmdline, PCPU_KEY), "0");
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
                           .root = bi->pml4, .levels = (int)bi->paging_levels, .caps = caps,
                           .frames_used = bi->pt_frames_used, .shared_from = PT_ENTRIES };
    reserve_virtual(bi);

    /* The identity map only served the CR3 switch. */
    if (kmem_unmap(bi->identity_base, bi->identity_end - bi->identity_base) != 0)
        panic("mm: cannot remove the identity map");

    /* Pinned before anything clones the kernel half (the AP bring-up's
     * transitional tables are the first clone, address spaces the next):
     * from here on the upper root entries never change, so every clone sees
     * what the kernel maps later (shared/pt.c, I7). */
    int rc = pt_pin_kernel_half(&kmem.pt, PT_RECURSIVE_SLOT);
    if (rc != 0)
        panic("mm: cannot pin the kernel half: %d", rc);
    kmem.tsc_ready = rdtsc();
}

/* kmem_lock for everything in this file (mm_lock stays a plain spin:
 * one CPU's, rarely contended). */
static void kmem_lock_take(void)
{
    for (unsigned spins = 0; __atomic_exchange_n(&kmem_lock.locked, 1, __ATOMIC_ACQUIRE);) {
        if (!pcpu_on || ++spins < LOCK_SPINS) {   /* pcpu=0: the old plain spin */
            cpu_pause();
        } else {
            apic_sleep_us(LOCK_SLEEP_US);
            spins = 0;
        }
    }
    kmem_lock_takes++;   /* under the lock */
}

uint64_t kmem_lock_count(void)
{
    return __atomic_load_n(&kmem_lock_takes, __ATOMIC_RELAXED);
}

/* ---- per-CPU frame caches ------------------------------------------------ */

/* This CPU if it is online: only then is its cache and heap slice among
 * those lock_all_cpus takes, drains and checks. */
static struct cpu *online_self(void)
{
    struct cpu *c = this_cpu();
    return smp_cpu(c->index) == c ? c : NULL;
}

/* This CPU's cache, if 4 KiB frames go through one here: caches are on and
 * the CPU is online. */
static struct cpu *cache_cpu(uint64_t size)
{
    return pcpu_on && size == PAGE_SIZE ? online_self() : NULL;
}

/* Every online CPU's mm_lock, in index order. CPUs come online only in
 * smp_boot, which never drains, so lock and unlock see the same set. */
static void lock_all_cpus(void)
{
    for (unsigned i = 0; i < smp_cpu_count(); i++)
        if (smp_cpu(i))
            spin_lock(&smp_cpu(i)->mm_lock);
}

static void unlock_all_cpus(void)
{
    for (unsigned i = smp_cpu_count(); i-- > 0;)
        if (smp_cpu(i))
            spin_unlock(&smp_cpu(i)->mm_lock);
}

/* With every mm_lock and kmem_lock held: what the caches handed out,
 * booked by type, while the frames they hold stay in them; the allocator
 * counts those as free (lent, not used: falloc_totals), so the totals are
 * exact without emptying any cache, and the next allocations still find
 * their frames there. Settled as one sum: a frame may be allocated on one
 * CPU and freed on another. False if a type's books would go negative: a frame
 * freed as another type than it was handed out as. */
static bool settle_all_locked(void)
{
    int64_t sum[PMEM_TYPE_COUNT] = { 0 };

    for (unsigned i = 0; i < smp_cpu_count(); i++)
        if (smp_cpu(i))
            falloc_cache_collect(&smp_cpu(i)->frames, sum);
    return falloc_settle(&kmem.fa, sum) == 0;
}

/* With every mm_lock and kmem_lock held: every cache back to the
 * allocator and what they handed out booked by type (settle_all_locked),
 * so the allocator's totals and checks are exact (lent_bytes == 0). False,
 * with the caches drained so far, if the allocator refuses a frame or the
 * books do not add up: a double free, or a frame freed as another type. */
static bool drain_all_locked(void)
{
    for (unsigned i = 0; i < smp_cpu_count(); i++)
        if (smp_cpu(i) && falloc_cache_drain(&kmem.fa, &smp_cpu(i)->frames, 0) != 0)
            return false;
    return settle_all_locked() && kmem.fa.lent_bytes == 0;
}

static int cache_alloc(struct cpu *c, enum pmem_type type, paddr_t *pa)
{
    spin_lock(&c->mm_lock);
    int rc = falloc_cache_get(&c->frames, type, pa);
    if (rc == -E_NOMEM) {
        kmem_lock_take();
        rc = falloc_cache_refill(&kmem.fa, &c->frames);
        spin_unlock(&kmem_lock);
        if (rc == 0)
            rc = falloc_cache_get(&c->frames, type, pa);
    }
    spin_unlock(&c->mm_lock);
    return rc;
}

static int cache_free(struct cpu *c, paddr_t pa, enum pmem_type type)
{
    spin_lock(&c->mm_lock);
    int rc = falloc_cache_put(&kmem.fa, &c->frames, pa, type);
    if (rc == -E_CAPACITY) {
        kmem_lock_take();
        int drained = falloc_cache_drain(&kmem.fa, &c->frames, FALLOC_CACHE_BATCH);
        spin_unlock(&kmem_lock);
        if (drained != 0)
            panic("mm: cpu %u's frame cache holds a frame the allocator never handed out, "
                  "or one twice (a double free)", c->index);
        rc = falloc_cache_put(&kmem.fa, &c->frames, pa, type);
    }
    spin_unlock(&c->mm_lock);
    return rc;
}

/* 4 KiB frames from this CPU's cache when it has one. Out of frames there
 * and in the allocator, the other caches may still hold some: drain them
 * all and try the allocator once more. */
int kmem_alloc_frame(uint64_t size, enum pmem_type type, paddr_t *pa)
{
    struct cpu *c = cache_cpu(size);
    int rc = c ? cache_alloc(c, type, pa) : -E_NOMEM;

    if (c && rc != -E_NOMEM)
        return rc;
    if (c)
        lock_all_cpus();
    kmem_lock_take();
    if (c && !drain_all_locked())
        panic("mm: frame caches hold a frame freed twice or as another type");
    rc = falloc_alloc(&kmem.fa, size, 0, type, pa);
    spin_unlock(&kmem_lock);
    if (c)
        unlock_all_cpus();
    return rc;
}

int kmem_free_frame(paddr_t pa, uint64_t size, enum pmem_type type)
{
    struct cpu *c = cache_cpu(size);

    if (c)
        return cache_free(c, pa, type);
    kmem_lock_take();
    int rc = falloc_free(&kmem.fa, pa, size, type);
    spin_unlock(&kmem_lock);
    return rc;
}

/* ---- the quarantine of lazily flushed heap unmaps ----------------------- */

/* Under kmem_lock: every CPU caught up on the heap window's unmaps (the
 * heap slices' too: IPIs only to CPUs still behind, none if every one has
 * synced since), then the quarantined ranges released and their tables
 * freed. */
static void purge_heap(void)
{
    tlb_heap_purge();
    for (unsigned i = 0; i < quarantined; i++) {
        int rc = vrange_release(&kmem.vs, quarantine[i].base, quarantine[i].end);
        if (rc != 0)   /* a whole entry: no split, no capacity needed */
            panic("mm: cannot release quarantined range 0x%lx-0x%lx: %d", quarantine[i].base,
                  quarantine[i].end, rc);
    }
    quarantined = 0;
    free_tables(&tables_quarantined);
}

/* Exactly one whole reservation of kmem_map_fresh's: the ranges whose
 * unmap may be flushed lazily (the rule in kernel/tlb.c). */
static bool heap_lazy(vaddr_t va, uint64_t len)
{
    const struct vrange *r = pcpu_on ? vrange_lookup(&kmem.vs, va) : NULL;
    return r && r->kind == VR_HEAP && r->base == va && r->end - r->base == len &&
           r->end <= PT_TEMP_WINDOW;
}

/* Under kmem_lock: unmap, flush this CPU, let the others catch up lazily;
 * the range and its emptied tables wait in the quarantine. */
static int unmap_lazily(vaddr_t va, uint64_t len)
{
    table_sink = &tables_quarantined;
    int rc = pt_unmap(&kmem.pt, va, len);
    table_sink = &tables_to_free;
    if (rc == -E_INVAL)
        return rc;
    tlb_heap_unmapped(va, len);
    if (rc == 0) {
        quarantine[quarantined].base = va;
        quarantine[quarantined].end = va + len;
        quarantined++;
    }
    if (rc != 0 || quarantined == HEAP_QUARANTINE)
        purge_heap();
    return rc;
}

void kmem_heap_catch_up(void)
{
    kmem_lock_take();
    purge_heap();
    spin_unlock(&kmem_lock);
}

int kmem_pin_slice(vaddr_t va, paddr_t *table, struct pt *view)
{
    kmem_lock_take();
    int rc = pt_pin_table(&kmem.pt, va, PT_LEVEL_4K, table);
    *view = kmem.pt;
    spin_unlock(&kmem_lock);
    return rc;
}

/* With every mm_lock and kmem_lock held: every CPU caught up, so every
 * quarantined range and held slice page is free again. */
static void purge_all_locked(void)
{
    purge_heap();
    heap_slices_release();
}

void kmem_totals(uint64_t totals[PMEM_TYPE_COUNT])
{
    lock_all_cpus();
    kmem_lock_take();
    purge_all_locked();
    if (!settle_all_locked())
        panic("mm: frames handed out and freed by type do not add up: one freed as another type");
    falloc_totals(&kmem.fa, totals);
    spin_unlock(&kmem_lock);
    unlock_all_cpus();
}

/* Under the lock: unmap, flush every CPU's TLB, only then free the emptied
 * table frames. pt_unmap's -E_INVAL (bad range) changes nothing; its
 * -E_NOMEM (no frame to split a huge leaf) leaves the pages before that
 * point unmapped and their empty tables freed, so the range is flushed all
 * the same. */
static int unmap_and_flush(vaddr_t va, uint64_t len)
{
    int rc = pt_unmap(&kmem.pt, va, len);
    if (rc != -E_INVAL)
        tlb_shootdown(va, len);
    free_flushed_tables();
    return rc;
}

/* Undo a pt_map that failed part way through [va, va+len): pages it mapped
 * before the error stay mapped (include/pt.h) and must go before the range
 * is released. pt_map only lays leaves that lie inside the range, so
 * pt_unmap never needs to split one here and cannot fail. Nothing used the
 * pages, but a CPU may have cached a translation speculatively: flush. */
static void unmap_failed_map(vaddr_t va, uint64_t len)
{
    int rc = unmap_and_flush(va, len);
    if (rc != 0)
        panic("mm: cannot undo a partial mapping at 0x%lx: %d", va, rc);
}

/* Release a reservation vrange_alloc made in this same locked section: a
 * whole entry, so no split and no capacity needed; failing means the set is
 * corrupt. */
static void release_fresh(vaddr_t base, vaddr_t end)
{
    int rc = vrange_release(&kmem.vs, base, end);
    if (rc != 0)
        panic("mm: cannot release fresh virtual range 0x%lx-0x%lx: %d", base, end, rc);
}

/* Give back a block falloc_alloc handed out in this same locked section. */
static void free_fresh(paddr_t pa, uint64_t size, enum pmem_type type)
{
    int rc = falloc_free(&kmem.fa, pa, size, type);
    if (rc != 0)
        panic("mm: cannot free fresh frame 0x%lx (%lu bytes): %d", pa, size, rc);
}

/* This CPU, if the mapping goes to its heap slice: slices on, the CPU
 * online, a few whole pages with flags a slice serves (a user flag would
 * change shared table entries above the slice; anything odd is left to the
 * shared part's checks and errors). */
static struct cpu *slice_cpu(paddr_t pa, uint64_t len, unsigned flags)
{
    const unsigned served = PT_MAP_WRITE | PT_MAP_EXEC | PT_MAP_GLOBAL;

    if (!pcpu_on || len == 0 || len > HEAP_SLICE_MAX_PAGES * PAGE_SIZE ||
        !IS_ALIGNED(pa | len, PAGE_SIZE) || pa > PTE_PHYS_LIMIT - len || (flags & ~served))
        return NULL;
    return online_self();
}

/* Map [pa, pa+len) at a fresh address in the kernel heap window: this CPU's
 * slice when it serves the request and has room, else the shared part. On
 * failure nothing stays mapped or reserved. */
int kmem_map_fresh(paddr_t pa, uint64_t len, unsigned flags, vaddr_t *out)
{
    struct cpu *c = slice_cpu(pa, len, flags);
    if (c) {
        spin_lock(&c->mm_lock);
        int rc = heap_slice_map(c, pa, len, flags, out);
        spin_unlock(&c->mm_lock);
        if (rc != -E_NOMEM)
            return rc;
    }
    kmem_lock_take();
    int rc = vrange_alloc(&kmem.vs, len, PAGE_SIZE, KHEAP_WINDOW, KHEAP_WINDOW_END, VR_HEAP, out);
    if (rc == 0 && (rc = pt_map(&kmem.pt, *out, pa, len, flags)) != 0) {
        unmap_failed_map(*out, len);
        release_fresh(*out, *out + len);
    }
    spin_unlock(&kmem_lock);
    return rc;
}

/* In a heap slice: its pages, all live, unmapped and held (lazy flush;
 * -E_INVAL and nothing changed otherwise). Elsewhere: unmap and flush
 * (unmap_and_flush), then release the virtual range if it was reserved;
 * after a partial unmap it stays reserved: part of it is still mapped. */
int kmem_unmap(vaddr_t va, uint64_t len)
{
    int rc;

    if (pcpu_on && heap_slice_contains(va))
        return heap_slice_unmap(va, len);
    kmem_lock_take();
    if (heap_lazy(va, len)) {
        rc = unmap_lazily(va, len);
    } else {
        rc = unmap_and_flush(va, len);
        if (rc == 0 && vrange_lookup(&kmem.vs, va))
            rc = vrange_release(&kmem.vs, va, va + len);
    }
    spin_unlock(&kmem_lock);
    return rc;
}

/* A kernel stack of `size` (a power of two) in the stack window, with an
 * unmapped guard page below it. On failure nothing stays allocated. */
int kmem_alloc_stack(uint64_t size, vaddr_t *top, paddr_t *pa)
{
    vaddr_t base = 0;
    int rc;

    kmem_lock_take();
    rc = falloc_alloc(&kmem.fa, size, 0, PMEM_KERNEL_STACK, pa);
    if (rc == 0 && (rc = vrange_alloc(&kmem.vs, size + PAGE_SIZE, PAGE_SIZE, KSTACK_WINDOW,
                                      KSTACK_WINDOW_END, VR_KERNEL_STACK, &base)) != 0)
        free_fresh(*pa, size, PMEM_KERNEL_STACK);
    if (rc == 0 && (rc = pt_map(&kmem.pt, base + PAGE_SIZE, *pa, size,
                                PT_MAP_WRITE | PT_MAP_GLOBAL)) != 0) {
        unmap_failed_map(base + PAGE_SIZE, size);
        release_fresh(base, base + size + PAGE_SIZE);
        free_fresh(*pa, size, PMEM_KERNEL_STACK);
    }
    spin_unlock(&kmem_lock);
    *top = base + PAGE_SIZE + size;
    return rc;
}

/* Walk the kernel's page-table tree: count the tables reachable from
 * `table` (at `level`), each of which must be a frame the allocator has
 * handed out. A free one is a table freed while still linked: its frame
 * may already hold something else. */
static bool tables_allocated(paddr_t table, int level, uint64_t *count)
{
    if (falloc_is_free(&kmem.fa, table))
        return false;
    (*count)++;
    if (level == PT_LEVEL_4K)
        return true;
    const uint64_t *e = phys_to_virt(table);
    for (size_t i = 0; i < PT_ENTRIES; i++)
        if ((e[i] & PTE_P) && !(e[i] & PTE_PS) &&
            !tables_allocated(e[i] & PTE_ADDR_MASK, level - 1, count))
            return false;
    return true;
}

/* Every structure's own checker, under the locks (callers may run on any
 * CPU while others allocate), once the heap quarantine is purged and every
 * frame cache drained and settled (the drain is where a frame freed twice
 * into a cache shows): tracker, allocator (lists, bitmaps, headers, byte
 * counts, nothing left lent, zones against the tracker), virtual ranges; no
 * table frame left waiting for a shootdown outside a locked section; and
 * the page tables: as many reachable as the mapper counts, none of them
 * free. */
bool kmem_check(void)
{
    lock_all_cpus();
    kmem_lock_take();
    purge_all_locked();
    uint64_t tables = 0;
    bool ok = drain_all_locked() && pmem_check(&kmem.pm) && falloc_check(&kmem.fa) &&
              vrange_check(&kmem.vs) && heap_slices_check() && tables_to_free == 0 &&
              tables_allocated(kmem.pt.root, kmem.pt.levels, &tables) &&
              tables == kmem.pt.frames_used;
    spin_unlock(&kmem_lock);
    unlock_all_cpus();
    return ok;
}

bool kmem_pcpu_on(void)
{
    return pcpu_on;
}

/* ---- address spaces and the page-table access demos -------------------- */

/* Map at a fixed address the caller has reserved (no virtual range taken). */
int kmem_map_at(vaddr_t va, paddr_t pa, uint64_t len, unsigned flags)
{
    kmem_lock_take();
    int rc = pt_map(&kmem.pt, va, pa, len, flags);
    spin_unlock(&kmem_lock);
    return rc;
}

/* Unmap a kmem_map_at mapping and flush every CPU; the reservation stays. */
int kmem_unmap_at(vaddr_t va, uint64_t len)
{
    kmem_lock_take();
    int rc = unmap_and_flush(va, len);
    spin_unlock(&kmem_lock);
    return rc;
}

/* Point slot PT_RECURSIVE_SLOT of the kernel root at the root, or clear it
 * and flush the whole slot from every CPU's TLB. */
int kmem_recursive_slot(bool on)
{
    kmem_lock_take();
    int rc = on ? pt_recursive_install(&kmem.pt) : pt_recursive_remove(&kmem.pt);
    if (rc == 0 && !on)
        tlb_shootdown(pt_recursive_base(PT_RECURSIVE_SLOT, kmem.pt.levels),
                      pt_recursive_span(kmem.pt.levels));
    spin_unlock(&kmem_lock);
    return rc;
}

/* TLB shootdowns. Kernel mappings are global and shared by every CPU. Two
 * ways to make an unmap safe (the rule and its invariant: docs/memory.md,
 * "Shootdowns"):
 *  - tlb_shootdown: every other online CPU is sent VEC_TLB_SHOOTDOWN for the
 *    range (one IPI round per operation; a full flush above FLUSH_ALL_PAGES)
 *    and the sender waits for all. Every unmap outside the heap window.
 *  - heap window (kmem_map_fresh's mappings): no IPI at the unmap. The
 *    unmapping CPU flushes itself and bumps heap_gen; every other CPU
 *    catches up (one full flush) at its next sync point, tlb_heap_sync, which
 *    runs before it can use a heap address (entry of a cross-CPU call). The
 *    virtual range and any emptied table stay quarantined (kernel/mm.c)
 *    until tlb_heap_purge has brought every CPU up to date: IPIs go only to
 *    CPUs still behind.
 * Shootdowns and purges run under the kmem lock: one is in flight at a
 * time, and frames freed by the unmap are not reused before it completes.
 * A heap slice's unmap (kernel/heap_slice.c) calls tlb_heap_unmapped under
 * its CPU's lock alone: that only flushes locally and bumps heap_gen. */
#include "kernel.h"
#include "x86/cpu.h"

#define FLUSH_ALL_PAGES 64    /* beyond this, one full flush beats many INVLPGs */
#define FLUSH_EVERYTHING UINT64_MAX   /* request.len: a full flush, heap caught up */
/* An online CPU takes the IPI within microseconds on hardware, milliseconds
 * under a loaded emulator; interrupts are never off for long. */
#define SHOOTDOWN_TIMEOUT_US 5000000

static struct {
    vaddr_t va;
    uint64_t len;                   /* FLUSH_EVERYTHING: a heap purge up to heap_gen */
    uint64_t heap_gen;
    volatile uint64_t generation;   /* this shootdown; each CPU acknowledges it in tlb_acked */
} request;
static uint64_t sent, ipis;   /* rounds; CPUs interrupted, counted one per CPU */
/* Heap-window unmaps so far: bumped atomically (under the kmem lock, or a
 * heap slice's CPU lock), read anywhere. */
static volatile uint64_t heap_gen;

/* Global entries survive a CR3 write; toggling CR4.PGE drops every TLB and
 * paging-structure cache entry, global ones included. */
static void flush_everything_local(void)
{
    uint64_t cr4 = read_cr4();
    write_cr4(cr4 & ~CR4_PGE);
    write_cr4(cr4);
}

/* INVLPG drops global entries too. */
void tlb_flush_local(vaddr_t va, uint64_t len)
{
    if (len / PAGE_SIZE > FLUSH_ALL_PAGES) {
        flush_everything_local();
        return;
    }
    for (vaddr_t a = va; a < va + len; a += PAGE_SIZE)
        invlpg(a);
}

/* This CPU's TLB now holds nothing older than heap generation g. Only ever
 * raised, and only with interrupts off (here or in the IPI handler), so a
 * purge's acknowledgement is never overwritten by an older value. */
static void heap_caught_up(struct cpu *c, uint64_t g)
{
    if (c->tlb_heap_gen < g)
        __atomic_store_n(&c->tlb_heap_gen, g, __ATOMIC_RELEASE);
}

void tlb_handle_ipi(void)
{
    uint64_t gen = __atomic_load_n(&request.generation, __ATOMIC_ACQUIRE);
    if (request.len == FLUSH_EVERYTHING) {
        flush_everything_local();
        heap_caught_up(this_cpu(), request.heap_gen);
    } else {
        tlb_flush_local(request.va, request.len);
    }
    __atomic_store_n(&this_cpu()->tlb_acked, gen, __ATOMIC_RELEASE);
}

static bool flushed(const struct cpu *c, uint64_t gen)
{
    return __atomic_load_n(&c->tlb_acked, __ATOMIC_ACQUIRE) == gen;
}

static bool heap_current(const struct cpu *c, uint64_t g)
{
    return __atomic_load_n(&c->tlb_heap_gen, __ATOMIC_ACQUIRE) >= g;
}

static void send(struct cpu *c)
{
    int rc = apic_send_ipi_vector(c->apic_id, VEC_TLB_SHOOTDOWN);
    if (rc != 0)
        panic("tlb: shootdown IPI to cpu apic=%u failed (%d)", c->apic_id, rc);
    ipis++;
}

/* Publish the request and interrupt every other online CPU `pick` selects;
 * the caller waits for them. Returns false if there was none to ask. */
static bool send_round(vaddr_t va, uint64_t len, uint64_t hgen,
                       bool (*pick)(const struct cpu *c, uint64_t hgen))
{
    struct cpu *me = this_cpu();
    unsigned targets = 0;

    for (unsigned i = 0; i < smp_cpu_count(); i++)
        targets += smp_cpu(i) && smp_cpu(i) != me && pick(smp_cpu(i), hgen);
    if (targets == 0)
        return false;
    request.va = va;
    request.len = len;
    request.heap_gen = hgen;
    me->tlb_acked = __atomic_add_fetch(&request.generation, 1, __ATOMIC_RELEASE);
    if (targets == smp_online_count() - 1) {
        smp_ipi_others(VEC_TLB_SHOOTDOWN);   /* one IPI where it can */
        ipis += targets;
    } else {
        for (unsigned i = 0; i < smp_cpu_count(); i++) {
            struct cpu *c = smp_cpu(i);
            if (c && c != me && pick(c, hgen))
                send(c);
        }
    }
    sent++;
    return true;
}

static bool any_cpu(const struct cpu *c, uint64_t hgen)
{
    (void)c;
    (void)hgen;
    return true;
}

static bool behind(const struct cpu *c, uint64_t hgen)
{
    return !heap_current(c, hgen);
}

void tlb_shootdown(vaddr_t va, uint64_t len)
{
    tlb_flush_local(va, len);
    if (send_round(va, len, 0, any_cpu))
        smp_wait_all(flushed, this_cpu()->tlb_acked, SHOOTDOWN_TIMEOUT_US,
                     "acknowledge a TLB shootdown");
}

uint64_t tlb_heap_unmapped(vaddr_t va, uint64_t len)
{
    tlb_flush_local(va, len);
    return __atomic_add_fetch(&heap_gen, 1, __ATOMIC_RELEASE);
}

void tlb_heap_sync(void)
{
    uint64_t flags = cpu_irq_save();
    struct cpu *c = this_cpu();
    uint64_t g = __atomic_load_n(&heap_gen, __ATOMIC_ACQUIRE);

    if (c->tlb_heap_gen < g) {
        flush_everything_local();
        heap_caught_up(c, g);
    }
    cpu_irq_restore(flags);
}

void tlb_heap_purge(void)
{
    /* Heap slices bump it under their own locks: what counts is every
     * unmap made before this read. */
    uint64_t g = __atomic_load_n(&heap_gen, __ATOMIC_ACQUIRE);

    tlb_heap_sync();
    if (send_round(0, FLUSH_EVERYTHING, g, behind))
        smp_wait_all(heap_current, g, SHOOTDOWN_TIMEOUT_US, "acknowledge a TLB shootdown");
}

uint64_t tlb_shootdowns_sent(void)
{
    return sent;
}

uint64_t tlb_ipis_sent(void)
{
    return ipis;
}

/* Per-process address spaces in the kernel: their table frames come from
 * the locked frame allocator, each gets a PCID when the CPU has them, and
 * entering one is a CR3 write.
 *
 * TLB rule: every CR3 write here leaves bit 63 (NOFLUSH) clear. Without
 * PCIDs that drops every non-global entry; with PCIDs it drops the entries
 * tagged with the PCID being loaded. Kernel text, data, HHDM and stacks are
 * global and survive either way. Flushing the loaded PCID is what keeps it
 * correct without a per-PCID invalidation protocol: INVLPG (tlb.c's
 * shootdowns) only reaches the current PCID and global entries, so entries a
 * CPU tagged with another PCID (kernel heap pages seen under PCID 0 before it
 * entered a space, or a destroyed space's pages under a PCID reused since)
 * may be stale, and each is dropped when its PCID is next loaded. So with
 * this rule PCIDs save nothing yet: every load still starts that PCID cold.
 * The saving, NOFLUSH on re-entry, needs two things this kernel does not
 * have: knowing a CPU's entries for the PCID are still current (a per-CPU
 * generation per space, bumped by every unmap) and shootdowns that reach
 * every PCID (INVPCID, or a flag that forces the next load to flush). */
#include "aspace_cpu.h"
#include "kernel.h"
#include "pcid_pool.h"
#include "x86/cpu.h"

static bool pcid_on;
static struct spinlock pcid_lock;
static struct pcid_pool pcids;
/* The space each CPU is in (NULL: the kernel root), by CPU index, sized by
 * uspace_init once every CPU is up. Written by that CPU only; read by
 * others to refuse destroying or unmapping under them. */
static const struct uspace *volatile *current;
#define NO_CPU UINT32_MAX   /* in_use_elsewhere: no CPU excepted */

static paddr_t table_alloc(void *ctx)
{
    paddr_t pa;
    (void)ctx;
    return kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_PAGETABLES, &pa) == 0 ? pa : 0;
}

/* Frames come back only after every CPU left the space (uspace_destroy's
 * contract) or after the unmapping CPU flushed (aspace_unmap's). */
static void table_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    if (kmem_free_frame(pa, PAGE_SIZE, PMEM_KERNEL_PAGETABLES) != 0)
        panic("aspace: table frame 0x%lx was not the allocator's", pa);
}

static void *table_ptr(void *ctx, paddr_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

static const struct pt_env uspace_env = {
    .alloc_frame = table_alloc, .free_frame = table_free, .phys_to_ptr = table_ptr,
};

/* CR4.PCIDE may only be set while CR3[11:0] is 0 (else #GP): the kernel
 * root is page-aligned and loaded without PWT/PCD. */
static void pcid_enable_here(void *arg)
{
    (void)arg;
    if (read_cr3() & CR3_PCID_MASK)
        panic("aspace: CR3 0x%lx has low bits set; cannot enable PCIDs", read_cr3());
    write_cr4(read_cr4() | CR4_PCIDE);
}

void uspace_init(void)
{
    pcid_on = (cpuid(CPUID_FEATURES, 0).ecx & CPUID1_ECX_PCID) != 0;
    current = ktable_alloc(smp_cpu_count(), sizeof(*current));
    pcid_pool_init(&pcids);
    if (pcid_on)
        smp_call_all(pcid_enable_here, NULL);
}

bool uspace_pcid_on(void)
{
    return pcid_on;
}

static int pcid_alloc(uint16_t *out)
{
    spin_lock(&pcid_lock);
    int rc = pcid_pool_alloc(&pcids, out);
    spin_unlock(&pcid_lock);
    return rc;
}

/* Only PCIDs pcid_alloc handed out come here: a refusal is a bug. */
static void pcid_free(uint16_t pcid)
{
    spin_lock(&pcid_lock);
    int rc = pcid_pool_free(&pcids, pcid);
    spin_unlock(&pcid_lock);
    if (rc)
        panic("aspace: PCID %u freed but not in use", pcid);
}

int uspace_create(struct uspace *us)
{
    us->pcid = 0;
    if (pcid_on && pcid_alloc(&us->pcid) != 0)
        return -E_NOMEM;
    int rc = aspace_create(&us->as, &uspace_env, &kmem.pt);
    if (rc && pcid_on)
        pcid_free(us->pcid);
    return rc;
}

/* Is `us` loaded on any CPU but `except` (NO_CPU: none)? */
static bool in_use_elsewhere(const struct uspace *us, unsigned except)
{
    for (unsigned c = 0; c < smp_cpu_count(); c++)
        if (c != except && current[c] == us)
            return true;
    return false;
}

int uspace_destroy(struct uspace *us)
{
    if (in_use_elsewhere(us, NO_CPU))
        return -E_BUSY;
    int rc = aspace_destroy(&us->as);
    if (rc == 0 && pcid_on)
        pcid_free(us->pcid);
    return rc;
}

/* Unmapping from outside the space: the CR3 write to the kernel root drops
 * this CPU's entries for it (or, with PCIDs, leaves them under a PCID that
 * is flushed when next loaded), so when pt_unmap hands freed table frames
 * straight back to the allocator no CPU can still walk them. */
int uspace_unmap(struct uspace *us, vaddr_t va, uint64_t len)
{
    unsigned me = this_cpu()->index;
    if (in_use_elsewhere(us, me))
        return -E_BUSY;
    bool here = current[me] == us;
    if (here)
        uspace_enter_kernel();
    int rc = aspace_unmap(&us->as, va, len);
    if (here)
        uspace_enter(us);
    return rc;
}

void uspace_enter(const struct uspace *us)
{
    current[this_cpu()->index] = us;
    write_cr3(us->as.pt.root | us->pcid);
}

void uspace_enter_kernel(void)
{
    write_cr3(kmem.pt.root | PCID_KERNEL);
    current[this_cpu()->index] = NULL;
}

static bool smap_on(void)
{
    return (read_cr4() & CR4_SMAP) != 0;
}

uint64_t uspace_probe_read8(vaddr_t va)
{
    bool smap = smap_on();
    if (smap)
        __asm__ volatile("stac" ::: "memory");
    uint64_t r = probe_read8((const volatile void *)va);
    if (smap)
        __asm__ volatile("clac" ::: "memory");
    return r;
}

uint64_t uspace_read64(vaddr_t va)
{
    bool smap = smap_on();
    if (smap)
        __asm__ volatile("stac" ::: "memory");
    uint64_t v = *(const volatile uint64_t *)va;
    if (smap)
        __asm__ volatile("clac" ::: "memory");
    return v;
}

/* TLB shootdowns. Kernel mappings are global and shared by every CPU, so
 * after unmapping or reprotecting one, every other CPU that may cache it is
 * sent VEC_TLB_SHOOTDOWN and the sender waits until all have flushed. The
 * caller holds the kmem lock: one shootdown is in flight at a time, and
 * frames freed by the unmap are not reused before it completes. */
#include "kernel.h"
#include "x86/cpu.h"

#define FLUSH_ALL_PAGES 64    /* beyond this, one full flush beats many INVLPGs */
/* An online CPU takes the IPI within microseconds on hardware, milliseconds
 * under a loaded emulator; interrupts are never off for long. */
#define SHOOTDOWN_TIMEOUT_US 5000000

static struct {
    vaddr_t va;
    uint64_t len;
    volatile uint64_t generation;   /* this shootdown; each CPU acknowledges it in tlb_acked */
} request;
static uint64_t sent;

/* INVLPG drops global entries too; a full flush of global entries needs
 * CR4.PGE toggled (a CR3 write keeps them). */
void tlb_flush_local(vaddr_t va, uint64_t len)
{
    if (len / PAGE_SIZE > FLUSH_ALL_PAGES) {
        uint64_t cr4 = read_cr4();
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
        return;
    }
    for (vaddr_t a = va; a < va + len; a += PAGE_SIZE)
        invlpg(a);
}

void tlb_handle_ipi(void)
{
    uint64_t gen = __atomic_load_n(&request.generation, __ATOMIC_ACQUIRE);
    tlb_flush_local(request.va, request.len);
    __atomic_store_n(&this_cpu()->tlb_acked, gen, __ATOMIC_RELEASE);
}

static bool flushed(const struct cpu *c, uint64_t gen)
{
    return __atomic_load_n(&c->tlb_acked, __ATOMIC_ACQUIRE) == gen;
}

void tlb_shootdown(vaddr_t va, uint64_t len)
{
    struct cpu *me = this_cpu();
    unsigned targets = 0;
    int rc;

    tlb_flush_local(va, len);
    for (unsigned i = 0; i < smp_cpu_count(); i++)
        targets += smp_cpu(i) && smp_cpu(i) != me;
    if (targets == 0)
        return;
    request.va = va;
    request.len = len;
    uint64_t gen = __atomic_add_fetch(&request.generation, 1, __ATOMIC_RELEASE);
    me->tlb_acked = gen;
    for (unsigned i = 0; i < smp_cpu_count(); i++) {
        struct cpu *c = smp_cpu(i);
        if (c && c != me && (rc = apic_send_ipi_vector(c->apic_id, VEC_TLB_SHOOTDOWN)) != 0)
            panic("tlb: shootdown IPI to cpu apic=%u failed (%d)", c->apic_id, rc);
    }
    sent++;
    smp_wait_all(flushed, gen, SHOOTDOWN_TIMEOUT_US, "acknowledge a TLB shootdown");
}

uint64_t tlb_shootdowns_sent(void)
{
    return sent;
}

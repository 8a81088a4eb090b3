/* The CPU side of the IPI code's register interface (include/lapic.h):
 * x2APIC through MSRs, xAPIC through the MMIO page the caller maps (the
 * loader: identity; the kernel: the HHDM's uncached alias). Inline because
 * the loader and the kernel use it and host tests must not (they simulate
 * the APIC). */
#ifndef PAGODA_X86_LAPIC_CPU_H
#define PAGODA_X86_LAPIC_CPU_H

#include "lapic.h"
#include "x86/apic.h"
#include "x86/cpu.h"

static inline uint32_t lapic_cpu_xapic_read(void *mmio, uint32_t off)
{
    return ((volatile uint32_t *)mmio)[off / sizeof(uint32_t)];
}

static inline void lapic_cpu_xapic_write(void *mmio, uint32_t off, uint32_t v)
{
    ((volatile uint32_t *)mmio)[off / sizeof(uint32_t)] = v;
}

static inline uint32_t lapic_cpu_x2apic_read(void *ctx, uint32_t off)
{
    (void)ctx;
    return (uint32_t)rdmsr(X2APIC_MSR(off));
}

static inline void lapic_cpu_x2apic_write(void *ctx, uint32_t off, uint32_t v)
{
    (void)ctx;
    wrmsr(X2APIC_MSR(off), v);
}

static inline void lapic_cpu_x2apic_write_icr(void *ctx, uint64_t v)
{
    (void)ctx;
    wrmsr(X2APIC_MSR(LAPIC_ICR_LOW), v);
}

/* Linux's weak_wrmsr_fence(): MFENCE drains earlier stores, LFENCE keeps
 * the WRMSR (not a load or store, so MFENCE alone does not order it) from
 * starting before that (SDM Vol. 3A 11.12.3). */
static inline void lapic_cpu_store_fence(void *ctx)
{
    (void)ctx;
    __asm__ volatile("mfence; lfence" ::: "memory");
}

static inline uint64_t lapic_cpu_irq_save(void *ctx)
{
    (void)ctx;
    return cpu_irq_save();
}

static inline void lapic_cpu_irq_restore(void *ctx, uint64_t saved)
{
    (void)ctx;
    cpu_irq_restore(saved);
}

/* This CPU's local APIC in the given mode; `xapic_mmio` (xAPIC only) is
 * where the caller reaches the register page, uncached. */
static inline struct lapic_io lapic_io_cpu(bool x2apic, volatile uint32_t *xapic_mmio)
{
    if (x2apic)
        return (struct lapic_io){ .x2apic = true, .read = lapic_cpu_x2apic_read,
                                  .write = lapic_cpu_x2apic_write,
                                  .write_icr64 = lapic_cpu_x2apic_write_icr,
                                  .store_fence = lapic_cpu_store_fence,
                                  .irq_save = lapic_cpu_irq_save,
                                  .irq_restore = lapic_cpu_irq_restore };
    return (struct lapic_io){ .x2apic = false, .read = lapic_cpu_xapic_read,
                              .write = lapic_cpu_xapic_write, .irq_save = lapic_cpu_irq_save,
                              .irq_restore = lapic_cpu_irq_restore,
                              .ctx = (void *)(uintptr_t)xapic_mmio };
}

/* The local APIC in the mode IA32_APIC_BASE says, its page reached at its
 * physical address: the loader, while the firmware's identity map is live
 * (MSR read now; a mode change later needs a new one). */
static inline struct lapic_io lapic_io_identity(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    return lapic_io_cpu((base & APIC_BASE_EXTD) != 0,
                        (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_ADDR_MASK));
}

/* This CPU's APIC ID: xAPIC keeps it in bits 31:24 of its ID register,
 * x2APIC uses all 32 (SDM Vol. 3A 11.4.6, 11.12.5.1). */
static inline uint32_t lapic_cpu_own_id(const struct lapic_io *io)
{
    uint32_t id = io->read(io->ctx, LAPIC_ID);

    return io->x2apic ? id : id >> XAPIC_ID_SHIFT;
}

#endif

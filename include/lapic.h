/* Local APIC inter-processor interrupts, over a register interface the
 * caller supplies: MMIO (xAPIC) or MSRs (x2APIC) in the kernel, a simulated
 * register file in host tests (QEMU's TCG has no x2APIC). Intel SDM Vol. 3A,
 * 11.6 (ICR) and 11.12 (x2APIC). Register names: include/x86/apic.h. */
#ifndef PAGODA_LAPIC_H
#define PAGODA_LAPIC_H

#include "types.h"
#include "x86/apic.h"

#define LAPIC_ICR_SPIN_LIMIT 1000000      /* bounded wait for delivery status */

struct lapic_io {
    bool x2apic;
    /* xAPIC: 32-bit register at MMIO offset; x2APIC: the matching MSR. */
    uint32_t (*read)(void *ctx, uint32_t offset);
    void (*write)(void *ctx, uint32_t offset, uint32_t value);
    /* x2APIC only: the ICR is one 64-bit MSR write (0x830). */
    void (*write_icr64)(void *ctx, uint64_t value);
    /* x2APIC only: make every earlier store globally visible before the
     * next WRMSR (MFENCE; LFENCE). A WRMSR to an x2APIC register is not
     * serialising, so without it the IPI can overtake the data it
     * announces (SDM 3A 11.12.3). */
    void (*store_fence)(void *ctx);
    /* xAPIC only: interrupts off on this CPU, returning what to restore;
     * and the restore. Brackets the two-write ICR sequence. */
    uint64_t (*irq_save)(void *ctx);
    void (*irq_restore)(void *ctx, uint64_t saved);
    void *ctx;
};

/* The ICR value(s) for an IPI: in xAPIC mode *high holds the destination
 * in bits 31:24; in x2APIC mode the 64-bit value has it in bits 63:32.
 * Refuses (-E_INVAL) the xAPIC broadcast ID 0xFF and IDs that do not fit. */
int lapic_icr_xapic(uint32_t dest, uint32_t low, uint32_t *high_out, uint32_t *low_out);
int lapic_icr_x2apic(uint32_t dest, uint32_t low, uint64_t *out);

/* Send one IPI. The sender's earlier stores are visible to the target
 * before the interrupt arrives, in both modes. In xAPIC mode interrupts are
 * off on this CPU from the idle check through the two ICR writes, and the
 * call waits (bounded) for the delivery-status bit to clear. -E_INVAL for
 * a bad destination, -E_BUSY if the ICR never went idle. */
int lapic_send_ipi(const struct lapic_io *io, uint32_t dest, uint32_t low);

/* INIT (level, assert) and STARTUP with the trampoline page number. */
int lapic_send_init(const struct lapic_io *io, uint32_t dest);
int lapic_send_startup(const struct lapic_io *io, uint32_t dest, uint32_t page_number);
/* INIT to every CPU but this one, in one IPI: what the SDM's MP start-up
 * example sends first (Vol. 3A 9.4.4.1). Reaches CPUs whatever their ID or
 * the APIC's mode, and CPUs no list names; INIT only puts a CPU in
 * wait-for-SIPI, so that is safe wherever this CPU is the BSP. */
int lapic_send_init_all_but_self(const struct lapic_io *io);
/* A fixed interrupt `vector` (edge) to every CPU but this one, in one IPI.
 * It reaches every APIC on the system, so the caller must know that each
 * of them belongs to a CPU ready for the vector. */
int lapic_send_vector_all_but_self(const struct lapic_io *io, uint8_t vector);

/* Clear and read the error status register (write, then read: SDM 11.5.3). */
uint32_t lapic_read_esr(const struct lapic_io *io);

#endif

/* Local APIC inter-processor interrupts, over a register interface the
 * caller supplies: MMIO (xAPIC) or MSRs (x2APIC) in the kernel, a simulated
 * register file in host tests (QEMU's TCG has no x2APIC). Intel SDM Vol. 3A,
 * 11.6 (ICR) and 11.12 (x2APIC). */
#ifndef PAGODA_LAPIC_H
#define PAGODA_LAPIC_H

#include "types.h"

/* Register offsets in the xAPIC MMIO page; x2APIC MSR = 0x800 + offset / 16. */
#define LAPIC_ID        0x020
#define LAPIC_VERSION   0x030
#define LAPIC_EOI       0x0B0
#define LAPIC_SVR       0x0F0
#define LAPIC_ESR       0x280
#define LAPIC_ICR_LOW   0x300
#define LAPIC_ICR_HIGH  0x310
#define X2APIC_MSR_BASE 0x800
#define X2APIC_MSR(off) (X2APIC_MSR_BASE + ((off) >> 4))

#define LAPIC_SVR_ENABLE   (1u << 8)

/* ICR low word. */
#define ICR_VECTOR(v)      ((uint32_t)(v) & 0xFF)
#define ICR_FIXED          (0u << 8)
#define ICR_INIT           (5u << 8)
#define ICR_STARTUP        (6u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)   /* xAPIC only; reserved in x2APIC */
#define ICR_LEVEL_ASSERT   (1u << 14)
#define ICR_TRIGGER_LEVEL  (1u << 15)
#define ICR_DEST_SHIFT_XAPIC 24           /* in ICR high */
#define ICR_DEST_SHIFT_X2APIC 32          /* in the 64-bit ICR MSR */

#define XAPIC_BROADCAST_ID 0xFF           /* never a target: it would reach every CPU */
#define XAPIC_MAX_ID       0xFE
#define LAPIC_ICR_SPIN_LIMIT 1000000      /* bounded wait for delivery status */

struct lapic_io {
    bool x2apic;
    /* xAPIC: 32-bit register at MMIO offset; x2APIC: the matching MSR. */
    uint32_t (*read)(void *ctx, uint32_t offset);
    void (*write)(void *ctx, uint32_t offset, uint32_t value);
    /* x2APIC only: the ICR is one 64-bit MSR write (0x830). */
    void (*write_icr64)(void *ctx, uint64_t value);
    void *ctx;
};

/* The ICR value(s) for an IPI: in xAPIC mode *high holds the destination
 * in bits 31:24; in x2APIC mode the 64-bit value has it in bits 63:32.
 * Refuses (-E_INVAL) the xAPIC broadcast ID 0xFF and IDs that do not fit. */
int lapic_icr_xapic(uint32_t dest, uint32_t low, uint32_t *high_out, uint32_t *low_out);
int lapic_icr_x2apic(uint32_t dest, uint32_t low, uint64_t *out);

/* Send one IPI and, in xAPIC mode, wait (bounded) for the delivery-status
 * bit to clear. -E_INVAL for a bad destination, -E_BUSY if the ICR never
 * went idle. */
int lapic_send_ipi(const struct lapic_io *io, uint32_t dest, uint32_t low);

/* INIT (level, assert) and STARTUP with the trampoline page number. */
int lapic_send_init(const struct lapic_io *io, uint32_t dest);
int lapic_send_startup(const struct lapic_io *io, uint32_t dest, uint32_t page_number);

/* Clear and read the error status register (write, then read: SDM 11.5.3). */
uint32_t lapic_read_esr(const struct lapic_io *io);

#endif

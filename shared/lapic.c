/* Local APIC IPI encoding and sending over a caller-supplied register
 * interface, so the same code drives real xAPIC MMIO, x2APIC MSRs and a
 * simulated APIC in host tests. */
#include "lapic.h"

int lapic_icr_xapic(uint32_t dest, uint32_t low, uint32_t *high_out, uint32_t *low_out)
{
    if (dest > XAPIC_MAX_ID)
        return -E_INVAL; /* 0xFF is broadcast, larger IDs need x2APIC */
    *high_out = dest << ICR_DEST_SHIFT_XAPIC;
    *low_out = low;
    return 0;
}

int lapic_icr_x2apic(uint32_t dest, uint32_t low, uint64_t *out)
{
    if (dest == UINT32_MAX)
        return -E_INVAL; /* the x2APIC broadcast ID */
    *out = ((uint64_t)dest << ICR_DEST_SHIFT_X2APIC) | (low & ~ICR_DELIVERY_PENDING);
    return 0;
}

static int wait_icr_idle(const struct lapic_io *io)
{
    for (uint32_t i = 0; i < LAPIC_ICR_SPIN_LIMIT; i++)
        if (!(io->read(io->ctx, LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING))
            return 0;
    return -E_BUSY;
}

/* x2APIC: one WRMSR, but WRMSR to an APIC register is not serialising and
 * may complete before earlier stores are globally visible (SDM Vol. 3A
 * 11.12.3, "MSR Access in x2APIC Mode": insert a serialising instruction or
 * MFENCE;LFENCE before it; Linux's weak_wrmsr_fence() is that pair). The
 * fence comes first, so a target that takes the interrupt sees the request
 * stored just before the call (a TLB shootdown's range, a cross-CPU call). */
static int send_x2apic(const struct lapic_io *io, uint32_t dest, uint32_t low)
{
    uint64_t icr;
    int rc = lapic_icr_x2apic(dest, low, &icr);

    if (rc < 0)
        return rc;
    io->store_fence(io->ctx);
    io->write_icr64(io->ctx, icr);
    return 0;
}

/* xAPIC: the ICR is two registers and writing the low one sends. An
 * interrupt handler that sent an IPI between the two writes would replace
 * the destination in ICR high (and one taken between the idle check and
 * the writes would make the ICR busy again), so interrupts stay off on this
 * CPU from the check to the end of delivery. The MMIO page is uncached:
 * UC stores are not reordered with earlier stores, so no fence is needed. */
static int send_xapic(const struct lapic_io *io, uint32_t dest, uint32_t low)
{
    uint32_t hi, lo;
    int rc = lapic_icr_xapic(dest, low, &hi, &lo);

    if (rc < 0)
        return rc;
    uint64_t saved = io->irq_save(io->ctx);
    rc = wait_icr_idle(io);
    if (rc == 0) {
        io->write(io->ctx, LAPIC_ICR_HIGH, hi); /* high first: writing low sends */
        io->write(io->ctx, LAPIC_ICR_LOW, lo);
        rc = wait_icr_idle(io);
    }
    io->irq_restore(io->ctx, saved);
    return rc;
}

int lapic_send_ipi(const struct lapic_io *io, uint32_t dest, uint32_t low)
{
    return io->x2apic ? send_x2apic(io, dest, low) : send_xapic(io, dest, low);
}

int lapic_send_init(const struct lapic_io *io, uint32_t dest)
{
    return lapic_send_ipi(io, dest, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
}

int lapic_send_init_all_but_self(const struct lapic_io *io)
{
    return lapic_send_ipi(io, 0, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL | ICR_ALL_BUT_SELF);
}

int lapic_send_vector_all_but_self(const struct lapic_io *io, uint8_t vector)
{
    return lapic_send_ipi(io, 0, ICR_FIXED | ICR_LEVEL_ASSERT | ICR_VECTOR(vector) | ICR_ALL_BUT_SELF);
}

int lapic_send_startup(const struct lapic_io *io, uint32_t dest, uint32_t page_number)
{
    if (page_number > STARTUP_PAGE_MAX ||
        (page_number >= STARTUP_RESERVED_FIRST && page_number <= STARTUP_RESERVED_LAST))
        return -E_INVAL;
    return lapic_send_ipi(io, dest, ICR_STARTUP | ICR_LEVEL_ASSERT | ICR_VECTOR(page_number));
}

uint32_t lapic_read_esr(const struct lapic_io *io)
{
    io->write(io->ctx, LAPIC_ESR, 0);
    return io->read(io->ctx, LAPIC_ESR);
}

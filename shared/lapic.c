/* Local APIC IPI encoding and sending over a caller-supplied register
 * interface, so the same code drives real xAPIC MMIO, x2APIC MSRs and a
 * simulated APIC in host tests. */
#include "lapic.h"

#define STARTUP_PAGE_MAX 0xFF   /* the SIPI vector is a page number below 1 MiB */
#define STARTUP_RESERVED_FIRST 0xA0  /* vectors 0xA0-0xBF are reserved (SDM 3A 8.4.4.1) */
#define STARTUP_RESERVED_LAST  0xBF

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

int lapic_send_ipi(const struct lapic_io *io, uint32_t dest, uint32_t low)
{
    int rc;

    if (io->x2apic) {
        uint64_t icr;
        if ((rc = lapic_icr_x2apic(dest, low, &icr)) < 0)
            return rc;
        io->write_icr64(io->ctx, icr);
        return 0;
    }
    uint32_t hi, lo;
    if ((rc = lapic_icr_xapic(dest, low, &hi, &lo)) < 0)
        return rc;
    if ((rc = wait_icr_idle(io)) < 0)
        return rc;
    io->write(io->ctx, LAPIC_ICR_HIGH, hi); /* high first: writing low sends */
    io->write(io->ctx, LAPIC_ICR_LOW, lo);
    return wait_icr_idle(io);
}

int lapic_send_init(const struct lapic_io *io, uint32_t dest)
{
    return lapic_send_ipi(io, dest, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
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

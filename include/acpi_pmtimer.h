/* Finding the ACPI power-management timer: from the RSDP through the XSDT
 * (or the RSDT) to the FADT. Freestanding: tables are read through the
 * caller's hook, each only within the length its header gives and after its
 * checksum held, so the same code runs in the loader, host tests and the
 * fuzzer. Facts: ACPI 6.5 5.2.5 (RSDP), 5.2.7/5.2.8 (RSDT/XSDT), 5.2.9
 * (FADT: PM_TMR_BLK, PM_TMR_LEN, flags TMR_VAL_EXT and HW_REDUCED_ACPI,
 * X_PM_TMR_BLK), 4.8.3.3 (the timer: 3.579545 MHz, 24 bits, or 32 with
 * TMR_VAL_EXT). */
#ifndef PAGODA_ACPI_PMTIMER_H
#define PAGODA_ACPI_PMTIMER_H

#include "types.h"

#define ACPI_PM_TIMER_HZ 3579545ULL

/* Returns a pointer to `len` readable bytes at physical `pa`, or NULL when
 * they are not all memory the caller can read. */
struct acpi_mem {
    const void *(*map)(void *ctx, paddr_t pa, uint64_t len);
    void *ctx;
};

struct acpi_pmtimer {
    uint16_t port;   /* I/O port of the 4-byte counter */
    uint8_t bits;    /* 24 or 32 */
};

/* 0 and *out; -E_NOTFOUND when the tables hold no usable timer (no FADT,
 * a hardware-reduced platform, a timer in memory space rather than I/O
 * space, PM_TMR_LEN not 4); -E_INVAL when a table on the way is malformed
 * (signature, length, checksum). */
int acpi_find_pmtimer(const struct acpi_mem *mem, paddr_t rsdp, struct acpi_pmtimer *out);

/* Counter ticks from `from` to `to` on a counter of `bits` bits that
 * wrapped at most once in between. */
static inline uint32_t acpi_pmtimer_delta(uint32_t from, uint32_t to, uint8_t bits)
{
    uint32_t mask = bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
    return (to - from) & mask;
}

#endif

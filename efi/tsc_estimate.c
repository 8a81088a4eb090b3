/* The loader's TSC estimate (bootinfo.tsc_hz), the source the kernel
 * cross-checks its own calibration against (include/tsc_calib.h). It costs
 * no wait of its own: the TSC is timed against the ACPI PM timer
 * (3.579545 MHz, shared/acpi_pmtimer.c finds it) across the loader's own
 * work, from its entry to just before ExitBootServices. Only when the
 * firmware has no PM timer in I/O space, or the loader was done in under
 * TSC_ESTIMATE_MIN_US, does a BS->Stall make up the difference (or, with
 * no timer at all, measure alone).
 *
 * Each reading is a pair (PM timer, TSC) taken between two reads of the PM
 * timer, the tightest of a few tries: a pair torn by an interrupt or, under
 * an emulator, by the host descheduling the vCPU is left out. The PM timer
 * wraps every 4.7 s (24 bits): tsc_estimate_tick, called between the
 * loader's steps, keeps count of the ticks so no step has to be shorter
 * than a wrap for the total to be right. */
#include "acpi_pmtimer.h"
#include "tsc_calib.h"
#include "loader.h"
#include "x86/cpu.h"

#define TSC_ESTIMATE_MIN_US   2000   /* 7158 PM ticks: a reading's error is a few */
#define PAIR_TRIES            4

static struct {
    struct acpi_pmtimer pm;
    bool have_pm;
    uint64_t tsc0;            /* TSC at begin */
    uint32_t pm_last;         /* PM count at the last tick */
    uint64_t pm_ticks;        /* PM ticks from begin to the last tick */
    uint32_t gap0;            /* the first pair's PM read gap, in ticks */
} est;

static const void *phys_map(void *ctx, paddr_t pa, uint64_t len)
{
    (void)ctx;
    /* Boot services: memory is identity-mapped; only the null page and an
     * address space wrap are refused (ACPI tables are never at either). */
    return pa >= PAGE_SIZE && pa + len > pa ? (const void *)(uintptr_t)pa : NULL;
}

/* One (PM count, TSC) pair, the TSC read between two PM reads; returns
 * the gap between those reads, in PM ticks. */
static uint32_t read_pair(uint32_t *pm, uint64_t *tsc)
{
    uint32_t best_gap = UINT32_MAX;

    for (int i = 0; i < PAIR_TRIES; i++) {
        uint32_t a = inl(est.pm.port);
        uint64_t t = rdtsc();
        uint32_t b = inl(est.pm.port);
        uint32_t gap = acpi_pmtimer_delta(a, b, est.pm.bits);
        if (gap < best_gap) {
            best_gap = gap;
            *pm = a + gap / 2;   /* the TSC read lies between a and b */
            *tsc = t;
        }
    }
    return best_gap;
}

void tsc_estimate_begin(paddr_t rsdp)
{
    const struct acpi_mem mem = { .map = phys_map, .ctx = NULL };

    est.have_pm = acpi_find_pmtimer(&mem, rsdp, &est.pm) == 0;
    est.pm_ticks = 0;
    if (est.have_pm)
        est.gap0 = read_pair(&est.pm_last, &est.tsc0);
}

void tsc_estimate_tick(void)
{
    if (!est.have_pm)
        return;
    uint32_t now = inl(est.pm.port);
    est.pm_ticks += acpi_pmtimer_delta(est.pm_last, now, est.pm.bits);
    est.pm_last = now;
}

/* Stall-only estimate: one BS->Stall timed with the TSC, after a 1 us one
 * (the first trip through the firmware's Stall path is slow where code is
 * translated on first use). */
static uint64_t stall_estimate(void)
{
    uefi_call_wrapper(BS->Stall, 1, 1);   /* returns EFI_SUCCESS only (UEFI 2.10, 7.5) */
    uint64_t t0 = rdtsc();
    uefi_call_wrapper(BS->Stall, 1, TSC_LOADER_STALL_US);
    return (rdtsc() - t0) * (US_PER_SECOND / TSC_LOADER_STALL_US);
}

/* Each pair places its TSC read within half its gap of the PM count it
 * records, and a PM count within one tick of the instant: the estimate is
 * off by at most (gap0 + gap1) / 2 + 2 ticks over `ticks`, plus the PM
 * clock's own tolerance (include/tsc_calib.h). */
static uint32_t bound_ppm(uint32_t gap0, uint32_t gap1, uint64_t ticks)
{
    uint64_t err = ((uint64_t)gap0 + gap1 + 1) / 2 + 2;

    return (uint32_t)((err * TSC_PPM + ticks - 1) / ticks) + TSC_PM_CLOCK_PPM;
}

uint64_t tsc_estimate_end(uint32_t *ppm)
{
    uint32_t pm;
    uint64_t tsc;

    *ppm = 0;
    if (!est.have_pm)
        return stall_estimate();
    tsc_estimate_tick();
    uint64_t ticks = est.pm_ticks;
    uint64_t min_ticks = TSC_ESTIMATE_MIN_US * ACPI_PM_TIMER_HZ / US_PER_SECOND;
    if (ticks < min_ticks) {
        uefi_call_wrapper(BS->Stall, 1, (min_ticks - ticks) * US_PER_SECOND / ACPI_PM_TIMER_HZ + 1);
        tsc_estimate_tick();
    }
    uint32_t gap1 = read_pair(&pm, &tsc);
    ticks = est.pm_ticks + acpi_pmtimer_delta(est.pm_last, pm, est.pm.bits);
    uint64_t elapsed = tsc - est.tsc0;
    /* No 128-bit division here (no libgcc): an interval that would overflow
     * (over ~80 min at 1 GHz) says nothing the kernel can use anyway. */
    if (ticks == 0 || elapsed > UINT64_MAX / ACPI_PM_TIMER_HZ)
        return 0;
    *ppm = bound_ppm(est.gap0, gap1, ticks);
    return elapsed * ACPI_PM_TIMER_HZ / ticks;
}

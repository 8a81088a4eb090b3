/* TSC frequency: turning each source's measurement into an interval that
 * contains the true frequency if the source is honest, and choosing among
 * the sources by cross-checking those intervals. Pure logic: the kernel
 * (kernel/timer.c) and the loader (efi/tsc_estimate.c) read the hardware and
 * pass the numbers in; host-tested in tests/host/test_tsc_calib.c.
 *
 * No single source can be trusted everywhere: hypervisors and most AMD
 * CPUs leave CPUID 0x15/0x16 empty, firmware's Stall may overrun, and under
 * heavy emulator load a PIT measurement has come out 180x low (FIELD-NOTES). */
#ifndef PAGODA_TSC_CALIB_H
#define PAGODA_TSC_CALIB_H

#include "types.h"

/* Refused outright, whatever the source: no x86-64 CPU's TSC runs below
 * 100 MHz or above 20 GHz, so a value outside says the measurement broke
 * (the 180x-low PIT case gave 14 MHz). */
#define TSC_HZ_MIN 100000000ULL
#define TSC_HZ_MAX 20000000000ULL

#define TSC_PPM 1000000ULL

/* CPUID 0x15 with a crystal frequency: exact ratio of a crystal whose
 * tolerance is tens of ppm; 200 ppm leaves room. CPUID 0x16 reports the
 * nominal base frequency in whole MHz, which is the TSC's on Intel CPUs
 * without a 0x15 crystal (Linux relies on the same) but only nominally:
 * parts with a 24 MHz crystal run their TSC up to ~0.3% off it. 1%. */
#define TSC_CPUID15_BOUND_PPM 200
#define TSC_CPUID16_BOUND_PPM 10000

/* The loader's estimate (efi/tsc_estimate.c) times the TSC against the
 * ACPI PM timer across its own run (a few milliseconds: within 0.02% of the
 * truth under TCG), or, on a firmware without a PM timer in I/O space,
 * against BS->Stall(TSC_LOADER_STALL_US).
 *
 * A PM-timer estimate comes with its own bound (bootinfo.tsc_hz_ppm): the
 * reading error of its two (PM, TSC) pairs over the ticks between them,
 * plus the tolerance of the clock the PM timer counts, which ACPI fixes at
 * 3.579545 MHz without bounding (a 14.318 MHz PC crystal divided by 4;
 * such crystals are specified to about +-100 ppm). Symmetric.
 *
 * A stall-timed one has none (0): Stall waits at least that long (UEFI
 * 2.10, 7.5) but may overrun: under TCG a 10 ms stall overran by up to 39%,
 * and 1 ms proportionally more. Its interval is lopsided: the true
 * frequency may be far below the estimate (the stall overran), barely
 * above it (the firmware's timer rounding). Wide, but enough to catch a
 * gross error in another source. */
#define TSC_LOADER_STALL_US       1000
#define TSC_LOADER_OVERRUN_FACTOR 4       /* stall took up to 4x as long */
#define TSC_LOADER_EARLY_PPM      10000   /* or ended up to 1% early */
#define TSC_PM_CLOCK_PPM          100     /* the PM timer's clock, see above */

/* Sources, in the order of preference when two disagree and nothing else
 * breaks the tie: an architectural ratio first, then the kernel's own
 * bounded measurement, then nominal or loosely bounded ones. */
enum tsc_source {
    TSC_SRC_CPUID15,
    TSC_SRC_PIT,
    TSC_SRC_CPUID16,
    TSC_SRC_LOADER,
    TSC_SRC_COUNT
};

/* One source's view. hz == 0: the source has nothing (absent). Otherwise
 * lo <= hz <= hi, and the source claims the truth is in [lo, hi]. */
struct tsc_estimate {
    uint64_t hz, lo, hi;
};

/* What became of each source. */
enum tsc_verdict {
    TSC_ABSENT,
    TSC_CHOSEN,
    TSC_AGREES,        /* in the winning group, not the winner */
    TSC_IMPLAUSIBLE,   /* outside [TSC_HZ_MIN, TSC_HZ_MAX] */
    TSC_DISAGREES      /* plausible, but its interval misses the winning group's */
};

/* Why the winner won. */
enum tsc_reason {
    TSC_REASON_NONE,         /* no plausible source at all */
    TSC_REASON_ONLY_SOURCE,  /* one plausible source: nothing to check it against */
    TSC_REASON_ALL_AGREE,    /* every plausible source's interval overlaps the winner's group */
    TSC_REASON_MAJORITY,     /* a larger group agreed; the others are refused */
    TSC_REASON_PREFERRED     /* disagreeing groups of equal size: the preference order decided */
};

struct tsc_choice {
    uint64_t hz;                           /* 0 when reason == TSC_REASON_NONE */
    uint32_t bound_ppm;                    /* the winner's own half-width, rounded up */
    enum tsc_source source;                /* valid when hz != 0 */
    enum tsc_reason reason;
    enum tsc_verdict verdict[TSC_SRC_COUNT];
};

/* Estimates from the raw CPUID registers (absent when the leaf says
 * nothing: a zero ratio term, a zero crystal, a zero base frequency). */
struct tsc_estimate tsc_from_cpuid15(uint32_t eax, uint32_t ebx, uint32_t ecx);
struct tsc_estimate tsc_from_cpuid16(uint32_t eax);
/* The loader's estimate (bootinfo.tsc_hz; 0 = none) with its bound
 * (bootinfo.tsc_hz_ppm: PM timer), or 0 for none (stall-timed). */
struct tsc_estimate tsc_from_loader(uint64_t hz, uint32_t bound_ppm);
/* An estimate hz with a symmetric bound. */
struct tsc_estimate tsc_with_ppm(uint64_t hz, uint32_t ppm);

/* Choose among the sources: the largest group of plausible sources whose
 * intervals share a point (ties: the group holding the most preferred
 * source), and in it the source with the narrowest relative bound (ties:
 * preference order). -E_INVAL when no source is plausible (out->reason is
 * then TSC_REASON_NONE and out->hz 0). */
int tsc_choose(const struct tsc_estimate in[TSC_SRC_COUNT], struct tsc_choice *out);

/* Half-width of an estimate's interval relative to hz, in ppm, rounded up. */
uint32_t tsc_bound_ppm(const struct tsc_estimate *e);

const char *tsc_source_name(enum tsc_source s);
const char *tsc_reason_name(enum tsc_reason r);
const char *tsc_verdict_name(enum tsc_verdict v);

#endif

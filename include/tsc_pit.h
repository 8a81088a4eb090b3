/* TSC frequency measured against the legacy PIT over a growing window,
 * as pure arithmetic on samples the kernel takes (kernel/timer.c); the
 * result is one source for tsc_choose (include/tsc_calib.h). Host-tested
 * in tests/host/test_tsc_calib.c. */
#ifndef PAGODA_TSC_PIT_H
#define PAGODA_TSC_PIT_H

#include "tsc_calib.h"

/* The PIT's input clock (every PC, since the 5150). */
#define TSC_PIT_HZ 1193182ULL

/* The caller programs PIT channel 2 to count down once from 0xFFFF and
 * takes samples: the TSC, latch and read the count, the TSC again. The count was latched somewhere between the two
 * TSC reads, and counts are whole PIT ticks, so between two samples n PIT
 * ticks apart the elapsed time lies in ((n-1), (n+1)) ticks and the TSC
 * ticks in [before2 - after1, after2 - before1]: an interval for the
 * frequency. Every sample's interval (against the first) must contain the
 * truth, so the run keeps their intersection; it shrinks as the window
 * grows, and an empty intersection means the TSC and the PIT did not keep
 * a steady ratio (a vCPU stopped in mid-sample, a broken PIT). */
struct tsc_pit_sample {
    uint64_t tsc_before, tsc_after;
    uint16_t count;
};

struct tsc_pit_run {
    struct tsc_pit_sample first;
    uint64_t lo, hi;        /* intersection so far; hi == 0: no interval yet */
    uint32_t samples;
    bool unsteady;
};

enum tsc_pit_status {
    TSC_PIT_MORE,       /* bound still above the target */
    TSC_PIT_DONE,       /* bound at or below the target */
    TSC_PIT_UNSTEADY    /* intervals stopped overlapping: the run is worthless */
};

void tsc_pit_begin(struct tsc_pit_run *r, const struct tsc_pit_sample *first);
enum tsc_pit_status tsc_pit_add(struct tsc_pit_run *r, const struct tsc_pit_sample *s, uint32_t target_ppm);
/* The run's estimate: the middle of the intersection; absent when the run
 * is unsteady or has no interval yet. */
struct tsc_estimate tsc_pit_result(const struct tsc_pit_run *r);

#endif

/* The PIT run's arithmetic: each sample's frequency interval against the
 * first sample, and their intersection. API and the reasoning behind the
 * intervals: include/tsc_pit.h. */
#include "tsc_pit.h"

void tsc_pit_begin(struct tsc_pit_run *r, const struct tsc_pit_sample *first)
{
    *r = (struct tsc_pit_run){ .first = *first, .samples = 1 };
}

/* The frequency interval between the first sample and s; false when s
 * says nothing yet (fewer than 2 PIT ticks apart, or TSC reads out of
 * order, which a monotonic TSC never gives). Channel 2 counts down. */
static bool sample_interval(const struct tsc_pit_sample *a, const struct tsc_pit_sample *s, uint64_t *lo,
                            uint64_t *hi)
{
    if (s->count >= a->count || s->tsc_before < a->tsc_after || s->tsc_after < s->tsc_before)
        return false;
    uint64_t n = (uint64_t)(a->count - s->count);
    if (n < 2)
        return false;
    /* TSC deltas stay far below 2^64 / TSC_PIT_HZ (2^43): a window is at
     * most 0xFFFF PIT ticks, 55 ms, under 2^31 ticks at TSC_HZ_MAX. */
    *lo = (s->tsc_before - a->tsc_after) * TSC_PIT_HZ / (n + 1);
    *hi = ((s->tsc_after - a->tsc_before) * TSC_PIT_HZ + n - 2) / (n - 1);
    return true;
}

enum tsc_pit_status tsc_pit_add(struct tsc_pit_run *r, const struct tsc_pit_sample *s, uint32_t target_ppm)
{
    uint64_t lo, hi;

    if (r->unsteady)
        return TSC_PIT_UNSTEADY;
    r->samples++;
    if (!sample_interval(&r->first, s, &lo, &hi))
        return TSC_PIT_MORE;
    if (r->hi == 0) {
        r->lo = lo;
        r->hi = hi;
    } else {
        r->lo = lo > r->lo ? lo : r->lo;
        r->hi = hi < r->hi ? hi : r->hi;
    }
    if (r->lo > r->hi) {
        r->unsteady = true;
        return TSC_PIT_UNSTEADY;
    }
    struct tsc_estimate e = tsc_pit_result(r);
    return tsc_bound_ppm(&e) <= target_ppm ? TSC_PIT_DONE : TSC_PIT_MORE;
}

struct tsc_estimate tsc_pit_result(const struct tsc_pit_run *r)
{
    if (r->unsteady || r->hi == 0)
        return (struct tsc_estimate){ 0 };
    return (struct tsc_estimate){ .hz = r->lo + (r->hi - r->lo) / 2, .lo = r->lo, .hi = r->hi };
}

/* TSC frequency sources as intervals, and the choice among them by
 * agreement. API and the sources' bounds: include/tsc_calib.h.
 *
 * Agreement is interval overlap: an honest source's interval contains the
 * true frequency, so honest sources all share that point. On a line,
 * intervals that overlap pairwise share a common point (Helly), so a group
 * agrees exactly when its largest lo is at most its smallest hi. With four
 * sources every group can be tried. */
#include "tsc_calib.h"

#define GROUPS (1u << TSC_SRC_COUNT)

/* Members of a group (no __builtin_popcount: without POPCNT it calls
 * libgcc, which the kernel and loader do not link). */
static unsigned members(unsigned mask)
{
    unsigned n = 0;
    for (; mask; mask &= mask - 1)
        n++;
    return n;
}

/* ceil(hz * ppm / 10^6) without overflowing for any uint64_t hz. */
static uint64_t ppm_of(uint64_t hz, uint64_t ppm)
{
    return hz / TSC_PPM * ppm + ((hz % TSC_PPM) * ppm + TSC_PPM - 1) / TSC_PPM;
}

struct tsc_estimate tsc_with_ppm(uint64_t hz, uint32_t ppm)
{
    if (hz == 0)
        return (struct tsc_estimate){ 0 };
    uint64_t d = ppm_of(hz, ppm);
    return (struct tsc_estimate){ .hz = hz, .lo = d < hz ? hz - d : 0,
                                  .hi = hz + d < hz ? UINT64_MAX : hz + d };
}

/* TSC = crystal * EBX / EAX (Intel SDM Vol. 3B, 18.7.3; CPUID leaf 0x15).
 * A product that overflows 64 bits is no real CPU's: absent. */
struct tsc_estimate tsc_from_cpuid15(uint32_t eax, uint32_t ebx, uint32_t ecx)
{
    uint64_t product;

    if (eax == 0 || ebx == 0 || ecx == 0 || __builtin_mul_overflow((uint64_t)ecx, (uint64_t)ebx, &product))
        return (struct tsc_estimate){ 0 };
    return tsc_with_ppm(product / eax, TSC_CPUID15_BOUND_PPM);
}

/* EAX[15:0]: processor base frequency in MHz (CPUID leaf 0x16). */
struct tsc_estimate tsc_from_cpuid16(uint32_t eax)
{
    return tsc_with_ppm((uint64_t)(eax & 0xFFFF) * TSC_PPM, TSC_CPUID16_BOUND_PPM);
}

/* With a bound: symmetric. Without (stall-timed): the stall lasted between
 * (1 - early) and OVERRUN_FACTOR times its nominal length, so the truth
 * lies in [hz / FACTOR, hz / (1 - early)]. */
struct tsc_estimate tsc_from_loader(uint64_t hz, uint32_t bound_ppm)
{
    if (hz == 0)
        return (struct tsc_estimate){ 0 };
    if (bound_ppm)
        return tsc_with_ppm(hz, bound_ppm);
    uint64_t up = ppm_of(hz, (TSC_LOADER_EARLY_PPM * TSC_PPM + TSC_PPM - TSC_LOADER_EARLY_PPM - 1) /
                                 (TSC_PPM - TSC_LOADER_EARLY_PPM));
    return (struct tsc_estimate){ .hz = hz, .lo = hz / TSC_LOADER_OVERRUN_FACTOR,
                                  .hi = hz + up < hz ? UINT64_MAX : hz + up };
}

uint32_t tsc_bound_ppm(const struct tsc_estimate *e)
{
    if (e->hz == 0)
        return UINT32_MAX;
    uint64_t below = e->hz - e->lo, above = e->hi - e->hz;
    uint64_t w = below > above ? below : above;
    if (w > UINT64_MAX / TSC_PPM)
        return UINT32_MAX;
    uint64_t ppm = (w * TSC_PPM + e->hz - 1) / e->hz;
    return ppm > UINT32_MAX ? UINT32_MAX : (uint32_t)ppm;
}

static bool plausible(const struct tsc_estimate *e)
{
    return e->hz >= TSC_HZ_MIN && e->hz <= TSC_HZ_MAX;
}

static bool group_agrees(const struct tsc_estimate in[TSC_SRC_COUNT], unsigned mask)
{
    uint64_t lo = 0, hi = UINT64_MAX;

    for (unsigned s = 0; s < TSC_SRC_COUNT; s++) {
        if (!(mask & (1u << s)))
            continue;
        lo = in[s].lo > lo ? in[s].lo : lo;
        hi = in[s].hi < hi ? in[s].hi : hi;
    }
    return lo <= hi;
}

/* a beats b: more members; at equal size, the one holding the most
 * preferred source the other lacks (the lowest differing bit). */
static bool group_beats(unsigned a, unsigned b)
{
    unsigned na = members(a), nb = members(b);
    if (na != nb)
        return na > nb;
    unsigned diff = a ^ b;
    return diff && (a & diff & -diff);
}

/* The winner in a group: narrowest relative bound, then preference. */
static enum tsc_source narrowest(const struct tsc_estimate in[TSC_SRC_COUNT], unsigned group)
{
    enum tsc_source best = TSC_SRC_COUNT;
    uint32_t best_ppm = UINT32_MAX;

    for (unsigned s = 0; s < TSC_SRC_COUNT; s++) {
        uint32_t ppm = tsc_bound_ppm(&in[s]);
        if ((group & (1u << s)) && (best == TSC_SRC_COUNT || ppm < best_ppm)) {
            best = (enum tsc_source)s;
            best_ppm = ppm;
        }
    }
    return best;
}

/* equal_groups: agreeing groups as large as the winning one, it included. */
static enum tsc_reason reason_for(unsigned group, unsigned usable, unsigned equal_groups)
{
    if (members(usable) == 1)
        return TSC_REASON_ONLY_SOURCE;
    if (group == usable)
        return TSC_REASON_ALL_AGREE;
    return equal_groups > 1 ? TSC_REASON_PREFERRED : TSC_REASON_MAJORITY;
}

int tsc_choose(const struct tsc_estimate in[TSC_SRC_COUNT], struct tsc_choice *out)
{
    unsigned usable = 0, best = 0, equal = 0;

    *out = (struct tsc_choice){ .source = TSC_SRC_COUNT, .reason = TSC_REASON_NONE };
    for (unsigned s = 0; s < TSC_SRC_COUNT; s++) {
        out->verdict[s] = in[s].hz == 0 ? TSC_ABSENT : plausible(&in[s]) ? TSC_DISAGREES : TSC_IMPLAUSIBLE;
        if (out->verdict[s] == TSC_DISAGREES)
            usable |= 1u << s;
    }
    if (!usable)
        return -E_INVAL;
    for (unsigned g = 1, top = 0; g < GROUPS; g++) {
        if ((g & ~usable) || !group_agrees(in, g))
            continue;
        unsigned n = members(g);
        if (n > top) {
            top = n;
            equal = 0;
        }
        if (n == top) {
            equal++;
            if (!best || group_beats(g, best))
                best = g;
        }
    }
    for (unsigned s = 0; s < TSC_SRC_COUNT; s++)
        if (best & (1u << s))
            out->verdict[s] = TSC_AGREES;
    out->source = narrowest(in, best);
    out->verdict[out->source] = TSC_CHOSEN;
    out->hz = in[out->source].hz;
    out->bound_ppm = tsc_bound_ppm(&in[out->source]);
    out->reason = reason_for(best, usable, equal);
    return 0;
}

const char *tsc_source_name(enum tsc_source s)
{
    static const char *const names[TSC_SRC_COUNT] = {
        [TSC_SRC_CPUID15] = "cpuid15", [TSC_SRC_PIT] = "pit",
        [TSC_SRC_CPUID16] = "cpuid16", [TSC_SRC_LOADER] = "loader",
    };
    return (unsigned)s < TSC_SRC_COUNT ? names[s] : "none";
}

const char *tsc_reason_name(enum tsc_reason r)
{
    switch (r) {
    case TSC_REASON_ONLY_SOURCE: return "only-source";
    case TSC_REASON_ALL_AGREE: return "all-agree";
    case TSC_REASON_MAJORITY: return "majority";
    case TSC_REASON_PREFERRED: return "preferred";
    case TSC_REASON_NONE: break;
    }
    return "none-plausible";
}

const char *tsc_verdict_name(enum tsc_verdict v)
{
    switch (v) {
    case TSC_CHOSEN: return "chosen";
    case TSC_AGREES: return "agrees";
    case TSC_IMPLAUSIBLE: return "implausible";
    case TSC_DISAGREES: return "disagrees";
    case TSC_ABSENT: break;
    }
    return "absent";
}

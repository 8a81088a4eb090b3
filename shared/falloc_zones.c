/* Frame allocator zones: which of the tracker's usable ranges the buddy
 * allocator manages (all of them, or the FALLOC_MAX_ZONES largest), and the
 * bitmap storage they need. The buddy system itself is shared/falloc.c;
 * both sides meet in include/falloc_internal.h. Design: docs/memory.md. */
#include "falloc_internal.h"

/* The part of a tracker entry falloc may manage: usable, frame 0 excluded. */
static bool usable_span(const struct pmem_range *r, paddr_t *base, paddr_t *end)
{
    if (r->type != PMEM_USABLE)
        return false;
    *base = MAX(r->base, PAGE_SIZE);
    *end = r->end;
    return *base < *end;
}

static size_t count_spans_at_least(const struct pmem *pm, uint64_t size)
{
    size_t n = 0;

    for (size_t i = 0; i < pm->count; i++) {
        paddr_t base, end;
        n += usable_span(&pm->ranges[i], &base, &end) && end - base >= size;
    }
    return n;
}

/* Which usable spans become zones: all of them if they fit in
 * FALLOC_MAX_ZONES, else those larger than `cutoff` plus the first
 * `ties_left` (in address order) of exactly `cutoff` bytes. Walking the
 * tracker in order keeps the zones sorted by base without a sort. */
struct zone_pick {
    uint64_t cutoff;
    size_t ties_left;
};

static struct zone_pick pick_begin(const struct pmem *pm)
{
    struct zone_pick p = { .cutoff = 0, .ties_left = 0 };

    if (count_spans_at_least(pm, PAGE_SIZE) <= FALLOC_MAX_ZONES)
        return p;
    /* Binary search for the largest size that at least FALLOC_MAX_ZONES
     * spans reach: the size of the FALLOC_MAX_ZONES-th largest span. */
    uint64_t lo = PAGE_SIZE, hi = PMEM_END_MAX;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (count_spans_at_least(pm, mid) >= FALLOC_MAX_ZONES)
            lo = mid;
        else
            hi = mid - 1;
    }
    p.cutoff = lo;
    p.ties_left = FALLOC_MAX_ZONES - count_spans_at_least(pm, lo + 1);
    return p;
}

static bool pick_span(struct zone_pick *p, paddr_t base, paddr_t end)
{
    if (end - base > p->cutoff)
        return true;
    if (end - base == p->cutoff && p->ties_left > 0) {
        p->ties_left--;
        return true;
    }
    return false;
}

uint64_t falloc_metadata_bytes(const struct pmem *pm)
{
    struct zone_pick pick = pick_begin(pm);
    uint64_t words = 0;

    for (size_t i = 0; i < pm->count; i++) {
        paddr_t base, end;
        if (usable_span(&pm->ranges[i], &base, &end) && pick_span(&pick, base, end))
            words += 2 * zone_words(base, end);
    }
    return words * sizeof(uint64_t);
}

void falloc_zones_init(struct falloc *fa, const struct pmem *pm, uint64_t *words)
{
    struct zone_pick pick = pick_begin(pm);

    for (size_t i = 0; i < pm->count; i++) {
        paddr_t base, end;
        if (!usable_span(&pm->ranges[i], &base, &end) || !pick_span(&pick, base, end))
            continue;
        fa->zones[fa->nzones++] = (struct falloc_zone){
            .base = base, .end = end, .head_bits = words,
            .alloc_bits = words + zone_words(base, end) };
        words += 2 * zone_words(base, end);
    }
}

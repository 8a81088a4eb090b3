/* Frame allocator zones: which tracker ranges the buddy allocator manages
 * (every adopted range, FALLOC_ADOPTED_TYPE; usable ranges, all of them or
 * the largest that fit in the zones left), and the bitmap storage they need.
 * The buddy system itself is shared/falloc.c; both sides meet in
 * include/falloc_internal.h. Design: docs/memory.md. */
#include "falloc_internal.h"

/* The part of a tracker entry of `type` falloc may manage: frame 0 excluded
 * (0 ends the free lists). */
static bool zone_span(const struct pmem_range *r, enum pmem_type type, paddr_t *base,
                      paddr_t *end)
{
    if (r->type != type)
        return false;
    *base = MAX(r->base, PAGE_SIZE);
    *end = r->end;
    return *base < *end;
}

static size_t count_spans_at_least(const struct pmem *pm, enum pmem_type type, uint64_t size)
{
    size_t n = 0;

    for (size_t i = 0; i < pm->count; i++) {
        paddr_t base, end;
        n += zone_span(&pm->ranges[i], type, &base, &end) && end - base >= size;
    }
    return n;
}

size_t falloc_adopted_spans(const struct pmem *pm)
{
    return count_spans_at_least(pm, FALLOC_ADOPTED_TYPE, PAGE_SIZE);
}

/* Which usable spans become zones: all of them if they fit in the zones the
 * adopted spans leave (`room`), else those larger than `cutoff` plus the
 * first `ties_left` (in address order) of exactly `cutoff` bytes. Walking
 * the tracker in order keeps the zones sorted by base without a sort. */
struct zone_pick {
    uint64_t cutoff;
    size_t ties_left;
};

static struct zone_pick pick_begin(const struct pmem *pm)
{
    size_t adopted = falloc_adopted_spans(pm);
    size_t room = adopted < FALLOC_MAX_ZONES ? FALLOC_MAX_ZONES - adopted : 0;
    struct zone_pick p = { .cutoff = 0, .ties_left = 0 };

    if (count_spans_at_least(pm, PMEM_USABLE, PAGE_SIZE) <= room)
        return p;
    if (room == 0) {
        p.cutoff = UINT64_MAX;   /* no span is larger; none is this large */
        return p;
    }
    /* The cutoff is the size of the room-th largest span: the largest span
     * size that at least `room` spans reach. Quadratic in the tracker's
     * entries, and only on maps with more usable ranges than zones. */
    for (size_t i = 0; i < pm->count; i++) {
        paddr_t base, end;
        if (zone_span(&pm->ranges[i], PMEM_USABLE, &base, &end) && end - base > p.cutoff &&
            count_spans_at_least(pm, PMEM_USABLE, end - base) >= room)
            p.cutoff = end - base;
    }
    p.ties_left = room - count_spans_at_least(pm, PMEM_USABLE, p.cutoff + 1);
    return p;
}

/* Does tracker entry r become a zone, and which part of it? */
static bool pick_zone(struct zone_pick *p, const struct pmem_range *r, paddr_t *base,
                      paddr_t *end)
{
    if (zone_span(r, FALLOC_ADOPTED_TYPE, base, end))
        return true;
    if (!zone_span(r, PMEM_USABLE, base, end))
        return false;
    if (*end - *base > p->cutoff)
        return true;
    if (*end - *base == p->cutoff && p->ties_left > 0) {
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
        if (pick_zone(&pick, &pm->ranges[i], &base, &end))
            words += 2 * zone_words(base, end);
    }
    return words * sizeof(uint64_t);
}

void falloc_zones_init(struct falloc *fa, const struct pmem *pm, uint64_t *words)
{
    struct zone_pick pick = pick_begin(pm);

    for (size_t i = 0; i < pm->count; i++) {
        paddr_t base, end;
        if (!pick_zone(&pick, &pm->ranges[i], &base, &end))
            continue;
        fa->zones[fa->nzones++] = (struct falloc_zone){
            .base = base, .end = end, .head_bits = words,
            .alloc_bits = words + zone_words(base, end) };
        words += 2 * zone_words(base, end);
    }
}

/* Frame caches (magazines) in front of the buddy allocator: the fast path
 * of 4 KiB allocations and frees, and the batches that move frames between
 * a cache and shared/falloc.c. Contract and accounting: include/falloc_cache.h.
 *
 * Invariants, for a cache used only through these functions:
 *  C1 count <= FALLOC_CACHE_FRAMES; frames[0 .. count) are distinct frames
 *     the allocator has lent (alloc bit set, in lent_bytes) and nobody holds.
 *  C2 The sum over all caches of count * PAGE_SIZE + sum(handed[]) is
 *     fa->lent_bytes: what was lent is in a cache or handed out, and the
 *     unsettled handed[] say by type which. */
#include "falloc_cache.h"

int falloc_cache_get(struct falloc_cache *c, enum pmem_type type, paddr_t *pa)
{
    if (!pmem_type_is_owned(type))
        return -E_INVAL;
    if (c->count == 0)
        return -E_NOMEM;
    *pa = c->frames[--c->count];
    c->handed[type] += PAGE_SIZE;
    return 0;
}

/* Within the span of managed memory: O(1) on the fast path. A frame in a
 * hole between zones is refused when the batch goes back (the drain). */
static bool in_managed_span(const struct falloc *fa, paddr_t pa)
{
    return fa->nzones > 0 && pa >= fa->zones[0].base && pa < fa->zones[fa->nzones - 1].end;
}

int falloc_cache_put(const struct falloc *fa, struct falloc_cache *c, paddr_t pa,
                     enum pmem_type type)
{
    if (!pmem_type_is_owned(type) || !IS_ALIGNED(pa, PAGE_SIZE) || !in_managed_span(fa, pa))
        return -E_INVAL;
    if (c->count == FALLOC_CACHE_FRAMES)
        return -E_CAPACITY;
    c->frames[c->count++] = pa;
    c->handed[type] -= PAGE_SIZE;
    return 0;
}

int falloc_cache_refill(struct falloc *fa, struct falloc_cache *c)
{
    unsigned got = 0;

    if (c->count >= FALLOC_CACHE_BATCH)
        return 0;
    int rc = falloc_take_frames(fa, c->frames + c->count, FALLOC_CACHE_BATCH - c->count, &got);
    c->count += got;
    return rc == -E_NOMEM && c->count > 0 ? 0 : rc;
}

int falloc_cache_drain(struct falloc *fa, struct falloc_cache *c, unsigned keep)
{
    paddr_t batch[FALLOC_CACHE_FRAMES];

    if (c->count <= keep)
        return 0;
    unsigned n = c->count - keep;
    __builtin_memcpy(batch, c->frames, n * sizeof(paddr_t));
    int rc = falloc_return_frames(fa, batch, n);
    if (rc)
        return rc;
    __builtin_memmove(c->frames, c->frames + n, keep * sizeof(paddr_t));
    c->count = keep;
    return 0;
}

void falloc_cache_collect(struct falloc_cache *c, int64_t sum[PMEM_TYPE_COUNT])
{
    for (int t = 0; t < PMEM_TYPE_COUNT; t++) {
        sum[t] += c->handed[t];
        c->handed[t] = 0;
    }
}

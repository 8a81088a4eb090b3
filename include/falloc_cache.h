/* Frame caches: a bounded stack (magazine) of free 4 KiB frames in front of
 * the buddy allocator, one per CPU in the kernel, so that most 4 KiB
 * allocations and frees touch neither the allocator's lock nor its free
 * lists. Frames move between a cache and the allocator in batches
 * (falloc_take_frames / falloc_return_frames): whole aligned blocks where
 * they can, so a batch costs a few header accesses, not one per frame.
 *
 * Accounting. Frames in a cache, and frames a cache has handed out, are
 * "lent" in the allocator (fa->lent_bytes), not counted in any type: the
 * cache records by type what it handed out minus what came back (handed[]),
 * and falloc_settle books those bytes. Drain every cache and settle them
 * together and the allocator's totals are exact again (lent_bytes == 0).
 *
 * Locking is the caller's: get/put touch only the cache (one CPU's lock in
 * the kernel); refill, drain and settle also change the allocator (its lock
 * as well). Design: docs/memory.md, "Per-CPU frame caches". */
#ifndef PAGODA_FALLOC_CACHE_H
#define PAGODA_FALLOC_CACHE_H

#include "falloc.h"

#define FALLOC_CACHE_FRAMES 64   /* bound: at most 256 KiB held per cache */
#define FALLOC_CACHE_BATCH  32   /* refill up to, drain down to, this many */

struct falloc_cache {
    uint32_t count;
    paddr_t frames[FALLOC_CACHE_FRAMES];   /* a stack: the last freed is the next handed out */
    int64_t handed[PMEM_TYPE_COUNT];       /* bytes handed out minus taken back, unsettled */
};

/* Pop a frame for `type` (an owned type). -E_NOMEM when the cache is empty
 * (refill it), -E_INVAL for a type that is not owned. */
int falloc_cache_get(struct falloc_cache *c, enum pmem_type type, paddr_t *pa);

/* Push a 4 KiB frame freed as `type`. -E_INVAL for a type that is not
 * owned, an unaligned address or one outside the span of fa's zones (zones
 * never change after falloc_init, so this reads fa without its lock; O(1));
 * -E_CAPACITY when full (drain it). Whether the frame lies in a zone and
 * was handed out is checked when it goes back to the allocator
 * (falloc_cache_drain): a frame freed twice is caught there, unless it was
 * handed out again in between. A frame a cache handed out goes back
 * through a cache (any): its bytes are booked only at the settle. */
int falloc_cache_put(const struct falloc *fa, struct falloc_cache *c, paddr_t pa,
                     enum pmem_type type);

/* Fill the cache up to FALLOC_CACHE_BATCH frames from the allocator. 0 if
 * it holds any frame afterwards; -E_NOMEM if the allocator had none;
 * -E_INVAL for a scribbled free-block header (frames taken before it are
 * kept). */
int falloc_cache_refill(struct falloc *fa, struct falloc_cache *c);

/* Give all but `keep` frames back to the allocator, the oldest first (the
 * most recently freed stay: they are the likeliest to be in the CPU's
 * caches). -E_INVAL, the cache unchanged, if the allocator refuses the
 * batch (a frame not handed out, or listed twice: a double free). */
int falloc_cache_drain(struct falloc *fa, struct falloc_cache *c, unsigned keep);

/* Add the cache's handed[] into sum[] and clear it: settle the sum of every
 * cache at once (falloc_settle), since one CPU may free what another
 * allocated. */
void falloc_cache_collect(struct falloc_cache *c, int64_t sum[PMEM_TYPE_COUNT]);

#endif

/* Private to the frame allocator: shared by shared/falloc.c (free lists,
 * alloc, free, queries, self-check) and shared/falloc_zones.c (which usable
 * ranges become zones, and their bitmap storage). Not for other callers. */
#ifndef PAGODA_FALLOC_INTERNAL_H
#define PAGODA_FALLOC_INTERNAL_H

#include "falloc.h"

#define WORD_BITS 64   /* bitmap word: one bit per 4 KiB frame */

/* Bitmap words for a zone [base, end), one bit per frame. */
static inline uint64_t zone_words(paddr_t base, paddr_t end)
{
    uint64_t frames = (end - base) >> PAGE_SHIFT;
    return (frames + WORD_BITS - 1) / WORD_BITS;
}

/* Fill fa->zones[0 .. nzones) from the usable and adopted ranges of `pm`
 * (the choice falloc_init documents), in address order, giving each zone its
 * two bitmaps from `words`: falloc_metadata_bytes(pm) bytes, zeroed. Seeds
 * nothing: the zones' free lists are falloc.c's. The caller has checked
 * falloc_adopted_spans(pm) <= FALLOC_MAX_ZONES. */
void falloc_zones_init(struct falloc *fa, const struct pmem *pm, uint64_t *words);

/* Tracker ranges of FALLOC_ADOPTED_TYPE that hold a frame falloc may manage:
 * each needs a zone of its own. */
size_t falloc_adopted_spans(const struct pmem *pm);

#endif

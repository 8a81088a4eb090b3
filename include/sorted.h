/* Binary search over a sorted array of records that each carry a half-open
 * range's `end` (tracker ranges, virtual ranges, allocator zones): written
 * once here instead of once per record type. */
#ifndef PAGODA_SORTED_H
#define PAGODA_SORTED_H

#include <string.h>

#include "types.h"

/* Index of the first of `n` records, `stride` bytes apart, whose uint64_t
 * field at byte `end_offset` is greater than `key`; n if none. The records
 * must be sorted and disjoint, so that field never decreases. For a key
 * inside a record this is that record; in a gap, the first one after it. */
static inline size_t sorted_first_end_after(const void *records, size_t n, size_t stride,
                                            size_t end_offset, uint64_t key)
{
    const unsigned char *base = records;
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t end;
        memcpy(&end, base + mid * stride + end_offset, sizeof(end));
        if (end > key)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

#define SORTED_FIRST_END_AFTER(array, n, key) \
    sorted_first_end_after((array), (n), sizeof(*(array)), offsetof(__typeof__(*(array)), end), (key))

#endif

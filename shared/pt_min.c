/* pt_min_frames: the table frames a set of mappings needs, counted without
 * building anything. API in include/pt.h. The leaves are the ones pt_map
 * lays (pt_leaf_level, shared with shared/pt.c), so mapping the same ranges
 * with pt_map from an empty root takes exactly this many frames
 * (tests/host/test_pt.c and test_pt_property.c check it). */
#include "pt.h"
#include "x86/pte.h"

#define PT_NO_TABLE UINT64_MAX   /* table ids are va >> 21 or more: never this */

/* Bytes of leaves of one level that pt_map lays from va: up to the next
 * boundary where a larger leaf could start, or the end of the range. */
static uint64_t pt_leaf_run(int leaf, int top, vaddr_t va, uint64_t len)
{
    uint64_t run = ALIGN_DOWN(len, PT_LEVEL_SIZE(leaf));
    if (leaf < top)
        run = MIN(run, pt_entry_left(leaf + 1, va));
    return run;
}

/* Tables at levels leaf..levels-1 that leaves covering [va, va+bytes) need,
 * minus those already counted. A table holding level-k entries is named by
 * va >> PT_LEVEL_SHIFT(k + 1); runs come in increasing va, so a table is
 * shared with earlier runs only if it is the last one counted at its level. */
static uint64_t pt_count_tables(uint64_t last[], int levels, int leaf, vaddr_t va,
                                uint64_t bytes)
{
    uint64_t count = 0;
    for (int k = leaf; k < levels; k++) {
        uint64_t first = va >> PT_LEVEL_SHIFT(k + 1);
        uint64_t end = (va + bytes - 1) >> PT_LEVEL_SHIFT(k + 1);
        count += end - first + 1 - (first == last[k] ? 1 : 0);
        last[k] = end;
    }
    return count;
}

uint64_t pt_min_frames(const struct pt_mapping *ranges, size_t n, int levels, unsigned caps)
{
    uint64_t last[PT_LEVELS_MAX + 1];
    uint64_t frames = 1;   /* the root */
    int top = (caps & PT_CAP_1G) ? PT_LEVEL_1G : PT_LEVEL_2M;
    for (size_t k = 0; k < ARRAY_LEN(last); k++)
        last[k] = PT_NO_TABLE;
    for (size_t i = 0; i < n; i++) {
        vaddr_t va = ranges[i].va;
        paddr_t pa = ranges[i].pa;
        for (uint64_t len = ranges[i].len; len > 0;) {
            int leaf = pt_leaf_level(caps, ranges[i].flags, va, pa, len);
            uint64_t run = pt_leaf_run(leaf, top, va, len);
            frames += pt_count_tables(last, levels, leaf, va, run);
            va += run;
            pa += run;
            len -= run;
        }
    }
    return frames;
}

/* A slice: a fixed window of VSLICE_PAGES virtual pages that one owner
 * hands out in runs of consecutive pages (the kernel: one CPU's piece of
 * the heap window, docs/memory.md "Per-CPU heap slices"). A freed page is
 * held, not free: another CPU's TLB may still cache its old translation,
 * so it is handed out again only after vslice_release, which the owner
 * calls once every CPU has caught up with the newest held generation.
 *
 * Pure bookkeeping over page numbers: no addresses, tables or locks (the
 * caller's). Each page is free, live (handed out) or held. */
#ifndef PAGODA_VSLICE_H
#define PAGODA_VSLICE_H

#include "types.h"

#define VSLICE_PAGES 512   /* one page table's worth: 2 MiB of 4 KiB pages */
#define VSLICE_WORDS (VSLICE_PAGES / 64)

struct vslice {
    uint64_t used[VSLICE_WORDS];   /* live or held */
    uint64_t held[VSLICE_WORDS];   /* freed, waiting for vslice_release; a subset of used */
    uint64_t held_gen;             /* the newest generation vslice_free recorded since release */
    uint32_t live, held_count;     /* pages in each state */
};

/* All pages free. */
void vslice_init(struct vslice *s);

/* The lowest run of `pages` free pages: marked live, its first page in
 * *first. -E_INVAL for 0 or more than VSLICE_PAGES pages, -E_NOMEM when no
 * run is free (held pages may make one after vslice_release). */
int vslice_alloc(struct vslice *s, unsigned pages, unsigned *first);

/* Pages [first, first+pages), every one live, become held; `gen` (the
 * caller's clock of unmaps) raises held_gen. A part of a run may be freed.
 * -E_INVAL, with nothing changed, if any page is not live or the range
 * leaves the slice. */
int vslice_free(struct vslice *s, unsigned first, unsigned pages, uint64_t gen);

/* Every held page becomes free; held_gen restarts at 0. */
void vslice_release(struct vslice *s);

/* Page `page` is live (false outside the slice). */
bool vslice_is_live(const struct vslice *s, unsigned page);
/* Every page of [first, first+pages) is live (false if it leaves the slice). */
bool vslice_range_live(const struct vslice *s, unsigned first, unsigned pages);

/* held within used, and the counts match the maps. */
bool vslice_check(const struct vslice *s);

#endif

/* A "physical address space" for host tests of falloc: one anonymous
 * MAP_NORESERVE mapping, so a 1 TiB space costs only the pages touched
 * (free-block headers). phys_to_ptr = base + pa, bounds-checked. */
#ifndef PAGODA_TEST_PHYS_ARENA_H
#define PAGODA_TEST_PHYS_ARENA_H

#include "types.h"

struct phys_arena {
    uint8_t *base;
    uint64_t size;   /* covers physical [0, size) */
};

/* Map [0, size) (rounded up to a page); aborts on failure. ARENA_HUGE_PAGES asks for
 * transparent huge pages (madvise), which the bench uses to keep TLB misses
 * of the host out of the numbers (the kernel's HHDM uses 2M/1G pages). */
enum phys_arena_pages { ARENA_SMALL_PAGES, ARENA_HUGE_PAGES };
void phys_arena_map(struct phys_arena *a, uint64_t size, enum phys_arena_pages pages);
void phys_arena_unmap(struct phys_arena *a);

/* falloc_env.phys_to_ptr for an arena passed as ctx; aborts outside it. */
void *phys_arena_ptr(void *ctx, paddr_t pa);

#endif

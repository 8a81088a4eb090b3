/* A frame allocator over a tracker built from a raw map, its free blocks'
 * headers living in a phys_arena, for falloc tests. */
#ifndef PAGODA_TEST_FALLOC_FIXTURE_H
#define PAGODA_TEST_FALLOC_FIXTURE_H

#include "falloc.h"
#include "phys_arena.h"

struct falloc_fixture {
    struct phys_arena arena;
    struct pmem pm;
    struct falloc fa;
    uint64_t *meta;
    uint64_t meta_bytes;
};

/* Build the tracker from raw[0..n), map an arena up to its highest usable
 * or adopted byte, init the allocator. Aborts on any failure (a test bug). Heap-allocate
 * the fixture: struct falloc is large. */
struct falloc_fixture *fixture_new(const struct pmem_raw *raw, size_t n);
void fixture_free(struct falloc_fixture *f);

struct fblock {
    paddr_t base;
    uint64_t size;
};

/* The free blocks in address order (falloc_walk_free); returns the count,
 * aborting past cap. */
size_t fixture_free_blocks(const struct falloc *fa, struct fblock *out, size_t cap);

#endif

/* Fast frame allocator: a binary buddy allocator over the tracker's usable
 * memory. 4 KiB alloc/free are O(1) amortised (O(log) worst case: at most
 * FALLOC_MAX_ORDER splits or merges); 2 MiB and 1 GiB aligned blocks come
 * from the same pool. The tracker stays true through falloc_totals().
 * Design note: docs/memory.md. */
#ifndef PAGODA_FALLOC_H
#define PAGODA_FALLOC_H

#include "pmem.h"

#define FALLOC_MAX_ORDER 18            /* 4 KiB << 18 = 1 GiB */
#define FALLOC_ORDERS    (FALLOC_MAX_ORDER + 1)
#define FALLOC_MAX_ZONES 512           /* tracker ranges the allocator manages */

/* Frames handed out before the allocator existed that come back to it: the
 * page tables the loader built. The kernel frees those one by one as it
 * unmaps (the identity map's tables at takeover), so falloc_init adopts
 * every range of this type as frames already allocated to it. */
#define FALLOC_ADOPTED_TYPE PMEM_KERNEL_PAGETABLES

/* Free blocks are threaded through the free memory itself (a small header at
 * the start of each free block, reached through phys_to_ptr), so the
 * allocator needs no per-frame struct. Two bitmaps per zone, one bit per
 * 4 KiB frame: head_bits marks "this frame heads a free block", so a header
 * is only trusted when the bit says we wrote it; alloc_bits marks "this frame
 * heads an allocated block", so a double free or a foreign address is caught
 * in O(1). */
struct falloc_env {
    void *(*phys_to_ptr)(void *ctx, paddr_t pa);
    void *ctx;
};

struct falloc_zone {
    paddr_t base, end;       /* page-aligned */
    paddr_t seeded_end;      /* [seeded_end, end) is free and not yet seeded (shared/falloc.c) */
    uint64_t *head_bits;     /* one bit per frame: heads a free block */
    uint64_t *alloc_bits;    /* one bit per frame: heads an allocated block */
};

struct falloc {
    struct falloc_env env;
    struct pmem *pm;                       /* the tracker it keeps true */
    struct falloc_zone zones[FALLOC_MAX_ZONES];  /* sorted by base */
    size_t nzones;
    size_t seed_zone;                      /* first zone not wholly seeded; nzones: none */
    paddr_t free_head[FALLOC_ORDERS];      /* 0 = empty list */
    uint64_t free_count[FALLOC_ORDERS];    /* blocks on each list */
    uint64_t used_bytes[PMEM_TYPE_COUNT];  /* handed out, by type */
    uint64_t free_bytes;
    uint64_t managed_bytes;
    /* Frames lent to frame caches (falloc_take_frames) and not yet returned
     * or settled: free memory held elsewhere. Modular (uint64_t wraps): a
     * cache may return frames it took back from users before it settles
     * what it handed out, so in between this can pass below zero. */
    uint64_t lent_bytes;
};

/* Bytes of bitmap storage falloc_init needs for the tracker's usable and
 * adopted ranges: two bitmaps per zone, each rounded up to 8-byte words
 * (2 bits per 4 KiB frame: 64 MiB for 1 TiB of RAM). The caller usually allocates this from the
 * tracker (pmem_alloc, lowest first), which only shrinks usable ranges, so
 * the value computed before that allocation is still enough after it. */
uint64_t falloc_metadata_bytes(const struct pmem *pm);

/* Take over every PMEM_USABLE range of `pm` (up to FALLOC_MAX_ZONES, the
 * largest first if there are more; ties go to the lower address) and adopt
 * every FALLOC_ADOPTED_TYPE range. Frame 0 is never managed: 0 terminates
 * the free lists. `metadata` must be 8-byte aligned and hold
 * falloc_metadata_bytes(pm) bytes (-E_CAPACITY otherwise); it is zeroed
 * here. Writes nothing into the free memory itself: usable zones are seeded
 * (carved into blocks with headers) on demand, lowest address first, when
 * the blocks seeded so far cannot serve a request (shared/falloc.c, "Lazy
 * seeding").
 *
 * Adoption: each adopted range becomes a zone of its own (they come before
 * usable ranges for the FALLOC_MAX_ZONES slots; more adopted ranges than
 * that is -E_CAPACITY) whose every frame is a 4 KiB block allocated to
 * FALLOC_ADOPTED_TYPE, as if falloc_alloc had handed it out: falloc_free
 * takes it back, and it is then free memory like any other. The adopted
 * range is retyped PMEM_USABLE in the tracker, so falloc_totals() is the
 * same before and after init. The tracker needs one spare entry if an
 * adopted range holds frame 0 (-E_CAPACITY, changing nothing, otherwise).
 *
 * Ranges stay typed PMEM_USABLE in the tracker itself; falloc_totals()
 * reports what is handed out. The tracker's usable ranges must not change
 * behind the allocator's back while it lives (use falloc_alloc /
 * falloc_free). */
int falloc_init(struct falloc *fa, const struct falloc_env *env, struct pmem *pm,
                void *metadata, uint64_t metadata_bytes);

/* Allocate one block of `size` bytes (a power of two from 4 KiB to 1 GiB),
 * aligned to its size, accounted to `type` (an owned type:
 * pmem_type_is_owned). The smallest seeded free block that fits is split,
 * so large blocks stay whole as long as possible; memory is seeded only when
 * no seeded block fits.
 * max_end != 0: the block lies entirely below max_end. If max_end is below
 * the end of managed memory, it is the lowest such block (slower path: scans
 * the free-head bitmap below max_end, O(frames below max_end / 64 + free
 * heads met)); a max_end at or above it is no constraint and costs nothing.
 * Returns 0 and *out, or -E_NOMEM, or -E_INVAL for bad arguments or a free
 * block whose header was overwritten (a use after free: never followed). The
 * frame's contents are not zeroed. */
int falloc_alloc(struct falloc *fa, uint64_t size, paddr_t max_end, enum pmem_type type,
                 paddr_t *out);

/* Return a block given out by falloc_alloc with the same size and type.
 * -E_INVAL, changing nothing, for: an address falloc does not manage or did
 * not hand out (foreign, interior, double free), a size larger than the
 * block, a type with fewer bytes outstanding than `size`. A size smaller than
 * the block is not detectable from the bitmaps: it is the caller's contract.
 * O(1) plus one merge per order climbed. */
int falloc_free(struct falloc *fa, paddr_t pa, uint64_t size, enum pmem_type type);

/* ---- frame caches (include/falloc_cache.h): batches of 4 KiB frames ---- */

/* Lend up to n 4 KiB frames to a cache: each is marked allocated (its own
 * 4 KiB block, I2) and counted in lent_bytes, not in any type. Takes
 * aligned blocks of up to n frames whole where it can (one header read per
 * block, none written per frame): the smallest free block that holds
 * 2^floor(log2(left)) frames, else the largest smaller one. *got: frames
 * written to out. -E_NOMEM when not one frame is free; -E_INVAL for a
 * scribbled header (frames already taken stay in out, counted). */
int falloc_take_frames(struct falloc *fa, paddr_t *out, unsigned n, unsigned *got);

/* Return n frames lent by falloc_take_frames (or handed out by falloc_alloc
 * as 4 KiB blocks: a cache takes back what users free). Sorts `frames` in
 * place; runs of frames that make a whole aligned block go back as that
 * block (one header written, not one per frame). All or nothing: -E_INVAL,
 * changing nothing but the order of `frames`, if any frame is not managed,
 * not allocated, or listed twice. lent_bytes -= n frames. */
int falloc_return_frames(struct falloc *fa, paddr_t *frames, unsigned n);

/* Book what caches handed out: used_bytes[t] += delta[t] for every type,
 * lent_bytes -= the sum. -E_INVAL, changing nothing, if a delta is set for
 * a type that is not owned or would take used_bytes[t] below zero (a frame
 * freed as another type than it was allocated as). */
int falloc_settle(struct falloc *fa, const int64_t delta[PMEM_TYPE_COUNT]);

/* The tracker's totals with the allocator's handed-out bytes moved from
 * usable to their types: what the machine's memory is used for now. Lent
 * frames count as usable: exact once every cache is drained and settled. */
void falloc_totals(const struct falloc *fa, uint64_t totals[PMEM_TYPE_COUNT]);

/* True when pa lies in a free block (for tests and self-checks; O(log)). */
bool falloc_is_free(const struct falloc *fa, paddr_t pa);

/* Call visit(ctx, base, size) for every free block, in address order; the
 * unseeded part of a zone as the blocks seeding will carve from it. */
void falloc_walk_free(const struct falloc *fa,
                      void (*visit)(void *ctx, paddr_t base, uint64_t size), void *ctx);

/* Check every invariant listed at the top of shared/falloc.c: lists, bitmaps,
 * headers, merging, byte counts, and zones against the tracker's usable
 * ranges. O(free blocks + managed frames / 64 + tracker entries + zones *
 * log(tracker entries)). For tests and the kernel's self-checks (accounting,
 * smp-stress: kmem_check in kernel/mm.c). */
bool falloc_check(const struct falloc *fa);

#endif

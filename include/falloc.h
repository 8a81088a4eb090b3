/* Fast frame allocator: a binary buddy allocator over the tracker's usable
 * memory. 4 KiB alloc/free are O(1) amortised (O(log) worst case: at most
 * FALLOC_ORDERS splits or merges); 2 MiB and 1 GiB aligned blocks come from
 * the same pool. The tracker stays true through falloc_totals(). */
#ifndef PAGODA_FALLOC_H
#define PAGODA_FALLOC_H

#include "pmem.h"

#define FALLOC_MAX_ORDER 18            /* 4 KiB << 18 = 1 GiB */
#define FALLOC_ORDERS    (FALLOC_MAX_ORDER + 1)
#define FALLOC_MAX_ZONES 512           /* usable ranges the allocator manages */

/* Free blocks are threaded through the free memory itself (a small header at
 * the start of each free block, reached through phys_to_ptr), so the
 * allocator needs no per-frame struct. A bitmap, one bit per 4 KiB frame of a
 * zone, marks "this frame heads a free block" so that a header is only trusted
 * when the bit says we wrote it. */
struct falloc_env {
    void *(*phys_to_ptr)(void *ctx, paddr_t pa);
    void *ctx;
};

struct falloc_zone {
    paddr_t base, end;       /* page-aligned */
    uint64_t *head_bits;     /* one bit per frame: heads a free block */
};

struct falloc {
    struct falloc_env env;
    struct pmem *pm;                       /* the tracker it keeps true */
    struct falloc_zone zones[FALLOC_MAX_ZONES];
    size_t nzones;
    paddr_t free_head[FALLOC_ORDERS];      /* 0 = empty list */
    uint64_t free_count[FALLOC_ORDERS];    /* blocks on each list */
    uint64_t used_bytes[PMEM_TYPE_COUNT];  /* handed out, by type */
    uint64_t free_bytes;
    uint64_t managed_bytes;
};

/* Bytes of bitmap storage falloc_init needs for the tracker's usable ranges
 * (rounded up to 8-byte words per zone). */
uint64_t falloc_metadata_bytes(const struct pmem *pm);

/* Take over every PMEM_USABLE range of `pm` (up to FALLOC_MAX_ZONES, the
 * largest first if there are more). `metadata` must hold
 * falloc_metadata_bytes(pm) bytes; it is zeroed here. Ranges stay typed
 * PMEM_USABLE in the tracker itself; falloc_totals() reports what is handed
 * out. The tracker's usable ranges must not change behind the allocator's
 * back while it lives (use falloc_alloc / falloc_free). */
int falloc_init(struct falloc *fa, const struct falloc_env *env, struct pmem *pm,
                void *metadata, uint64_t metadata_bytes);

/* Allocate one block of `size` bytes (a power of two from 4 KiB to 1 GiB),
 * aligned to its size, accounted to `type` (not PMEM_USABLE). Below
 * `max_end` if non-zero (slower path: scans the list). Returns 0 and *out,
 * or -E_NOMEM / -E_INVAL. The frame's contents are not zeroed. */
int falloc_alloc(struct falloc *fa, uint64_t size, paddr_t max_end, enum pmem_type type,
                 paddr_t *out);

/* Return a block given out by falloc_alloc with the same size and type.
 * Detects double free and foreign addresses: -E_INVAL. */
int falloc_free(struct falloc *fa, paddr_t pa, uint64_t size, enum pmem_type type);

/* The tracker's totals with the allocator's handed-out bytes moved from
 * usable to their types: what the machine's memory is used for now. */
void falloc_totals(const struct falloc *fa, uint64_t totals[PMEM_TYPE_COUNT]);

/* True when pa lies in a free block (for tests and self-checks; O(log)). */
bool falloc_is_free(const struct falloc *fa, paddr_t pa);

#endif

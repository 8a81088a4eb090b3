/* Binary buddy frame allocator over the tracker's usable ranges and the
 * loader's page tables it adopts.
 * Contract: include/falloc.h. Design and complexity: docs/memory.md.
 * Which ranges become zones, and their bitmaps: shared/falloc_zones.c.
 *
 * A block of order k is PAGE_SIZE << k bytes, aligned to its size in the
 * physical address space, and lies inside one zone (one tracker range). Zone
 * edges need not be aligned: a zone is carved into the largest aligned blocks
 * that fit, and a buddy reaching outside the zone is never merged with. A
 * zone adopted from the loader's page tables (FALLOC_ADOPTED_TYPE) starts
 * with every frame allocated and no free block; its frames join the free
 * lists as they are freed.
 *
 * Lazy seeding: a usable zone starts unseeded, free but on no list and with
 * no header written, and is carved into blocks (each released as if freed,
 * so it merges with a free buddy below it) from its base up, zone after zone
 * in address order, only when the seeded blocks cannot serve a request.
 * Writing a header into every initial block touches one page per block all
 * over RAM at boot; under an emulator each first touch of a guest page costs
 * the host a page fault (tens of milliseconds each under load with
 * transparent huge pages), and on hardware it is a cache miss per block
 * that nothing needs yet. With seeding on demand the boot touches only what
 * it allocates (docs/memory.md). Every zone before fa->seed_zone is wholly
 * seeded; in that zone [base, seeded_end) is; everything after is not.
 *
 * Invariants (falloc_check verifies all of them):
 *  I1 A free block of order k is on free list k and nowhere else. Its first
 *     bytes hold a struct free_hdr (order k, its zone, check word); its
 *     head bit is set. No other frame's head bit is set.
 *  I2 An allocated block's first frame has its alloc bit set; no other
 *     frame's alloc bit is set.
 *  I3 Free blocks are disjoint and no two free buddies of one order coexist:
 *     falloc_free merges them.
 *  I4 free_bytes is the sum of free block sizes plus the unseeded bytes;
 *     managed_bytes = free_bytes + the sum of used_bytes[] + lent_bytes
 *     (modulo 2^64: see falloc.h).
 *  I6 Free and allocated blocks lie in the seeded part of their zone.
 *  I5 Every zone lies inside one usable tracker entry, and (unless all
 *     FALLOC_MAX_ZONES zones are taken) the zones cover all of the
 *     tracker's usable memory but frame 0: usable memory nobody can
 *     allocate is a leak, and a sign the tracker changed behind our back.
 * Headers live in memory anyone holding a stale pointer could scribble on,
 * so one is read only after its head bit says we wrote it (I1), and the check
 * word is compared before a header is followed. */
#include "falloc_internal.h"
#include "sorted.h"

#define NO_BLOCK        ((paddr_t)0)  /* list terminator: frame 0 is never managed */
#define FREE_HDR_MAGIC  0x46524545424c4b21ULL  /* "FREEBLK!", xored with the address */
#define ALL_SEEDED      ((paddr_t)UINT64_MAX)   /* seed_frontier when nothing is left */

struct free_hdr {
    paddr_t next, prev;   /* free list of this order, NO_BLOCK at the ends */
    uint64_t check;       /* FREE_HDR_MAGIC ^ the block's address */
    uint32_t order;
    uint32_t zone;        /* index into fa->zones */
};

static uint64_t block_bytes(unsigned order)
{
    return PAGE_SIZE << order;
}

/* Order of a block of `size` bytes, or -1 unless a power of two in
 * [PAGE_SIZE, block_bytes(FALLOC_MAX_ORDER)]. */
static int size_order(uint64_t size)
{
    if (size < PAGE_SIZE || size > block_bytes(FALLOC_MAX_ORDER) || (size & (size - 1)))
        return -1;
    return __builtin_ctzll(size) - PAGE_SHIFT;
}

/* ---- bitmaps ---------------------------------------------------------- */

static size_t frame_index(const struct falloc_zone *z, paddr_t pa)
{
    return (pa - z->base) >> PAGE_SHIFT;
}

static paddr_t frame_addr(const struct falloc_zone *z, uint64_t index)
{
    return z->base + (index << PAGE_SHIFT);
}

static bool bit_test(const uint64_t *bits, size_t i)
{
    return (bits[i / WORD_BITS] >> (i % WORD_BITS)) & 1;
}

static void bit_set(uint64_t *bits, size_t i)
{
    bits[i / WORD_BITS] |= 1ULL << (i % WORD_BITS);
}

static void bit_clear(uint64_t *bits, size_t i)
{
    bits[i / WORD_BITS] &= ~(1ULL << (i % WORD_BITS));
}

/* Any bit set in [from, to)? Word at a time. */
static bool bits_any(const uint64_t *bits, size_t from, size_t to)
{
    while (from < to) {
        size_t bit = from % WORD_BITS;
        size_t span = MIN(WORD_BITS - bit, to - from);
        uint64_t mask = (span == WORD_BITS ? ~0ULL : (1ULL << span) - 1) << bit;

        if (bits[from / WORD_BITS] & mask)
            return true;
        from += span;
    }
    return false;
}

/* ---- zones ------------------------------------------------------------ */

/* Index of the zone holding pa, or -1. O(log zones). */
static long zone_of(const struct falloc *fa, paddr_t pa)
{
    size_t i = SORTED_FIRST_END_AFTER(fa->zones, fa->nzones, pa);
    return i < fa->nzones && fa->zones[i].base <= pa ? (long)i : -1;
}

static bool block_in_zone(const struct falloc_zone *z, paddr_t pa, unsigned order)
{
    return pa >= z->base && pa < z->end && block_bytes(order) <= z->end - pa;
}

/* ---- free lists ------------------------------------------------------- */

static struct free_hdr *hdr_at(const struct falloc *fa, paddr_t pa)
{
    return fa->env.phys_to_ptr(fa->env.ctx, pa);
}

static bool hdr_intact(const struct falloc *fa, paddr_t pa, const struct free_hdr *h)
{
    return h->check == (FREE_HDR_MAGIC ^ pa) && h->order <= FALLOC_MAX_ORDER &&
           h->zone < fa->nzones;
}

/* Header of the free block of order `order` at pa, or NULL if pa heads no
 * such block (head bit clear, other order, or a scribbled header). */
static struct free_hdr *free_block_at(const struct falloc *fa, const struct falloc_zone *z,
                                      paddr_t pa, unsigned order)
{
    if (!block_in_zone(z, pa, order) || !bit_test(z->head_bits, frame_index(z, pa)))
        return NULL;
    struct free_hdr *h = hdr_at(fa, pa);
    return hdr_intact(fa, pa, h) && h->order == order ? h : NULL;
}

static void list_push(struct falloc *fa, unsigned zi, paddr_t pa, unsigned order)
{
    struct falloc_zone *z = &fa->zones[zi];
    paddr_t head = fa->free_head[order];

    *hdr_at(fa, pa) = (struct free_hdr){ .next = head, .prev = NO_BLOCK,
                                         .check = FREE_HDR_MAGIC ^ pa,
                                         .order = order, .zone = zi };
    if (head != NO_BLOCK)
        hdr_at(fa, head)->prev = pa;
    fa->free_head[order] = pa;
    fa->free_count[order]++;
    bit_set(z->head_bits, frame_index(z, pa));
}

static void list_unlink(struct falloc *fa, paddr_t pa, const struct free_hdr *h)
{
    struct falloc_zone *z = &fa->zones[h->zone];

    if (h->prev != NO_BLOCK)
        hdr_at(fa, h->prev)->next = h->next;
    else
        fa->free_head[h->order] = h->next;
    if (h->next != NO_BLOCK)
        hdr_at(fa, h->next)->prev = h->prev;
    fa->free_count[h->order]--;
    bit_clear(z->head_bits, frame_index(z, pa));
}

/* ---- init ------------------------------------------------------------- */

static void release(struct falloc *fa, unsigned zi, paddr_t pa, unsigned order);

/* Largest order of an aligned block at pa that fits in `room` bytes. */
static unsigned largest_order(paddr_t pa, uint64_t room)
{
    unsigned order = MIN(FALLOC_MAX_ORDER, (unsigned)__builtin_ctzll(pa) - PAGE_SHIFT);

    while (block_bytes(order) > room)
        order--;
    return order;
}

/* Carve the next block off the unseeded part and free it; false when all
 * of memory is seeded. */
static bool seed_next(struct falloc *fa)
{
    if (fa->seed_zone >= fa->nzones)
        return false;
    unsigned zi = (unsigned)fa->seed_zone;
    struct falloc_zone *z = &fa->zones[zi];
    paddr_t pa = z->seeded_end;
    unsigned order = largest_order(pa, z->end - pa);

    z->seeded_end = pa + block_bytes(order);
    while (fa->seed_zone < fa->nzones &&
           fa->zones[fa->seed_zone].seeded_end == fa->zones[fa->seed_zone].end)
        fa->seed_zone++;
    release(fa, zi, pa, order);
    return true;
}

static uint64_t unseeded_bytes(const struct falloc_zone *z)
{
    return z->end - z->seeded_end;
}

/* Every frame of an adopted zone becomes a 4 KiB block allocated to
 * FALLOC_ADOPTED_TYPE (I2: each one heads its own block). */
static void adopt_zone(struct falloc *fa, unsigned zi)
{
    const struct falloc_zone *z = &fa->zones[zi];

    for (paddr_t pa = z->base; pa < z->end; pa += PAGE_SIZE)
        bit_set(z->alloc_bits, frame_index(z, pa));
    fa->zones[zi].seeded_end = z->end;
    fa->used_bytes[FALLOC_ADOPTED_TYPE] += z->end - z->base;
}

/* Can every adopted range get a zone and be retyped usable? Retyping a
 * whole tracker entry never adds one; only a range holding frame 0 (never
 * managed) keeps that frame in an entry of its own. */
static bool adoption_fits(const struct pmem *pm)
{
    bool frame0 = pm->count > 0 && pm->ranges[0].base == 0 &&
                  pm->ranges[0].type == FALLOC_ADOPTED_TYPE && pm->ranges[0].end > PAGE_SIZE;

    return falloc_adopted_spans(pm) <= FALLOC_MAX_ZONES && pm->count + frame0 <= pm->capacity;
}

int falloc_init(struct falloc *fa, const struct falloc_env *env, struct pmem *pm,
                void *metadata, uint64_t metadata_bytes)
{
    if (env == NULL || env->phys_to_ptr == NULL || pm == NULL ||
        (uintptr_t)metadata % sizeof(uint64_t) != 0)
        return -E_INVAL;
    uint64_t need = falloc_metadata_bytes(pm);
    if (metadata_bytes < need || (need > 0 && metadata == NULL) || !adoption_fits(pm))
        return -E_CAPACITY;

    __builtin_memset(fa, 0, sizeof(*fa));
    fa->env = *env;
    fa->pm = pm;
    if (need > 0)
        __builtin_memset(metadata, 0, need);

    falloc_zones_init(fa, pm, metadata);
    /* The tracker still types each zone as the range it came from. */
    for (size_t zi = 0; zi < fa->nzones; zi++) {
        struct falloc_zone *z = &fa->zones[zi];
        if (pmem_type_at(pm, z->base) == FALLOC_ADOPTED_TYPE) {
            adopt_zone(fa, (unsigned)zi);
        } else {
            z->seeded_end = z->base;   /* free, on no list yet: seed_next */
            fa->free_bytes += z->end - z->base;
        }
    }
    while (fa->seed_zone < fa->nzones &&
           fa->zones[fa->seed_zone].seeded_end == fa->zones[fa->seed_zone].end)
        fa->seed_zone++;
    fa->managed_bytes = fa->free_bytes + fa->used_bytes[FALLOC_ADOPTED_TYPE];
    /* Adopted zones become usable in the tracker too (the allocator's
     * frames are typed usable there). adoption_fits checked the capacity. */
    for (size_t zi = 0; zi < fa->nzones; zi++) {
        const struct falloc_zone *z = &fa->zones[zi];
        int rc;
        if (pmem_type_at(pm, z->base) == FALLOC_ADOPTED_TYPE &&
            (rc = pmem_retype(pm, z->base, z->end, PMEM_USABLE)) != 0)
            return rc;
    }
    return 0;
}

/* ---- alloc ------------------------------------------------------------ */

/* Unlink the smallest free block of order >= `order`. */
static int take_smallest(struct falloc *fa, unsigned order, paddr_t *pa, unsigned *from,
                         unsigned *zi)
{
    unsigned j;

    for (;;) {
        j = order;
        while (j <= FALLOC_MAX_ORDER && fa->free_head[j] == NO_BLOCK)
            j++;
        if (j <= FALLOC_MAX_ORDER)
            break;
        if (!seed_next(fa))
            return -E_NOMEM;
    }
    const struct free_hdr *h = hdr_at(fa, fa->free_head[j]);
    if (!hdr_intact(fa, fa->free_head[j], h) || h->order != j)
        return -E_INVAL;
    *pa = fa->free_head[j];
    *from = j;
    *zi = h->zone;
    list_unlink(fa, *pa, h);
    return 0;
}

/* Unlink the lowest free block that holds an aligned block of `order` ending
 * at or below max_end. Such a block is itself aligned to at least that size,
 * so misaligned heads are skipped without reading their header. Heads are
 * met in address order (zones are sorted), so the first head past the limit
 * ends the search. */
static int scan_lowest_below(struct falloc *fa, unsigned order, paddr_t max_end, paddr_t *pa,
                             unsigned *from, unsigned *zi)
{
    uint64_t size = block_bytes(order);

    if (max_end < size)
        return -E_NOMEM;
    for (size_t z = 0; z < fa->nzones && fa->zones[z].base <= max_end - size; z++) {
        const struct falloc_zone *zone = &fa->zones[z];
        uint64_t words = zone_words(zone->base, zone->end);

        for (uint64_t w = 0; w < words; w++) {
            for (uint64_t bits = zone->head_bits[w]; bits != 0; bits &= bits - 1) {
                paddr_t at = frame_addr(zone, w * WORD_BITS + (uint64_t)__builtin_ctzll(bits));

                if (at > max_end - size)
                    return -E_NOMEM;
                if (!IS_ALIGNED(at, size))
                    continue;
                const struct free_hdr *h = hdr_at(fa, at);
                if (!hdr_intact(fa, at, h))
                    return -E_INVAL;
                if (h->order < order)
                    continue;
                *pa = at;
                *from = h->order;
                *zi = (unsigned)z;
                list_unlink(fa, at, h);
                return 0;
            }
        }
    }
    return -E_NOMEM;
}

/* Lowest address not yet seeded, or ALL_SEEDED when everything is. */
static paddr_t seed_frontier(const struct falloc *fa)
{
    return fa->seed_zone < fa->nzones ? fa->zones[fa->seed_zone].seeded_end : ALL_SEEDED;
}

/* Below the seed frontier everything is seeded, so the lowest block found
 * there is the lowest of all; above it, unseeded memory may hold a lower
 * one than an adopted zone's free block. So look below the frontier only,
 * and seed on while it lies below max_end. */
static int take_lowest_below(struct falloc *fa, unsigned order, paddr_t max_end, paddr_t *pa,
                             unsigned *from, unsigned *zi)
{
    for (;;) {
        paddr_t frontier = seed_frontier(fa);
        int rc = scan_lowest_below(fa, order, MIN(max_end, frontier), pa, from, zi);

        if (rc != -E_NOMEM || frontier >= max_end || !seed_next(fa))
            return rc;
    }
}

/* Split the block of order `from` at pa down to `order`, keeping the low
 * half each time and freeing the high one. */
static void split_down(struct falloc *fa, unsigned zi, paddr_t pa, unsigned from, unsigned order)
{
    while (from > order) {
        from--;
        list_push(fa, zi, pa + block_bytes(from), from);
    }
}

int falloc_alloc(struct falloc *fa, uint64_t size, paddr_t max_end, enum pmem_type type,
                 paddr_t *out)
{
    int order = size_order(size);
    paddr_t pa;
    unsigned from, zi;
    int rc;

    if (order < 0 || !pmem_type_is_owned(type))
        return -E_INVAL;
    if (max_end != 0 && (fa->nzones == 0 || max_end < fa->zones[fa->nzones - 1].end))
        rc = take_lowest_below(fa, (unsigned)order, max_end, &pa, &from, &zi);
    else
        rc = take_smallest(fa, (unsigned)order, &pa, &from, &zi);
    if (rc)
        return rc;
    split_down(fa, zi, pa, from, (unsigned)order);

    struct falloc_zone *z = &fa->zones[zi];
    bit_set(z->alloc_bits, frame_index(z, pa));
    fa->used_bytes[type] += size;
    fa->free_bytes -= size;
    *out = pa;
    return 0;
}

/* ---- free ------------------------------------------------------------- */

/* Merge the free block at pa with its buddy while the buddy is free and
 * whole, then push the result. */
static void release(struct falloc *fa, unsigned zi, paddr_t pa, unsigned order)
{
    const struct falloc_zone *z = &fa->zones[zi];

    while (order < FALLOC_MAX_ORDER) {
        paddr_t buddy = pa ^ block_bytes(order);
        const struct free_hdr *h = free_block_at(fa, z, buddy, order);

        if (h == NULL)
            break;
        list_unlink(fa, buddy, h);
        pa = MIN(pa, buddy);
        order++;
    }
    list_push(fa, zi, pa, order);
}

/* The miss free cannot avoid is the header it writes into the block, cold
 * when a frame comes back long after it was handed out; the buddy's header
 * is read next if the buddy is free. Starting both loads before the
 * bookkeeping overlaps them with it (measured: 4 KiB frees in address order
 * over 4 GiB went from ~120 to ~30 ns). A prefetch never faults. */
static void prefetch_for_free(const struct falloc *fa, const struct falloc_zone *z, paddr_t pa,
                              unsigned order)
{
    paddr_t buddy = pa ^ block_bytes(order);

    __builtin_prefetch(hdr_at(fa, pa), 1);
    if (block_in_zone(z, buddy, order))
        __builtin_prefetch(hdr_at(fa, buddy), 0);
}

int falloc_free(struct falloc *fa, paddr_t pa, uint64_t size, enum pmem_type type)
{
    int order = size_order(size);

    if (order < 0 || !pmem_type_is_owned(type) || !IS_ALIGNED(pa, size))
        return -E_INVAL;
    long zi = zone_of(fa, pa);
    if (zi < 0)
        return -E_INVAL;
    struct falloc_zone *z = &fa->zones[zi];
    size_t first = frame_index(z, pa), frames = (size_t)(size >> PAGE_SHIFT);
    if (size > z->end - pa || !bit_test(z->alloc_bits, first))
        return -E_INVAL;
    /* A head inside the range: the block handed out was smaller. */
    if (bits_any(z->alloc_bits, first + 1, first + frames) ||
        bits_any(z->head_bits, first + 1, first + frames))
        return -E_INVAL;
    if (fa->used_bytes[type] < size)
        return -E_INVAL;

    prefetch_for_free(fa, z, pa, (unsigned)order);
    bit_clear(z->alloc_bits, first);
    fa->used_bytes[type] -= size;
    fa->free_bytes += size;
    release(fa, (unsigned)zi, pa, (unsigned)order);
    return 0;
}

/* ---- frame caches: lending and returning batches ----------------------- */

static void bits_set_range(uint64_t *bits, size_t from, size_t n)
{
    for (size_t to = from + n; from < to;) {
        size_t bit = from % WORD_BITS;
        size_t span = MIN(WORD_BITS - bit, to - from);
        bits[from / WORD_BITS] |= (span == WORD_BITS ? ~0ULL : (1ULL << span) - 1) << bit;
        from += span;
    }
}

static void bits_clear_range(uint64_t *bits, size_t from, size_t n)
{
    for (size_t to = from + n; from < to;) {
        size_t bit = from % WORD_BITS;
        size_t span = MIN(WORD_BITS - bit, to - from);
        bits[from / WORD_BITS] &= ~((span == WORD_BITS ? ~0ULL : (1ULL << span) - 1) << bit);
        from += span;
    }
}

static unsigned floor_log2(uint64_t n)
{
    return 63u - (unsigned)__builtin_clzll(n);
}

/* The largest order below `order` with a free block, or -1. */
static int largest_nonempty_below(const struct falloc *fa, unsigned order)
{
    for (int j = (int)order - 1; j >= 0; j--)
        if (fa->free_head[j] != NO_BLOCK)
            return j;
    return -1;
}

/* Every frame of the block becomes a lent 4 KiB block (I2); written to out
 * from the top frame down, so a cache popping from its end hands them out
 * in address order. No header is written into the frames. */
static void lend_block(struct falloc *fa, unsigned zi, paddr_t pa, unsigned order, paddr_t *out)
{
    struct falloc_zone *z = &fa->zones[zi];
    uint64_t frames = 1ULL << order;

    bits_set_range(z->alloc_bits, frame_index(z, pa), frames);
    for (uint64_t i = 0; i < frames; i++)
        out[i] = pa + ((frames - 1 - i) << PAGE_SHIFT);
    fa->free_bytes -= block_bytes(order);
    fa->lent_bytes += block_bytes(order);
}

int falloc_take_frames(struct falloc *fa, paddr_t *out, unsigned n, unsigned *got)
{
    *got = 0;
    while (*got < n) {
        unsigned want = MIN(floor_log2(n - *got), FALLOC_MAX_ORDER), from, zi;
        paddr_t pa;
        int rc = take_smallest(fa, want, &pa, &from, &zi);

        if (rc == -E_NOMEM) {
            int smaller = largest_nonempty_below(fa, want);
            if (smaller < 0)
                return *got ? 0 : -E_NOMEM;
            want = (unsigned)smaller;
            rc = take_smallest(fa, want, &pa, &from, &zi);
        }
        if (rc)
            return rc;
        split_down(fa, zi, pa, from, want);
        lend_block(fa, zi, pa, want, out + *got);
        *got += 1u << want;
    }
    return 0;
}

/* Insertion sort: a cache's batches are a few dozen frames, mostly in
 * order already. */
static void sort_frames(paddr_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        paddr_t v = a[i];
        unsigned j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* Zone of pa, trying *zi (the previous frame's: a sorted batch mostly
 * stays in one zone) before the binary search. -1 if unmanaged. */
static long zone_of_near(const struct falloc *fa, paddr_t pa, long zi)
{
    if (zi >= 0 && pa >= fa->zones[zi].base && pa < fa->zones[zi].end)
        return zi;
    return zone_of(fa, pa);
}

/* A frame falloc manages whose alloc bit is set: lent, or a 4 KiB block
 * handed out (a larger block's head passes too: the size is the caller's
 * contract, as for falloc_free). */
static bool frame_returnable(const struct falloc *fa, paddr_t pa, long *zi)
{
    *zi = IS_ALIGNED(pa, PAGE_SIZE) ? zone_of_near(fa, pa, *zi) : -1;
    return *zi >= 0 && bit_test(fa->zones[*zi].alloc_bits, frame_index(&fa->zones[*zi], pa));
}

/* Order of the largest aligned block at a[0] that a[0..n) fills whole and
 * that lies in zone z. a is sorted without duplicates, so 2^k frames from
 * a[0] are contiguous exactly when the last is where it would be. */
static unsigned run_order(const paddr_t *a, unsigned n, const struct falloc_zone *z)
{
    unsigned order = 0;

    while (order < FALLOC_MAX_ORDER && (2u << order) <= n &&
           IS_ALIGNED(a[0], block_bytes(order + 1)) &&
           a[(2u << order) - 1] == a[0] + block_bytes(order + 1) - PAGE_SIZE &&
           block_in_zone(z, a[0], order + 1))
        order++;
    return order;
}

int falloc_return_frames(struct falloc *fa, paddr_t *frames, unsigned n)
{
    long zi = -1;

    sort_frames(frames, n);
    for (unsigned i = 0; i < n; i++)
        if (!frame_returnable(fa, frames[i], &zi) || (i > 0 && frames[i] == frames[i - 1]))
            return -E_INVAL;
    zi = -1;
    for (unsigned i = 0; i < n;) {
        zi = zone_of_near(fa, frames[i], zi);
        struct falloc_zone *z = &fa->zones[zi];
        unsigned order = run_order(frames + i, n - i, z);

        prefetch_for_free(fa, z, frames[i], order);
        bits_clear_range(z->alloc_bits, frame_index(z, frames[i]), 1ULL << order);
        fa->free_bytes += block_bytes(order);
        fa->lent_bytes -= block_bytes(order);
        release(fa, (unsigned)zi, frames[i], order);
        i += 1u << order;
    }
    return 0;
}

int falloc_settle(struct falloc *fa, const int64_t delta[PMEM_TYPE_COUNT])
{
    uint64_t sum = 0;

    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        if (delta[t] != 0 && (!pmem_type_is_owned((enum pmem_type)t) ||
                              (delta[t] < 0 && (uint64_t)-delta[t] > fa->used_bytes[t])))
            return -E_INVAL;
    for (int t = 0; t < PMEM_TYPE_COUNT; t++) {
        fa->used_bytes[t] += (uint64_t)delta[t];
        sum += (uint64_t)delta[t];
    }
    fa->lent_bytes -= sum;
    return 0;
}

/* ---- queries ---------------------------------------------------------- */

void falloc_totals(const struct falloc *fa, uint64_t totals[PMEM_TYPE_COUNT])
{
    pmem_totals(fa->pm, totals);
    for (int t = 0; t < PMEM_TYPE_COUNT; t++) {
        totals[PMEM_USABLE] -= fa->used_bytes[t];
        totals[t] += fa->used_bytes[t];
    }
}

/* A free block holding pa heads at pa rounded down to its size: try each
 * order's candidate; the first head found decides, since free blocks are
 * disjoint. */
bool falloc_is_free(const struct falloc *fa, paddr_t pa)
{
    long zi = zone_of(fa, pa);

    if (zi < 0)
        return false;
    const struct falloc_zone *z = &fa->zones[zi];
    if (pa >= z->seeded_end)
        return true;
    for (unsigned order = 0; order <= FALLOC_MAX_ORDER; order++) {
        paddr_t head = ALIGN_DOWN(pa, block_bytes(order));

        if (head < z->base)
            break;
        if (bit_test(z->head_bits, frame_index(z, head))) {
            const struct free_hdr *h = hdr_at(fa, head);
            return hdr_intact(fa, head, h) && pa - head < block_bytes(h->order);
        }
    }
    return false;
}

void falloc_walk_free(const struct falloc *fa,
                      void (*visit)(void *ctx, paddr_t base, uint64_t size), void *ctx)
{
    for (size_t zi = 0; zi < fa->nzones; zi++) {
        const struct falloc_zone *z = &fa->zones[zi];
        uint64_t words = zone_words(z->base, z->end);

        for (uint64_t w = 0; w < words; w++)
            for (uint64_t bits = z->head_bits[w]; bits != 0; bits &= bits - 1) {
                paddr_t pa = frame_addr(z, w * WORD_BITS + (uint64_t)__builtin_ctzll(bits));
                const struct free_hdr *h = hdr_at(fa, pa);
                if (hdr_intact(fa, pa, h)) /* a scribbled one is falloc_check's to report */
                    visit(ctx, pa, block_bytes(h->order));
            }
        /* The unseeded tail, as the blocks seeding will make of it. */
        for (paddr_t pa = z->seeded_end; pa < z->end;) {
            uint64_t size = block_bytes(largest_order(pa, z->end - pa));
            visit(ctx, pa, size);
            pa += size;
        }
    }
}

/* ---- self-check ------------------------------------------------------- */

/* I1-I3 for one listed block; prev is the block before it on its list. */
static bool check_block(const struct falloc *fa, paddr_t pa, unsigned order, paddr_t prev)
{
    long zi = zone_of(fa, pa);

    if (zi < 0 || !IS_ALIGNED(pa, block_bytes(order)))
        return false;
    const struct falloc_zone *z = &fa->zones[zi];
    size_t first = frame_index(z, pa), frames = (size_t)(block_bytes(order) >> PAGE_SHIFT);
    const struct free_hdr *h = free_block_at(fa, z, pa, order);
    if (h == NULL || h->zone != (uint32_t)zi || h->prev != prev ||
        block_bytes(order) > z->seeded_end - pa)
        return false;
    if (bit_test(z->alloc_bits, first) || bits_any(z->alloc_bits, first + 1, first + frames) ||
        bits_any(z->head_bits, first + 1, first + frames))
        return false;
    return order == FALLOC_MAX_ORDER ||
           free_block_at(fa, z, pa ^ block_bytes(order), order) == NULL;
}

/* I6 and the seeding order: zones before seed_zone wholly seeded, after it
 * wholly unseeded; no head or alloc bit in an unseeded part. Adds the
 * unseeded bytes to *free_sum (I4). */
static bool check_seeding(const struct falloc *fa, uint64_t *free_sum)
{
    for (size_t zi = 0; zi < fa->nzones; zi++) {
        const struct falloc_zone *z = &fa->zones[zi];
        if (z->seeded_end < z->base || z->seeded_end > z->end ||
            (zi < fa->seed_zone && z->seeded_end != z->end))
            return false;
        if (zi > fa->seed_zone && z->seeded_end != z->base && z->seeded_end != z->end)
            return false;
        size_t first = frame_index(z, z->seeded_end), last = frame_index(z, z->end);
        if (bits_any(z->head_bits, first, last) || bits_any(z->alloc_bits, first, last))
            return false;
        *free_sum += unseeded_bytes(z);
    }
    return fa->seed_zone <= fa->nzones;
}

static uint64_t popcount_heads(const struct falloc *fa)
{
    uint64_t n = 0;

    for (size_t zi = 0; zi < fa->nzones; zi++) {
        const struct falloc_zone *z = &fa->zones[zi];
        /* Kernel code cannot call libgcc's __popcountdi2: clear bits. */
        for (uint64_t w = 0; w < zone_words(z->base, z->end); w++)
            for (uint64_t bits = z->head_bits[w]; bits != 0; bits &= bits - 1)
                n++;
    }
    return n;
}

/* I5. Zones are disjoint, so with each inside a usable entry, equal byte
 * sums mean they cover the usable memory exactly. */
static bool check_zones_match_tracker(const struct falloc *fa)
{
    const struct pmem *pm = fa->pm;
    uint64_t zoned = 0, usable = 0;

    for (size_t zi = 0; zi < fa->nzones; zi++) {
        const struct falloc_zone *z = &fa->zones[zi];
        long i = pmem_find(pm, z->base);
        if (i < 0 || pm->ranges[i].type != PMEM_USABLE || pm->ranges[i].end < z->end)
            return false;
        zoned += z->end - z->base;
    }
    if (fa->nzones == FALLOC_MAX_ZONES)
        return true;
    for (size_t i = 0; i < pm->count; i++) {
        const struct pmem_range *r = &pm->ranges[i];
        if (r->type == PMEM_USABLE && r->end > PAGE_SIZE)
            usable += r->end - MAX(r->base, PAGE_SIZE);
    }
    return zoned == usable;
}

bool falloc_check(const struct falloc *fa)
{
    uint64_t free_sum = 0, blocks = 0, used_sum = 0;

    for (unsigned order = 0; order <= FALLOC_MAX_ORDER; order++) {
        uint64_t n = 0;
        paddr_t prev = NO_BLOCK;

        for (paddr_t pa = fa->free_head[order]; pa != NO_BLOCK; pa = hdr_at(fa, pa)->next) {
            if (n++ == fa->free_count[order] || !check_block(fa, pa, order, prev))
                return false; /* a cycle, a miscount or a broken block */
            free_sum += block_bytes(order);
            prev = pa;
        }
        if (n != fa->free_count[order])
            return false;
        blocks += n;
    }
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        used_sum += fa->used_bytes[t];
    if (!check_seeding(fa, &free_sum))
        return false;
    return popcount_heads(fa) == blocks && free_sum == fa->free_bytes &&
           fa->managed_bytes == fa->free_bytes + used_sum + fa->lent_bytes &&
           check_zones_match_tracker(fa);
}

/* Host tests for shared/falloc.c: carving, split and merge, aligned 2 MiB and
 * 1 GiB blocks, max_end, accounting, misuse detection, zone selection, and
 * OVMF maps up to 1 TiB (the "physical" space is a MAP_NORESERVE arena, so
 * only the pages holding free-block headers cost memory), adoption of the
 * loader's page tables. Random sequences
 * against a frame model live in test_falloc_property.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "common/falloc_fixture.h"
#include "common/maps.h"
#include "common/rng.h"
#include "falloc.h"

#define P(n)        ((paddr_t)(n) * PAGE_SIZE)
#define RAW(b, l, t) { .base = (b), .length = (l), .type = PMEM_##t }
#define BLOCKS_MAX  4096

static void assert_blocks(const struct falloc *fa, const struct fblock *want, size_t n)
{
    static struct fblock got[BLOCKS_MAX];
    size_t ng = fixture_free_blocks(fa, got, BLOCKS_MAX);

    for (size_t i = 0; i < MIN(n, ng); i++)
        if (got[i].base != want[i].base || got[i].size != want[i].size)
            fail_msg("free block %zu: [%#llx +%#llx), want [%#llx +%#llx)", i,
                     (unsigned long long)got[i].base, (unsigned long long)got[i].size,
                     (unsigned long long)want[i].base, (unsigned long long)want[i].size);
    assert_int_equal(ng, n);
}

/* Allocate and expect success; returns the block. */
static paddr_t must_alloc(struct falloc *fa, uint64_t size, paddr_t max_end, enum pmem_type t)
{
    paddr_t pa = 0;
    int rc = falloc_alloc(fa, size, max_end, t, &pa);

    if (rc != 0)
        fail_msg("falloc_alloc(%#llx, max_end %#llx): %d", (unsigned long long)size,
                 (unsigned long long)max_end, rc);
    assert_true(IS_ALIGNED(pa, size));
    assert_false(falloc_is_free(fa, pa));
    return pa;
}

/* [0, 64 KiB) usable. Frame 0 is never managed; the rest is carved into the
 * largest aligned blocks:
 *   0    4K   8K        16K                 32K                                   64K
 *   |////| 4K |   8K    |       16K         |                 32K                  |
 */
static void test_carving(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(0, 64 * KiB, USABLE) };
    struct falloc_fixture *f = fixture_new(raw, 1);
    const struct fblock want[] = { { P(1), P(1) }, { P(2), P(2) }, { P(4), P(4) }, { P(8), P(8) } };

    assert_blocks(&f->fa, want, ARRAY_LEN(want));
    assert_int_equal(f->fa.managed_bytes, 60 * KiB);
    assert_int_equal(f->fa.free_bytes, 60 * KiB);
    assert_false(falloc_is_free(&f->fa, 0));
    assert_true(falloc_is_free(&f->fa, P(9) + 123));
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/*  one 1 GiB block at 1 GiB; alloc 4 KiB splits it into 18 blocks:
 *  [4K used][4K][8K][16K] ... [512M]; freeing it merges all the way back. */
static void test_split_and_merge(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(1 * GiB, 1 * GiB, USABLE) };
    struct falloc_fixture *f = fixture_new(raw, 1);
    const struct fblock whole[] = { { 1 * GiB, 1 * GiB } };

    assert_blocks(&f->fa, whole, 1);
    paddr_t pa = must_alloc(&f->fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP);
    assert_int_equal(pa, 1 * GiB);
    struct fblock split[FALLOC_MAX_ORDER];
    for (unsigned k = 0; k < FALLOC_MAX_ORDER; k++)
        split[k] = (struct fblock){ 1 * GiB + (PAGE_SIZE << k), PAGE_SIZE << k };
    assert_blocks(&f->fa, split, FALLOC_MAX_ORDER);
    assert_true(falloc_check(&f->fa));

    /* The next 4 KiB comes from the 4 KiB list, not a new split. */
    assert_int_equal(must_alloc(&f->fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP), 1 * GiB + PAGE_SIZE);
    assert_int_equal(falloc_free(&f->fa, 1 * GiB + PAGE_SIZE, PAGE_SIZE, PMEM_KERNEL_HEAP), 0);
    assert_int_equal(falloc_free(&f->fa, pa, PAGE_SIZE, PMEM_KERNEL_HEAP), 0);
    assert_blocks(&f->fa, whole, 1);
    assert_int_equal(f->fa.used_bytes[PMEM_KERNEL_HEAP], 0);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/* A buddy outside the zone is never merged with: zone [12K, 32K) holds
 * 4K@12K, 16K@16K; freeing 12K must not reach for 8K (not managed). */
static void test_zone_edges(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(0, P(3), RESERVED), RAW(P(3), P(5), USABLE) };
    struct falloc_fixture *f = fixture_new(raw, 2);
    const struct fblock want[] = { { P(3), P(1) }, { P(4), P(4) } };

    assert_blocks(&f->fa, want, 2);
    paddr_t pa = must_alloc(&f->fa, PAGE_SIZE, 0, PMEM_KERNEL_DATA);
    assert_int_equal(pa, P(3));
    assert_int_equal(falloc_free(&f->fa, pa, PAGE_SIZE, PMEM_KERNEL_DATA), 0);
    assert_blocks(&f->fa, want, 2);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/* Count the size-aligned blocks lying wholly in the usable ranges. */
static uint64_t aligned_blocks(const struct pmem *pm, uint64_t size)
{
    uint64_t n = 0;

    for (size_t i = 0; i < pm->count; i++) {
        const struct pmem_range *r = &pm->ranges[i];
        paddr_t b = ALIGN_UP(MAX(r->base, PAGE_SIZE), size);
        if (r->type == PMEM_USABLE && b < r->end)
            n += (r->end - b) / size;
    }
    return n;
}

static void test_ovmf_16g_huge_blocks(void **state)
{
    (void)state;
    struct pmem_raw raw[OVMF_MAP_MAX];
    size_t n = map_ovmf(raw, ARRAY_LEN(raw), 16 * GiB, 3);
    struct falloc_fixture *f = fixture_new(raw, n);
    uint64_t initial_free = f->fa.free_bytes;
    static paddr_t got[64];
    size_t ngot = 0;
    paddr_t pa;

    /* Every 1 GiB-aligned whole gigabyte of usable RAM, then no more. */
    uint64_t expect_1g = aligned_blocks(&f->pm, PAGE_SIZE_1G);
    assert_true(expect_1g >= 14);
    while (falloc_alloc(&f->fa, PAGE_SIZE_1G, 0, PMEM_KERNEL_HEAP, &pa) == 0) {
        assert_true(IS_ALIGNED(pa, PAGE_SIZE_1G));
        assert_int_equal(pmem_type_at(&f->pm, pa), PMEM_USABLE);
        assert_int_equal(pmem_type_at(&f->pm, pa + PAGE_SIZE_1G - 1), PMEM_USABLE);
        got[ngot++] = pa;
    }
    assert_int_equal(ngot, expect_1g);
    /* 2 MiB blocks still come from what is left (below 2 GiB). */
    paddr_t two = must_alloc(&f->fa, PAGE_SIZE_2M, 0, PMEM_KERNEL_PAGETABLES);
    assert_true(two < Q35_LOWMEM_MAX);
    assert_true(falloc_check(&f->fa));

    uint64_t totals[PMEM_TYPE_COUNT];
    falloc_totals(&f->fa, totals);
    assert_int_equal(totals[PMEM_KERNEL_HEAP], ngot * PAGE_SIZE_1G);
    assert_int_equal(totals[PMEM_KERNEL_PAGETABLES], PAGE_SIZE_2M);
    uint64_t sum = 0;
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        sum += totals[t];
    assert_int_equal(sum, pmem_total_bytes(&f->pm));

    for (size_t i = 0; i < ngot; i++)
        assert_int_equal(falloc_free(&f->fa, got[i], PAGE_SIZE_1G, PMEM_KERNEL_HEAP), 0);
    assert_int_equal(falloc_free(&f->fa, two, PAGE_SIZE_2M, PMEM_KERNEL_PAGETABLES), 0);
    assert_int_equal(f->fa.free_bytes, initial_free);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

static void test_max_end(void **state)
{
    (void)state;
    struct pmem_raw raw[OVMF_MAP_MAX];
    size_t n = map_ovmf(raw, ARRAY_LEN(raw), 16 * GiB, 4);
    struct falloc_fixture *f = fixture_new(raw, n);

    /* AP trampoline: the lowest free frames below 1 MiB, frame 0 excluded. */
    assert_int_equal(must_alloc(&f->fa, PAGE_SIZE, 1 * MiB, PMEM_AP_TRAMPOLINE), P(1));
    assert_int_equal(must_alloc(&f->fa, PAGE_SIZE, 1 * MiB, PMEM_AP_TRAMPOLINE), P(2));
    /* 32-bit DMA: below 4 GiB, here the lowest 2 MiB-aligned free block. */
    paddr_t dma = must_alloc(&f->fa, PAGE_SIZE_2M, 4 * GiB, PMEM_KERNEL_DATA);
    assert_int_equal(dma, 2 * MiB);
    /* A block must end below max_end, not only start below it. */
    paddr_t none;
    assert_int_equal(falloc_alloc(&f->fa, PAGE_SIZE_2M, 3 * MiB, PMEM_KERNEL_DATA, &none),
                     -E_NOMEM);
    assert_int_equal(falloc_alloc(&f->fa, PAGE_SIZE, PAGE_SIZE, PMEM_KERNEL_DATA, &none),
                     -E_NOMEM);
    /* Exhaust low memory below 640 KiB: 0x9F frames minus the two taken. */
    unsigned taken = 0;
    while (falloc_alloc(&f->fa, PAGE_SIZE, LEGACY_HOLE_BASE, PMEM_AP_TRAMPOLINE, &none) == 0) {
        assert_true(none < LEGACY_HOLE_BASE);
        taken++;
    }
    assert_int_equal(taken, LEGACY_HOLE_BASE / PAGE_SIZE - 1 - 2);
    /* No whole gigabyte below 4 GiB: firmware owns the top of [1G, 2G). The
     * lowest one below 5 GiB is the first of high memory. */
    assert_int_equal(falloc_alloc(&f->fa, PAGE_SIZE_1G, 4 * GiB, PMEM_KERNEL_HEAP, &none),
                     -E_NOMEM);
    assert_int_equal(must_alloc(&f->fa, PAGE_SIZE_1G, 5 * GiB, PMEM_KERNEL_HEAP), 4 * GiB);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/* Every misuse returns -E_INVAL and changes nothing. */
static void test_misuse(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(0, 16 * MiB, USABLE), RAW(16 * MiB, 1 * MiB, RESERVED),
                                    RAW(32 * MiB, 16 * MiB, USABLE) };
    struct falloc_fixture *f = fixture_new(raw, ARRAY_LEN(raw));
    struct falloc *fa = &f->fa;
    paddr_t small = must_alloc(fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP);
    paddr_t even = must_alloc(fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP);  /* 8 KiB-aligned */
    paddr_t big = must_alloc(fa, PAGE_SIZE_2M, 0, PMEM_KERNEL_STACK);
    paddr_t pa;
    struct { const char *what; paddr_t pa; uint64_t size; enum pmem_type type; } bad[] = {
        { "interior frame of a 2 MiB block", big + PAGE_SIZE, PAGE_SIZE, PMEM_KERNEL_STACK },
        { "a never-allocated free frame", big + PAGE_SIZE_2M, PAGE_SIZE, PMEM_KERNEL_STACK },
        { "reserved memory (foreign)", 16 * MiB, PAGE_SIZE, PMEM_KERNEL_HEAP },
        { "a gap (foreign)", 20 * MiB, PAGE_SIZE, PMEM_KERNEL_HEAP },
        { "frame 0 (never managed)", 0, PAGE_SIZE, PMEM_KERNEL_HEAP },
        { "far beyond memory", 1 * TiB, PAGE_SIZE, PMEM_KERNEL_HEAP },
        { "a size larger than the block", even, 2 * PAGE_SIZE, PMEM_KERNEL_HEAP },
        { "a type with nothing outstanding", small, PAGE_SIZE, PMEM_KERNEL_DATA },
        { "an unowned type", small, PAGE_SIZE, PMEM_USABLE },
        { "a misaligned address", small + 8, PAGE_SIZE, PMEM_KERNEL_HEAP },
        { "a size that is not a power of two", small, 3 * PAGE_SIZE, PMEM_KERNEL_HEAP },
        { "a size above 1 GiB", 0, 2 * PAGE_SIZE_1G, PMEM_KERNEL_HEAP },
    };
    uint64_t free_before = fa->free_bytes;

    assert_true(IS_ALIGNED(even, 2 * PAGE_SIZE));
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int rc = falloc_free(fa, bad[i].pa, bad[i].size, bad[i].type);
        if (rc != -E_INVAL)
            fail_msg("free of %s: %d", bad[i].what, rc);
        assert_int_equal(fa->free_bytes, free_before);
        assert_true(falloc_check(fa));
    }
    /* Double free, right after the free and after merging. */
    assert_int_equal(falloc_free(fa, small, PAGE_SIZE, PMEM_KERNEL_HEAP), 0);
    assert_int_equal(falloc_free(fa, small, PAGE_SIZE, PMEM_KERNEL_HEAP), -E_INVAL);
    assert_int_equal(falloc_free(fa, big, PAGE_SIZE_2M, PMEM_KERNEL_STACK), 0);
    assert_int_equal(falloc_free(fa, big, PAGE_SIZE_2M, PMEM_KERNEL_STACK), -E_INVAL);
    assert_true(falloc_check(fa));

    /* Bad allocation requests. */
    assert_int_equal(falloc_alloc(fa, 3 * PAGE_SIZE, 0, PMEM_KERNEL_HEAP, &pa), -E_INVAL);
    assert_int_equal(falloc_alloc(fa, PAGE_SIZE / 2, 0, PMEM_KERNEL_HEAP, &pa), -E_INVAL);
    assert_int_equal(falloc_alloc(fa, 2 * PAGE_SIZE_1G, 0, PMEM_KERNEL_HEAP, &pa), -E_INVAL);
    assert_int_equal(falloc_alloc(fa, PAGE_SIZE, 0, PMEM_USABLE, &pa), -E_INVAL);
    assert_int_equal(falloc_alloc(fa, PAGE_SIZE, 0, PMEM_MMIO, &pa), -E_INVAL);
    assert_int_equal(falloc_alloc(fa, PAGE_SIZE_1G, 0, PMEM_KERNEL_HEAP, &pa), -E_NOMEM);
    fixture_free(f);
}

/* A use after free scribbles over a free block's header: the allocator
 * refuses to follow it rather than hand out garbage. */
static void test_scribbled_header(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(1 * MiB, 1 * MiB, USABLE) };
    struct falloc_fixture *f = fixture_new(raw, 1);
    paddr_t pa = must_alloc(&f->fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP);
    paddr_t next_free = pa + PAGE_SIZE;  /* the 4 KiB buddy, head of list 0 */

    assert_int_equal(f->fa.free_head[0], next_free);
    memset(phys_arena_ptr(&f->arena, next_free), 0xAB, 64);
    assert_false(falloc_check(&f->fa));
    assert_int_equal(falloc_alloc(&f->fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP, &pa), -E_INVAL);
    assert_false(falloc_is_free(&f->fa, next_free));
    fixture_free(f);
}

/* Pages of the arena something has written (fresh anonymous memory is not
 * resident until then): the allocator's touches, seen from outside. */
static size_t resident_pages(const struct phys_arena *a, paddr_t lo, paddr_t hi)
{
    size_t pages = (size_t)(a->size / PAGE_SIZE), n = 0;
    unsigned char *vec = malloc(pages);

    assert_non_null(vec);
    assert_int_equal(mincore(a->base, a->size, vec), 0);
    for (size_t i = (size_t)(lo / PAGE_SIZE); i < MIN(pages, hi / PAGE_SIZE); i++)
        n += vec[i] & 1;
    free(vec);
    return n;
}

/* Lazy seeding: init writes nothing into free memory (eager seeding wrote a
 * header into each of the 8 zones' blocks, all over RAM); the first
 * allocation seeds and touches only the lowest zone; the free-block walk
 * and the totals already count every unseeded byte. */
static void test_lazy_seeding(void **state)
{
    (void)state;
    struct pmem_raw raw[8];
    for (size_t i = 0; i < ARRAY_LEN(raw); i++)
        raw[i] = (struct pmem_raw)RAW((i + 1) * 16 * MiB, 8 * MiB, USABLE);
    struct falloc_fixture *f = fixture_new(raw, ARRAY_LEN(raw));
    struct falloc *fa = &f->fa;
    struct fblock want[ARRAY_LEN(raw)];

    assert_int_equal(resident_pages(&f->arena, 0, f->arena.size), 0);
    assert_int_equal(fa->free_bytes, 64 * MiB);
    for (size_t i = 0; i < ARRAY_LEN(raw); i++)
        want[i] = (struct fblock){ (i + 1) * 16 * MiB, 8 * MiB };
    assert_blocks(fa, want, ARRAY_LEN(want));
    assert_true(falloc_is_free(fa, 100 * MiB));
    assert_true(falloc_check(fa));

    paddr_t pa = must_alloc(fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP);
    assert_int_equal(pa, 16 * MiB);
    size_t touched = resident_pages(&f->arena, 0, f->arena.size);
    assert_true(touched >= 1 && touched <= FALLOC_ORDERS);   /* the split's headers */
    assert_int_equal(resident_pages(&f->arena, 16 * MiB, 24 * MiB), touched);
    assert_true(falloc_check(fa));
    assert_int_equal(falloc_free(fa, pa, PAGE_SIZE, PMEM_KERNEL_HEAP), 0);
    assert_blocks(fa, want, ARRAY_LEN(want));
    assert_true(falloc_check(fa));
    fixture_free(f);
}

/* max_end asks for the lowest block. A frame freed into an adopted zone high
 * up is a seeded free block while the usable memory below it is still
 * unseeded: the lowest block is down there, not the freed frame. */
static void test_lowest_below_seeds_first(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(P(16), P(48), USABLE), RAW(P(64), P(2), KERNEL_PAGETABLES),
                                    RAW(P(66), P(190), USABLE) };
    struct falloc_fixture *f = fixture_new(raw, ARRAY_LEN(raw));
    struct falloc *fa = &f->fa;

    assert_int_equal(falloc_free(fa, P(64), PAGE_SIZE, PMEM_KERNEL_PAGETABLES), 0);
    assert_int_equal(must_alloc(fa, PAGE_SIZE, P(100), PMEM_KERNEL_PAGETABLES), P(16));
    paddr_t pa;
    assert_int_equal(falloc_alloc(fa, PAGE_SIZE, P(17), PMEM_KERNEL_PAGETABLES, &pa), -E_NOMEM);
    assert_int_equal(must_alloc(fa, PAGE_SIZE, P(100), PMEM_KERNEL_PAGETABLES), P(17));
    assert_true(falloc_check(fa));
    fixture_free(f);
}

/* Allocate every frame, check each once, free in a scrambled order: the
 * allocator must merge back to exactly the initial blocks. */
static void test_exhaust_and_refill(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(0, 5 * MiB + 12 * KiB, USABLE),
                                    RAW(7 * MiB + 4 * KiB, 3 * MiB, USABLE) };
    struct falloc_fixture *f = fixture_new(raw, 2);
    static struct fblock initial[BLOCKS_MAX];
    size_t ninit = fixture_free_blocks(&f->fa, initial, BLOCKS_MAX);
    uint64_t frames = f->fa.managed_bytes / PAGE_SIZE;
    paddr_t *pa = calloc(frames, sizeof(*pa));
    uint8_t *seen = calloc(f->arena.size / PAGE_SIZE, 1);
    paddr_t extra;

    for (uint64_t i = 0; i < frames; i++) {
        pa[i] = must_alloc(&f->fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP);
        assert_int_equal(pmem_type_at(&f->pm, pa[i]), PMEM_USABLE);
        assert_int_equal(seen[pa[i] / PAGE_SIZE]++, 0);
    }
    assert_int_equal(falloc_alloc(&f->fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP, &extra), -E_NOMEM);
    assert_int_equal(f->fa.free_bytes, 0);
    assert_true(falloc_check(&f->fa));
    uint64_t rng = 11;
    for (uint64_t i = frames; i > 1; i--) {   /* Fisher-Yates */
        uint64_t j = rng_below(&rng, i);
        paddr_t t = pa[i - 1];
        pa[i - 1] = pa[j];
        pa[j] = t;
    }
    for (uint64_t i = 0; i < frames; i++)
        assert_int_equal(falloc_free(&f->fa, pa[i], PAGE_SIZE, PMEM_KERNEL_HEAP), 0);
    assert_blocks(&f->fa, initial, ninit);
    assert_true(falloc_check(&f->fa));
    free(pa);
    free(seen);
    fixture_free(f);
}

/* The kernel's pattern (kernel/mm.c): size the bitmap, take it from the
 * tracker with pmem_alloc, then hand the rest to falloc. */
static void test_metadata_from_tracker(void **state)
{
    (void)state;
    struct pmem_raw raw[OVMF_MAP_MAX];
    size_t n = map_ovmf(raw, ARRAY_LEN(raw), 4 * GiB, 5);
    struct pmem_range storage[2 * OVMF_MAP_MAX];
    struct pmem pm;
    struct phys_arena arena;
    struct falloc *fa = calloc(1, sizeof(*fa));
    paddr_t meta;

    pmem_init(&pm, storage, ARRAY_LEN(storage));
    assert_int_equal(pmem_build(&pm, raw, n, NULL), 0);
    phys_arena_map(&arena, Q35_HIGHMEM_BASE + 2 * GiB, ARENA_SMALL_PAGES);
    uint64_t bytes = ALIGN_UP(falloc_metadata_bytes(&pm), PAGE_SIZE);
    /* 2 bits per frame of ~4 GiB: about 256 KiB. */
    assert_in_range(bytes, 200 * KiB, 300 * KiB);
    assert_int_equal(pmem_alloc(&pm, bytes, PAGE_SIZE, 0, PMEM_KERNEL_DATA, &meta), 0);
    assert_true(falloc_metadata_bytes(&pm) <= bytes);
    const struct falloc_env env = { .phys_to_ptr = phys_arena_ptr, .ctx = &arena };
    assert_int_equal(falloc_init(fa, &env, &pm, phys_arena_ptr(&arena, meta), bytes), 0);
    for (paddr_t a = meta; a < meta + bytes; a += PAGE_SIZE)
        assert_false(falloc_is_free(fa, a));
    assert_true(falloc_check(fa));

    /* Init refuses too little or misaligned metadata, and a missing hook. */
    assert_int_equal(falloc_init(fa, &env, &pm, phys_arena_ptr(&arena, meta), 8), -E_CAPACITY);
    assert_int_equal(falloc_init(fa, &env, &pm, (uint8_t *)phys_arena_ptr(&arena, meta) + 4, bytes),
                     -E_INVAL);
    const struct falloc_env no_hook = { 0 };
    assert_int_equal(falloc_init(fa, &no_hook, &pm, phys_arena_ptr(&arena, meta), bytes), -E_INVAL);
    phys_arena_unmap(&arena);
    free(fa);
}

/* More usable ranges than FALLOC_MAX_ZONES: the largest are taken, ties to
 * the lower address, zones stay sorted, metadata covers exactly those. */
static void test_zone_selection(void **state)
{
    (void)state;
    enum { RANGES = FALLOC_MAX_ZONES + 100 };
    struct pmem_raw *raw = calloc(RANGES, sizeof(*raw));
    paddr_t at = 1 * MiB;

    for (size_t i = 0; i < RANGES; i++) {
        uint64_t pages = 1 + (i * 37) % 200;   /* many equal sizes: ties */
        raw[i] = (struct pmem_raw)RAW(at, P(pages), USABLE);
        at += P(pages + 1);                    /* one-page gap */
    }
    struct falloc_fixture *f = fixture_new(raw, RANGES);
    const struct falloc *fa = &f->fa;

    assert_int_equal(fa->nzones, FALLOC_MAX_ZONES);
    uint64_t smallest_in = UINT64_MAX, largest_out = 0, words = 0;
    paddr_t last_in_at[2 * RANGES] = { 0 };  /* by size in pages: last chosen address */
    paddr_t first_out_at[2 * RANGES] = { 0 };
    for (size_t z = 1; z < fa->nzones; z++)
        assert_true(fa->zones[z - 1].end < fa->zones[z].base);
    for (size_t i = 0, z = 0; i < RANGES; i++) {
        uint64_t size = raw[i].length;
        if (z < fa->nzones && fa->zones[z].base == raw[i].base) {
            smallest_in = MIN(smallest_in, size);
            words += 2 * ((size / PAGE_SIZE + 63) / 64);
            last_in_at[size / PAGE_SIZE] = raw[i].base;
            z++;
        } else {
            largest_out = MAX(largest_out, size);
            if (first_out_at[size / PAGE_SIZE] == 0)
                first_out_at[size / PAGE_SIZE] = raw[i].base;
        }
    }
    assert_true(smallest_in >= largest_out);
    /* Ties at the cutoff size went to the lower addresses. */
    uint64_t cut = smallest_in / PAGE_SIZE;
    if (first_out_at[cut] != 0)
        assert_true(last_in_at[cut] < first_out_at[cut]);
    assert_int_equal(falloc_metadata_bytes(&f->pm), words * 8);
    assert_true(falloc_check(fa));
    fixture_free(f);
    free(raw);
}

static void test_ovmf_1t(void **state)
{
    (void)state;
    struct pmem_raw raw[OVMF_MAP_MAX];
    size_t n = map_ovmf(raw, ARRAY_LEN(raw), 1 * TiB, 6);
    struct falloc_fixture *f = fixture_new(raw, n);
    struct falloc *fa = &f->fa;
    uint64_t frames = fa->managed_bytes / PAGE_SIZE;

    /* Two bits per managed frame, give or take word rounding per zone. */
    assert_true(f->meta_bytes >= frames / 4);
    assert_true(f->meta_bytes <= frames / 4 + fa->nzones * 16);
    assert_true(fa->managed_bytes > 1 * TiB - 1 * GiB);

    paddr_t g = must_alloc(fa, PAGE_SIZE_1G, 0, PMEM_KERNEL_HEAP);
    paddr_t m = must_alloc(fa, PAGE_SIZE_2M, 0, PMEM_KERNEL_PAGETABLES);
    paddr_t k = must_alloc(fa, PAGE_SIZE, 0, PMEM_KERNEL_STACK);
    paddr_t low = must_alloc(fa, PAGE_SIZE, 1 * MiB, PMEM_AP_TRAMPOLINE);
    paddr_t dma = must_alloc(fa, PAGE_SIZE_2M, 4 * GiB, PMEM_KERNEL_DATA);
    assert_true(low < 1 * MiB && dma + PAGE_SIZE_2M <= 4 * GiB);
    assert_true(falloc_check(fa));

    uint64_t totals[PMEM_TYPE_COUNT];
    falloc_totals(fa, totals);
    assert_int_equal(totals[PMEM_KERNEL_HEAP], PAGE_SIZE_1G);
    assert_int_equal(totals[PMEM_KERNEL_DATA], PAGE_SIZE_2M);
    assert_int_equal(totals[PMEM_AP_TRAMPOLINE], PAGE_SIZE);

    assert_int_equal(falloc_free(fa, g, PAGE_SIZE_1G, PMEM_KERNEL_HEAP), 0);
    assert_int_equal(falloc_free(fa, m, PAGE_SIZE_2M, PMEM_KERNEL_PAGETABLES), 0);
    assert_int_equal(falloc_free(fa, k, PAGE_SIZE, PMEM_KERNEL_STACK), 0);
    assert_int_equal(falloc_free(fa, low, PAGE_SIZE, PMEM_AP_TRAMPOLINE), 0);
    assert_int_equal(falloc_free(fa, dma, PAGE_SIZE_2M, PMEM_KERNEL_DATA), 0);
    assert_int_equal(fa->free_bytes, fa->managed_bytes);
    assert_true(falloc_check(fa));
    fixture_free(f);
}

/* The loader's page tables (FALLOC_ADOPTED_TYPE) between two usable
 * ranges: each range its own zone, the tables' frames allocated to the type
 * one by one, the tracker one usable entry, totals unchanged.
 *   0   4K        16K      20K  24K                 64K
 *   |///| usable  | tables (2)  |      usable        |
 * Freeing both table frames merges them into an 8 KiB block at 16K (their
 * own zone: never with the neighbours). */
static void test_adopt_loader_tables(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(0, P(4), USABLE), RAW(P(4), P(2), KERNEL_PAGETABLES),
                                    RAW(P(6), P(10), USABLE) };
    struct falloc_fixture *f = fixture_new(raw, ARRAY_LEN(raw));
    struct falloc *fa = &f->fa;
    uint64_t totals[PMEM_TYPE_COUNT];

    assert_int_equal(fa->nzones, 3);
    assert_int_equal(f->pm.count, 1);
    assert_int_equal(pmem_type_at(&f->pm, P(4)), PMEM_USABLE);
    falloc_totals(fa, totals);
    assert_int_equal(totals[PMEM_KERNEL_PAGETABLES], P(2));
    assert_int_equal(totals[PMEM_USABLE], P(14));
    assert_int_equal(fa->managed_bytes, P(15));
    assert_false(falloc_is_free(fa, P(4)));
    assert_false(falloc_is_free(fa, P(5)));
    assert_true(falloc_check(fa));

    /* Not as one 8 KiB block: each frame is a block of its own. */
    assert_int_equal(falloc_free(fa, P(4), P(2), PMEM_KERNEL_PAGETABLES), -E_INVAL);
    assert_int_equal(falloc_free(fa, P(5), PAGE_SIZE, PMEM_KERNEL_HEAP), -E_INVAL);
    assert_int_equal(falloc_free(fa, P(5), PAGE_SIZE, PMEM_KERNEL_PAGETABLES), 0);
    assert_int_equal(falloc_free(fa, P(5), PAGE_SIZE, PMEM_KERNEL_PAGETABLES), -E_INVAL);
    assert_int_equal(falloc_free(fa, P(4), PAGE_SIZE, PMEM_KERNEL_PAGETABLES), 0);
    const struct fblock want[] = { { P(1), P(1) }, { P(2), P(2) }, { P(4), P(2) },
                                   { P(6), P(2) }, { P(8), P(8) } };
    assert_blocks(fa, want, ARRAY_LEN(want));
    assert_int_equal(fa->used_bytes[PMEM_KERNEL_PAGETABLES], 0);
    assert_true(falloc_check(fa));
    fixture_free(f);
}

/* falloc_check's I5: usable memory that is no zone's (the tracker retyped
 * behind the allocator's back, as the kernel once did with table frames it
 * could not free) is caught; so is a zone that is no longer usable. */
static void test_check_sees_tracker_drift(void **state)
{
    (void)state;
    const struct pmem_raw raw[] = { RAW(0, P(8), USABLE), RAW(P(8), P(2), RESERVED),
                                    RAW(P(10), P(6), USABLE) };
    struct falloc_fixture *f = fixture_new(raw, ARRAY_LEN(raw));

    assert_true(falloc_check(&f->fa));
    assert_int_equal(pmem_retype(&f->pm, P(8), P(9), PMEM_USABLE), 0);
    assert_false(falloc_check(&f->fa));
    assert_int_equal(pmem_retype(&f->pm, P(8), P(9), PMEM_RESERVED), 0);
    assert_true(falloc_check(&f->fa));
    assert_int_equal(pmem_retype(&f->pm, P(12), P(13), PMEM_KERNEL_DATA), 0);
    assert_false(falloc_check(&f->fa));
    fixture_free(f);
}

/* Adopted ranges at frame 0 and past FALLOC_MAX_ZONES. Frame 0 is never
 * managed: it stays typed as before, in an entry of its own (one more
 * tracker entry, refused without a spare one). Adopted ranges take zones
 * before usable ones; more adopted ranges than zones is refused. */
static void test_adopt_limits(void **state)
{
    (void)state;
    struct pmem_range storage[4];
    struct pmem pm;
    struct phys_arena arena;
    struct falloc *fa = calloc(1, sizeof(*fa));
    static uint64_t meta[64];
    const struct pmem_raw at0[] = { RAW(0, P(2), KERNEL_PAGETABLES), RAW(P(3), P(4), USABLE) };

    phys_arena_map(&arena, P(8), ARENA_SMALL_PAGES);
    const struct falloc_env env = { .phys_to_ptr = phys_arena_ptr, .ctx = &arena };
    pmem_init(&pm, storage, ARRAY_LEN(storage));
    assert_int_equal(pmem_build(&pm, at0, ARRAY_LEN(at0), NULL), 0);
    pm.capacity = pm.count;   /* full */
    assert_int_equal(falloc_init(fa, &env, &pm, meta, sizeof(meta)), -E_CAPACITY);
    assert_int_equal(pm.count, 2);
    assert_int_equal(pmem_type_at(&pm, P(1)), PMEM_KERNEL_PAGETABLES);
    pm.capacity = ARRAY_LEN(storage);
    assert_int_equal(falloc_init(fa, &env, &pm, meta, sizeof(meta)), 0);
    assert_int_equal(pmem_type_at(&pm, 0), PMEM_KERNEL_PAGETABLES);
    assert_int_equal(pmem_type_at(&pm, P(1)), PMEM_USABLE);
    assert_int_equal(fa->used_bytes[PMEM_KERNEL_PAGETABLES], P(1));
    assert_int_equal(falloc_free(fa, P(1), PAGE_SIZE, PMEM_KERNEL_PAGETABLES), 0);
    assert_int_equal(falloc_free(fa, 0, PAGE_SIZE, PMEM_KERNEL_PAGETABLES), -E_INVAL);
    assert_true(falloc_check(fa));
    phys_arena_unmap(&arena);
    free(fa);

    /* An adopted range after every 50th of FALLOC_MAX_ZONES + 10 usable
     * ones (the smallest size), one-page gaps between all: every adopted
     * range gets a zone. */
    enum { USABLE_N = FALLOC_MAX_ZONES + 10, EVERY = 50 };
    struct pmem_raw *raw = calloc(2 * USABLE_N, sizeof(*raw));
    size_t n = 0, adopted = 0;
    paddr_t at = 1 * MiB;
    for (size_t i = 0; i < USABLE_N; i++) {
        raw[n++] = (struct pmem_raw)RAW(at, P(2 + i % 7), USABLE);
        at += P(3 + i % 7);
        if (i % EVERY == 0) {
            raw[n++] = (struct pmem_raw)RAW(at, P(1), KERNEL_PAGETABLES);
            at += P(2);
            adopted++;
        }
    }
    struct falloc_fixture *f = fixture_new(raw, n);
    assert_int_equal(f->fa.nzones, FALLOC_MAX_ZONES);
    assert_int_equal(f->fa.used_bytes[PMEM_KERNEL_PAGETABLES], P(adopted));
    for (size_t i = 0; i < n; i++)
        if (raw[i].type == PMEM_KERNEL_PAGETABLES)
            assert_int_equal(falloc_free(&f->fa, raw[i].base, PAGE_SIZE, PMEM_KERNEL_PAGETABLES), 0);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);

    /* More adopted ranges than zones. */
    for (size_t i = 0; i < USABLE_N; i++)
        raw[i].type = PMEM_KERNEL_PAGETABLES;
    struct pmem big;
    pmem_init(&big, calloc(2 * USABLE_N, sizeof(struct pmem_range)), 2 * USABLE_N);
    assert_int_equal(pmem_build(&big, raw, USABLE_N, NULL), 0);
    fa = calloc(1, sizeof(*fa));
    uint64_t bytes = falloc_metadata_bytes(&big);
    void *words = malloc(bytes);
    assert_int_equal(falloc_init(fa, &env, &big, words, bytes), -E_CAPACITY);
    assert_int_equal(pmem_type_at(&big, raw[0].base), PMEM_KERNEL_PAGETABLES);
    free(words);
    free(fa);
    free(big.ranges);
    free(raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_carving),
        cmocka_unit_test(test_split_and_merge),
        cmocka_unit_test(test_zone_edges),
        cmocka_unit_test(test_ovmf_16g_huge_blocks),
        cmocka_unit_test(test_max_end),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_scribbled_header),
        cmocka_unit_test(test_lazy_seeding),
        cmocka_unit_test(test_lowest_below_seeds_first),
        cmocka_unit_test(test_exhaust_and_refill),
        cmocka_unit_test(test_metadata_from_tracker),
        cmocka_unit_test(test_zone_selection),
        cmocka_unit_test(test_ovmf_1t),
        cmocka_unit_test(test_adopt_loader_tables),
        cmocka_unit_test(test_check_sees_tracker_drift),
        cmocka_unit_test(test_adopt_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Property tests for shared/falloc.c: seeded random sequences of allocs,
 * frees and misuse over random maps, checked after every step against a
 * frame model (one state byte per 4 KiB frame).
 *
 * What the model pins down:
 *  - the free set, frame by frame (falloc_walk_free), and the bytes
 *    outstanding per type;
 *  - -E_NOMEM exactly when no size-aligned, wholly free block of the
 *    requested size lies inside one zone: full merging (invariant I3) means
 *    such a block is always a free buddy block or part of one;
 *  - with max_end below the end of managed memory, the exact address: the
 *    lowest such block;
 *  - every misuse (interior frame, free frame, foreign frame, larger size,
 *    type with too little outstanding) is -E_INVAL and changes nothing;
 *  - adoption: the map's FALLOC_ADOPTED_TYPE runs start as one allocated
 *    4 KiB block per frame, are retyped usable in the tracker (totals
 *    unchanged), and merge into the free set as they are freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/falloc_fixture.h"
#include "common/rng.h"
#include "falloc.h"

#define SPACE          (32 * MiB)
#define FRAMES         (SPACE / PAGE_SIZE)
#define STEPS          5000
#define OUTSTANDING    4096
#define ORDER_MAX_TEST 9               /* up to 2 MiB blocks in a 32 MiB space */
#define RAW_MAX        64

enum frame_state { F_UNMANAGED, F_FREE, F_USED };

struct block {
    paddr_t pa;
    unsigned order;
    enum pmem_type type;
};

struct prop {
    struct falloc_fixture *f;
    uint8_t state[FRAMES];
    uint16_t zone[FRAMES];                /* zone index + 1 of managed frames */
    uint64_t used[PMEM_TYPE_COUNT];
    struct block out[OUTSTANDING];
    size_t nout;
    uint64_t rng;
    unsigned long seed, step;
    unsigned long allocs, frees, misuses, nomem, adopted;
};

/* A random map over [0, SPACE): usable runs (frame 0 included sometimes,
 * edges at any page) separated by reserved runs, adopted runs (the loader's
 * page tables, touching usable memory on both sides) and gaps. */
static size_t random_map(uint64_t *rng, struct pmem_raw *raw)
{
    size_t n = 0;
    paddr_t at = rng_below(rng, 2) ? 0 : rng_between(rng, 1, 64) * PAGE_SIZE;

    while (at < SPACE && n + 2 <= RAW_MAX) {
        uint64_t len = rng_between(rng, 1, 2048) * PAGE_SIZE;  /* MIN evaluates twice */
        len = MIN(len, SPACE - at);
        raw[n++] = (struct pmem_raw){ .base = at, .length = len, .type = PMEM_USABLE };
        at += len;
        if (at >= SPACE)
            break;
        len = rng_between(rng, 1, 16) * PAGE_SIZE;
        len = MIN(len, SPACE - at);
        uint64_t kind = rng_below(rng, 3);
        if (kind < 2)
            raw[n++] = (struct pmem_raw){ .base = at, .length = len,
                                          .type = kind ? FALLOC_ADOPTED_TYPE : PMEM_RESERVED };
        at += len;
    }
    return n;
}

/* The model's zones and frame states, restated from the raw map (the
 * tracker itself was retyped by falloc_init): one zone per usable or
 * adopted entry, frame 0 excluded (random_map's entries never touch one of
 * the same type, so each is a tracker entry of its own). Adopted frames are
 * outstanding 4 KiB blocks. */
static void model_init_from(struct prop *p, const struct pmem_raw *raw, size_t n)
{
    const struct falloc *fa = &p->f->fa;
    size_t z = 0;

    memset(p->state, F_UNMANAGED, sizeof(p->state));
    memset(p->zone, 0, sizeof(p->zone));
    for (size_t i = 0; i < n; i++) {
        bool adopted = raw[i].type == FALLOC_ADOPTED_TYPE;
        paddr_t b = MAX(raw[i].base, PAGE_SIZE), e = raw[i].base + raw[i].length;
        if ((raw[i].type != PMEM_USABLE && !adopted) || b >= e)
            continue;
        z++;
        for (paddr_t a = b; a < e; a += PAGE_SIZE) {
            p->state[a / PAGE_SIZE] = adopted ? F_USED : F_FREE;
            p->zone[a / PAGE_SIZE] = (uint16_t)z;
            if (adopted) {
                assert_true(p->nout < OUTSTANDING);
                p->out[p->nout++] = (struct block){ a, 0, FALLOC_ADOPTED_TYPE };
                p->adopted++;
                p->used[FALLOC_ADOPTED_TYPE] += PAGE_SIZE;
            }
        }
    }
    assert_int_equal(fa->nzones, z);
}

/* falloc_init retyped the adopted runs usable and nothing else: the
 * tracker's totals moved, falloc_totals' did not. */
static void check_adoption(const struct prop *p, const struct pmem_raw *raw, size_t n)
{
    uint64_t want[PMEM_TYPE_COUNT] = { 0 }, tracker[PMEM_TYPE_COUNT], totals[PMEM_TYPE_COUNT];

    for (size_t i = 0; i < n; i++)
        want[raw[i].type] += raw[i].length;
    pmem_totals(&p->f->pm, tracker);
    falloc_totals(&p->f->fa, totals);
    for (int t = 0; t < PMEM_TYPE_COUNT; t++) {
        assert_int_equal(totals[t], want[t]);
        if (t == PMEM_USABLE)
            assert_int_equal(tracker[t], want[t] + want[FALLOC_ADOPTED_TYPE]);
        else
            assert_int_equal(tracker[t], t == FALLOC_ADOPTED_TYPE ? 0 : want[t]);
    }
}

/* Is [a, a + size) wholly free inside one zone? */
static bool region_free(const struct prop *p, paddr_t a, uint64_t size)
{
    size_t first = a / PAGE_SIZE, n = size / PAGE_SIZE;

    if (first + n > FRAMES || p->zone[first] == 0)
        return false;
    for (size_t i = first; i < first + n; i++)
        if (p->state[i] != F_FREE || p->zone[i] != p->zone[first])
            return false;
    return true;
}

/* Lowest size-aligned free region ending at or below limit. */
static bool lowest_region(const struct prop *p, uint64_t size, paddr_t limit, paddr_t *at)
{
    for (paddr_t a = 0; a + size <= limit; a += size)
        if (region_free(p, a, size)) {
            *at = a;
            return true;
        }
    return false;
}

static void mark(struct prop *p, paddr_t pa, unsigned order, enum frame_state s)
{
    for (uint64_t i = 0; i < (1ULL << order); i++)
        p->state[pa / PAGE_SIZE + i] = (uint8_t)s;
}

static void step_alloc(struct prop *p)
{
    const struct falloc *fa = &p->f->fa;
    unsigned order = rng_below(&p->rng, 4) ? (unsigned)rng_below(&p->rng, 3)
                                           : (unsigned)rng_below(&p->rng, ORDER_MAX_TEST + 1);
    uint64_t size = PAGE_SIZE << order;
    paddr_t max_end = rng_below(&p->rng, 4) == 0 ? rng_below(&p->rng, SPACE + 1) : 0;
    enum pmem_type type =
        (enum pmem_type)rng_between(&p->rng, PMEM_KERNEL_IMAGE, PMEM_AP_TRAMPOLINE);
    paddr_t managed_end = fa->nzones ? fa->zones[fa->nzones - 1].end : 0;
    bool exact = max_end != 0 && max_end < managed_end;
    paddr_t want = 0, got = 0;
    bool possible = lowest_region(p, size, exact ? max_end : SPACE, &want);

    if (p->nout == OUTSTANDING)
        return;
    int rc = falloc_alloc(&p->f->fa, size, max_end, type, &got);
    if (!possible) {
        if (rc != -E_NOMEM)
            fail_msg("seed %lu step %lu: alloc order %u max_end %#llx: rc %d, model: no room",
                     p->seed, p->step, order, (unsigned long long)max_end, rc);
        p->nomem++;
        return;
    }
    if (rc != 0)
        fail_msg("seed %lu step %lu: alloc order %u max_end %#llx: rc %d, model: %#llx free",
                 p->seed, p->step, order, (unsigned long long)max_end, rc,
                 (unsigned long long)want);
    if (!IS_ALIGNED(got, size) || !region_free(p, got, size) || (exact && got != want))
        fail_msg("seed %lu step %lu: alloc order %u gave %#llx (model lowest %#llx)", p->seed,
                 p->step, order, (unsigned long long)got, (unsigned long long)want);
    mark(p, got, order, F_USED);
    p->used[type] += size;
    p->out[p->nout++] = (struct block){ got, order, type };
    p->allocs++;
}

static void step_free(struct prop *p)
{
    if (p->nout == 0)
        return;
    size_t i = (size_t)rng_below(&p->rng, p->nout);
    struct block b = p->out[i];
    int rc = falloc_free(&p->f->fa, b.pa, PAGE_SIZE << b.order, b.type);

    if (rc != 0)
        fail_msg("seed %lu step %lu: free of %#llx order %u: %d", p->seed, p->step,
                 (unsigned long long)b.pa, b.order, rc);
    mark(p, b.pa, b.order, F_FREE);
    p->used[b.type] -= PAGE_SIZE << b.order;
    p->out[i] = p->out[--p->nout];
    p->frees++;
}

/* A frame in the given state, or false after a bounded search. */
static bool random_frame(struct prop *p, enum frame_state s, paddr_t *pa)
{
    for (int tries = 0; tries < 64; tries++) {
        uint64_t i = rng_below(&p->rng, FRAMES);
        if (p->state[i] == s) {
            *pa = i * PAGE_SIZE;
            return true;
        }
    }
    return false;
}

/* Misuse the model proves invalid; expect -E_INVAL and no change at all. */
static void step_misuse(struct prop *p)
{
    paddr_t pa = 0;
    uint64_t size = PAGE_SIZE;
    enum pmem_type type = PMEM_KERNEL_HEAP;
    const struct block *b = p->nout ? &p->out[rng_below(&p->rng, p->nout)] : NULL;

    switch (rng_below(&p->rng, 5)) {
    case 0: /* an interior frame of a multi-frame block */
        if (b == NULL || b->order == 0)
            return;
        pa = b->pa + rng_between(&p->rng, 1, (1ULL << b->order) - 1) * PAGE_SIZE;
        type = b->type;
        break;
    case 1: /* a free frame: a double free */
        if (!random_frame(p, F_FREE, &pa))
            return;
        break;
    case 2: /* a frame the allocator does not manage */
        if (!random_frame(p, F_UNMANAGED, &pa))
            return;
        break;
    case 3: /* the right head, twice the size */
        if (b == NULL || b->order == FALLOC_MAX_ORDER ||
            !IS_ALIGNED(b->pa, 2 * (PAGE_SIZE << b->order)))
            return;
        pa = b->pa, size = 2 * (PAGE_SIZE << b->order), type = b->type;
        break;
    default: /* the right block, a type with too little outstanding */
        if (b == NULL)
            return;
        pa = b->pa, size = PAGE_SIZE << b->order;
        type = (enum pmem_type)rng_between(&p->rng, PMEM_KERNEL_IMAGE, PMEM_AP_TRAMPOLINE);
        if (p->used[type] >= size)
            return;
        break;
    }
    uint64_t free_before = p->f->fa.free_bytes;
    int rc = falloc_free(&p->f->fa, pa, size, type);
    if (rc != -E_INVAL || p->f->fa.free_bytes != free_before)
        fail_msg("seed %lu step %lu: misuse free(%#llx, %#llx, %s): rc %d", p->seed, p->step,
                 (unsigned long long)pa, (unsigned long long)size, pmem_type_name(type), rc);
    p->misuses++;
}

static void compare_with_model(struct prop *p)
{
    static struct fblock blocks[FRAMES];
    static uint8_t is_free[FRAMES];
    const struct falloc *fa = &p->f->fa;

    if (!falloc_check(fa))
        fail_msg("seed %lu step %lu: falloc_check failed", p->seed, p->step);
    memset(is_free, 0, sizeof(is_free));
    size_t n = fixture_free_blocks(fa, blocks, FRAMES);
    for (size_t i = 0; i < n; i++)
        for (paddr_t a = blocks[i].base; a < blocks[i].base + blocks[i].size; a += PAGE_SIZE)
            is_free[a / PAGE_SIZE] = 1;
    for (size_t i = 0; i < FRAMES; i++)
        if (is_free[i] != (p->state[i] == F_FREE))
            fail_msg("seed %lu step %lu: frame %#llx free=%d, model state %d", p->seed, p->step,
                     (unsigned long long)(i * PAGE_SIZE), is_free[i], p->state[i]);
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        assert_int_equal(fa->used_bytes[t], p->used[t]);
    for (int k = 0; k < 8; k++) {
        uint64_t i = rng_below(&p->rng, FRAMES);
        assert_int_equal(falloc_is_free(fa, i * PAGE_SIZE + rng_below(&p->rng, PAGE_SIZE)),
                         p->state[i] == F_FREE);
    }
}

static void run_sequence(unsigned long seed)
{
    struct prop *p = calloc(1, sizeof(*p));
    struct pmem_raw raw[RAW_MAX];

    p->seed = seed;
    p->rng = seed;
    size_t n = random_map(&p->rng, raw);
    p->f = fixture_new(raw, n);
    model_init_from(p, raw, n);
    check_adoption(p, raw, n);
    compare_with_model(p);
    for (p->step = 0; p->step < STEPS; p->step++) {
        uint64_t r = rng_below(&p->rng, 100);
        if (r < 50)
            step_alloc(p);
        else if (r < 85)
            step_free(p);
        else
            step_misuse(p);
        compare_with_model(p);
    }
    /* Drain: everything merges back to a fully free allocator. */
    while (p->nout > 0)
        step_free(p);
    compare_with_model(p);
    assert_int_equal(p->f->fa.free_bytes, p->f->fa.managed_bytes);
    print_message("seed %lu: %zu zones, %lu adopted frames, %lu allocs, %lu nomem, %lu frees, "
                  "%lu misuses\n", seed, p->f->fa.nzones, p->adopted, p->allocs, p->nomem,
                  p->frees, p->misuses);
    assert_true(p->allocs > STEPS / 10 && p->nomem > 0 && p->misuses > STEPS / 50 &&
                p->adopted > 0);
    fixture_free(p->f);
    free(p);
}

static void test_random_sequences(void **state)
{
    (void)state;
    for (unsigned long seed = 1; seed <= 6; seed++)
        run_sequence(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

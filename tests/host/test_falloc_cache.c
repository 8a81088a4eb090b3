/* Frame caches in front of the buddy allocator (shared/falloc_cache.c and
 * the batch functions of shared/falloc.c): seeded random sequences over
 * several caches, mixed with plain falloc_alloc/falloc_free, checked after
 * every step against a frame model (one state per 4 KiB frame: unmanaged,
 * free in the buddy lists, in cache c, handed out as type t), plus unit
 * tests of misuse.
 *
 * What the model pins down:
 *  - a refill takes exactly min(room, frames free in the buddy), each one
 *    free before; -E_NOMEM only when the buddy had none;
 *  - a get hands out a frame of that cache, a put keeps it there, a drain
 *    makes exactly the oldest frames free again;
 *  - the buddy's free set (falloc_walk_free), falloc_check (I4 with the lent
 *    bytes) after every step;
 *  - after draining every cache and settling their sum: lent_bytes == 0
 *    and used_bytes[t] equal to the model's, frame for frame. */
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
#include "falloc_cache.h"

#define SPACE       (8 * MiB)
#define FRAMES      (SPACE / PAGE_SIZE)
#define CACHES      3
#define STEPS       4000
#define SEQUENCES   40
#define RAW_MAX     32
#define FROM_CACHE  0xff   /* order[] of a frame a cache handed out: its bytes are booked at
                            * the settle, so it goes back through a cache, not falloc_free */

enum { F_UNMANAGED = 0, F_FREE = 1, F_USED = 2, F_CACHED = 3 };   /* F_CACHED + c: in cache c */

struct model {
    struct falloc_fixture *f;
    struct falloc_cache cache[CACHES];
    uint8_t state[FRAMES];
    uint8_t type[FRAMES];        /* of a handed-out 4 KiB frame */
    uint8_t order[FRAMES];       /* of a block from falloc_alloc, at its head */
    uint64_t used[PMEM_TYPE_COUNT];
    uint64_t rng;
    unsigned long seed, step;
};

static size_t random_map(uint64_t *rng, struct pmem_raw *raw)
{
    size_t n = 0;
    paddr_t at = rng_between(rng, 0, 8) * PAGE_SIZE;

    while (at < SPACE && n + 2 <= RAW_MAX) {
        uint64_t len = rng_between(rng, 1, 600) * PAGE_SIZE;
        len = MIN(len, SPACE - at);
        raw[n++] = (struct pmem_raw){ .base = at, .length = len, .type = PMEM_USABLE };
        at += len + rng_between(rng, 1, 8) * PAGE_SIZE;   /* a gap: the next is a zone of its own */
    }
    return n;
}

static void model_init(struct model *m, unsigned long seed)
{
    struct pmem_raw raw[RAW_MAX];

    memset(m, 0, sizeof(*m));
    m->seed = seed;
    m->rng = seed;
    size_t n = random_map(&m->rng, raw);
    m->f = fixture_new(raw, n);
    for (size_t i = 0; i < n; i++)
        for (paddr_t a = MAX(raw[i].base, PAGE_SIZE); a < raw[i].base + raw[i].length;
             a += PAGE_SIZE)
            m->state[a / PAGE_SIZE] = F_FREE;
}

static size_t count_state(const struct model *m, uint8_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < FRAMES; i++)
        n += m->state[i] == s;
    return n;
}

static enum pmem_type random_type(struct model *m)
{
    return (enum pmem_type)rng_between(&m->rng, PMEM_KERNEL_IMAGE, PMEM_AP_TRAMPOLINE);
}

/* A frame in state s, or false after a bounded search. */
static bool random_frame(struct model *m, uint8_t s, paddr_t *pa)
{
    for (int tries = 0; tries < 256; tries++) {
        uint64_t i = rng_below(&m->rng, FRAMES);
        if (m->state[i] == s) {
            *pa = i * PAGE_SIZE;
            return true;
        }
    }
    return false;
}

static void step_refill(struct model *m, unsigned c)
{
    struct falloc_cache *fc = &m->cache[c];
    uint32_t before = fc->count;
    size_t free_frames = count_state(m, F_FREE);
    size_t want = before >= FALLOC_CACHE_BATCH ? 0 : MIN(FALLOC_CACHE_BATCH - before, free_frames);
    int rc = falloc_cache_refill(&m->f->fa, fc);

    if (rc != ((before == 0 && free_frames == 0) ? -E_NOMEM : 0) || fc->count != before + want)
        fail_msg("seed %lu step %lu: refill of %u frames (free %zu): rc %d, took %u", m->seed,
                 m->step, before, free_frames, rc, fc->count - before);
    for (uint32_t i = before; i < fc->count; i++) {
        size_t f = fc->frames[i] / PAGE_SIZE;
        if (m->state[f] != F_FREE)
            fail_msg("seed %lu step %lu: refill took frame %#zx in state %d", m->seed, m->step,
                     f, m->state[f]);
        m->state[f] = (uint8_t)(F_CACHED + c);
    }
}

static void step_get(struct model *m, unsigned c)
{
    struct falloc_cache *fc = &m->cache[c];
    enum pmem_type type = random_type(m);
    paddr_t pa = 0;
    int rc = falloc_cache_get(fc, type, &pa);

    if (rc == -E_NOMEM && fc->count == 0)
        return;
    assert_int_equal(rc, 0);
    size_t f = pa / PAGE_SIZE;
    if (m->state[f] != F_CACHED + c)
        fail_msg("seed %lu step %lu: get gave %#llx in state %d", m->seed, m->step,
                 (unsigned long long)pa, m->state[f]);
    m->state[f] = F_USED;
    m->type[f] = (uint8_t)type;
    m->order[f] = FROM_CACHE;
    m->used[type] += PAGE_SIZE;
}

static void drain(struct model *m, unsigned c, unsigned keep)
{
    struct falloc_cache *fc = &m->cache[c];
    paddr_t oldest[FALLOC_CACHE_FRAMES];
    unsigned n = fc->count > keep ? fc->count - keep : 0;

    memcpy(oldest, fc->frames, n * sizeof(paddr_t));
    assert_int_equal(falloc_cache_drain(&m->f->fa, fc, keep), 0);
    assert_int_equal(fc->count, MIN(keep, fc->count + n));
    for (unsigned i = 0; i < n; i++)
        m->state[oldest[i] / PAGE_SIZE] = F_FREE;
}

/* A handed-out 4 KiB frame (from a cache or from falloc_alloc) back through
 * cache c, drained to FALLOC_CACHE_BATCH first when full. */
static void step_put(struct model *m, unsigned c)
{
    paddr_t pa;

    if (!random_frame(m, F_USED, &pa) ||
        (m->order[pa / PAGE_SIZE] != 0 && m->order[pa / PAGE_SIZE] != FROM_CACHE))
        return;
    size_t f = pa / PAGE_SIZE;
    enum pmem_type type = (enum pmem_type)m->type[f];
    int rc = falloc_cache_put(&m->f->fa, &m->cache[c], pa, type);
    if (rc == -E_CAPACITY) {
        assert_int_equal(m->cache[c].count, FALLOC_CACHE_FRAMES);
        drain(m, c, FALLOC_CACHE_BATCH);
        rc = falloc_cache_put(&m->f->fa, &m->cache[c], pa, type);
    }
    assert_int_equal(rc, 0);
    m->state[f] = (uint8_t)(F_CACHED + c);
    m->used[type] -= PAGE_SIZE;
}

/* The buddy path beside the caches: blocks of 1-8 frames. */
static void step_plain(struct model *m)
{
    paddr_t pa;

    if (rng_below(&m->rng, 2) && random_frame(m, F_USED, &pa)) {
        size_t f = pa / PAGE_SIZE;
        unsigned order = m->order[f];
        if (order == FROM_CACHE || (order == 0 && rng_below(&m->rng, 2)))
            return;   /* 4 KiB frames mostly go back through the caches */
        assert_int_equal(falloc_free(&m->f->fa, pa, PAGE_SIZE << order,
                                     (enum pmem_type)m->type[f]), 0);
        for (unsigned i = 0; i < (1u << order); i++)
            m->state[f + i] = F_FREE;
        m->used[m->type[f]] -= PAGE_SIZE << order;
        return;
    }
    unsigned order = (unsigned)rng_below(&m->rng, 4);
    enum pmem_type type = random_type(m);
    if (falloc_alloc(&m->f->fa, PAGE_SIZE << order, 0, type, &pa) != 0)
        return;   /* the buddy's own -E_NOMEM is test_falloc_property's */
    size_t f = pa / PAGE_SIZE;
    for (unsigned i = 0; i < (1u << order); i++) {
        if (m->state[f + i] != F_FREE)
            fail_msg("seed %lu step %lu: alloc gave %#llx, frame %u not free", m->seed, m->step,
                     (unsigned long long)pa, i);
        m->state[f + i] = i ? F_UNMANAGED + 200 : F_USED;   /* interior: not a frame to free */
    }
    m->type[f] = (uint8_t)type;
    m->order[f] = (uint8_t)order;
    m->used[type] += PAGE_SIZE << order;
}

/* Every cache drained, their sum settled: the allocator's books are the
 * model's again. */
static void settle_all(struct model *m)
{
    int64_t sum[PMEM_TYPE_COUNT] = { 0 };

    for (unsigned c = 0; c < CACHES; c++) {
        drain(m, c, 0);
        falloc_cache_collect(&m->cache[c], sum);
    }
    assert_int_equal(falloc_settle(&m->f->fa, sum), 0);
    assert_int_equal(m->f->fa.lent_bytes, 0);
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        if (m->f->fa.used_bytes[t] != m->used[t])
            fail_msg("seed %lu step %lu: used[%s] %llu, model %llu", m->seed, m->step,
                     pmem_type_name((enum pmem_type)t),
                     (unsigned long long)m->f->fa.used_bytes[t], (unsigned long long)m->used[t]);
}

static void compare(struct model *m)
{
    static struct fblock blocks[FRAMES];
    static uint8_t is_free[FRAMES];

    if (!falloc_check(&m->f->fa))
        fail_msg("seed %lu step %lu: falloc_check failed", m->seed, m->step);
    memset(is_free, 0, sizeof(is_free));
    size_t n = fixture_free_blocks(&m->f->fa, blocks, FRAMES);
    for (size_t i = 0; i < n; i++)
        for (paddr_t a = blocks[i].base; a < blocks[i].base + blocks[i].size; a += PAGE_SIZE)
            is_free[a / PAGE_SIZE] = 1;
    for (size_t i = 0; i < FRAMES; i++)
        if (is_free[i] != (m->state[i] == F_FREE))
            fail_msg("seed %lu step %lu: frame %#zx free=%d, model state %d", m->seed, m->step,
                     i, is_free[i], m->state[i]);
    for (unsigned c = 0; c < CACHES; c++)
        for (uint32_t i = 0; i < m->cache[c].count; i++)
            if (m->state[m->cache[c].frames[i] / PAGE_SIZE] != F_CACHED + c)
                fail_msg("seed %lu step %lu: cache %u holds %#llx, model state %d", m->seed,
                         m->step, c, (unsigned long long)m->cache[c].frames[i],
                         m->state[m->cache[c].frames[i] / PAGE_SIZE]);
}

static void run_sequence(unsigned long seed)
{
    struct model *m = malloc(sizeof(*m));

    model_init(m, seed);
    for (m->step = 0; m->step < STEPS; m->step++) {
        unsigned c = (unsigned)rng_below(&m->rng, CACHES);
        switch (rng_below(&m->rng, 12)) {
        case 0: case 1: step_refill(m, c); break;
        case 2: case 3: case 4: case 5: step_get(m, c); break;
        case 6: case 7: case 8: step_put(m, c); break;
        case 9: step_plain(m); break;
        case 10: drain(m, c, (unsigned)rng_below(&m->rng, FALLOC_CACHE_FRAMES)); break;
        default:
            if (rng_below(&m->rng, 8) == 0)
                settle_all(m);
            break;
        }
        compare(m);
    }
    settle_all(m);
    compare(m);
    fixture_free(m->f);
    free(m);
}

static void test_random_sequences(void **state)
{
    (void)state;
    for (unsigned long seed = 1; seed <= SEQUENCES; seed++)
        run_sequence(seed);
}

/* ---- unit tests: batches and misuse ------------------------------------ */

static struct falloc_fixture *one_zone(paddr_t base, paddr_t end)
{
    struct pmem_raw raw[] = { { .base = base, .length = end - base, .type = PMEM_USABLE } };
    return fixture_new(raw, 1);
}

/* A refill from an untouched zone takes one aligned block of 32 frames
 * whole and hands them out in address order; returned together they merge
 * back into the zone's original blocks. */
static void test_batches_are_whole_blocks(void **state)
{
    struct falloc_fixture *f = one_zone(1 * MiB, 2 * MiB);
    struct falloc_cache c = { 0 };
    paddr_t pa, first = 0;
    (void)state;

    assert_int_equal(falloc_cache_refill(&f->fa, &c), 0);
    assert_int_equal(c.count, FALLOC_CACHE_BATCH);
    for (unsigned i = 0; i < FALLOC_CACHE_BATCH; i++) {
        assert_int_equal(falloc_cache_get(&c, PMEM_KERNEL_HEAP, &pa), 0);
        if (i == 0)
            first = pa;
        assert_int_equal(pa, first + i * PAGE_SIZE);
    }
    assert_true(IS_ALIGNED(first, FALLOC_CACHE_BATCH * PAGE_SIZE));
    for (unsigned i = 0; i < FALLOC_CACHE_BATCH; i++)   /* freed in reverse: sorted on return */
        assert_int_equal(falloc_cache_put(&f->fa, &c, first + (FALLOC_CACHE_BATCH - 1 - i) * PAGE_SIZE,
                                          PMEM_KERNEL_HEAP), 0);
    assert_int_equal(falloc_cache_drain(&f->fa, &c, 0), 0);
    int64_t sum[PMEM_TYPE_COUNT] = { 0 };
    falloc_cache_collect(&c, sum);
    assert_int_equal(falloc_settle(&f->fa, sum), 0);
    struct fblock blocks[4];
    assert_int_equal(fixture_free_blocks(&f->fa, blocks, 4), 1);
    assert_int_equal(blocks[0].base, 1 * MiB);
    assert_int_equal(blocks[0].size, 1 * MiB);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/* A frame put twice is caught when the batch goes back: nothing changes. */
static void test_double_free_caught_at_drain(void **state)
{
    struct falloc_fixture *f = one_zone(1 * MiB, 2 * MiB);
    struct falloc_cache c = { 0 };
    paddr_t pa;
    (void)state;

    assert_int_equal(falloc_cache_refill(&f->fa, &c), 0);
    assert_int_equal(falloc_cache_get(&c, PMEM_KERNEL_HEAP, &pa), 0);
    assert_int_equal(falloc_cache_put(&f->fa, &c, pa, PMEM_KERNEL_HEAP), 0);
    assert_int_equal(falloc_cache_put(&f->fa, &c, pa, PMEM_KERNEL_HEAP), 0);
    uint64_t free_before = f->fa.free_bytes;
    uint32_t count = c.count;
    assert_int_equal(falloc_cache_drain(&f->fa, &c, 0), -E_INVAL);
    assert_int_equal(c.count, count);
    assert_int_equal(f->fa.free_bytes, free_before);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/* Frames already back in the buddy lists, or never handed out, are refused
 * by the return; foreign and unaligned ones by the put itself. */
static void test_foreign_and_free_frames(void **state)
{
    struct falloc_fixture *f = one_zone(1 * MiB, 2 * MiB);
    struct falloc_cache c = { 0 };
    paddr_t batch[1] = { 1 * MiB + 5 * PAGE_SIZE };   /* free: never handed out */
    (void)state;

    assert_int_equal(falloc_cache_put(&f->fa, &c, 4 * MiB, PMEM_KERNEL_HEAP), -E_INVAL);
    assert_int_equal(falloc_cache_put(&f->fa, &c, 1 * MiB + 1, PMEM_KERNEL_HEAP), -E_INVAL);
    assert_int_equal(falloc_cache_put(&f->fa, &c, 1 * MiB, PMEM_USABLE), -E_INVAL);
    assert_int_equal(c.count, 0);
    assert_int_equal(falloc_return_frames(&f->fa, batch, 1), -E_INVAL);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/* A frame in the hole between two zones passes the put (an O(1) span
 * check) and is refused, with the whole batch, at the drain. */
static void test_hole_caught_at_drain(void **state)
{
    struct pmem_raw raw[] = {
        { .base = 1 * MiB, .length = 1 * MiB, .type = PMEM_USABLE },
        { .base = 3 * MiB, .length = 1 * MiB, .type = PMEM_USABLE },
    };
    struct falloc_fixture *f = fixture_new(raw, 2);
    struct falloc_cache c = { 0 };
    paddr_t pa;
    (void)state;

    assert_int_equal(falloc_cache_refill(&f->fa, &c), 0);
    assert_int_equal(falloc_cache_get(&c, PMEM_KERNEL_HEAP, &pa), 0);
    assert_int_equal(falloc_cache_put(&f->fa, &c, 2 * MiB + PAGE_SIZE, PMEM_KERNEL_HEAP), 0);
    uint32_t count = c.count;
    assert_int_equal(falloc_cache_drain(&f->fa, &c, 0), -E_INVAL);
    assert_int_equal(c.count, count);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

/* Handed out as one type, freed as another: the settle refuses and changes
 * nothing. Allocated on one cache and freed on another: only their sum
 * settles. */
static void test_settle_by_type_and_across_caches(void **state)
{
    struct falloc_fixture *f = one_zone(1 * MiB, 2 * MiB);
    struct falloc_cache a = { 0 }, b = { 0 };
    int64_t sum[PMEM_TYPE_COUNT] = { 0 };
    paddr_t pa;
    (void)state;

    assert_int_equal(falloc_cache_refill(&f->fa, &a), 0);
    assert_int_equal(falloc_cache_get(&a, PMEM_KERNEL_HEAP, &pa), 0);
    assert_int_equal(falloc_cache_put(&f->fa, &b, pa, PMEM_KERNEL_STACK), 0);
    falloc_cache_collect(&a, sum);
    falloc_cache_collect(&b, sum);
    uint64_t lent = f->fa.lent_bytes;
    assert_int_equal(falloc_settle(&f->fa, sum), -E_INVAL);
    assert_int_equal(f->fa.lent_bytes, lent);

    memset(sum, 0, sizeof(sum));
    assert_int_equal(falloc_cache_get(&b, PMEM_KERNEL_HEAP, &pa), 0);
    assert_int_equal(falloc_cache_put(&f->fa, &a, pa, PMEM_KERNEL_HEAP), 0);
    int64_t only_a[PMEM_TYPE_COUNT] = { 0 };
    memcpy(only_a, a.handed, sizeof(only_a));
    only_a[PMEM_KERNEL_HEAP] -= PAGE_SIZE;   /* a's share alone: takes back what it never booked */
    assert_int_equal(falloc_settle(&f->fa, only_a), -E_INVAL);
    falloc_cache_collect(&b, sum);
    falloc_cache_collect(&a, sum);
    assert_int_equal(falloc_cache_drain(&f->fa, &a, 0), 0);
    assert_int_equal(falloc_cache_drain(&f->fa, &b, 0), 0);
    fixture_free(f);
}

/* Fewer frames free than a refill wants: it takes all, then -E_NOMEM. */
static void test_refill_takes_what_there_is(void **state)
{
    struct falloc_fixture *f = one_zone(1 * MiB, 1 * MiB + 5 * PAGE_SIZE);
    struct falloc_cache c = { 0 };
    paddr_t pa;
    (void)state;

    assert_int_equal(falloc_cache_refill(&f->fa, &c), 0);
    assert_int_equal(c.count, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(falloc_cache_get(&c, PMEM_KERNEL_HEAP, &pa), 0);
    assert_int_equal(falloc_cache_get(&c, PMEM_KERNEL_HEAP, &pa), -E_NOMEM);
    assert_int_equal(falloc_cache_refill(&f->fa, &c), -E_NOMEM);
    assert_int_equal(f->fa.free_bytes, 0);
    assert_true(falloc_check(&f->fa));
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_are_whole_blocks),
        cmocka_unit_test(test_double_free_caught_at_drain),
        cmocka_unit_test(test_foreign_and_free_frames),
        cmocka_unit_test(test_hole_caught_at_drain),
        cmocka_unit_test(test_settle_by_type_and_across_caches),
        cmocka_unit_test(test_refill_takes_what_there_is),
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

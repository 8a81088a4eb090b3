/* Property tests for shared/pmem.c: long seeded random sequences of tracker
 * operations, each checked against a page model (one type byte per 4 KiB
 * page, include tests/host/common/refmodel.h) after every step, and random
 * raw maps checked against a page-level evaluation of the precedence rule.
 *
 * The model (model_expect_* in common/refmodel.c) predicts every return
 * code, including -E_CAPACITY: a merged tracker holds exactly one entry per
 * maximal same-type run of pages, so an operation must fail for capacity
 * exactly when the model's result has more runs than the tracker has room. A failed operation must leave both the
 * tracker's bytes and the model untouched. Seeds are fixed: a failure
 * prints the seed and step and reproduces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/refmodel.h"
#include "common/rng.h"
#include "pmem.h"

#define SPACE_PAGES   4096           /* 16 MiB model space */
#define STEPS         4000
#define CAP_MAX       512
#define SPAN_MAX      64             /* pages in a typical random span */
#define ALLOCS_MAX    256            /* allocations remembered for frees */

struct harness {
    struct pmem pm;
    struct pmem_range storage[CAP_MAX];
    struct page_model model, next;   /* next: the model after the op */
    uint64_t rng;
    unsigned long step, seed;
    struct { paddr_t pa; uint64_t size; } allocs[ALLOCS_MAX];
    size_t nallocs;
    unsigned long ok, failed[8];     /* outcomes, to show the run was varied */
};

static enum pmem_type random_type(uint64_t *rng)
{
    /* Half usable, so alloc has room; the rest spread over every type. */
    if (rng_below(rng, 2) == 0)
        return PMEM_USABLE;
    return (enum pmem_type)rng_between(rng, PMEM_NONE + 1, PMEM_TYPE_COUNT - 1);
}

static void random_span(uint64_t *rng, paddr_t *base, paddr_t *end)
{
    uint64_t first = rng_below(rng, SPACE_PAGES);
    uint64_t pages = rng_below(rng, 8) == 0 ? rng_between(rng, 1, SPACE_PAGES / 4)
                                            : rng_between(rng, 1, SPAN_MAX);
    *base = first * PAGE_SIZE;
    *end = MIN(first + pages, SPACE_PAGES) * PAGE_SIZE;
}

static void remember_alloc(struct harness *h, paddr_t pa, uint64_t size)
{
    size_t i = h->nallocs < ALLOCS_MAX ? h->nallocs++ : (size_t)rng_below(&h->rng, ALLOCS_MAX);
    h->allocs[i].pa = pa;
    h->allocs[i].size = size;
}

static void step_alloc(struct harness *h, int *rc, int *expect)
{
    static const uint64_t aligns[] = { PAGE_SIZE, 4 * PAGE_SIZE, 64 * PAGE_SIZE, PAGE_SIZE_2M };
    uint64_t align = aligns[rng_below(&h->rng, ARRAY_LEN(aligns))];
    uint64_t size = align == PAGE_SIZE_2M ? PAGE_SIZE_2M : rng_between(&h->rng, 1, 32) * PAGE_SIZE;
    paddr_t max_end = rng_below(&h->rng, 3) == 0 ? rng_below(&h->rng, SPACE_PAGES * PAGE_SIZE) : 0;
    enum pmem_type t = (enum pmem_type)rng_between(&h->rng, PMEM_KERNEL_IMAGE, PMEM_AP_TRAMPOLINE);
    paddr_t got = 0, want = 0;

    *expect = model_expect_alloc(&h->model, &h->next, h->pm.capacity, size, align, max_end, t,
                                 &want);
    *rc = pmem_alloc(&h->pm, size, align, max_end, t, &got);
    if (*rc == 0) {
        if (got != want)
            fail_msg("seed %lu step %lu: alloc at %#llx, model says %#llx", h->seed, h->step,
                     (unsigned long long)got, (unsigned long long)want);
        remember_alloc(h, got, size);
    }
}

/* One random operation; returns its rc after checking it against the model,
 * which leaves its prediction of the new state in h->next. */
static int step_once(struct harness *h)
{
    size_t cap = h->pm.capacity;
    paddr_t base, end;
    int rc, expect;

    switch (rng_below(&h->rng, 5)) {
    case 0: { /* insert */
        enum pmem_type t = random_type(&h->rng);
        random_span(&h->rng, &base, &end);
        expect = model_expect_insert(&h->model, &h->next, cap, base, end, t);
        rc = pmem_insert(&h->pm, base, end, t);
        break;
    }
    case 1: /* cut */
        random_span(&h->rng, &base, &end);
        expect = model_expect_cut(&h->model, &h->next, cap, base, end);
        rc = pmem_cut(&h->pm, base, end);
        break;
    case 2: { /* retype */
        enum pmem_type t = random_type(&h->rng);
        random_span(&h->rng, &base, &end);
        expect = model_expect_retype(&h->model, &h->next, cap, base, end, t);
        rc = pmem_retype(&h->pm, base, end, t);
        break;
    }
    case 3:
        step_alloc(h, &rc, &expect);
        break;
    default: /* free: an earlier allocation or a random span */
        if (h->nallocs > 0 && rng_below(&h->rng, 2) == 0) {
            size_t i = (size_t)rng_below(&h->rng, h->nallocs);
            base = h->allocs[i].pa;
            end = base + h->allocs[i].size;
        } else {
            random_span(&h->rng, &base, &end);
        }
        expect = model_expect_free(&h->model, &h->next, cap, base, end - base);
        rc = pmem_free(&h->pm, base, end - base);
        break;
    }
    if (rc != expect)
        fail_msg("seed %lu step %lu: rc %d, model expects %d", h->seed, h->step, rc, expect);
    return rc;
}

static void run_sequence(unsigned long seed, size_t capacity)
{
    struct harness *h = calloc(1, sizeof(*h));
    struct pmem_range snapshot[CAP_MAX];

    h->seed = seed;
    h->rng = seed;
    pmem_init(&h->pm, h->storage, capacity);
    model_init(&h->model, SPACE_PAGES);
    for (h->step = 0; h->step < STEPS; h->step++) {
        size_t count = h->pm.count;
        memcpy(snapshot, h->storage, sizeof(snapshot));

        int rc = step_once(h);
        if (!pmem_check(&h->pm))
            fail_msg("seed %lu step %lu: invariants broken", seed, h->step);
        if (rc == 0) {
            h->model = h->next;
            h->ok++;
        } else {
            if (h->pm.count != count || memcmp(snapshot, h->storage, sizeof(snapshot)) != 0)
                fail_msg("seed %lu step %lu: rc %d but the tracker changed", seed, h->step, rc);
            h->failed[-rc]++;
        }
        if (!model_matches(&h->model, &h->pm))
            fail_msg("seed %lu step %lu: tracker and model differ", seed, h->step);
    }
    print_message("seed %lu cap %zu: %lu ok, %lu overlap, %lu capacity, %lu nomem, %lu inval, "
                  "%lu notfound\n", seed, capacity, h->ok, h->failed[E_OVERLAP],
                  h->failed[E_CAPACITY], h->failed[E_NOMEM], h->failed[E_INVAL],
                  h->failed[E_NOTFOUND]);
    /* A sequence that never exercised a path proves nothing about it. */
    assert_true(h->ok > STEPS / 10);
    if (capacity < 64)
        assert_true(h->failed[E_CAPACITY] > 0);
    free(h);
}

static void test_random_ops_tight_capacity(void **state)
{
    (void)state;
    run_sequence(1, 12);
    run_sequence(2, 24);
}

static void test_random_ops_roomy(void **state)
{
    (void)state;
    run_sequence(3, 128);
    run_sequence(4, CAP_MAX);
}

/* ---- pmem_build on random raw maps --------------------------------------- */

#define RAW_MAPS      3000
#define RAW_MAX       24

static struct pmem_raw random_raw(uint64_t *rng)
{
    struct pmem_raw e;
    uint64_t kind = rng_below(rng, 16);

    e.type = (uint32_t)rng_between(rng, PMEM_NONE + 1, PMEM_TYPE_COUNT - 1);
    e.base = rng_below(rng, SPACE_PAGES / 2) * PAGE_SIZE;
    e.length = rng_between(rng, 1, SPAN_MAX * 4) * PAGE_SIZE;
    if (kind == 0)                 /* unaligned edges */
        e.base += rng_below(rng, PAGE_SIZE), e.length += rng_below(rng, 2 * PAGE_SIZE);
    else if (kind == 1)            /* zero-length */
        e.length = 0;
    else if (kind == 2)            /* wraps past 2^64 */
        e.base = UINT64_MAX - rng_below(rng, 4 * PAGE_SIZE), e.length = 8 * PAGE_SIZE;
    else if (kind == 3)            /* tiny */
        e.length = rng_between(rng, 1, PAGE_SIZE);
    return e;
}

/* The expected type of every page, straight from the rule. */
static void eval_pages(const struct pmem_raw *raw, size_t n, struct page_model *m)
{
    model_init(m, SPACE_PAGES);
    for (size_t i = 0; i < n; i++) {
        paddr_t b, e;
        if (!ref_raw_span(&raw[i], &b, &e))
            continue;
        for (paddr_t a = b; a < e; a += PAGE_SIZE) {
            uint8_t *t = &m->type[a / PAGE_SIZE];
            if (pmem_precedence((enum pmem_type)raw[i].type) > pmem_precedence((enum pmem_type)*t))
                *t = (uint8_t)raw[i].type;
        }
    }
}

static void test_random_build(void **state)
{
    (void)state;
    uint64_t rng = 99;
    unsigned long refused = 0;
    static struct page_model want;

    for (int map = 0; map < RAW_MAPS; map++) {
        struct pmem_raw raw[RAW_MAX];
        struct pmem_range storage[2 * RAW_MAX + 1];
        struct pmem pm;
        size_t n = (size_t)rng_below(&rng, RAW_MAX + 1), kept = 0;

        for (size_t i = 0; i < n; i++) {
            paddr_t b, e;
            raw[i] = random_raw(&rng);
            kept += ref_raw_span(&raw[i], &b, &e);
        }
        /* Capacity around the rule's threshold of 2 * kept. */
        size_t cap = (size_t)rng_below(&rng, 2 * kept + 2);
        pmem_init(&pm, storage, cap);
        int rc = pmem_build(&pm, raw, n, NULL);
        if (cap < 2 * kept) {
            if (rc != -E_CAPACITY || pm.count != 0)
                fail_msg("map %d: %zu kept, capacity %zu: rc %d", map, kept, cap, rc);
            refused++;
            continue;
        }
        if (rc != 0 || !pmem_check(&pm))
            fail_msg("map %d: rc %d or invariants broken", map, rc);
        eval_pages(raw, n, &want);
        if (!model_matches(&want, &pm))
            fail_msg("map %d: differs from the page-level rule", map);
        assert_true(pm.count <= (kept ? 2 * kept - 1 : 0));
    }
    assert_true(refused > 0 && refused < RAW_MAPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_ops_tight_capacity),
        cmocka_unit_test(test_random_ops_roomy),
        cmocka_unit_test(test_random_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

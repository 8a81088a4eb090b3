/* Tests for shared/vslice.c: tables of runs, holds and releases, misuse,
 * and seeded random sequences against a model that keeps one state per
 * page and finds runs by the plainest scan (it shares nothing with the
 * bitmaps). The model predicts every result: the exact first page of each
 * run, -E_NOMEM exactly when no free run exists, -E_INVAL exactly when a
 * freed page is not live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vslice.h"
#include "common/rng.h"

enum page_state { FREE, LIVE, HELD };

struct model {
    uint8_t state[VSLICE_PAGES];
    uint64_t held_gen;
};

/* Lowest first page of `n` free pages, or -1. */
static int model_find(const struct model *m, unsigned n)
{
    for (unsigned first = 0; first + n <= VSLICE_PAGES; first++) {
        unsigned k = 0;
        while (k < n && m->state[first + k] == FREE)
            k++;
        if (k == n)
            return (int)first;
    }
    return -1;
}

static void assert_same(const struct vslice *s, const struct model *m)
{
    assert_true(vslice_check(s));
    for (unsigned i = 0; i < VSLICE_PAGES; i++)
        assert_int_equal(vslice_is_live(s, i), m->state[i] == LIVE);
    assert_int_equal(s->held_gen, m->held_gen);
}

static void test_runs(void **state)
{
    (void)state;
    struct vslice s;
    unsigned first = 99;
    vslice_init(&s);

    assert_int_equal(vslice_alloc(&s, 1, &first), 0);
    assert_int_equal(first, 0);
    assert_int_equal(vslice_alloc(&s, 70, &first), 0);   /* crosses a word */
    assert_int_equal(first, 1);
    assert_int_equal(vslice_alloc(&s, 3, &first), 0);
    assert_int_equal(first, 71);
    assert_int_equal(s.live, 74);

    /* Part of a run is freed: held, not reusable until released. */
    assert_int_equal(vslice_free(&s, 10, 5, 7), 0);
    assert_false(vslice_is_live(&s, 10));
    assert_true(vslice_is_live(&s, 15));
    assert_int_equal(vslice_alloc(&s, 5, &first), 0);
    assert_int_equal(first, 74);
    assert_int_equal(s.held_count, 5);
    assert_int_equal(s.held_gen, 7);
    assert_int_equal(vslice_free(&s, 0, 1, 3), 0);
    assert_int_equal(s.held_gen, 7);   /* the newest generation stays */
    vslice_release(&s);
    assert_int_equal(s.held_gen, 0);
    assert_int_equal(vslice_alloc(&s, 5, &first), 0);
    assert_int_equal(first, 10);   /* first fit finds the released gap */
    assert_int_equal(vslice_alloc(&s, 1, &first), 0);
    assert_int_equal(first, 0);
    assert_true(vslice_check(&s));
}

static void test_full_and_misuse(void **state)
{
    (void)state;
    struct vslice s;
    unsigned first = 0;
    vslice_init(&s);

    assert_int_equal(vslice_alloc(&s, 0, &first), -E_INVAL);
    assert_int_equal(vslice_alloc(&s, VSLICE_PAGES + 1, &first), -E_INVAL);
    assert_int_equal(vslice_alloc(&s, VSLICE_PAGES, &first), 0);
    assert_int_equal(first, 0);
    assert_int_equal(vslice_alloc(&s, 1, &first), -E_NOMEM);
    /* Every page held: still no room until the release. */
    assert_int_equal(vslice_free(&s, 0, VSLICE_PAGES, 1), 0);
    assert_int_equal(vslice_alloc(&s, 1, &first), -E_NOMEM);
    vslice_release(&s);
    assert_int_equal(s.live + s.held_count, 0);

    /* Freeing what is not live changes nothing: free, held, past the end. */
    assert_int_equal(vslice_alloc(&s, 4, &first), 0);
    assert_int_equal(vslice_free(&s, 2, 4, 1), -E_INVAL);      /* pages 4, 5 free */
    assert_int_equal(vslice_free(&s, 1, 1, 1), 0);
    assert_int_equal(vslice_free(&s, 0, 2, 1), -E_INVAL);      /* page 1 held */
    assert_int_equal(vslice_free(&s, VSLICE_PAGES, 1, 1), -E_INVAL);
    assert_int_equal(vslice_free(&s, 3, VSLICE_PAGES, 1), -E_INVAL);
    assert_int_equal(vslice_free(&s, 3, UINT32_MAX, 1), -E_INVAL);
    assert_true(vslice_is_live(&s, 0) && vslice_is_live(&s, 2) && vslice_is_live(&s, 3));
    assert_int_equal(s.live, 3);
    assert_false(vslice_is_live(&s, VSLICE_PAGES));

    /* The checker sees a held page that is not used, and a count off. */
    struct vslice bad = s;
    bad.held[0] |= 1ULL << 40;
    assert_false(vslice_check(&bad));
    bad = s;
    bad.live++;
    assert_false(vslice_check(&bad));
}

static void random_sequence(uint64_t seed)
{
    struct vslice s;
    struct model m = { 0 };
    uint64_t rng = seed, gen = 0;
    vslice_init(&s);

    for (int step = 0; step < 20000; step++) {
        unsigned op = (unsigned)rng_below(&rng, 10);
        if (op < 5) {   /* alloc: mostly small runs, sometimes big ones */
            unsigned n = (unsigned)(rng_below(&rng, 8) ? rng_between(&rng, 1, 8)
                                                       : rng_between(&rng, 1, VSLICE_PAGES));
            unsigned first = 0;
            int want = model_find(&m, n), rc = vslice_alloc(&s, n, &first);
            if (want < 0) {
                assert_int_equal(rc, -E_NOMEM);
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(first, (unsigned)want);
                memset(&m.state[first], LIVE, n);
            }
        } else if (op < 9) {   /* free a range, often one that is all live */
            unsigned first = (unsigned)rng_below(&rng, VSLICE_PAGES);
            unsigned n = (unsigned)rng_between(&rng, 1, 6);
            if (first + n > VSLICE_PAGES)
                n = VSLICE_PAGES - first;
            bool ok = true;
            for (unsigned i = first; i < first + n; i++)
                ok = ok && m.state[i] == LIVE;
            gen += rng_below(&rng, 3);
            assert_int_equal(vslice_range_live(&s, first, n), ok);
            int rc = vslice_free(&s, first, n, gen);
            assert_int_equal(rc, ok ? 0 : -E_INVAL);
            if (ok) {
                memset(&m.state[first], HELD, n);
                m.held_gen = gen > m.held_gen ? gen : m.held_gen;
            }
        } else {
            vslice_release(&s);
            for (unsigned i = 0; i < VSLICE_PAGES; i++)
                if (m.state[i] == HELD)
                    m.state[i] = FREE;
            m.held_gen = 0;
        }
        assert_same(&s, &m);
    }
}

static void test_random_against_model(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++)
        random_sequence(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_full_and_misuse),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

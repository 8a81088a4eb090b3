/* Tests for shared/pcid_pool.c: the kernel's PCID is never handed out, all
 * 4095 others are, each once, lowest first; freed ones come back; bad frees
 * are refused and change nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pcid_pool.h"

static void test_exhaust_and_reuse(void **state)
{
    (void)state;
    static struct pcid_pool p;
    static bool seen[PCID_COUNT];
    uint16_t id;
    pcid_pool_init(&p);
    for (unsigned i = 1; i < PCID_COUNT; i++) {
        assert_int_equal(pcid_pool_alloc(&p, &id), 0);
        assert_int_equal(id, i);   /* lowest first */
        assert_false(seen[id]);
        seen[id] = true;
    }
    assert_int_equal(p.in_use, PCID_COUNT);
    assert_int_equal(pcid_pool_alloc(&p, &id), -E_NOMEM);
    assert_int_equal(pcid_pool_free(&p, 777), 0);
    assert_int_equal(pcid_pool_free(&p, 64), 0);
    assert_int_equal(pcid_pool_alloc(&p, &id), 0);
    assert_int_equal(id, 64);
    assert_int_equal(pcid_pool_alloc(&p, &id), 0);
    assert_int_equal(id, 777);
    assert_int_equal(pcid_pool_alloc(&p, &id), -E_NOMEM);
}

static void test_bad_frees(void **state)
{
    (void)state;
    struct pcid_pool p;
    uint16_t id;
    pcid_pool_init(&p);
    assert_int_equal(pcid_pool_free(&p, PCID_KERNEL), -E_INVAL);
    assert_int_equal(pcid_pool_free(&p, 5), -E_INVAL);          /* never handed out */
    assert_int_equal(pcid_pool_free(&p, PCID_COUNT), -E_INVAL);
    assert_int_equal(pcid_pool_alloc(&p, &id), 0);
    assert_int_equal(pcid_pool_free(&p, id), 0);
    assert_int_equal(pcid_pool_free(&p, id), -E_INVAL);         /* twice */
    assert_int_equal(p.in_use, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhaust_and_reuse),
        cmocka_unit_test(test_bad_frees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Host tests for shared/limine_paging.c: the paging mode a Limine kernel
 * gets. One row per case: the request as the kernel wrote it (or none),
 * whether the CPU has LA57, and the expected mode or refusal. Mode numbers
 * restated from the spec ("Paging Mode Feature", x86-64): 4-level = 0,
 * 5-level = 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "limine_proto.h"

#define L4 0
#define L5 1

static void test_paging_rows(void **state)
{
    static const struct {
        const char *what;
        struct limine_paging_ask ask;
        bool la57;
        int rc;
        uint64_t mode;
    } rows[] = {
        { "no request: 4-level even with LA57", { false, 0, 0, 0, 0 }, true, 0, L4 },
        { "rev 0 asks 5-level, CPU has it", { true, 0, L5, 0, 0 }, true, 0, L5 },
        { "rev 0 asks 5-level, CPU lacks it: 4-level (min is 4-level)", { true, 0, L5, 0, 0 },
          false, 0, L4 },
        { "rev 0 asks 4-level on an LA57 CPU: max is the mode", { true, 0, L4, 0, 0 }, true, 0,
          L4 },
        { "rev 1 prefers 4-level, accepts 5: 4-level", { true, 1, L4, L5, L4 }, true, 0, L4 },
        { "rev 1 prefers 5-level, accepts 4, no LA57: 4-level", { true, 1, L5, L5, L4 }, false,
          0, L4 },
        { "rev 1 needs 5-level, CPU has it", { true, 1, L5, L5, L5 }, true, 0, L5 },
        { "rev 1 needs 5-level, CPU lacks it: refused", { true, 1, L5, L5, L5 }, false,
          -LIMINE_E_PAGING, 0 },
        { "rev 1 prefers 4-level but min is 5: 5-level", { true, 1, L4, L5, L5 }, true, 0, L5 },
        { "rev 1 min above max: refused", { true, 1, L4, L4, L5 }, true, -LIMINE_E_PAGING, 0 },
        { "rev 1 mode and max beyond 5-level read as 5-level", { true, 1, 7, 9, L4 }, true, 0,
          L5 },
        { "rev 1 min beyond 5-level cannot be met", { true, 1, 7, 9, 3 }, true,
          -LIMINE_E_PAGING, 0 },
        { "rev 3 (newer than known) reads like rev 1", { true, 3, L5, L5, L5 }, false,
          -LIMINE_E_PAGING, 0 },
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        uint64_t mode = 99;
        int rc = limine_paging_decide(&rows[i].ask, rows[i].la57, &mode);

        if (rc != rows[i].rc || (rc == 0 && mode != rows[i].mode))
            fail_msg("%s: rc %d mode %llu, want rc %d mode %llu", rows[i].what, rc,
                     (unsigned long long)mode, rows[i].rc, (unsigned long long)rows[i].mode);
    }
}

/* The ask read from a request in an image: revision 0 leaves max/min
 * unread (they may not exist), revision 1 reads all three. */
static void test_ask_from_request(void **state)
{
    static uint64_t img[16];
    struct limine_req storage[2];
    struct limine_scan s;
    struct limine_paging_ask ask;
    (void)state;

    for (uint64_t rev = 0; rev <= 1; rev++) {
        memset(img, 0, sizeof(img));
        img[0] = 0xc7b1dd30df4c8b88ULL;
        img[1] = 0x0a82e883a194f07bULL;
        img[2] = 0x95c1a0edab0944cbULL;
        img[3] = 0xa4e5cb3842f7488aULL;
        img[4] = rev;
        img[6] = L5;   /* mode */
        img[7] = L5;   /* max_mode (rev 1) */
        img[8] = L5;   /* min_mode (rev 1) */
        struct limine_view v = { 0xffffffff80001000ULL, (uint8_t *)img,
                                 rev ? 72 : 56 };   /* exactly the request */
        assert_int_equal(limine_scan(&v, 1, storage, 2, &s), 0);
        limine_paging_ask_from(limine_scan_find(&s, LIMINE_REQ_PAGING_MODE), &ask);
        assert_true(ask.present);
        assert_int_equal(ask.revision, rev);
        assert_int_equal(ask.mode, L5);
        assert_int_equal(ask.max_mode, rev ? L5 : 0);
        assert_int_equal(ask.min_mode, rev ? L5 : 0);
    }
    limine_paging_ask_from(NULL, &ask);
    assert_false(ask.present);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_rows),
        cmocka_unit_test(test_ask_from_request),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Date -> UNIX time: rows checked against timestamps computed outside this
 * code (GNU date -u -d ... +%s), leap-year rules, time zones, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unix_time.h"

#define UTC UNIX_TIME_TZ_UNSPECIFIED

static void test_known_dates(void **state)
{
    static const struct { struct unix_time_date d; int64_t want; } rows[] = {
        { { 1970, 1, 1, 0, 0, 0, UTC }, 0 },
        { { 1970, 1, 2, 0, 0, 1, UTC }, 86401 },
        { { 1972, 3, 1, 0, 0, 0, UTC }, 68256000 },         /* after the first leap day */
        { { 1999, 12, 31, 23, 59, 59, UTC }, 946684799 },
        { { 2000, 2, 29, 12, 0, 0, UTC }, 951825600 },      /* 2000: leap (divisible by 400) */
        { { 2000, 3, 1, 0, 0, 0, UTC }, 951868800 },
        { { 2026, 12, 1, 21, 19, 3, UTC }, 1796159943 },
        { { 2038, 1, 19, 3, 14, 8, UTC }, 2147483648LL },   /* past 32-bit time_t */
        { { 2100, 3, 1, 0, 0, 0, UTC }, 4107542400LL },     /* 2100: not a leap year */
        { { 2400, 2, 29, 0, 0, 0, UTC }, 13574563200LL },   /* 2400: leap again */
        { { 9999, 12, 31, 23, 59, 59, UTC }, 253402300799LL },
        { { 2026, 12, 1, 22, 19, 3, -60 }, 1796159943 },    /* UTC+1 local time: UTC = local + tz */
        { { 2026, 12, 1, 16, 19, 3, 300 }, 1796159943 },    /* UTC-5 */
        { { 2016, 12, 31, 23, 59, 60, UTC }, 1483228799 },  /* leap second folds onto :59 */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t t = -1;
        assert_int_equal(unix_time_from_date(&rows[i].d, &t), 0);
        assert_int_equal(t, rows[i].want);
    }
}

static void test_refused(void **state)
{
    static const struct unix_time_date bad[] = {
        { 0, 0, 0, 0, 0, 0, UTC },             /* a clock never set */
        { 1969, 12, 31, 23, 59, 59, UTC },
        { 2023, 2, 29, 0, 0, 0, UTC },         /* not a leap year */
        { 1900 + 200, 2, 29, 0, 0, 0, UTC },   /* 2100 */
        { 2024, 13, 1, 0, 0, 0, UTC },
        { 2024, 4, 31, 0, 0, 0, UTC },
        { 2024, 1, 1, 24, 0, 0, UTC },
        { 2024, 1, 1, 0, 60, 0, UTC },
        { 2024, 1, 1, 0, 0, 61, UTC },
        { 2024, 1, 1, 0, 0, 0, 1441 },
        { 2024, 1, 1, 0, 0, 0, -1441 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t t = 42;
        assert_int_equal(unix_time_from_date(&bad[i], &t), -E_INVAL);
        assert_int_equal(t, 42);
    }
}

/* Every day from 1970 to 2500 is exactly 86400 s after the one before:
 * walks the calendar independently of the code's year/month sums. */
static void test_consecutive_days(void **state)
{
    struct unix_time_date d = { 1970, 1, 1, 0, 0, 0, UTC };
    int64_t prev = -86400, t;
    (void)state;
    while (d.year < 2500) {
        assert_int_equal(unix_time_from_date(&d, &t), 0);
        assert_int_equal(t - prev, 86400);
        prev = t;
        struct unix_time_date next = d;
        next.day++;
        if (unix_time_from_date(&next, &t) != 0) {
            next.day = 1;
            if (++next.month == 13) {
                next.month = 1;
                next.year++;
            }
        }
        d = next;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_dates), cmocka_unit_test(test_refused),
        cmocka_unit_test(test_consecutive_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Host tests for shared/fmt.c: every case is checked against the host
 * libc's snprintf (glibc), both the text and the returned length. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"

#define OUT_MAX 512

/* Compare fmt_snprintf with snprintf for one format and argument list. A
 * macro, not a function, so that both see the same argument types and the
 * compiler checks the format against them (fmt.h has the attribute). */
#define EXPECT_SAME(...)                                                     \
    do {                                                                     \
        char want_[OUT_MAX], got_[OUT_MAX];                                  \
        memset(got_, 'Z', sizeof(got_));                                     \
        int wn_ = snprintf(want_, sizeof(want_), __VA_ARGS__);               \
        int gn_ = fmt_snprintf(got_, sizeof(got_), __VA_ARGS__);             \
        assert_string_equal(got_, want_);                                    \
        assert_int_equal(gn_, wn_);                                          \
    } while (0)

static void test_literals(void **state)
{
    (void)state;
    EXPECT_SAME("%s", "");
    EXPECT_SAME("plain text, no conversions");
    EXPECT_SAME("100%% done, %%%%");
}

static void test_strings_and_chars(void **state)
{
    const char *volatile null_str = NULL;   /* volatile: hide NULL from -Wformat */
    (void)state;

    EXPECT_SAME("[%s]", "hello");
    EXPECT_SAME("[%10s][%-10s][%2s]", "abc", "abc", "abcdef");
    EXPECT_SAME("[%s]", null_str);
    EXPECT_SAME("[%8s][%-8s]", null_str, null_str);
    EXPECT_SAME("[%c%c%c]", 'a', 'B', '~');
    EXPECT_SAME("[%5c][%-5c]", 'x', 'y');
    EXPECT_SAME("[%c]", 0xff);   /* int promoted, converted to unsigned char */
}

static void test_signed_edges(void **state)
{
    (void)state;
    EXPECT_SAME("%d %d %d %d %d", 0, 1, -1, INT_MAX, INT_MIN);
    EXPECT_SAME("%i %i", INT_MAX, INT_MIN);
    EXPECT_SAME("%ld %ld", LONG_MAX, LONG_MIN);
    EXPECT_SAME("%lld %lld", (long long)INT64_MAX, (long long)INT64_MIN);
    EXPECT_SAME("%zd %zd", (ptrdiff_t)PTRDIFF_MAX, (ptrdiff_t)-5);
    EXPECT_SAME("[%05d][%-5d][%5d][%05d][%01d]", -42, -42, -42, 42, -7);
    EXPECT_SAME("[%025lld][%-25lld]", (long long)INT64_MIN, (long long)INT64_MIN);
}

static void test_unsigned_edges(void **state)
{
    (void)state;
    EXPECT_SAME("%u %u %u", 0u, 1u, UINT_MAX);
    EXPECT_SAME("%lu %llu %zu", ULONG_MAX, (unsigned long long)UINT64_MAX, SIZE_MAX);
    EXPECT_SAME("%x %X %lx %llX", 0xdeadbeefu, 0xdeadbeefu, 0xfeedfacecafef00dUL,
                (unsigned long long)UINT64_MAX);
    EXPECT_SAME("%zx", (size_t)4096);
    EXPECT_SAME("[%#x][%#X][%#x][%#lx]", 0x1fu, 0x1fu, 0u, 0xffff800000000000UL);
    EXPECT_SAME("[%#010x][%#-10x][%#10x][%#08X][%#05x]", 0x1fu, 0x1fu, 0x1fu, 0xabu, 0u);
    EXPECT_SAME("[%016lx][%-16lx|]", 0xffffffff80000000UL, 0x1000UL);
}

static void test_pointers(void **state)
{
    int x;
    void *volatile null_ptr = NULL;
    (void)state;

    EXPECT_SAME("%p", (void *)&x);
    EXPECT_SAME("%p", (void *)0xffffffff80001000UL);
    EXPECT_SAME("%p", null_ptr);
    EXPECT_SAME("[%20p][%-20p][%3p]", (void *)0x1234, (void *)0x1234, (void *)0x1234);
    EXPECT_SAME("[%10p][%-10p]", null_ptr, null_ptr);
}

/* An unsupported conversion is printed verbatim and consumes nothing. The
 * formats are not literals: a literal would (rightly) trip -Wformat. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
static void test_unsupported_verbatim(void **state)
{
    char out[64];
    const char *volatile fmt_q = "a%qb %5q %d";
    const char *volatile fmt_end = "tail%";
    const char *volatile fmt_end_width = "tail%-08l";
    (void)state;

    assert_int_equal(fmt_snprintf(out, sizeof(out), fmt_q, 7), 10);
    assert_string_equal(out, "a%qb %5q 7");
    assert_int_equal(fmt_snprintf(out, sizeof(out), fmt_end), 5);
    assert_string_equal(out, "tail%");
    fmt_snprintf(out, sizeof(out), fmt_end_width);
    assert_string_equal(out, "tail%-08l");
}
#pragma GCC diagnostic pop

/* Truncation: same return value and same stored prefix as snprintf for
 * every buffer size from 0 to past the full length; the byte after the
 * NUL is never written. */
static void test_truncation(void **state)
{
    const char *fmt = "[%-6s|%05d|%#x]";
    (void)state;

    for (size_t n = 0; n <= 24; n++) {
        char want[32], got[32];
        memset(want, 'Z', sizeof(want));
        memset(got, 'Z', sizeof(got));
        int wn = snprintf(want, n, fmt, "ab", -3, 0xbeefu);
        int gn = fmt_snprintf(n ? got : NULL, n, fmt, "ab", -3, 0xbeefu);
        assert_int_equal(gn, wn);
        assert_memory_equal(got, want, sizeof(got));
    }
}

/* The callback interface: a counting sink sees every character once. */
struct count_sink { size_t calls; char last; };

static void count_put(void *ctx, char c)
{
    struct count_sink *s = ctx;
    s->calls++;
    s->last = c;
}

static size_t vformat_count(struct count_sink *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = fmt_vformat(count_put, s, fmt, ap);
    va_end(ap);
    return n;
}

static void test_vformat_sink(void **state)
{
    struct count_sink s = { 0, 0 };
    (void)state;

    assert_int_equal(vformat_count(&s, "%s=%lu!", "pages", 123456UL), 13);
    assert_int_equal(s.calls, 13);
    assert_int_equal(s.last, '!');
}

/* ---- the cross product: flags x width x length x conversion x value ---- */

static const char *const flag_sets[] = { "", "-", "0", "-0", "#", "#0", "#-" };
static const char *const widths[] = { "", "1", "2", "8", "17", "21", "30" };
static const char *const lengths[] = { "", "l", "ll", "z" };
static const char convs[] = { 'd', 'i', 'u', 'x', 'X' };
static const uint64_t values[] = {
    0, 1, 9, 10, 15, 16, 255, 0x7f, 0x80, 0xff, 1000000007,
    INT32_MAX, (uint64_t)INT32_MIN, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
    INT64_MAX, (uint64_t)INT64_MIN, UINT64_MAX, UINT64_MAX - 1,
    0xffffffff80000000ULL, 0xffff800000000000ULL, 0x0123456789abcdefULL,
};

/* Call both formatters with `v` passed as the type the length modifier
 * names (truncated the way a caller's cast would). */
static void check_one(const char *fmt, char len, bool is_signed, uint64_t v)
{
    char want[OUT_MAX], got[OUT_MAX];
    int wn, gn;

#define BOTH(T) (wn = snprintf(want, sizeof(want), fmt, (T)v), \
                 gn = fmt_snprintf(got, sizeof(got), fmt, (T)v))
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    switch (len) {
    case 'l': if (is_signed) BOTH(long); else BOTH(unsigned long); break;
    case 'L': if (is_signed) BOTH(long long); else BOTH(unsigned long long); break;
    case 'z': if (is_signed) BOTH(ptrdiff_t); else BOTH(size_t); break;
    default:  if (is_signed) BOTH(int); else BOTH(unsigned int); break;
    }
#pragma GCC diagnostic pop
#undef BOTH
    if (strcmp(want, got) != 0 || wn != gn)
        fail_msg("format \"%s\" value %#llx: want \"%s\" (%d), got \"%s\" (%d)",
                 fmt, (unsigned long long)v, want, wn, got, gn);
}

static void test_cross_product(void **state)
{
    size_t cases = 0;
    (void)state;

    for (size_t f = 0; f < ARRAY_LEN(flag_sets); f++)
    for (size_t w = 0; w < ARRAY_LEN(widths); w++)
    for (size_t l = 0; l < ARRAY_LEN(lengths); l++)
    for (size_t c = 0; c < ARRAY_LEN(convs); c++) {
        bool is_signed = convs[c] == 'd' || convs[c] == 'i';
        /* C leaves '#' undefined for d, i and u; skip those. */
        if (strchr(flag_sets[f], '#') && convs[c] != 'x' && convs[c] != 'X')
            continue;
        char fmt[32];
        snprintf(fmt, sizeof(fmt), "<%%%s%s%s%c>", flag_sets[f], widths[w],
                 lengths[l], convs[c]);
        char len = strcmp(lengths[l], "ll") == 0 ? 'L' : lengths[l][0];
        for (size_t v = 0; v < ARRAY_LEN(values); v++, cases++)
            check_one(fmt, len, is_signed, values[v]);
    }
    print_message("  %zu format/value pairs matched libc\n", cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_strings_and_chars),
        cmocka_unit_test(test_signed_edges),
        cmocka_unit_test(test_unsigned_edges),
        cmocka_unit_test(test_pointers),
        cmocka_unit_test(test_unsupported_verbatim),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_vformat_sink),
        cmocka_unit_test(test_cross_product),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

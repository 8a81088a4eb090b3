/* The Limine GDT decoded field by field (Intel SDM Vol. 3A 3.4.5) against
 * the spec's list: the order, base 0, limits 0xFFFF / 4 GiB, code readable
 * and data writable, the L and D/B bits per width, and a zero TSS. The
 * decoder below reads raw bits; it does not reuse the SEG_* names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "x86/limine_gdt.h"

struct fields {
    uint64_t base, limit;   /* limit in bytes - 1, granularity applied */
    unsigned type, s, dpl, p, l, db;
};

static struct fields decode(uint64_t d)
{
    struct fields f;
    f.base = ((d >> 16) & 0xFFFFFF) | (((d >> 56) & 0xFF) << 24);
    f.limit = (d & 0xFFFF) | (((d >> 48) & 0xF) << 16);
    if ((d >> 55) & 1)
        f.limit = (f.limit << 12) | 0xFFF;
    f.type = (d >> 40) & 0xF;
    f.s = (d >> 44) & 1;
    f.dpl = (d >> 45) & 3;
    f.p = (d >> 47) & 1;
    f.l = (d >> 53) & 1;
    f.db = (d >> 54) & 1;
    return f;
}

static void test_layout(void **state)
{
    /* type: bit 3 code, bit 1 readable (code) / writable (data) */
    static const struct { unsigned sel; int code, width; uint64_t limit; } rows[] = {
        { 0x08, 1, 16, 0xFFFF }, { 0x10, 0, 16, 0xFFFF },
        { 0x18, 1, 32, 0xFFFFFFFF }, { 0x20, 0, 32, 0xFFFFFFFF },
        { 0x28, 1, 64, 0 }, { 0x30, 0, 64, 0 },
    };
    uint64_t gdt[LIMINE_GDT_WORDS];
    (void)state;
    limine_gdt_fill(gdt);
    assert_int_equal(gdt[0], 0);
    assert_int_equal(LIMINE_SEL_CODE64, 0x28);
    assert_int_equal(LIMINE_SEL_DATA64, 0x30);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct fields f = decode(gdt[rows[i].sel / 8]);
        assert_int_equal(f.p, 1);
        assert_int_equal(f.s, 1);
        assert_int_equal(f.dpl, 0);
        assert_int_equal(f.base, 0);
        assert_int_equal((f.type >> 3) & 1, rows[i].code);
        assert_int_equal((f.type >> 1) & 1, 1);
        assert_int_equal(f.l, rows[i].code && rows[i].width == 64);
        assert_int_equal(f.db, rows[i].width == 32);
        assert_int_equal(f.limit, rows[i].limit);   /* 64-bit: 0, ignored by the CPU */
    }
    struct fields t = decode(gdt[LIMINE_SEL_TSS / 8]);
    assert_int_equal(t.s, 0);
    assert_int_equal(t.type, 0x9);     /* available 64-bit TSS */
    assert_int_equal(t.p, 1);
    assert_int_equal(t.base, 0);
    assert_int_equal(t.limit, 0);
    assert_int_equal(gdt[LIMINE_SEL_TSS / 8 + 1], 0);   /* base bits 63:32 */
    assert_int_equal(LIMINE_GDT_LIMIT + 1, sizeof(gdt));
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_layout) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Host tests for shared/platform_ranges.c: what the loader adds to the
 * tracker after pmem_build. One row per case: the tracker before (at most
 * MAX_IN ranges, in storage of `cap` entries), the framebuffer, and what
 * must come out: return code, PLATFORM_ADDED_* bits, and the type at a few
 * addresses.
 *
 *   0xFEC00000 IOAPIC page     0xFEE00000 local APIC page
 *   | reserved 0xFEC00000 .. 0xFF000000 |  covers both: nothing inserted
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform_ranges.h"

#define MAX_IN     4
#define MAX_PROBES 4
#define CAP_MAX    16
#define FB_BASE    0x80000000ULL

struct range { paddr_t base, end; enum pmem_type type; };
struct probe { paddr_t at; enum pmem_type type; };

static const struct bootinfo_fb fb_unaligned = { .base = FB_BASE + 0x123, .size = 0x1000 };
static const struct bootinfo_fb fb_none = { .base = 0, .size = 0x1000 };

static void test_rows(void **state)
{
    static const struct {
        const char *what;
        struct range in[MAX_IN];
        size_t n, cap;
        const struct bootinfo_fb *fb;
        int want_rc;
        unsigned want_added;
        struct probe probes[MAX_PROBES];
    } rows[] = {
        { "empty map: both APIC pages become mmio", { { 0 } }, 0, CAP_MAX, NULL,
          0, PLATFORM_ADDED_LAPIC | PLATFORM_ADDED_IOAPIC,
          { { PLATFORM_LAPIC_BASE, PMEM_MMIO }, { PLATFORM_IOAPIC_BASE, PMEM_MMIO },
            { PLATFORM_LAPIC_BASE + PAGE_SIZE, PMEM_NONE },
            { PLATFORM_IOAPIC_BASE - 1, PMEM_NONE } } },
        { "APIC pages listed: left as the firmware typed them",
          { { 0xFEC00000, 0xFF000000, PMEM_RESERVED } }, 1, CAP_MAX, NULL, 0, 0,
          { { PLATFORM_LAPIC_BASE, PMEM_RESERVED }, { PLATFORM_IOAPIC_BASE, PMEM_RESERVED } } },
        { "only the local APIC listed",
          { { 0xFEE00000, 0xFEE01000, PMEM_MMIO } }, 1, CAP_MAX, NULL, 0, PLATFORM_ADDED_IOAPIC,
          { { PLATFORM_IOAPIC_BASE, PMEM_MMIO } } },
        { "framebuffer rounded outward to pages",
          { { FB_BASE - 0x10000, FB_BASE + 0x10000, PMEM_USABLE } }, 1, CAP_MAX, &fb_unaligned,
          0, PLATFORM_ADDED_FB | PLATFORM_ADDED_LAPIC | PLATFORM_ADDED_IOAPIC,
          { { FB_BASE - 1, PMEM_USABLE }, { FB_BASE, PMEM_FRAMEBUFFER },
            { FB_BASE + 0x1fff, PMEM_FRAMEBUFFER }, { FB_BASE + 0x2000, PMEM_USABLE } } },
        { "framebuffer in a gap", { { 0 } }, 0, CAP_MAX, &fb_unaligned,
          0, PLATFORM_ADDED_FB | PLATFORM_ADDED_LAPIC | PLATFORM_ADDED_IOAPIC,
          { { FB_BASE, PMEM_FRAMEBUFFER }, { FB_BASE + 0x2000, PMEM_NONE } } },
        { "framebuffer base 0: none", { { 0 } }, 0, CAP_MAX, &fb_none,
          0, PLATFORM_ADDED_LAPIC | PLATFORM_ADDED_IOAPIC, { { 0, PMEM_NONE } } },
        { "tracker full: the retype fails, the APICs are not tried",
          { { FB_BASE - 0x10000, FB_BASE + 0x10000, PMEM_USABLE } }, 1, 2, &fb_unaligned,
          -E_CAPACITY, PLATFORM_ADDED_FB,
          { { FB_BASE, PMEM_USABLE }, { PLATFORM_LAPIC_BASE, PMEM_NONE } } },
        { "tracker full: the first insert fails",
          { { 0, PAGE_SIZE, PMEM_USABLE } }, 1, 1, NULL, -E_CAPACITY, PLATFORM_ADDED_LAPIC,
          { { PLATFORM_LAPIC_BASE, PMEM_NONE }, { PLATFORM_IOAPIC_BASE, PMEM_NONE } } },
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct pmem_range storage[CAP_MAX];
        struct pmem pm;
        unsigned added = ~0u;

        pmem_init(&pm, storage, rows[i].cap);
        for (size_t j = 0; j < rows[i].n; j++)
            assert_int_equal(pmem_insert(&pm, rows[i].in[j].base, rows[i].in[j].end,
                                         rows[i].in[j].type), 0);
        int rc = platform_ranges_add(&pm, rows[i].fb, &added);
        if (rc != rows[i].want_rc || added != rows[i].want_added)
            fail_msg("%s: rc %d added %#x, want %d %#x", rows[i].what, rc, added,
                     rows[i].want_rc, rows[i].want_added);
        assert_true(pmem_check(&pm));
        for (size_t k = 0; k < MAX_PROBES; k++) {
            const struct probe *p = &rows[i].probes[k];
            if (p->type == PMEM_NONE && p->at == 0 && k > 0)
                break;   /* unused probe slot */
            if (pmem_type_at(&pm, p->at) != p->type)
                fail_msg("%s: type at %#llx is %s, want %s", rows[i].what,
                         (unsigned long long)p->at, pmem_type_name(pmem_type_at(&pm, p->at)),
                         pmem_type_name(p->type));
        }
    }
}

/* The loader passes no `added`; the result is the same. */
static void test_added_optional(void **state)
{
    struct pmem_range storage[CAP_MAX];
    struct pmem pm;
    (void)state;

    pmem_init(&pm, storage, CAP_MAX);
    assert_int_equal(platform_ranges_add(&pm, &fb_unaligned, NULL), 0);
    assert_int_equal(pm.count, 3);
    assert_int_equal(pmem_type_at(&pm, FB_BASE), PMEM_FRAMEBUFFER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_added_optional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

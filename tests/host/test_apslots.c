/* Which CPUs get a slot, and the slot lookup by APIC ID that the
 * trampoline's assembly scan mirrors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apslots.h"

#define OK (CPU_FLAG_ENABLED | CPU_FLAG_HEALTHY)

static void test_selection_table(void **state)
{
    static const struct bootinfo_cpu cpus[] = {
        { .apic_id = 0, .flags = OK | CPU_FLAG_BSP },
        { .apic_id = 1, .flags = OK },
        { .apic_id = 2, .flags = CPU_FLAG_HEALTHY },          /* disabled */
        { .apic_id = 4, .flags = CPU_FLAG_ENABLED },          /* unhealthy */
        { .apic_id = 6, .flags = OK },
        { .apic_id = 0xFF, .flags = OK },                     /* broadcast ID in xAPIC */
        { .apic_id = 300, .flags = OK },                      /* needs x2APIC */
        { .apic_id = 6, .flags = OK },                        /* duplicate */
    };
    static const enum ap_skip_reason want_x[] = {
        AP_SKIP_BSP, AP_START, AP_SKIP_DISABLED, AP_SKIP_UNHEALTHY,
        AP_START, AP_SKIP_NEEDS_X2APIC, AP_SKIP_NEEDS_X2APIC, AP_SKIP_DUPLICATE,
    };
    static const enum ap_skip_reason want_x2[] = {
        AP_SKIP_BSP, AP_START, AP_SKIP_DISABLED, AP_SKIP_UNHEALTHY,
        AP_START, AP_START, AP_START, AP_SKIP_DUPLICATE,
    };
    struct ap_slot slots[8];
    enum ap_skip_reason reasons[8];
    (void)state;

    uint32_t n = apslots_build(cpus, 8, false, 1, slots, 8, reasons);
    assert_int_equal(n, 2);
    for (int i = 0; i < 8; i++)
        assert_int_equal(reasons[i], want_x[i]);
    assert_int_equal(slots[0].apic_id, 1);
    assert_int_equal(slots[0].index, 1);
    assert_int_equal(slots[1].apic_id, 6);
    assert_int_equal(slots[1].index, 2);

    n = apslots_build(cpus, 8, true, 1, slots, 8, reasons);
    assert_int_equal(n, 4);
    for (int i = 0; i < 8; i++)
        assert_int_equal(reasons[i], want_x2[i]);
    assert_int_equal(slots[3].apic_id, 300);
    assert_int_equal(slots[3].index, 4);
}

static void test_capacity_respected(void **state)
{
    struct bootinfo_cpu cpus[10];
    struct ap_slot slots[3];
    (void)state;
    for (uint32_t i = 0; i < 10; i++)
        cpus[i] = (struct bootinfo_cpu){ .apic_id = i + 1, .flags = OK };
    assert_int_equal(apslots_build(cpus, 10, false, 1, slots, 3, NULL), 3);
    assert_int_equal(slots[2].apic_id, 3);
}

/* Sparse IDs (e.g. 2 sockets x 3 cores: 0,1,2,4,5,6): each AP finds exactly
 * its own slot, only while it is READY. */
static void test_find_sparse(void **state)
{
    static const uint32_t ids[] = { 1, 2, 4, 5, 6, 64, 255, 4096 };
    struct ap_slot slots[8];
    (void)state;
    for (uint32_t i = 0; i < 8; i++)
        slots[i] = (struct ap_slot){ .apic_id = ids[i], .index = i + 1, .state = AP_STATE_READY };
    for (uint32_t i = 0; i < 8; i++)
        assert_ptr_equal(apslots_find(slots, 8, ids[i]), &slots[i]);
    assert_null(apslots_find(slots, 8, 3));
    assert_null(apslots_find(slots, 8, 0));
    slots[2].state = AP_STATE_EMPTY;        /* not prepared (or given up on) */
    assert_null(apslots_find(slots, 8, 4));
    slots[2].state = AP_STATE_ONLINE;       /* taken: a second AP with that ID parks */
    assert_null(apslots_find(slots, 8, 4));
    assert_null(apslots_find(slots, 0, 1));
}

/* Every ID 0..1023 against a random sparse set: lookup agrees with a
 * brute-force model. */
static void test_find_matches_model(void **state)
{
    struct ap_slot slots[64];
    uint32_t n = 0, x = 12345;
    bool present[1024] = { false };
    (void)state;
    while (n < 64) {
        x = x * 1103515245u + 12345u;
        uint32_t id = (x >> 8) % 1024;
        if (present[id])
            continue;
        present[id] = true;
        slots[n] = (struct ap_slot){ .apic_id = id, .index = n + 1, .state = AP_STATE_READY };
        n++;
    }
    for (uint32_t id = 0; id < 1024; id++) {
        struct ap_slot *s = apslots_find(slots, n, id);
        assert_int_equal(s != NULL, present[id]);
        if (s)
            assert_int_equal(s->apic_id, id);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection_table), cmocka_unit_test(test_capacity_respected),
        cmocka_unit_test(test_find_sparse), cmocka_unit_test(test_find_matches_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

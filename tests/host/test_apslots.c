/* Which CPUs get a slot, the slot lookup by APIC ID that the trampoline's
 * assembly scan mirrors, and the bring-up handshake: every interleaving of
 * AP and BSP in turn, then both racing on real threads. */
#define _GNU_SOURCE   /* sched_getaffinity */
#include <pthread.h>
#include <sched.h>
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
        { .apic_id = 0xFFFFFFFE, .flags = OK },               /* the highest x2APIC ID */
        { .apic_id = 0xFFFFFFFF, .flags = OK },               /* the x2APIC broadcast */
    };
    static const enum ap_skip_reason want_x[] = {
        AP_SKIP_BSP, AP_START, AP_SKIP_DISABLED, AP_SKIP_UNHEALTHY,
        AP_START, AP_SKIP_NEEDS_X2APIC, AP_SKIP_NEEDS_X2APIC, AP_SKIP_DUPLICATE,
        AP_SKIP_NEEDS_X2APIC, AP_SKIP_BROADCAST_ID,
    };
    static const enum ap_skip_reason want_x2[] = {
        AP_SKIP_BSP, AP_START, AP_SKIP_DISABLED, AP_SKIP_UNHEALTHY,
        AP_START, AP_START, AP_START, AP_SKIP_DUPLICATE,
        AP_START, AP_SKIP_BROADCAST_ID,
    };
    struct ap_slot slots[10];
    enum ap_skip_reason reasons[10];
    (void)state;

    uint32_t n = apslots_build(cpus, 10, false, 1, slots, 10, reasons);
    assert_int_equal(n, 2);
    for (int i = 0; i < 10; i++)
        assert_int_equal(reasons[i], want_x[i]);
    assert_int_equal(slots[0].apic_id, 1);
    assert_int_equal(slots[0].index, 1);
    assert_int_equal(slots[1].apic_id, 6);
    assert_int_equal(slots[1].index, 2);

    n = apslots_build(cpus, 10, true, 1, slots, 10, reasons);
    assert_int_equal(n, 5);
    for (int i = 0; i < 10; i++)
        assert_int_equal(reasons[i], want_x2[i]);
    assert_int_equal(slots[3].apic_id, 300);
    assert_int_equal(slots[3].index, 4);
    assert_int_equal(slots[4].apic_id, 0xFFFFFFFE);
    assert_string_equal(apslots_reason_name(AP_SKIP_BROADCAST_ID), "apic-id-is-broadcast");
}

/* A big machine as QEMU numbers it: 4 sockets x 256 cores, x2APIC IDs
 * socket << 8 | core, only every third core present (sparse, most above
 * 255). Every one but the BSP gets a slot, in order, and each AP finds its
 * own: nothing in the selection or the lookup has a CPU limit. */
static void test_big_sparse_x2apic(void **state)
{
    enum { SOCKETS = 4, CORES = 256, STEP = 3 };
    static struct bootinfo_cpu cpus[SOCKETS * CORES];
    static struct ap_slot slots[SOCKETS * CORES];
    uint32_t n = 0;
    (void)state;

    for (uint32_t s = 0; s < SOCKETS; s++)
        for (uint32_t c = 0; c < CORES; c += STEP, n++)
            cpus[n] = (struct bootinfo_cpu){ .apic_id = s << 8 | c, .flags = OK | (n == 0 ? CPU_FLAG_BSP : 0) };
    assert_true(n > 256);
    uint32_t got = apslots_build(cpus, n, true, 1, slots, n, NULL);
    assert_int_equal(got, n - 1);
    for (uint32_t i = 0; i < got; i++) {
        assert_int_equal(slots[i].apic_id, cpus[i + 1].apic_id);
        assert_int_equal(slots[i].index, i + 1);
        slots[i].state = AP_STATE_READY;
    }
    for (uint32_t i = 0; i < got; i++)
        assert_ptr_equal(apslots_find(slots, got, cpus[i + 1].apic_id), &slots[i]);
    assert_null(apslots_find(slots, got, 1));   /* core 1: not present */
    /* In xAPIC mode only socket 0's cores 3, 6, ..., 252: 0 is the BSP,
     * 255 the xAPIC broadcast, the other sockets' IDs need x2APIC. */
    assert_int_equal(apslots_build(cpus, n, false, 1, slots, n, NULL), 252 / STEP);
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

/* The CPU list must agree with the local APIC about who the BSP is. */
static void test_bsp_consistency(void **state)
{
    static const struct bootinfo_cpu good[] = {
        { .apic_id = 0, .flags = OK | CPU_FLAG_BSP }, { .apic_id = 1, .flags = OK },
    };
    static const struct bootinfo_cpu bsp_elsewhere[] = {
        { .apic_id = 0, .flags = OK }, { .apic_id = 1, .flags = OK | CPU_FLAG_BSP },
    };
    static const struct bootinfo_cpu two_bsps[] = {
        { .apic_id = 0, .flags = OK | CPU_FLAG_BSP }, { .apic_id = 0, .flags = OK | CPU_FLAG_BSP },
    };
    static const struct bootinfo_cpu no_bsp[] = {
        { .apic_id = 0, .flags = OK }, { .apic_id = 1, .flags = OK },
    };
    (void)state;
    assert_true(apslots_bsp_consistent(good, 2, 0, 0));
    assert_false(apslots_bsp_consistent(good, 2, 0, 1));          /* LAPIC disagrees with the record */
    assert_false(apslots_bsp_consistent(good, 2, 1, 1));          /* the flagged one has another ID */
    assert_false(apslots_bsp_consistent(bsp_elsewhere, 2, 0, 0)); /* we are not the flagged one */
    assert_false(apslots_bsp_consistent(two_bsps, 2, 0, 0));
    assert_false(apslots_bsp_consistent(no_bsp, 2, 0, 0));
}

static struct ap_slot ready_slot(void)
{
    return (struct ap_slot){ .apic_id = 3, .index = 1, .state = AP_STATE_READY };
}

/* Each order of the two sides' steps, one at a time. */
static void test_handshake_in_turn(void **state)
{
    struct ap_slot s;
    (void)state;

    /* In time: alive, released, published. */
    s = ready_slot();
    assert_true(apslots_say_alive(&s));
    assert_false(apslots_released(&s));
    assert_int_equal(apslots_decide(&s), AP_FATE_RELEASED);
    assert_true(apslots_released(&s));
    assert_false(apslots_give_up(&s));          /* released first: no giving up */
    apslots_published(&s);
    assert_int_equal(apslots_state(&s), AP_STATE_ONLINE);
    assert_int_equal(apslots_decide(&s), AP_FATE_DECIDED);

    /* Never said alive: parked; saying alive afterwards fails. */
    s = ready_slot();
    assert_int_equal(apslots_decide(&s), AP_FATE_PARKED);
    assert_int_equal(apslots_state(&s), AP_STATE_PARKED);
    assert_false(apslots_say_alive(&s));
    assert_int_equal(apslots_state(&s), AP_STATE_PARKED);
    assert_null(apslots_find(&s, 1, 3));        /* and the trampoline's scan skips it */
    assert_int_equal(apslots_decide(&s), AP_FATE_DECIDED);   /* decided once */

    /* Alive, but the BSP came too late for it. */
    s = ready_slot();
    assert_true(apslots_say_alive(&s));
    assert_true(apslots_give_up(&s));
    assert_int_equal(apslots_decide(&s), AP_FATE_GAVE_UP);
    assert_int_equal(apslots_state(&s), AP_STATE_GAVE_UP);

    /* Nothing to start. */
    s = (struct ap_slot){ .state = AP_STATE_EMPTY };
    assert_false(apslots_say_alive(&s));
    assert_int_equal(apslots_decide(&s), AP_FATE_DECIDED);
}

/* Both sides at the same instant, many times over: the AP says alive while
 * the BSP decides (or the AP gives up while the BSP releases). Exactly one
 * wins every time, and both agree which. One AP thread for all rounds; each
 * round both sides leave the same start flag, then wait a varying number of
 * iterations. The BSP's share follows the outcomes (longer after it won,
 * shorter after it lost), so the rounds gather where the two steps land on
 * top of each other. */
enum { RACE_ROUNDS = 100000 };

struct race {
    struct ap_slot slot;
    bool give_up_race;            /* false: say_alive vs decide; true: give_up vs decide */
    unsigned round_go, round_done;   /* atomics: round started / the AP's step is done */
    bool ap_result;
};

static void spin(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

/* Spin until *flag == round; yield now and then, so the test still ends
 * quickly when both threads share one host core. */
static void await(const unsigned *flag, unsigned round)
{
    for (unsigned n = 0; __atomic_load_n(flag, __ATOMIC_ACQUIRE) != round; n++)
        if (n % 4096 == 4095)
            sched_yield();
}

static unsigned offset(unsigned round, unsigned salt)
{
    return (round * salt) % 16;
}

static void *race_ap(void *arg)
{
    struct race *r = arg;
    for (unsigned round = 1; round <= RACE_ROUNDS; round++) {
        await(&r->round_go, round);
        spin(offset(round, 7919u));
        r->ap_result = r->give_up_race ? apslots_give_up(&r->slot) : apslots_say_alive(&r->slot);
        __atomic_store_n(&r->round_done, round, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void race_many(bool give_up_race, unsigned counts[2])
{
    static struct race r;
    pthread_t ap;

    unsigned bias = 0;   /* the BSP's extra spin, tracking the crossover */

    r = (struct race){ .give_up_race = give_up_race };
    assert_int_equal(pthread_create(&ap, NULL, race_ap, &r), 0);
    for (unsigned round = 1; round <= RACE_ROUNDS; round++) {
        r.slot = ready_slot();
        if (give_up_race)
            assert_true(apslots_say_alive(&r.slot));
        __atomic_store_n(&r.round_go, round, __ATOMIC_RELEASE);
        spin(bias + offset(round, 104729u) % 16);
        enum ap_fate fate = apslots_decide(&r.slot);
        await(&r.round_done, round);
        uint32_t st = apslots_state(&r.slot);
        if (!give_up_race && r.ap_result) {          /* AP first: alive, then released */
            assert_int_equal(fate, AP_FATE_RELEASED);
            assert_int_equal(st, AP_STATE_RELEASED);
        } else if (!give_up_race) {                  /* BSP first: parked, AP halts */
            assert_int_equal(fate, AP_FATE_PARKED);
            assert_int_equal(st, AP_STATE_PARKED);
        } else if (r.ap_result) {                    /* AP gave up before the release */
            assert_int_equal(fate, AP_FATE_GAVE_UP);
            assert_int_equal(st, AP_STATE_GAVE_UP);
        } else {                                     /* released just in time */
            assert_int_equal(fate, AP_FATE_RELEASED);
            assert_int_equal(st, AP_STATE_RELEASED);
        }
        counts[r.ap_result]++;
        if (r.ap_result)
            bias -= bias > 0;
        else
            bias++;
    }
    assert_int_equal(pthread_join(ap, NULL), 0);
}

static void test_handshake_races(void **state)
{
    unsigned alive[2] = { 0, 0 }, give_up[2] = { 0, 0 };
    cpu_set_t usable;
    (void)state;
    if (sched_getaffinity(0, sizeof(usable), &usable) != 0 || CPU_COUNT(&usable) < 2) {
        print_message("one host CPU: the two sides cannot run at the same instant\n");
        skip();
    }
    race_many(false, alive);
    race_many(true, give_up);
    /* Both outcomes happen (otherwise the race was never run). */
    print_message("say_alive vs decide: AP first %u, BSP first %u; give_up vs decide: AP first %u, "
                  "BSP first %u\n", alive[1], alive[0], give_up[1], give_up[0]);
    assert_true(alive[0] > 0 && alive[1] > 0);
    assert_true(give_up[0] > 0 && give_up[1] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection_table), cmocka_unit_test(test_capacity_respected),
        cmocka_unit_test(test_big_sparse_x2apic),
        cmocka_unit_test(test_find_sparse), cmocka_unit_test(test_find_matches_model),
        cmocka_unit_test(test_bsp_consistency), cmocka_unit_test(test_handshake_in_turn),
        cmocka_unit_test(test_handshake_races),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

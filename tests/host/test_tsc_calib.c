/* Tests for shared/tsc_calib.c and shared/tsc_pit.c: decoding CPUID 0x15
 * and 0x16, the loader's lopsided interval, the choice among sources
 * (table-driven: the 180x-low PIT seen under heavy emulator load, CPUID
 * only, no CPUID, disagreeing sources, nothing plausible), and the PIT run
 * on simulated samples (steady, noisy, a stopped vCPU, no PIT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tsc_calib.h"
#include "tsc_pit.h"

#define GHZ 1000000000ULL
#define MHZ 1000000ULL
#define TRUE_HZ 2596100000ULL   /* what the PIT measured under TCG here */

static void test_cpuid15(void **state)
{
    (void)state;
    /* 24 MHz crystal, ratio 216/2: 2.592 GHz. */
    struct tsc_estimate e = tsc_from_cpuid15(2, 216, 24000000);
    assert_int_equal(e.hz, 2592000000ULL);
    assert_true(e.lo < e.hz && e.hi > e.hz);
    assert_int_equal(tsc_bound_ppm(&e), TSC_CPUID15_BOUND_PPM);
    /* Hypervisors and many CPUs: a ratio without a crystal, or nothing. */
    assert_int_equal(tsc_from_cpuid15(2, 216, 0).hz, 0);
    assert_int_equal(tsc_from_cpuid15(0, 216, 24000000).hz, 0);
    assert_int_equal(tsc_from_cpuid15(2, 0, 24000000).hz, 0);
    assert_int_equal(tsc_from_cpuid15(0, 0, 0).hz, 0);
    /* No overflow on absurd registers: the product needs 64 bits exactly. */
    e = tsc_from_cpuid15(UINT32_MAX, UINT32_MAX, UINT32_MAX);
    assert_int_equal(e.hz, UINT32_MAX);
}

static void test_cpuid16(void **state)
{
    (void)state;
    struct tsc_estimate e = tsc_from_cpuid16(0xABCD0000u | 2600);   /* upper bits reserved */
    assert_int_equal(e.hz, 2600 * MHZ);
    assert_int_equal(tsc_bound_ppm(&e), TSC_CPUID16_BOUND_PPM);
    assert_int_equal(tsc_from_cpuid16(0).hz, 0);
}

/* Without a bound (stall-timed) the stall may only have overrun (truth
 * far below) or ended by a hair early (truth barely above); with the PM
 * timer's bound, symmetric. */
static void test_loader_interval(void **state)
{
    (void)state;
    struct tsc_estimate e = tsc_from_loader(4 * GHZ, 0);
    assert_int_equal(e.lo, GHZ);
    assert_true(e.hi > 4 * GHZ + 4 * GHZ / 100 && e.hi < 4 * GHZ + 4 * GHZ / 98);
    assert_int_equal(tsc_from_loader(0, 0).hz, 0);
    assert_int_equal(tsc_from_loader(0, 200).hz, 0);
    e = tsc_from_loader(UINT64_MAX, 0);
    assert_int_equal(e.hi, UINT64_MAX);
    e = tsc_from_loader(4 * GHZ, 200);
    assert_int_equal(e.lo, 4 * GHZ - 800000);
    assert_int_equal(e.hi, 4 * GHZ + 800000);
    assert_int_equal(tsc_bound_ppm(&e), 200);
}

#define ABSENT { 0, 0, 0 }

struct choose_case {
    const char *what;
    struct tsc_estimate in[TSC_SRC_COUNT];   /* cpuid15, pit, cpuid16, loader */
    int rc;
    enum tsc_source source;
    enum tsc_reason reason;
    enum tsc_verdict verdict[TSC_SRC_COUNT];
};

static const struct choose_case choose_cases[] = {
    { "FIELD-NOTES: PIT 180x low under load, loader right (QEMU: no CPUID leaves)",
      { ABSENT, { 13958559, 13950000, 13967000 }, ABSENT, { 2626317200, 656579300, 2652846600 } },
      0, TSC_SRC_LOADER, TSC_REASON_ONLY_SOURCE,
      { TSC_ABSENT, TSC_IMPLAUSIBLE, TSC_ABSENT, TSC_CHOSEN } },
    { "seen at 4 CPUs beside 288 busy vCPUs: one 1 ms stall took 10 ms (loader 25 GHz), PIT right",
      { ABSENT, { 2595571880, 2594027609, 2597116151 }, ABSENT, { 25332878000, 6333219500, 25588765657 } },
      0, TSC_SRC_PIT, TSC_REASON_ONLY_SOURCE,
      { TSC_ABSENT, TSC_CHOSEN, TSC_ABSENT, TSC_IMPLAUSIBLE } },
    { "no CPUID (TCG, AMD): PIT within the loader's interval wins by its bound",
      { ABSENT, { TRUE_HZ, TRUE_HZ - 2000, TRUE_HZ + 2000 }, ABSENT, { 2626317200, 656579300, 2652846600 } },
      0, TSC_SRC_PIT, TSC_REASON_ALL_AGREE,
      { TSC_ABSENT, TSC_CHOSEN, TSC_ABSENT, TSC_AGREES } },
    { "CPUID only (no PIT, no loader estimate)",
      { { 2592000000, 2591481600, 2592518400 }, ABSENT, { 2600000000, 2574000000, 2626000000 }, ABSENT },
      0, TSC_SRC_CPUID15, TSC_REASON_ALL_AGREE,
      { TSC_CHOSEN, TSC_ABSENT, TSC_AGREES, TSC_ABSENT } },
    { "only CPUID 0x16 (hypervisor), PIT agrees and is narrower",
      { ABSENT, { 2599000000, 2598000000, 2600000000 }, { 2600000000, 2574000000, 2626000000 }, ABSENT },
      0, TSC_SRC_PIT, TSC_REASON_ALL_AGREE,
      { TSC_ABSENT, TSC_CHOSEN, TSC_AGREES, TSC_ABSENT } },
    { "PIT 10x low but plausible: CPUID 0x15 and the loader outvote it",
      { { 2592000000, 2591481600, 2592518400 }, { 259600000, 259500000, 259700000 }, ABSENT,
        { 2600000000, 650000000, 2626262627 } },
      0, TSC_SRC_CPUID15, TSC_REASON_MAJORITY,
      { TSC_CHOSEN, TSC_DISAGREES, TSC_ABSENT, TSC_AGREES } },
    { "PIT 2x low: the loader's wide interval holds it and CPUID 0x15, so the preference decides",
      { { 2592000000, 2591481600, 2592518400 }, { 1296000000, 1295000000, 1297000000 }, ABSENT,
        { 2600000000, 650000000, 2626262627 } },
      0, TSC_SRC_CPUID15, TSC_REASON_PREFERRED,
      { TSC_CHOSEN, TSC_DISAGREES, TSC_ABSENT, TSC_AGREES } },
    { "PIT and CPUID 0x16 agree, CPUID 0x15 alone disagrees: the majority, not the preference",
      { { 3000000000, 2999400000, 3000600000 }, { 2599000000, 2598000000, 2600000000 },
        { 2600000000, 2574000000, 2626000000 }, ABSENT },
      0, TSC_SRC_PIT, TSC_REASON_MAJORITY,
      { TSC_DISAGREES, TSC_CHOSEN, TSC_AGREES, TSC_ABSENT } },
    { "two sources disagree, nothing else: the preference order (PIT before loader)",
      { ABSENT, { 2599000000, 2598000000, 2600000000 }, ABSENT, { 12000000000, 3000000000, 12121212122 } },
      0, TSC_SRC_PIT, TSC_REASON_PREFERRED,
      { TSC_ABSENT, TSC_CHOSEN, TSC_ABSENT, TSC_DISAGREES } },
    { "two equal groups sharing the loader: the one holding the more preferred source",
      { ABSENT, { 2000000000, 1999000000, 2001000000 }, { 2500000000, 2475000000, 2525000000 },
        { 2600000000, 650000000, 2626262627 } },
      0, TSC_SRC_PIT, TSC_REASON_PREFERRED,
      { TSC_ABSENT, TSC_CHOSEN, TSC_DISAGREES, TSC_AGREES } },
    { "PM-timer loader (175 ppm) and a 1% PIT agree: the loader wins by its bound",
      { ABSENT, { 2597000000, 2571030000, 2622970000 }, ABSENT, { 2596100000, 2595645682, 2596554318 } },
      0, TSC_SRC_LOADER, TSC_REASON_ALL_AGREE,
      { TSC_ABSENT, TSC_AGREES, TSC_ABSENT, TSC_CHOSEN } },
    { "PIT 2x low against a PM-timer loader: no longer hidden in a wide interval, outvoted; the loader is narrowest",
      { { 2592000000, 2591481600, 2592518400 }, { 1296000000, 1295000000, 1297000000 }, ABSENT,
        { 2592100000, 2591646368, 2592553632 } },
      0, TSC_SRC_LOADER, TSC_REASON_MAJORITY,
      { TSC_AGREES, TSC_DISAGREES, TSC_ABSENT, TSC_CHOSEN } },
    { "PM-timer loader and PIT disagree, nothing else: the preference order (PIT)",
      { ABSENT, { 2597000000, 2571030000, 2622970000 }, ABSENT, { 1298050000, 1297822841, 1298277159 } },
      0, TSC_SRC_PIT, TSC_REASON_PREFERRED,
      { TSC_ABSENT, TSC_CHOSEN, TSC_ABSENT, TSC_DISAGREES } },
    { "everything implausible: refused, no frequency",
      { { 50 * GHZ, 50 * GHZ - 1, 50 * GHZ + 1 }, { 13958559, 13950000, 13967000 }, ABSENT, { 42, 10, 43 } },
      -E_INVAL, TSC_SRC_COUNT, TSC_REASON_NONE,
      { TSC_IMPLAUSIBLE, TSC_IMPLAUSIBLE, TSC_ABSENT, TSC_IMPLAUSIBLE } },
    { "no source at all",
      { ABSENT, ABSENT, ABSENT, ABSENT },
      -E_INVAL, TSC_SRC_COUNT, TSC_REASON_NONE,
      { TSC_ABSENT, TSC_ABSENT, TSC_ABSENT, TSC_ABSENT } },
};

static void test_choose_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
        const struct choose_case *c = &choose_cases[i];
        struct tsc_choice out;
        int rc = tsc_choose(c->in, &out);
        print_message("case: %s -> %s %s\n", c->what, tsc_source_name(out.source), tsc_reason_name(out.reason));
        assert_int_equal(rc, c->rc);
        assert_int_equal(out.source, c->source);
        assert_int_equal(out.reason, c->reason);
        for (int s = 0; s < TSC_SRC_COUNT; s++)
            assert_string_equal(tsc_verdict_name(out.verdict[s]), tsc_verdict_name(c->verdict[s]));
        if (rc == 0) {
            assert_int_equal(out.hz, c->in[c->source].hz);
            assert_int_equal(out.bound_ppm, tsc_bound_ppm(&c->in[c->source]));
        } else {
            assert_int_equal(out.hz, 0);
        }
    }
}

/* A simulated PIT and TSC: the PIT ticks at TSC_PIT_HZ from tsc 0 and
 * counts down from 0xFFFF; a sample takes `cost` TSC ticks and latches the
 * count at a point `latch` ticks into it. */
struct sim {
    uint64_t hz, tsc;
};

static struct tsc_pit_sample sim_sample(struct sim *m, uint64_t cost, uint64_t latch)
{
    struct tsc_pit_sample s = { .tsc_before = m->tsc };
    uint64_t at = m->tsc + latch;
    uint64_t ticks = (uint64_t)((unsigned __int128)at * TSC_PIT_HZ / m->hz);
    s.count = (uint16_t)(0xFFFF - ticks);
    m->tsc += cost;
    s.tsc_after = m->tsc;
    return s;
}

static void test_pit_steady(void **state)
{
    (void)state;
    struct sim m = { .hz = TRUE_HZ, .tsc = 1000 };
    struct tsc_pit_run r;
    struct tsc_pit_sample first = sim_sample(&m, 3000, 1500);
    enum tsc_pit_status st = TSC_PIT_MORE;
    uint32_t n = 0;

    tsc_pit_begin(&r, &first);
    for (; st == TSC_PIT_MORE && n < 100000; n++) {
        struct tsc_pit_sample s = sim_sample(&m, 3000 + (n % 7) * 400, (n * 131) % 3000);
        st = tsc_pit_add(&r, &s, 1000);
    }
    assert_int_equal(st, TSC_PIT_DONE);
    struct tsc_estimate e = tsc_pit_result(&r);
    assert_true(e.lo <= TRUE_HZ && TRUE_HZ <= e.hi);   /* the interval holds the truth */
    assert_true(tsc_bound_ppm(&e) <= 1000);
    /* It stopped as soon as it could: 1000 ppm with ~1.2 us samples
     * takes a few ms of PIT time, far below the 55 ms the counter allows. */
    uint64_t window_us = (m.tsc - first.tsc_before) * 1000000 / TRUE_HZ;
    print_message("steady: %u samples, %lu us, bound %u ppm\n", n, (unsigned long)window_us, tsc_bound_ppm(&e));
    assert_true(window_us < 10000);
    /* A tighter target needs a longer window. */
    struct tsc_pit_run r2;
    struct sim m2 = { .hz = TRUE_HZ, .tsc = 1000 };
    first = sim_sample(&m2, 3000, 1500);
    tsc_pit_begin(&r2, &first);
    st = TSC_PIT_MORE;
    while (st == TSC_PIT_MORE && m2.tsc < TRUE_HZ / 20) {
        struct tsc_pit_sample s = sim_sample(&m2, 3000, 1500);
        st = tsc_pit_add(&r2, &s, 100);
    }
    assert_int_equal(st, TSC_PIT_DONE);
    assert_true(m2.tsc > m.tsc);
}

/* One sample whose count is off the steady ratio: its interval misses the
 * others' intersection and the run says so instead of returning a wrong
 * number. */
static void test_pit_unsteady(void **state)
{
    (void)state;
    struct sim m = { .hz = TRUE_HZ, .tsc = 1000 };
    struct tsc_pit_run r;
    struct tsc_pit_sample first = sim_sample(&m, 3000, 1500);
    tsc_pit_begin(&r, &first);
    for (int i = 0; i < 200; i++) {
        struct tsc_pit_sample s = sim_sample(&m, 3000, 1500);
        assert_int_equal(tsc_pit_add(&r, &s, 10), TSC_PIT_MORE);
    }
    /* The PIT ran 2 ms further than the TSC saw: the two clocks lost
     * their ratio (a stalled TSC, a PIT emulated off another clock). */
    struct tsc_pit_sample s = sim_sample(&m, 3000, 1500);
    s.count -= (uint16_t)(TSC_PIT_HZ / 500);
    assert_int_equal(tsc_pit_add(&r, &s, 10), TSC_PIT_UNSTEADY);
    assert_int_equal(tsc_pit_result(&r).hz, 0);
    assert_int_equal(tsc_pit_add(&r, &s, 10), TSC_PIT_UNSTEADY);   /* and stays so */
}

/* No PIT: the port reads 0xFF, the count never moves, no interval. */
static void test_pit_absent(void **state)
{
    (void)state;
    struct tsc_pit_run r;
    struct tsc_pit_sample s = { .tsc_before = 100, .tsc_after = 200, .count = 0xFFFF };
    tsc_pit_begin(&r, &s);
    for (int i = 0; i < 100; i++) {
        s.tsc_before += 1000;
        s.tsc_after += 1000;
        assert_int_equal(tsc_pit_add(&r, &s, 1000), TSC_PIT_MORE);
    }
    assert_int_equal(tsc_pit_result(&r).hz, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpuid15),
        cmocka_unit_test(test_cpuid16),
        cmocka_unit_test(test_loader_interval),
        cmocka_unit_test(test_choose_table),
        cmocka_unit_test(test_pit_steady),
        cmocka_unit_test(test_pit_unsteady),
        cmocka_unit_test(test_pit_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* ICR encoding and IPI sending for xAPIC and x2APIC, through a simulated
 * local APIC that records every register write (QEMU's TCG has no x2APIC,
 * so this is where that path is tested). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lapic.h"

#define MAX_WRITES 16

struct sim {
    uint32_t regs[0x400 / 4];
    struct { uint32_t off; uint64_t value; bool icr64; } writes[MAX_WRITES];
    int nwrites;
    int busy_reads;       /* ICR reads that still report delivery pending */
    uint32_t esr_latched; /* what ESR shows after its clearing write */
};

static uint32_t sim_read(void *ctx, uint32_t off)
{
    struct sim *s = ctx;
    if (off == LAPIC_ICR_LOW && s->busy_reads > 0) {
        s->busy_reads--;
        return s->regs[off / 4] | ICR_DELIVERY_PENDING;
    }
    return s->regs[off / 4];
}

static void sim_write(void *ctx, uint32_t off, uint32_t v)
{
    struct sim *s = ctx;
    assert_true(s->nwrites < MAX_WRITES);
    s->writes[s->nwrites++] = (typeof(s->writes[0])){ off, v, false };
    s->regs[off / 4] = off == LAPIC_ESR ? s->esr_latched : v;
}

static void sim_write_icr64(void *ctx, uint64_t v)
{
    struct sim *s = ctx;
    assert_true(s->nwrites < MAX_WRITES);
    s->writes[s->nwrites++] = (typeof(s->writes[0])){ LAPIC_ICR_LOW, v, true };
}

static struct lapic_io io_for(struct sim *s, bool x2)
{
    memset(s, 0, sizeof(*s));
    return (struct lapic_io){ .x2apic = x2, .read = sim_read, .write = sim_write,
                              .write_icr64 = sim_write_icr64, .ctx = s };
}

/* Table: destination, low word, expected xAPIC high word or refusal. */
static void test_icr_xapic_table(void **state)
{
    static const struct { uint32_t dest; int rc; uint32_t high; } rows[] = {
        { 0, 0, 0x00000000 },     { 1, 0, 0x01000000 },  { 0x7F, 0, 0x7F000000 },
        { 0xFE, 0, 0xFE000000 },  { 0xFF, -E_INVAL, 0 }, /* broadcast: never */
        { 0x100, -E_INVAL, 0 },   { UINT32_MAX, -E_INVAL, 0 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint32_t hi = 0xDEAD, lo = 0;
        assert_int_equal(lapic_icr_xapic(rows[i].dest, ICR_INIT, &hi, &lo), rows[i].rc);
        if (rows[i].rc == 0) {
            assert_int_equal(hi, rows[i].high);
            assert_int_equal(lo, ICR_INIT);
        }
    }
}

static void test_icr_x2apic_table(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(lapic_icr_x2apic(0xFF, ICR_FIXED | 0x40, &v), 0); /* 0xFF is an ordinary ID here */
    assert_int_equal(v, (0xFFULL << 32) | 0x40);
    assert_int_equal(lapic_icr_x2apic(0x12345, ICR_STARTUP | 0x08, &v), 0);
    assert_int_equal(v, (0x12345ULL << 32) | ICR_STARTUP | 0x08);
    /* The delivery-status bit is reserved in x2APIC: never set. */
    assert_int_equal(lapic_icr_x2apic(3, ICR_DELIVERY_PENDING | ICR_INIT, &v), 0);
    assert_int_equal(v & ICR_DELIVERY_PENDING, 0);
    assert_int_equal(lapic_icr_x2apic(UINT32_MAX, ICR_INIT, &v), -E_INVAL);
}

/* xAPIC: high before low (writing low sends), INIT is level-assert. */
static void test_xapic_init_sequence(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    assert_int_equal(lapic_send_init(&io, 5), 0);
    assert_int_equal(s.nwrites, 2);
    assert_int_equal(s.writes[0].off, LAPIC_ICR_HIGH);
    assert_int_equal(s.writes[0].value, 5u << 24);
    assert_int_equal(s.writes[1].off, LAPIC_ICR_LOW);
    assert_int_equal(s.writes[1].value, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
}

static void test_x2apic_startup_one_write(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, true);
    (void)state;
    assert_int_equal(lapic_send_startup(&io, 300, 0x08), 0);
    assert_int_equal(s.nwrites, 1);
    assert_true(s.writes[0].icr64);
    assert_int_equal(s.writes[0].value, (300ULL << 32) | ICR_STARTUP | ICR_LEVEL_ASSERT | 0x08);
}

static void test_startup_vector_limits(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    assert_int_equal(lapic_send_startup(&io, 1, 0x9F), 0);
    assert_int_equal(lapic_send_startup(&io, 1, 0xA0), -E_INVAL); /* reserved vectors */
    assert_int_equal(lapic_send_startup(&io, 1, 0xBF), -E_INVAL);
    assert_int_equal(lapic_send_startup(&io, 1, 0xC0), 0);
    assert_int_equal(lapic_send_startup(&io, 1, 0x100), -E_INVAL); /* above 1 MiB */
}

/* A send waits for the previous IPI's delivery status to clear, and gives
 * up (bounded) when it never does. */
static void test_xapic_waits_for_idle(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    s.busy_reads = 3;
    assert_int_equal(lapic_send_ipi(&io, 2, ICR_FIXED | 0xF0), 0);
    assert_int_equal(s.busy_reads, 0);
    s.busy_reads = LAPIC_ICR_SPIN_LIMIT + 10;
    s.nwrites = 0;
    assert_int_equal(lapic_send_ipi(&io, 2, ICR_FIXED | 0xF0), -E_BUSY);
    assert_int_equal(s.nwrites, 0); /* nothing sent while the ICR was busy */
}

static void test_broadcast_never_sent(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    assert_int_equal(lapic_send_init(&io, XAPIC_BROADCAST_ID), -E_INVAL);
    assert_int_equal(s.nwrites, 0);
}

static void test_esr_write_then_read(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    s.esr_latched = 0x40; /* "send illegal vector" */
    assert_int_equal(lapic_read_esr(&io), 0x40);
    assert_int_equal(s.writes[0].off, LAPIC_ESR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icr_xapic_table),       cmocka_unit_test(test_icr_x2apic_table),
        cmocka_unit_test(test_xapic_init_sequence),   cmocka_unit_test(test_x2apic_startup_one_write),
        cmocka_unit_test(test_startup_vector_limits), cmocka_unit_test(test_xapic_waits_for_idle),
        cmocka_unit_test(test_broadcast_never_sent),  cmocka_unit_test(test_esr_write_then_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

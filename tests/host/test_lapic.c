/* ICR encoding and IPI sending for xAPIC and x2APIC, through a simulated
 * local APIC and CPU that record every register write, fence and interrupt
 * flag change in order (QEMU's TCG has no x2APIC, so this is where that
 * path is tested). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lapic.h"

#define MAX_EVENTS 16

/* Everything the IPI code does to the simulated APIC and CPU, in order:
 * register writes, x2APIC ICR writes, store fences, interrupts off/back. */
enum ev_kind { EV_WRITE, EV_ICR64, EV_FENCE, EV_IRQ_OFF, EV_IRQ_RESTORE };

struct sim {
    uint32_t regs[0x400 / 4];
    struct { enum ev_kind kind; uint32_t off; uint64_t value; bool irq_off; } ev[MAX_EVENTS];
    int nev;
    bool irq_off;         /* the simulated CPU's interrupt flag, inverted */
    int busy_reads;       /* ICR reads that still report delivery pending */
    uint32_t esr_latched; /* what ESR shows after its clearing write */
};

static void record(struct sim *s, enum ev_kind kind, uint32_t off, uint64_t value)
{
    assert_true(s->nev < MAX_EVENTS);
    s->ev[s->nev].kind = kind;
    s->ev[s->nev].off = off;
    s->ev[s->nev].value = value;
    s->ev[s->nev].irq_off = s->irq_off;
    s->nev++;
}

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
    record(s, EV_WRITE, off, v);
    s->regs[off / 4] = off == LAPIC_ESR ? s->esr_latched : v;
}

static void sim_write_icr64(void *ctx, uint64_t v)
{
    record(ctx, EV_ICR64, LAPIC_ICR_LOW, v);
}

static void sim_fence(void *ctx)
{
    record(ctx, EV_FENCE, 0, 0);
}

static uint64_t sim_irq_save(void *ctx)
{
    struct sim *s = ctx;
    uint64_t was_off = s->irq_off;
    record(s, EV_IRQ_OFF, 0, 0);
    s->irq_off = true;
    return was_off;
}

static void sim_irq_restore(void *ctx, uint64_t was_off)
{
    struct sim *s = ctx;
    record(s, EV_IRQ_RESTORE, 0, was_off);
    s->irq_off = was_off;
}

static struct lapic_io io_for(struct sim *s, bool x2)
{
    memset(s, 0, sizeof(*s));
    return (struct lapic_io){ .x2apic = x2, .read = sim_read, .write = sim_write,
                              .write_icr64 = sim_write_icr64, .store_fence = sim_fence,
                              .irq_save = sim_irq_save, .irq_restore = sim_irq_restore, .ctx = s };
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

/* xAPIC: interrupts off, high before low (writing low sends), interrupts
 * back: a handler sending its own IPI cannot land between the two writes.
 * INIT is level-assert. */
static void test_xapic_init_sequence(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    assert_int_equal(lapic_send_init(&io, 5), 0);
    assert_int_equal(s.nev, 4);
    assert_int_equal(s.ev[0].kind, EV_IRQ_OFF);
    assert_int_equal(s.ev[1].kind, EV_WRITE);
    assert_int_equal(s.ev[1].off, LAPIC_ICR_HIGH);
    assert_int_equal(s.ev[1].value, 5u << 24);
    assert_true(s.ev[1].irq_off);
    assert_int_equal(s.ev[2].kind, EV_WRITE);
    assert_int_equal(s.ev[2].off, LAPIC_ICR_LOW);
    assert_int_equal(s.ev[2].value, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
    assert_true(s.ev[2].irq_off);
    assert_int_equal(s.ev[3].kind, EV_IRQ_RESTORE);
    assert_false(s.irq_off);   /* as it was before the call */
}

/* A caller that already had interrupts off keeps them off. */
static void test_xapic_keeps_callers_irq_off(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    s.irq_off = true;
    assert_int_equal(lapic_send_ipi(&io, 3, ICR_FIXED | 0xF1), 0);
    assert_true(s.irq_off);
}

/* x2APIC: one 64-bit write, and a store fence right before it (WRMSR to
 * the ICR is not serialising: without the fence the IPI may overtake the
 * data it announces). */
static void test_x2apic_startup_one_write(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, true);
    (void)state;
    assert_int_equal(lapic_send_startup(&io, 300, 0x08), 0);
    assert_int_equal(s.nev, 2);
    assert_int_equal(s.ev[0].kind, EV_FENCE);
    assert_int_equal(s.ev[1].kind, EV_ICR64);
    assert_int_equal(s.ev[1].value, (300ULL << 32) | ICR_STARTUP | ICR_LEVEL_ASSERT | 0x08);
}

/* Every x2APIC send, whatever its kind, fences first; a refused one does
 * nothing at all. */
static void test_x2apic_every_send_fenced(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, true);
    (void)state;
    assert_int_equal(lapic_send_ipi(&io, 7, ICR_FIXED | 0xF0), 0);
    assert_int_equal(lapic_send_init(&io, 8), 0);
    assert_int_equal(s.nev, 4);
    for (int i = 0; i < 4; i += 2) {
        assert_int_equal(s.ev[i].kind, EV_FENCE);
        assert_int_equal(s.ev[i + 1].kind, EV_ICR64);
    }
    assert_int_equal(lapic_send_ipi(&io, UINT32_MAX, ICR_FIXED | 0xF0), -E_INVAL);
    assert_int_equal(s.nev, 4);
}

/* INIT to all but self: the shorthand bits set and the destination zero,
 * in both modes (the field is ignored with a shorthand, so nothing else may
 * leak into it), xAPIC still high before low under interrupts off. */
static void test_init_all_but_self(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    assert_int_equal(lapic_send_init_all_but_self(&io), 0);
    assert_int_equal(s.nev, 4);
    assert_int_equal(s.ev[1].off, LAPIC_ICR_HIGH);
    assert_int_equal(s.ev[1].value, 0);
    assert_int_equal(s.ev[2].off, LAPIC_ICR_LOW);
    assert_int_equal(s.ev[2].value, ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL | (3u << 18));
    io = io_for(&s, true);
    assert_int_equal(lapic_send_init_all_but_self(&io), 0);
    assert_int_equal(s.nev, 2);
    assert_int_equal(s.ev[0].kind, EV_FENCE);
    assert_int_equal(s.ev[1].kind, EV_ICR64);
    assert_int_equal(s.ev[1].value, (uint64_t)(ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL | (3u << 18)));
}

/* A fixed vector to all but self: the same shorthand, a fixed edge IPI
 * with the vector in bits 7:0, destination zero, in both modes. */
static void test_vector_all_but_self(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    assert_int_equal(lapic_send_vector_all_but_self(&io, 0xF1), 0);
    assert_int_equal(s.nev, 4);
    assert_int_equal(s.ev[1].off, LAPIC_ICR_HIGH);
    assert_int_equal(s.ev[1].value, 0);
    assert_int_equal(s.ev[2].off, LAPIC_ICR_LOW);
    assert_int_equal(s.ev[2].value, 0xF1u | (1u << 14) | (3u << 18));   /* vector, assert, all but self */
    io = io_for(&s, true);
    assert_int_equal(lapic_send_vector_all_but_self(&io, 0x30), 0);
    assert_int_equal(s.nev, 2);
    assert_int_equal(s.ev[0].kind, EV_FENCE);
    assert_int_equal(s.ev[1].kind, EV_ICR64);
    assert_int_equal(s.ev[1].value, (uint64_t)(0x30u | (1u << 14) | (3u << 18)));
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
    s.nev = 0;
    assert_int_equal(lapic_send_ipi(&io, 2, ICR_FIXED | 0xF0), -E_BUSY);
    /* nothing sent while the ICR was busy, and interrupts are back on */
    assert_int_equal(s.nev, 2);
    assert_int_equal(s.ev[0].kind, EV_IRQ_OFF);
    assert_int_equal(s.ev[1].kind, EV_IRQ_RESTORE);
    assert_false(s.irq_off);
}

static void test_broadcast_never_sent(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    assert_int_equal(lapic_send_init(&io, XAPIC_BROADCAST_ID), -E_INVAL);
    assert_int_equal(s.nev, 0);
}

static void test_esr_write_then_read(void **state)
{
    struct sim s;
    struct lapic_io io = io_for(&s, false);
    (void)state;
    s.esr_latched = 0x40; /* "send illegal vector" */
    assert_int_equal(lapic_read_esr(&io), 0x40);
    assert_int_equal(s.ev[0].kind, EV_WRITE);
    assert_int_equal(s.ev[0].off, LAPIC_ESR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icr_xapic_table),       cmocka_unit_test(test_icr_x2apic_table),
        cmocka_unit_test(test_xapic_init_sequence),   cmocka_unit_test(test_x2apic_startup_one_write),
        cmocka_unit_test(test_init_all_but_self),
        cmocka_unit_test(test_vector_all_but_self),
        cmocka_unit_test(test_startup_vector_limits), cmocka_unit_test(test_xapic_waits_for_idle),
        cmocka_unit_test(test_broadcast_never_sent),  cmocka_unit_test(test_esr_write_then_read),
        cmocka_unit_test(test_xapic_keeps_callers_irq_off),
        cmocka_unit_test(test_x2apic_every_send_fenced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

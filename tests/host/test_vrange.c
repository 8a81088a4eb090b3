/* Host tests for shared/vrange.c: table-driven reserve / alloc / release
 * cases (including the top of the 64-bit space, where alignment can wrap),
 * and seeded random sequences against a unit model that records which
 * reservation owns each unit of a small space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bootinfo.h"
#include "common/rng.h"
#include "vrange.h"

#define V(b, e, k)  { .base = (b), .end = (e), .kind = VR_##k }
#define ROWS_MAX    6
#define NO_CAP      16
#define TOP         UINT64_MAX   /* the highest exclusive end a range can have */

enum op { OP_RESERVE, OP_ALLOC, OP_RELEASE };

struct vcase {
    const char *what;
    size_t capacity;
    struct vrange before[ROWS_MAX];   /* end == 0 terminates */
    enum op op;
    vaddr_t a, b;                     /* reserve/release: [a, b); alloc: window [a, b) */
    uint64_t size, align;             /* alloc */
    uint32_t kind;
    int rc;
    vaddr_t out;                      /* alloc */
    struct vrange after[ROWS_MAX];    /* when rc == 0 */
};

static size_t rows(const struct vrange *r)
{
    size_t n = 0;
    while (n < ROWS_MAX && r[n].end != 0)
        n++;
    return n;
}

static const struct vcase cases[] = {
    { "reserve into an empty set", NO_CAP, { { 0 } }, OP_RESERVE, 0x1000, 0x2000, 0, 0, VR_HEAP, 0,
      0, { V(0x1000, 0x2000, HEAP) } },
    { "touching reservations stay separate", NO_CAP, { V(0x1000, 0x2000, HEAP) }, OP_RESERVE,
      0x2000, 0x3000, 0, 0, VR_HEAP, 0, 0, { V(0x1000, 0x2000, HEAP), V(0x2000, 0x3000, HEAP) } },
    { "reserve keeps the set sorted", NO_CAP, { V(0x5000, 0x6000, MMIO) }, OP_RESERVE, 0x1000,
      0x2000, 0, 0, VR_GUARD, 0, 0, { V(0x1000, 0x2000, GUARD), V(0x5000, 0x6000, MMIO) } },
    { "reserve overlapping by one byte is refused", NO_CAP, { V(0x1000, 0x2000, HEAP) },
      OP_RESERVE, 0x1FFF, 0x3000, 0, 0, VR_HEAP, -E_OVERLAP, 0, { { 0 } } },
    { "reserve covering a reservation is refused", NO_CAP, { V(0x1000, 0x2000, HEAP) }, OP_RESERVE,
      0, 0x9000, 0, 0, VR_HEAP, -E_OVERLAP, 0, { { 0 } } },
    { "reserve of an empty range is refused", NO_CAP, { { 0 } }, OP_RESERVE, 0x1000, 0x1000, 0, 0,
      VR_HEAP, -E_INVAL, 0, { { 0 } } },
    { "reserve of VR_NONE is refused", NO_CAP, { { 0 } }, OP_RESERVE, 0x1000, 0x2000, 0, 0, VR_NONE,
      -E_INVAL, 0, { { 0 } } },
    { "reserve when full is refused", 1, { V(0x1000, 0x2000, HEAP) }, OP_RESERVE, 0x3000, 0x4000,
      0, 0, VR_HEAP, -E_CAPACITY, 0, { { 0 } } },
    { "reserve up to the top of the space", NO_CAP, { { 0 } }, OP_RESERVE, TOP - 0xFFF, TOP, 0, 0,
      VR_OTHER, 0, 0, { V(TOP - 0xFFF, TOP, OTHER) } },

    /*  window [0x1000, 0x10000):  [0x1000 heap 0x3000)  [0x4000 mmio 0x5000)
     *  alloc 0x2000 aligned 0x2000 -> 0x6000 (0x3000 is misaligned and the
     *  gap [0x3000, 0x4000) too small). */
    { "alloc takes the lowest aligned gap that fits", NO_CAP,
      { V(0x1000, 0x3000, HEAP), V(0x4000, 0x5000, MMIO) }, OP_ALLOC, 0x1000, 0x10000, 0x2000,
      0x2000, VR_HEAP, 0, 0x6000,
      { V(0x1000, 0x3000, HEAP), V(0x4000, 0x5000, MMIO), V(0x6000, 0x8000, HEAP) } },
    { "alloc starts inside a reservation straddling the window start", NO_CAP,
      { V(0x0, 0x3000, HEAP) }, OP_ALLOC, 0x1000, 0x10000, 0x1000, 0x1000, VR_HEAP, 0, 0x3000,
      { V(0x0, 0x3000, HEAP), V(0x3000, 0x4000, HEAP) } },
    { "alloc fills a gap exactly", NO_CAP, { V(0x0, 0x1000, HEAP), V(0x2000, 0x3000, HEAP) },
      OP_ALLOC, 0, 0x3000, 0x1000, 0x1000, VR_KERNEL_STACK, 0, 0x1000,
      { V(0x0, 0x1000, HEAP), V(0x1000, 0x2000, KERNEL_STACK), V(0x2000, 0x3000, HEAP) } },
    { "alloc must stay inside the window", NO_CAP, { { 0 } }, OP_ALLOC, 0x1000, 0x2800, 0x2000,
      0x1000, VR_HEAP, -E_NOMEM, 0, { { 0 } } },
    { "alloc with alignment pushing past the window fails", NO_CAP, { { 0 } }, OP_ALLOC, 0x1001,
      0x3000, 0x1000, 0x4000, VR_HEAP, -E_NOMEM, 0, { { 0 } } },
    { "alloc in a full window fails", NO_CAP, { V(0x0, 0x10000, HEAP) }, OP_ALLOC, 0x1000, 0x8000,
      0x1000, 0x1000, VR_HEAP, -E_NOMEM, 0, { { 0 } } },
    { "alloc near the top: aligning up must not wrap to 0", NO_CAP, { { 0 } }, OP_ALLOC, TOP - 10,
      TOP, 0x1, 0x1000, VR_HEAP, -E_NOMEM, 0, { { 0 } } },
    { "alloc of the last aligned page below the top", NO_CAP, { { 0 } }, OP_ALLOC, TOP - 0x2000,
      TOP, 0x1000, 0x1000, VR_HEAP, 0, ALIGN_DOWN(TOP, 0x1000) - 0x1000,
      { V(ALIGN_DOWN(TOP, 0x1000) - 0x1000, ALIGN_DOWN(TOP, 0x1000), HEAP) } },
    { "alloc of size 0 is refused", NO_CAP, { { 0 } }, OP_ALLOC, 0, 0x1000, 0, 0x1000, VR_HEAP,
      -E_INVAL, 0, { { 0 } } },
    { "alloc with a non-power-of-two alignment is refused", NO_CAP, { { 0 } }, OP_ALLOC, 0,
      0x10000, 0x1000, 0x3000, VR_HEAP, -E_INVAL, 0, { { 0 } } },
    { "alloc in an empty window is refused", NO_CAP, { { 0 } }, OP_ALLOC, 0x5000, 0x5000, 0x1000,
      0x1000, VR_HEAP, -E_INVAL, 0, { { 0 } } },
    { "alloc when full is refused", 1, { V(0x0, 0x1000, HEAP) }, OP_ALLOC, 0, 0x10000, 0x1000,
      0x1000, VR_HEAP, -E_CAPACITY, 0, { { 0 } } },

    { "release of a whole reservation", NO_CAP,
      { V(0x1000, 0x2000, HEAP), V(0x2000, 0x3000, MMIO) }, OP_RELEASE, 0x1000, 0x2000, 0, 0, 0, 0, 0, { V(0x2000, 0x3000, MMIO) } },
    { "release of a prefix", NO_CAP, { V(0x1000, 0x4000, HEAP) }, OP_RELEASE, 0x1000, 0x2000, 0, 0,
      0, 0, 0, { V(0x2000, 0x4000, HEAP) } },
    { "release of a suffix", NO_CAP, { V(0x1000, 0x4000, HEAP) }, OP_RELEASE, 0x3000, 0x4000, 0, 0,
      0, 0, 0, { V(0x1000, 0x3000, HEAP) } },
    /*  [0x1000 heap ............ 0x4000)  release [0x2000, 0x3000)
     *  [0x1000 heap 0x2000)    [0x3000 heap 0x4000) */
    { "release of a middle part splits", NO_CAP, { V(0x1000, 0x4000, HEAP) }, OP_RELEASE, 0x2000,
      0x3000, 0, 0, 0, 0, 0, { V(0x1000, 0x2000, HEAP), V(0x3000, 0x4000, HEAP) } },
    { "release splitting when full is refused", 1, { V(0x1000, 0x4000, HEAP) }, OP_RELEASE, 0x2000,
      0x3000, 0, 0, 0, -E_CAPACITY, 0, { { 0 } } },
    { "release across two touching reservations is refused", NO_CAP,
      { V(0x1000, 0x2000, HEAP), V(0x2000, 0x3000, HEAP) }, OP_RELEASE, 0x1000, 0x3000, 0, 0, 0,
      -E_NOTFOUND, 0, { { 0 } } },
    { "release of a gap is refused", NO_CAP, { V(0x1000, 0x2000, HEAP) }, OP_RELEASE, 0x3000,
      0x4000, 0, 0, 0, -E_NOTFOUND, 0, { { 0 } } },
    { "release running past a reservation is refused", NO_CAP, { V(0x1000, 0x2000, HEAP) },
      OP_RELEASE, 0x1800, 0x2800, 0, 0, 0, -E_NOTFOUND, 0, { { 0 } } },
    { "release starting before a reservation is refused", NO_CAP, { V(0x1000, 0x2000, HEAP) },
      OP_RELEASE, 0x800, 0x1800, 0, 0, 0, -E_NOTFOUND, 0, { { 0 } } },
    { "release of an empty range is refused", NO_CAP, { V(0x1000, 0x2000, HEAP) }, OP_RELEASE,
      0x1800, 0x1800, 0, 0, 0, -E_INVAL, 0, { { 0 } } },
};

static int run_case(struct vrange_set *vs, const struct vcase *c, vaddr_t *out)
{
    switch (c->op) {
    case OP_RESERVE: return vrange_reserve(vs, c->a, c->b, (enum vrange_kind)c->kind);
    case OP_ALLOC:
        return vrange_alloc(vs, c->size, c->align, c->a, c->b, (enum vrange_kind)c->kind, out);
    case OP_RELEASE: return vrange_release(vs, c->a, c->b);
    }
    return -1;
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct vcase *c = &cases[i];
        struct vrange storage[NO_CAP], snapshot[NO_CAP];
        struct vrange_set vs;
        size_t nb = rows(c->before);
        vaddr_t out = 0;

        vrange_init(&vs, storage, c->capacity);
        memset(storage, 0, sizeof(storage));
        memcpy(storage, c->before, nb * sizeof(storage[0]));
        vs.count = nb;
        assert_true(vrange_check(&vs));
        memcpy(snapshot, storage, sizeof(storage));

        int rc = run_case(&vs, c, &out);
        if (rc != c->rc)
            fail_msg("\"%s\": rc %d, want %d", c->what, rc, c->rc);
        if (!vrange_check(&vs))
            fail_msg("\"%s\": invariants broken", c->what);
        if (rc != 0) {
            if (vs.count != nb || memcmp(storage, snapshot, sizeof(storage)) != 0)
                fail_msg("\"%s\": failed but changed the set", c->what);
            continue;
        }
        if (c->op == OP_ALLOC && out != c->out)
            fail_msg("\"%s\": got %#llx, want %#llx", c->what, (unsigned long long)out,
                     (unsigned long long)c->out);
        size_t na = rows(c->after);
        if (vs.count != na)
            fail_msg("\"%s\": %zu entries, want %zu", c->what, vs.count, na);
        for (size_t j = 0; j < na; j++)
            if (storage[j].base != c->after[j].base || storage[j].end != c->after[j].end ||
                storage[j].kind != c->after[j].kind)
                fail_msg("\"%s\": entry %zu is [%#llx, %#llx) %s", c->what, j,
                         (unsigned long long)storage[j].base, (unsigned long long)storage[j].end,
                         vrange_kind_name((enum vrange_kind)storage[j].kind));
    }
}

static void test_lookup_and_names(void **state)
{
    (void)state;
    struct vrange storage[4] = { V(0x1000, 0x2000, HEAP), V(0x2000, 0x3000, GUARD) };
    struct vrange_set vs = { .r = storage, .count = 2, .capacity = 4 };

    assert_null(vrange_lookup(&vs, 0xFFF));
    assert_ptr_equal(vrange_lookup(&vs, 0x1000), &storage[0]);
    assert_ptr_equal(vrange_lookup(&vs, 0x1FFF), &storage[0]);
    assert_ptr_equal(vrange_lookup(&vs, 0x2000), &storage[1]);
    assert_null(vrange_lookup(&vs, 0x3000));
    assert_string_equal(vrange_kind_name(VR_KERNEL_STACK), "kernel-stack");
    assert_string_equal(vrange_kind_name(VR_KIND_COUNT), "invalid");
    for (int k = 0; k < VR_KIND_COUNT; k++)
        assert_string_not_equal(vrange_kind_name((enum vrange_kind)k), "invalid");
}

/* The kernel's layout (kernel/mm.c): HHDM, stack window with a guard below
 * the BSP stack, the image; then heap mappings from the heap window. */
static void test_kernel_layout(void **state)
{
    (void)state;
    enum { HEAP_WINDOW = 0xFFFFFE0000000000ULL, HEAP_WINDOW_END = 0xFFFFFE8000000000ULL };
    struct vrange storage[16];
    struct vrange_set vs;
    vaddr_t stack_top = KSTACK_WINDOW + 4 * KERNEL_STACK_SIZE, a, b;

    vrange_init(&vs, storage, ARRAY_LEN(storage));
    assert_int_equal(vrange_reserve(&vs, HHDM_BASE_4LEVEL, HHDM_BASE_4LEVEL + 16 * GiB, VR_HHDM), 0);
    vaddr_t stack_base = stack_top - KERNEL_STACK_SIZE;
    assert_int_equal(vrange_reserve(&vs, KSTACK_WINDOW, stack_base, VR_GUARD), 0);
    assert_int_equal(vrange_reserve(&vs, stack_base, stack_top, VR_KERNEL_STACK), 0);
    assert_int_equal(vrange_reserve(&vs, KERNEL_VBASE, KERNEL_VBASE + 2 * MiB, VR_KERNEL_IMAGE), 0);
    assert_int_equal(vrange_alloc(&vs, 3 * PAGE_SIZE, PAGE_SIZE, HEAP_WINDOW, HEAP_WINDOW_END,
                                  VR_HEAP, &a), 0);
    assert_int_equal(vrange_alloc(&vs, PAGE_SIZE, PAGE_SIZE, HEAP_WINDOW, HEAP_WINDOW_END, VR_HEAP,
                                  &b), 0);
    assert_int_equal(a, HEAP_WINDOW);
    assert_int_equal(b, HEAP_WINDOW + 3 * PAGE_SIZE);
    assert_int_equal(vrange_release(&vs, a, a + 3 * PAGE_SIZE), 0);
    assert_int_equal(vrange_alloc(&vs, PAGE_SIZE, PAGE_SIZE, HEAP_WINDOW, HEAP_WINDOW_END, VR_HEAP,
                                  &a), 0);
    assert_int_equal(a, HEAP_WINDOW);   /* first fit reuses the hole */
    assert_int_equal(vrange_lookup(&vs, stack_top - 1)->kind, VR_KERNEL_STACK);
    assert_int_equal(vrange_lookup(&vs, KSTACK_WINDOW)->kind, VR_GUARD);
    assert_true(vrange_check(&vs));
}

/* ---- random sequences against a unit model -------------------------------- */

#define UNITS     512          /* model space [0, UNITS) in bytes */
#define STEPS     4000
#define CAP       24

struct vmodel {
    uint16_t owner[UNITS];     /* reservation id, 0 = free */
    uint8_t kind[UNITS];
    uint16_t next_id;
};

static bool units_free(const struct vmodel *m, vaddr_t b, vaddr_t e)
{
    for (vaddr_t u = b; u < e; u++)
        if (m->owner[u])
            return false;
    return true;
}

static void give(struct vmodel *m, vaddr_t b, vaddr_t e, uint16_t id, uint8_t kind)
{
    for (vaddr_t u = b; u < e; u++) {
        m->owner[u] = id;
        m->kind[u] = kind;
    }
}

static size_t model_count(const struct vmodel *m)
{
    size_t n = 0;
    for (size_t u = 0; u < UNITS; u++)
        n += m->owner[u] && (u == 0 || m->owner[u - 1] != m->owner[u]);
    return n;
}

static void model_compare(const struct vmodel *m, const struct vrange_set *vs, unsigned long step)
{
    size_t i = 0;
    assert_true(vrange_check(vs));
    assert_int_equal(vs->count, model_count(m));
    for (size_t u = 0; u < UNITS; u++) {
        const struct vrange *v = vrange_lookup(vs, u);
        if ((v != NULL) != (m->owner[u] != 0) || (v && v->kind != m->kind[u]))
            fail_msg("step %lu: unit %zu differs", step, u);
        /* Entry boundaries are exactly the model's owner changes. */
        if (m->owner[u] && (u == 0 || m->owner[u - 1] != m->owner[u])) {
            if (vs->r[i].base != u)
                fail_msg("step %lu: entry %zu starts at %#llx, model at %zu", step, i,
                         (unsigned long long)vs->r[i].base, u);
            i++;
        }
    }
}

static void test_random_sequences(void **state)
{
    (void)state;
    struct vrange storage[CAP];
    struct vrange_set vs;
    static struct vmodel m, next;
    uint64_t rng = 5;
    unsigned long outcomes[8] = { 0 };

    vrange_init(&vs, storage, CAP);
    memset(&m, 0, sizeof(m));
    for (unsigned long step = 0; step < STEPS; step++) {
        vaddr_t b = rng_below(&rng, UNITS), e = b + rng_between(&rng, 1, 40), x = 0;
        uint8_t kind = (uint8_t)rng_between(&rng, VR_NONE + 1, VR_KIND_COUNT - 1);
        int rc, want;
        e = MIN(e, UNITS);
        next = m;

        switch (rng_below(&rng, 3)) {
        case 0:
            give(&next, b, e, ++next.next_id, kind);
            want = !units_free(&m, b, e) ? -E_OVERLAP : model_count(&next) > CAP ? -E_CAPACITY : 0;
            rc = vrange_reserve(&vs, b, e, (enum vrange_kind)kind);
            break;
        case 1: {
            uint64_t size = rng_between(&rng, 1, 24), align = 1ULL << rng_below(&rng, 5);
            vaddr_t lo = rng_below(&rng, UNITS / 2), hi = lo + rng_between(&rng, 1, UNITS / 2);
            vaddr_t at = ALIGN_UP(lo, align);
            while (at + size <= hi && !units_free(&m, at, at + size))
                at += align;
            if (at + size > hi) {
                want = -E_NOMEM;
            } else {
                give(&next, at, at + size, ++next.next_id, kind);
                want = model_count(&next) > CAP ? -E_CAPACITY : 0;
            }
            rc = vrange_alloc(&vs, size, align, lo, hi, (enum vrange_kind)kind, &x);
            if (rc == 0 && x != at)
                fail_msg("step %lu: alloc at %#llx, model %#llx", step, (unsigned long long)x,
                         (unsigned long long)at);
            break;
        }
        default: {
            if (vs.count > 0 && rng_below(&rng, 4) != 0) {
                /* Mostly a sub-range of a reservation: the interesting cases. */
                const struct vrange *v = &vs.r[rng_below(&rng, vs.count)];
                b = rng_between(&rng, v->base, v->end - 1);
                e = rng_between(&rng, b + 1, v->end);
            }
            uint16_t id = m.owner[b];
            bool inside = id != 0;
            for (vaddr_t u = b; inside && u < e; u++)
                inside = m.owner[u] == id;
            if (!inside) {
                want = -E_NOTFOUND;
            } else {
                give(&next, b, e, 0, 0);
                /* A kept right-hand part becomes its own reservation. */
                vaddr_t r = e;
                uint16_t right = ++next.next_id;
                while (r < UNITS && next.owner[r] == id)
                    next.owner[r++] = right;
                want = model_count(&next) > CAP ? -E_CAPACITY : 0;
            }
            rc = vrange_release(&vs, b, e);
            break;
        }
        }
        if (rc != want)
            fail_msg("step %lu: rc %d, model %d", step, rc, want);
        if (rc == 0)
            m = next;
        outcomes[-rc]++;
        model_compare(&m, &vs, step);
    }
    print_message("%lu ok, %lu overlap, %lu capacity, %lu nomem, %lu notfound\n", outcomes[0],
                  outcomes[E_OVERLAP], outcomes[E_CAPACITY], outcomes[E_NOMEM],
                  outcomes[E_NOTFOUND]);
    assert_true(outcomes[0] > STEPS / 10 && outcomes[E_CAPACITY] > 0 && outcomes[E_NOMEM] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_lookup_and_names),
        cmocka_unit_test(test_kernel_layout),
        cmocka_unit_test(test_random_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

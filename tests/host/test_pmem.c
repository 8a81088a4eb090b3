/* Host tests for shared/pmem.c: table-driven tracker operations, pmem_build
 * on hand-written, OVMF-like, fragmented and hostile maps. Random sequences
 * against a page model live in test_pmem_property.c.
 *
 * Tables write addresses in pages (P(n) = n * 4 KiB) so the pictures stay
 * readable; each row is one operation on a tracker built from `before`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/maps.h"
#include "common/refmodel.h"
#include "pmem.h"

#define P(n)          ((paddr_t)(n) * PAGE_SIZE)
#define R(b, e, t)    { .base = P(b), .end = P(e), .type = PMEM_##t }
#define ROWS_MAX      8      /* ranges per table row; end == 0 terminates */
#define NO_CAP        64     /* "capacity is not the point of this row" */

/* ---- table-driven tracker operations ------------------------------------ */

enum op { OP_INSERT, OP_CUT, OP_RETYPE, OP_ALLOC, OP_FREE };

struct op_case {
    const char *what;
    size_t capacity;
    struct pmem_range before[ROWS_MAX];
    enum op op;
    paddr_t base, end;        /* insert/cut/retype/free: [base, end) */
    uint64_t align, max_end;  /* alloc: size = end - base (base unused) */
    uint32_t type;
    int rc;
    paddr_t out;              /* alloc: expected address */
    struct pmem_range after[ROWS_MAX];   /* ignored when rc != 0: must equal before */
};

static size_t rows(const struct pmem_range *r)
{
    size_t n = 0;
    while (n < ROWS_MAX && r[n].end != 0)
        n++;
    return n;
}

static const struct op_case op_cases[] = {
    /* insert */
    { "insert into an empty tracker", NO_CAP, { { 0 } }, OP_INSERT, P(1), P(3), 0, 0,
      PMEM_USABLE, 0, 0, { R(1, 3, USABLE) } },
    { "insert touching the left neighbour of the same type merges", NO_CAP,
      { R(0, 4, USABLE) }, OP_INSERT, P(4), P(6), 0, 0, PMEM_USABLE, 0, 0, { R(0, 6, USABLE) } },
    { "insert touching the right neighbour of the same type merges", NO_CAP,
      { R(4, 8, USABLE) }, OP_INSERT, P(2), P(4), 0, 0, PMEM_USABLE, 0, 0, { R(2, 8, USABLE) } },
    /*  [0 usable 4)[new 4..6)[6 usable 8)  ->  [0 usable 8) */
    { "insert bridging two same-type neighbours leaves one entry", NO_CAP,
      { R(0, 4, USABLE), R(6, 8, USABLE) }, OP_INSERT, P(4), P(6), 0, 0, PMEM_USABLE, 0, 0,
      { R(0, 8, USABLE) } },
    { "insert touching a different type stays separate", NO_CAP, { R(0, 4, RESERVED) },
      OP_INSERT, P(4), P(6), 0, 0, PMEM_USABLE, 0, 0, { R(0, 4, RESERVED), R(4, 6, USABLE) } },
    { "insert overlapping an entry's tail is refused", NO_CAP, { R(0, 4, USABLE) }, OP_INSERT,
      P(3), P(6), 0, 0, PMEM_USABLE, -E_OVERLAP, 0, { { 0 } } },
    { "insert inside an entry is refused", NO_CAP, { R(0, 8, RESERVED) }, OP_INSERT, P(2), P(3),
      0, 0, PMEM_RESERVED, -E_OVERLAP, 0, { { 0 } } },
    { "insert covering an entry is refused", NO_CAP, { R(2, 3, MMIO) }, OP_INSERT, P(0), P(8), 0,
      0, PMEM_USABLE, -E_OVERLAP, 0, { { 0 } } },
    { "insert needing a new entry at full capacity is refused", 2,
      { R(0, 1, USABLE), R(4, 5, USABLE) }, OP_INSERT, P(2), P(3), 0, 0, PMEM_USABLE,
      -E_CAPACITY, 0, { { 0 } } },
    { "insert merging at full capacity needs no entry", 2, { R(0, 1, USABLE), R(4, 5, USABLE) },
      OP_INSERT, P(1), P(4), 0, 0, PMEM_USABLE, 0, 0, { R(0, 5, USABLE) } },
    { "insert of an unaligned range is refused", NO_CAP, { { 0 } }, OP_INSERT, P(1) + 1, P(3), 0,
      0, PMEM_USABLE, -E_INVAL, 0, { { 0 } } },
    { "insert of an empty range is refused", NO_CAP, { { 0 } }, OP_INSERT, P(3), P(3), 0, 0,
      PMEM_USABLE, -E_INVAL, 0, { { 0 } } },
    { "insert of PMEM_NONE is refused", NO_CAP, { { 0 } }, OP_INSERT, P(1), P(3), 0, 0,
      PMEM_NONE, -E_INVAL, 0, { { 0 } } },
    { "insert of a type past the enum is refused", NO_CAP, { { 0 } }, OP_INSERT, P(1), P(3), 0,
      0, PMEM_TYPE_COUNT, -E_INVAL, 0, { { 0 } } },
    { "insert reaching PMEM_END_MAX", NO_CAP, { { 0 } }, OP_INSERT, PMEM_END_MAX - P(2),
      PMEM_END_MAX, 0, 0, PMEM_RESERVED, 0, 0,
      { { .base = PMEM_END_MAX - P(2), .end = PMEM_END_MAX, .type = PMEM_RESERVED } } },

    /* cut */
    /*  [0 usable ........ 8)  cut [2, 5)  ->  [0 usable 2)     [5 usable 8) */
    { "cut in the middle splits an entry", NO_CAP, { R(0, 8, USABLE) }, OP_CUT, P(2), P(5), 0, 0,
      0, 0, 0, { R(0, 2, USABLE), R(5, 8, USABLE) } },
    /*  [0 A 4)[4 B 6)  [7 C 10)   cut [2, 8)  ->  [0 A 2)  [8 C 10) */
    { "cut across entries and a gap trims both ends", NO_CAP,
      { R(0, 4, USABLE), R(4, 6, RESERVED), R(7, 10, MMIO) }, OP_CUT, P(2), P(8), 0, 0, 0, 0, 0,
      { R(0, 2, USABLE), R(8, 10, MMIO) } },
    { "cut of a whole entry removes it", NO_CAP, { R(0, 2, USABLE), R(2, 4, RESERVED) }, OP_CUT,
      P(2), P(4), 0, 0, 0, 0, 0, { R(0, 2, USABLE) } },
    { "cut of a gap is not an error", NO_CAP, { R(0, 2, USABLE) }, OP_CUT, P(4), P(8), 0, 0, 0, 0,
      0, { R(0, 2, USABLE) } },
    { "cut splitting at full capacity is refused", 1, { R(0, 8, USABLE) }, OP_CUT, P(2), P(5), 0,
      0, 0, -E_CAPACITY, 0, { { 0 } } },
    { "cut removing an entry at full capacity works", 2, { R(0, 4, USABLE), R(4, 8, RESERVED) },
      OP_CUT, P(2), P(8), 0, 0, 0, 0, 0, { R(0, 2, USABLE) } },

    /* retype */
    /*  [0 usable ...... 8)  retype [2, 4) heap  ->  [0 usable 2)[2 heap 4)[4 usable 8) */
    { "retype in the middle makes three entries", NO_CAP, { R(0, 8, USABLE) }, OP_RETYPE, P(2),
      P(4), 0, 0, PMEM_KERNEL_HEAP, 0, 0,
      { R(0, 2, USABLE), R(2, 4, KERNEL_HEAP), R(4, 8, USABLE) } },
    { "retype over a gap and part of an entry fills the gap", NO_CAP, { R(4, 8, RESERVED) },
      OP_RETYPE, P(2), P(6), 0, 0, PMEM_MMIO, 0, 0, { R(2, 6, MMIO), R(6, 8, RESERVED) } },
    /*  [0 usable 4)[4 data 6)[6 usable 8)  retype [4, 6) usable  ->  [0 usable 8) */
    { "retype back to the neighbours' type merges all three", NO_CAP,
      { R(0, 4, USABLE), R(4, 6, KERNEL_DATA), R(6, 8, USABLE) }, OP_RETYPE, P(4), P(6), 0, 0,
      PMEM_USABLE, 0, 0, { R(0, 8, USABLE) } },
    { "retype to the same type changes nothing", 1, { R(0, 8, USABLE) }, OP_RETYPE, P(2), P(4), 0,
      0, PMEM_USABLE, 0, 0, { R(0, 8, USABLE) } },
    { "retype needing two entries with room for one is refused", 2, { R(0, 8, USABLE) },
      OP_RETYPE, P(2), P(4), 0, 0, PMEM_KERNEL_HEAP, -E_CAPACITY, 0, { { 0 } } },
    { "retype of an edge needs one entry", 2, { R(0, 8, USABLE) }, OP_RETYPE, P(0), P(4), 0, 0,
      PMEM_KERNEL_HEAP, 0, 0, { R(0, 4, KERNEL_HEAP), R(4, 8, USABLE) } },
    { "retype to PMEM_NONE is refused (that is a cut)", NO_CAP, { R(0, 8, USABLE) }, OP_RETYPE,
      P(2), P(4), 0, 0, PMEM_NONE, -E_INVAL, 0, { { 0 } } },

    /* alloc: size is end - base */
    { "alloc takes the lowest usable page", NO_CAP, { R(0, 1, RESERVED), R(1, 8, USABLE) },
      OP_ALLOC, 0, P(1), PAGE_SIZE, 0, PMEM_KERNEL_STACK, 0, P(1),
      { R(0, 1, RESERVED), R(1, 2, KERNEL_STACK), R(2, 8, USABLE) } },
    { "alloc skips a usable range too small for the size", NO_CAP,
      { R(0, 2, USABLE), R(2, 3, RESERVED), R(3, 8, USABLE) }, OP_ALLOC, 0, P(3), PAGE_SIZE, 0,
      PMEM_KERNEL_HEAP, 0, P(3),
      { R(0, 2, USABLE), R(2, 3, RESERVED), R(3, 6, KERNEL_HEAP), R(6, 8, USABLE) } },
    /* 2 MiB = 512 pages: the first aligned start is page 512. */
    { "alloc of a 2 MiB-aligned block skips to the boundary", NO_CAP, { R(1, 2048, USABLE) },
      OP_ALLOC, 0, P(512), PAGE_SIZE_2M, 0, PMEM_KERNEL_PAGETABLES, 0, P(512),
      { R(1, 512, USABLE), R(512, 1024, KERNEL_PAGETABLES), R(1024, 2048, USABLE) } },
    { "alloc below 1 MiB for the AP trampoline", NO_CAP,
      { R(0, 1, BOOT_SERVICES), R(1, 0xA0, USABLE), R(0x100, 0x8000, USABLE) }, OP_ALLOC, 0,
      P(1), PAGE_SIZE, 1 * MiB, PMEM_AP_TRAMPOLINE, 0, P(1),
      { R(0, 1, BOOT_SERVICES), R(1, 2, AP_TRAMPOLINE), R(2, 0xA0, USABLE),
        R(0x100, 0x8000, USABLE) } },
    { "alloc with max_end below all usable memory fails", NO_CAP,
      { R(0, 0x100, RESERVED), R(0x100, 0x8000, USABLE) }, OP_ALLOC, 0, P(1), PAGE_SIZE,
      1 * MiB, PMEM_AP_TRAMPOLINE, -E_NOMEM, 0, { { 0 } } },
    { "alloc must end at or below max_end, not just start below", NO_CAP,
      { R(0xFF, 0x200, USABLE) }, OP_ALLOC, 0, P(2), PAGE_SIZE, 1 * MiB, PMEM_KERNEL_DATA,
      -E_NOMEM, 0, { { 0 } } },
    { "alloc of a 1 GiB-aligned block", NO_CAP, { R(0x100, 0xC0000, USABLE) }, OP_ALLOC, 0,
      PAGE_SIZE_1G, PAGE_SIZE_1G, 0, PMEM_KERNEL_HEAP, 0, PAGE_SIZE_1G,
      { R(0x100, 0x40000, USABLE), R(0x40000, 0x80000, KERNEL_HEAP),
        R(0x80000, 0xC0000, USABLE) } },
    { "alloc splitting a range at full capacity is refused", 1, { R(1, 2048, USABLE) }, OP_ALLOC,
      0, P(512), PAGE_SIZE_2M, 0, PMEM_KERNEL_HEAP, -E_CAPACITY, 0, { { 0 } } },
    { "alloc as usable is refused", NO_CAP, { R(0, 8, USABLE) }, OP_ALLOC, 0, P(1), PAGE_SIZE, 0,
      PMEM_USABLE, -E_INVAL, 0, { { 0 } } },
    { "alloc as mmio is refused", NO_CAP, { R(0, 8, USABLE) }, OP_ALLOC, 0, P(1), PAGE_SIZE, 0,
      PMEM_MMIO, -E_INVAL, 0, { { 0 } } },
    { "alloc with a non-power-of-two alignment is refused", NO_CAP, { R(0, 8, USABLE) }, OP_ALLOC,
      0, P(1), 3 * PAGE_SIZE, 0, PMEM_KERNEL_HEAP, -E_INVAL, 0, { { 0 } } },
    { "alloc of a partial page is refused", NO_CAP, { R(0, 8, USABLE) }, OP_ALLOC, 0, 100,
      PAGE_SIZE, 0, PMEM_KERNEL_HEAP, -E_INVAL, 0, { { 0 } } },
    { "alloc of three pages (any page multiple)", NO_CAP, { R(0, 8, USABLE) }, OP_ALLOC, 0, P(3),
      PAGE_SIZE, 0, PMEM_KERNEL_HEAP, 0, 0, { R(0, 3, KERNEL_HEAP), R(3, 8, USABLE) } },

    /* free */
    { "free of an allocated middle merges with usable on both sides", NO_CAP,
      { R(0, 2, USABLE), R(2, 4, KERNEL_HEAP), R(4, 8, USABLE) }, OP_FREE, P(2), P(4), 0, 0, 0,
      0, 0, { R(0, 8, USABLE) } },
    { "free of part of an allocation", NO_CAP, { R(0, 8, KERNEL_HEAP) }, OP_FREE, P(2), P(3), 0,
      0, 0, 0, 0, { R(0, 2, KERNEL_HEAP), R(2, 3, USABLE), R(3, 8, KERNEL_HEAP) } },
    { "free of usable memory is a double free", NO_CAP, { R(0, 8, USABLE) }, OP_FREE, P(2), P(3),
      0, 0, 0, -E_INVAL, 0, { { 0 } } },
    { "free in a gap is not found", NO_CAP, { R(0, 2, KERNEL_HEAP) }, OP_FREE, P(4), P(5), 0, 0, 0,
      -E_NOTFOUND, 0, { { 0 } } },
    { "free of mmio is refused", NO_CAP, { R(0, 2, MMIO) }, OP_FREE, P(0), P(1), 0, 0, 0, -E_INVAL,
      0, { { 0 } } },
    { "free spanning two entries is refused", NO_CAP,
      { R(0, 2, KERNEL_HEAP), R(2, 4, KERNEL_DATA) }, OP_FREE, P(1), P(3), 0, 0, 0, -E_INVAL, 0, { { 0 } } },
    { "free reclaims boot-services memory", NO_CAP,
      { R(0, 2, USABLE), R(2, 4, BOOT_SERVICES) }, OP_FREE, P(2), P(4), 0, 0, 0, 0, 0,
      { R(0, 4, USABLE) } },
    { "free splitting at full capacity is refused", 1, { R(0, 8, KERNEL_HEAP) }, OP_FREE, P(2),
      P(3), 0, 0, 0, -E_CAPACITY, 0, { { 0 } } },
};

static int run_op(struct pmem *pm, const struct op_case *c, paddr_t *out)
{
    switch (c->op) {
    case OP_INSERT: return pmem_insert(pm, c->base, c->end, (enum pmem_type)c->type);
    case OP_CUT:    return pmem_cut(pm, c->base, c->end);
    case OP_RETYPE: return pmem_retype(pm, c->base, c->end, (enum pmem_type)c->type);
    case OP_ALLOC:
        return pmem_alloc(pm, c->end - c->base, c->align, c->max_end, (enum pmem_type)c->type,
                          out);
    case OP_FREE:   return pmem_free(pm, c->base, c->end - c->base);
    }
    return -1;
}

static void test_op_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(op_cases); i++) {
        const struct op_case *c = &op_cases[i];
        struct pmem_range storage[NO_CAP], snapshot[NO_CAP];
        struct pmem pm;
        size_t nb = rows(c->before);
        paddr_t out = 0;

        pmem_init(&pm, storage, c->capacity);
        memcpy(storage, c->before, nb * sizeof(storage[0]));
        pm.count = nb;
        assert_true(pmem_check(&pm)); /* the row itself must be a valid tracker */
        memcpy(snapshot, storage, sizeof(storage));

        int rc = run_op(&pm, c, &out);
        if (rc != c->rc)
            fail_msg("\"%s\": rc %d, want %d", c->what, rc, c->rc);
        if (!pmem_check(&pm))
            fail_msg("\"%s\": invariants broken", c->what);
        if (rc != 0) {
            if (pm.count != nb || memcmp(storage, snapshot, sizeof(storage)) != 0)
                fail_msg("\"%s\": failed but changed the tracker", c->what);
            continue;
        }
        if (c->op == OP_ALLOC && out != c->out)
            fail_msg("\"%s\": got %#llx, want %#llx", c->what, (unsigned long long)out,
                     (unsigned long long)c->out);
        if (!ref_ranges_equal(c->what, &pm, c->after, rows(c->after)))
            fail_msg("\"%s\": wrong result", c->what);
    }
}

/* ---- queries -------------------------------------------------------------- */

static void test_queries(void **state)
{
    (void)state;
    struct pmem_range storage[8] = { R(1, 3, USABLE), R(3, 4, RESERVED), R(6, 8, MMIO) };
    struct pmem pm = { .ranges = storage, .count = 3, .capacity = 8 };

    assert_int_equal(pmem_type_at(&pm, 0), PMEM_NONE);
    assert_int_equal(pmem_type_at(&pm, P(1)), PMEM_USABLE);
    assert_int_equal(pmem_type_at(&pm, P(3) - 1), PMEM_USABLE);
    assert_int_equal(pmem_type_at(&pm, P(3)), PMEM_RESERVED);
    assert_int_equal(pmem_type_at(&pm, P(5)), PMEM_NONE);
    assert_int_equal(pmem_type_at(&pm, P(8)), PMEM_NONE);
    assert_int_equal(pmem_find(&pm, P(7)), 2);
    assert_int_equal(pmem_find(&pm, P(4)), -1);

    /* Gaps of [0, 10): [0,1) and [4,6) and [8,10); touching entries of
     * different types ([1,3)[3,4)) are not a gap. */
    static const paddr_t want[][2] = { { 0, P(1) }, { P(4), P(6) }, { P(8), P(10) } };
    paddr_t cursor = 0, gb, ge;
    size_t n = 0;
    while (pmem_next_gap(&pm, 0, P(10), &cursor, &gb, &ge)) {
        assert_true(n < ARRAY_LEN(want));
        assert_int_equal(gb, want[n][0]);
        assert_int_equal(ge, want[n][1]);
        n++;
    }
    assert_int_equal(n, ARRAY_LEN(want));
    /* A window inside an entry has no gap; one inside a gap is all gap. */
    cursor = P(1);
    assert_false(pmem_next_gap(&pm, P(1), P(4), &cursor, &gb, &ge));
    cursor = P(4) + 7;
    assert_true(pmem_next_gap(&pm, P(4) + 7, P(5), &cursor, &gb, &ge));
    assert_int_equal(gb, P(4) + 7);
    assert_int_equal(ge, P(5));

    uint64_t totals[PMEM_TYPE_COUNT];
    pmem_totals(&pm, totals);
    assert_int_equal(totals[PMEM_USABLE], P(2));
    assert_int_equal(totals[PMEM_RESERVED], P(1));
    assert_int_equal(totals[PMEM_MMIO], P(2));
    assert_int_equal(totals[PMEM_NONE], 0);
    assert_int_equal(pmem_total_bytes(&pm), P(5));
}

static void test_type_names_and_classes(void **state)
{
    (void)state;
    assert_string_equal(pmem_type_name(PMEM_USABLE), "usable");
    assert_string_equal(pmem_type_name(PMEM_KERNEL_PAGETABLES), "kernel-pagetables");
    assert_string_equal(pmem_type_name(PMEM_TYPE_COUNT), "invalid");
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        assert_string_not_equal(pmem_type_name((enum pmem_type)t), "invalid");
    assert_false(pmem_type_valid(PMEM_NONE));
    assert_false(pmem_type_valid(PMEM_TYPE_COUNT));
    for (int t = PMEM_NONE + 1; t < PMEM_TYPE_COUNT; t++)
        assert_true(pmem_type_valid((enum pmem_type)t));
    assert_true(pmem_type_is_ram(PMEM_ACPI_RECLAIMABLE));
    assert_false(pmem_type_is_ram(PMEM_ACPI_NVS));
    assert_true(pmem_type_is_owned(PMEM_AP_TRAMPOLINE));
    assert_false(pmem_type_is_owned(PMEM_USABLE));
    assert_false(pmem_type_is_owned(PMEM_BOOT_SERVICES));
}

/* The documented order (include/pmem.h), strictly increasing. */
static void test_precedence_order(void **state)
{
    (void)state;
    static const enum pmem_type order[] = {
        PMEM_USABLE, PMEM_UNACCEPTED, PMEM_BOOT_SERVICES, PMEM_LOADER_RECLAIMABLE,
        PMEM_KERNEL_IMAGE, PMEM_KERNEL_PAGETABLES, PMEM_KERNEL_STACK, PMEM_KERNEL_HEAP,
        PMEM_KERNEL_DATA, PMEM_AP_TRAMPOLINE, PMEM_ACPI_RECLAIMABLE, PMEM_PERSISTENT,
        PMEM_FRAMEBUFFER, PMEM_ACPI_NVS, PMEM_FIRMWARE_RUNTIME, PMEM_MMIO, PMEM_RESERVED,
        PMEM_BAD,
    };
    _Static_assert(ARRAY_LEN(order) == PMEM_TYPE_COUNT - 1, "every type ranked once");
    assert_int_equal(pmem_precedence(PMEM_NONE), -1);
    assert_int_equal(pmem_precedence(PMEM_TYPE_COUNT), -1);
    assert_true(pmem_precedence(order[0]) > pmem_precedence(PMEM_NONE));
    for (size_t i = 1; i < ARRAY_LEN(order); i++)
        if (pmem_precedence(order[i]) <= pmem_precedence(order[i - 1]))
            fail_msg("%s must rank above %s", pmem_type_name(order[i]),
                     pmem_type_name(order[i - 1]));
}

/* ---- pmem_build: hand-written maps --------------------------------------- */

#define RAW(b, l, t) { .base = (b), .length = (l), .type = PMEM_##t }
#define RAW_MAX      8

struct build_case {
    const char *what;
    struct pmem_raw raw[RAW_MAX];
    size_t n;
    int rc;
    struct pmem_range after[ROWS_MAX];
    struct pmem_sanitize_stats stats;
};

static const struct build_case build_cases[] = {
    { "an empty map builds an empty tracker", { { 0 } }, 0, 0, { { 0 } }, { 0 } },
    { "a sorted, disjoint map is copied",
      { RAW(0, P(4), USABLE), RAW(P(8), P(2), RESERVED) }, 2, 0,
      { R(0, 4, USABLE), R(8, 10, RESERVED) }, { 0 } },
    { "an unsorted map comes out sorted",
      { RAW(P(8), P(2), RESERVED), RAW(P(4), P(2), MMIO), RAW(0, P(4), USABLE) }, 3, 0,
      { R(0, 4, USABLE), R(4, 6, MMIO), R(8, 10, RESERVED) }, { 0 } },
    { "touching entries of one type merge",
      { RAW(P(4), P(4), USABLE), RAW(0, P(4), USABLE) }, 2, 0, { R(0, 8, USABLE) }, { 0 } },
    /*  usable   [0 .......... 8)
     *  reserved        [4 .......... 12)
     *  result   [0 u 4)[4 reserved ... 12)  */
    { "on overlap the reserved part wins over usable",
      { RAW(0, P(8), USABLE), RAW(P(4), P(8), RESERVED) }, 2, 0,
      { R(0, 4, USABLE), R(4, 12, RESERVED) }, { .overlaps = 1 } },
    { "precedence does not depend on order",
      { RAW(P(4), P(8), RESERVED), RAW(0, P(8), USABLE) }, 2, 0,
      { R(0, 4, USABLE), R(4, 12, RESERVED) }, { .overlaps = 1 } },
    /*  usable    [0 ................. 16)
     *  acpi-recl      [2 ...... 10)
     *  bad                 [4  6)
     *  result    [0 u 2)[2 a 4)[4 b 6)[6 a 10)[10 u 16) */
    { "three nested entries: the most restrictive wins at every page",
      { RAW(0, P(16), USABLE), RAW(P(2), P(8), ACPI_RECLAIMABLE), RAW(P(4), P(2), BAD) }, 3, 0,
      { R(0, 2, USABLE), R(2, 4, ACPI_RECLAIMABLE), R(4, 6, BAD), R(6, 10, ACPI_RECLAIMABLE),
        R(10, 16, USABLE) },
      { .overlaps = 2 } },
    { "identical duplicates become one entry",
      { RAW(P(1), P(2), ACPI_NVS), RAW(P(1), P(2), ACPI_NVS) }, 2, 0, { R(1, 3, ACPI_NVS) },
      { .overlaps = 1 } },
    { "zero-length entries are dropped",
      { RAW(P(1), 0, RESERVED), RAW(0, P(1), USABLE), RAW(P(9), 0, USABLE) }, 3, 0,
      { R(0, 1, USABLE) }, { .zero_length = 2 } },
    /* usable [0x800, 0x3800) shrinks to [0x1000, 0x3000); mmio [0x5100, 0x5200)
     * grows to the page [0x5000, 0x6000). */
    { "unaligned usable shrinks inward, unaligned mmio grows outward",
      { RAW(0x800, 0x3000, USABLE), RAW(0x5100, 0x100, MMIO) }, 2, 0,
      { R(1, 3, USABLE), R(5, 6, MMIO) }, { .unaligned = 2 } },
    /*  usable   [0 ... 0x1800)          a page shared by RAM and reserved
     *  reserved      [0x1800 ... 0x3000)      goes to reserved */
    { "a page shared by usable and reserved bytes is reserved",
      { RAW(0, 0x1800, USABLE), RAW(0x1800, 0x1800, RESERVED) }, 2, 0,
      { R(0, 1, USABLE), R(1, 3, RESERVED) }, { .unaligned = 2 } },
    { "RAM smaller than a page is dropped",
      { RAW(0x1100, 0x800, BOOT_SERVICES), RAW(P(4), P(1), USABLE) }, 2, 0,
      { R(4, 5, USABLE) }, { .unaligned = 1 } },
    { "an entry running past the end of the space is dropped",
      { RAW(UINT64_MAX - PAGE_SIZE, 2 * PAGE_SIZE, RESERVED), RAW(0, P(1), USABLE) }, 2, 0,
      { R(0, 1, USABLE) }, { .wrapped = 1, .unaligned = 1 } },
    { "an entry ending exactly at 2^64 is dropped (no room for its end)",
      { RAW(PMEM_END_MAX, PAGE_SIZE, RESERVED) }, 1, 0, { { 0 } }, { .wrapped = 1 } },
    { "an entry ending at PMEM_END_MAX is kept",
      { RAW(PMEM_END_MAX - PAGE_SIZE, PAGE_SIZE, RESERVED) }, 1, 0,
      { { .base = PMEM_END_MAX - PAGE_SIZE, .end = PMEM_END_MAX, .type = PMEM_RESERVED } },
      { 0 } },
    { "a type out of range is refused", { RAW(0, P(1), USABLE), RAW(P(1), P(1), TYPE_COUNT) }, 2,
      -E_INVAL, { { 0 } }, { 0 } },
    { "PMEM_NONE as an input type is refused", { RAW(0, P(1), NONE) }, 1, -E_INVAL, { { 0 } },
      { 0 } },
};

static void check_stats(const char *what, const struct pmem_sanitize_stats *got,
                        const struct pmem_sanitize_stats *want)
{
    if (got->zero_length != want->zero_length || got->wrapped != want->wrapped ||
        got->overlaps != want->overlaps || got->unaligned != want->unaligned)
        fail_msg("\"%s\": stats zero %zu wrap %zu overlap %zu unaligned %zu, want %zu %zu %zu %zu",
                 what, got->zero_length, got->wrapped, got->overlaps, got->unaligned,
                 want->zero_length, want->wrapped, want->overlaps, want->unaligned);
}

static void test_build_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(build_cases); i++) {
        const struct build_case *c = &build_cases[i];
        struct pmem_range storage[2 * RAW_MAX];
        struct pmem_range old = { .base = P(100), .end = P(101), .type = PMEM_MMIO };
        struct pmem_sanitize_stats st = { 0 };
        struct pmem pm;

        pmem_init(&pm, storage, ARRAY_LEN(storage));
        storage[0] = old;
        pm.count = 1;
        int rc = pmem_build(&pm, c->raw, c->n, &st);
        if (rc != c->rc)
            fail_msg("\"%s\": rc %d, want %d", c->what, rc, c->rc);
        if (rc != 0) {
            if (pm.count != 1 || memcmp(&storage[0], &old, sizeof(old)) != 0)
                fail_msg("\"%s\": failed but changed the tracker", c->what);
            continue;
        }
        if (!pmem_check(&pm) || !ref_ranges_equal(c->what, &pm, c->after, rows(c->after)))
            fail_msg("\"%s\": wrong result", c->what);
        check_stats(c->what, &st, &c->stats);
    }
}

/* The capacity rule: 2 entries per kept raw entry, decided up front, the
 * tracker untouched on failure; the result never needs more than 2n - 1. */
static void test_build_capacity_rule(void **state)
{
    (void)state;
    /* Worst case for the result: n-1 small reserved entries nested inside one
     * usable entry give 2n - 1 output entries. */
    enum { N = 6 };
    struct pmem_raw raw[N] = { RAW(0, P(100), USABLE) };
    for (int i = 1; i < N; i++)
        raw[i] = (struct pmem_raw)RAW(P(10 * i), P(1), RESERVED);
    struct pmem_raw dropped = RAW(P(5), 0, RESERVED);
    struct pmem_range storage[2 * N + 1];
    struct pmem pm;

    pmem_init(&pm, storage, 2 * N - 1);
    storage[0] = (struct pmem_range)R(1, 2, MMIO);
    pm.count = 1;
    assert_int_equal(pmem_build(&pm, raw, N, NULL), -E_CAPACITY);
    assert_int_equal(pm.count, 1);
    assert_int_equal(storage[0].type, PMEM_MMIO);

    pmem_init(&pm, storage, 2 * N);
    assert_int_equal(pmem_build(&pm, raw, N, NULL), 0);
    assert_int_equal(pm.count, 2 * N - 1);
    assert_true(pmem_check(&pm));

    /* Dropped entries do not count against capacity. */
    struct pmem_raw with_zero[N + 1];
    memcpy(with_zero, raw, sizeof(raw));
    with_zero[N] = dropped;
    pmem_init(&pm, storage, 2 * N);
    assert_int_equal(pmem_build(&pm, with_zero, N + 1, NULL), 0);
    assert_int_equal(pm.count, 2 * N - 1);
}

/* ---- pmem_build: realistic and hostile maps ------------------------------ */

/* Every kept input byte is accounted for exactly once:
 *  1. the tracker covers exactly the union of the kept spans (its total
 *     equals the union's measure and every span is fully covered);
 *  2. no page gets a type of lower precedence than an entry covering it. */
static void check_accounting(const struct pmem_raw *raw, size_t n, const struct pmem *pm)
{
    struct pmem_range *spans = calloc(n + 1, sizeof(*spans));
    size_t kept = 0;

    for (size_t i = 0; i < n; i++) {
        paddr_t b, e;
        if (!ref_raw_span(&raw[i], &b, &e))
            continue;
        spans[kept++] = (struct pmem_range){ .base = b, .end = e, .type = raw[i].type };
        uint64_t covered = 0;
        for (size_t j = 0; j < pm->count; j++) {
            const struct pmem_range *r = &pm->ranges[j];
            if (r->end <= b || r->base >= e)
                continue;
            covered += MIN(r->end, e) - MAX(r->base, b);
            if (pmem_precedence((enum pmem_type)r->type) <
                pmem_precedence((enum pmem_type)raw[i].type))
                fail_msg("raw %zu (%s) lost to %s at %#llx", i,
                         pmem_type_name((enum pmem_type)raw[i].type),
                         pmem_type_name((enum pmem_type)r->type), (unsigned long long)r->base);
        }
        if (covered != e - b)
            fail_msg("raw %zu [%#llx, %#llx): only %#llx bytes covered", i,
                     (unsigned long long)b, (unsigned long long)e, (unsigned long long)covered);
    }
    /* Measure of the union: one build with every span retyped to one type
     * would use the code under test, so merge by hand instead. */
    uint64_t union_bytes = 0;
    paddr_t reach = 0;
    for (size_t done = 0; done < kept; done++) {
        size_t lo = done;   /* selection of the lowest base: n is small */
        for (size_t j = done + 1; j < kept; j++)
            if (spans[j].base < spans[lo].base)
                lo = j;
        struct pmem_range t = spans[done];
        spans[done] = spans[lo];
        spans[lo] = t;
        paddr_t b = MAX(spans[done].base, reach);
        if (spans[done].end > b)
            union_bytes += spans[done].end - b;
        reach = MAX(reach, spans[done].end);
    }
    assert_int_equal(pmem_total_bytes(pm), union_bytes);
    free(spans);
}

/* Build `raw` into a 2n tracker; check invariants, reference, accounting. */
static void build_and_verify(const char *what, const struct pmem_raw *raw, size_t n,
                             struct pmem *pm, struct pmem_sanitize_stats *st)
{
    struct pmem_range *want = calloc(2 * n + 1, sizeof(*want));

    pmem_init(pm, calloc(2 * n + 1, sizeof(struct pmem_range)), 2 * n);
    assert_int_equal(pmem_build(pm, raw, n, st), 0);
    assert_true(pmem_check(pm));
    size_t nw = ref_build(raw, n, want, 2 * n + 1);
    if (!ref_ranges_equal(what, pm, want, nw))
        fail_msg("%s: differs from the reference", what);
    check_accounting(raw, n, pm);
    free(want);
}

static void test_build_ovmf(void **state)
{
    (void)state;
    static const uint64_t sizes[] = { 128 * MiB, 4 * GiB, 16 * GiB, 1 * TiB };

    for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
        struct pmem_raw raw[OVMF_MAP_MAX];
        struct pmem pm;
        uint64_t ram = sizes[s];
        size_t n = map_ovmf(raw, ARRAY_LEN(raw), ram, s + 1);
        char what[64];

        snprintf(what, sizeof(what), "ovmf %llu MiB", (unsigned long long)(ram / MiB));
        assert_in_range(n, 100, OVMF_MAP_MAX);
        build_and_verify(what, raw, n, &pm, NULL);

        /* Fixed q35 landmarks. */
        assert_int_equal(pmem_type_at(&pm, 0), PMEM_BOOT_SERVICES);
        assert_int_equal(pmem_type_at(&pm, PAGE_SIZE), PMEM_USABLE);
        assert_int_equal(pmem_type_at(&pm, LEGACY_HOLE_BASE), PMEM_RESERVED);
        assert_int_equal(pmem_type_at(&pm, LEGACY_HOLE_END - 1), PMEM_RESERVED);
        assert_int_equal(pmem_type_at(&pm, Q35_ECAM_BASE), PMEM_RESERVED);
        assert_int_equal(pmem_type_at(&pm, Q35_FLASH_BASE), PMEM_MMIO);
        assert_int_equal(pmem_type_at(&pm, MIN(ram, Q35_LOWMEM_MAX)), PMEM_NONE);
        uint64_t totals[PMEM_TYPE_COUNT], ram_types = 0;
        pmem_totals(&pm, totals);
        for (int t = 0; t < PMEM_TYPE_COUNT; t++)
            if (pmem_type_is_ram((enum pmem_type)t))
                ram_types += totals[t];
        assert_int_equal(ram_types, map_ram_bytes(raw, n));
        if (ram > Q35_LOWMEM_MAX) {
            assert_int_equal(pmem_type_at(&pm, Q35_HIGHMEM_BASE), PMEM_USABLE);
            assert_int_equal(pm.ranges[pm.count - 1].end, Q35_HIGHMEM_BASE + ram - Q35_LOWMEM_MAX);
        }
        free(pm.ranges);
    }
}

static void test_build_fragmented(void **state)
{
    (void)state;
    enum { N = 1200 };
    struct pmem_raw *raw = calloc(N, sizeof(*raw));
    struct pmem_sanitize_stats st;
    struct pmem pm;

    size_t n = map_fragmented(raw, N, N, 42);
    assert_int_equal(n, N);
    build_and_verify("fragmented", raw, n, &pm, &st);
    assert_int_equal(st.overlaps, 0);
    assert_true(pm.count > 1000);
    /* Unsorted input gives the same result. */
    struct pmem_range *first = malloc(pm.count * sizeof(*first));
    size_t first_count = pm.count;
    memcpy(first, pm.ranges, pm.count * sizeof(*first));
    for (size_t i = 0; i < n / 2; i += 2) {
        struct pmem_raw t = raw[i];
        raw[i] = raw[n - 1 - i];
        raw[n - 1 - i] = t;
    }
    assert_int_equal(pmem_build(&pm, raw, n, NULL), 0);
    assert_true(ref_ranges_equal("fragmented reversed", &pm, first, first_count));
    free(first);
    free(pm.ranges);
    free(raw);
}

/* A descriptor's page count as a raw length: exact while pages << 12 fits,
 * saturated beyond, and a saturated entry is dropped as wrapping. */
static void test_raw_length_from_pages(void **state)
{
    static const struct { uint64_t pages, bytes; } rows[] = {
        { 0, 0 },
        { 1, PAGE_SIZE },
        { 0x40000, GiB },
        { UINT64_MAX >> PAGE_SHIFT, (UINT64_MAX >> PAGE_SHIFT) << PAGE_SHIFT },
        { (UINT64_MAX >> PAGE_SHIFT) + 1, UINT64_MAX },
        { UINT64_MAX, UINT64_MAX },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        assert_int_equal(pmem_raw_length_from_pages(rows[i].pages), rows[i].bytes);

    struct pmem_raw raw = { .base = 1 * MiB, .length = pmem_raw_length_from_pages(UINT64_MAX),
                            .type = PMEM_USABLE };
    struct pmem_range storage[2];
    struct pmem_sanitize_stats st;
    struct pmem pm;
    pmem_init(&pm, storage, ARRAY_LEN(storage));
    assert_int_equal(pmem_build(&pm, &raw, 1, &st), 0);
    assert_int_equal(pm.count, 0);
    assert_int_equal(st.wrapped, 1);
}

static void test_build_bad_map(void **state)
{
    (void)state;
    struct pmem_raw raw[BAD_MAP_MAX];
    struct pmem_sanitize_stats st;
    struct pmem pm;
    size_t n = map_bad(raw, ARRAY_LEN(raw), 7);

    build_and_verify("bad map", raw, n, &pm, &st);
    assert_int_equal(st.zero_length, 2);
    assert_int_equal(st.wrapped, 2);
    assert_true(st.unaligned >= 3);
    assert_true(st.overlaps >= 6);
    /* The hand-placed conflicts resolved the safe way (a random extra entry
     * may rank even higher, never lower). */
    assert_true(pmem_precedence(pmem_type_at(&pm, 2 * MiB)) >= pmem_precedence(PMEM_RESERVED));
    assert_true(pmem_precedence(pmem_type_at(&pm, LEGACY_HOLE_BASE)) >=
                pmem_precedence(PMEM_RESERVED));
    assert_true(pmem_precedence(pmem_type_at(&pm, Q35_ECAM_BASE + 4 * MiB)) >=
                pmem_precedence(PMEM_RESERVED));
    assert_true(pmem_precedence(pmem_type_at(&pm, 7 * MiB)) >= pmem_precedence(PMEM_MMIO));
    free(pm.ranges);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_table),
        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_type_names_and_classes),
        cmocka_unit_test(test_precedence_order),
        cmocka_unit_test(test_build_table),
        cmocka_unit_test(test_build_capacity_rule),
        cmocka_unit_test(test_build_ovmf),
        cmocka_unit_test(test_build_fragmented),
        cmocka_unit_test(test_build_bad_map),
        cmocka_unit_test(test_raw_length_from_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

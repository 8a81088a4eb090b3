/* libFuzzer harness for shared/pmem.c. One input drives two checks:
 *
 *  1. pmem_build on a raw map decoded from the bytes (anywhere in the 64-bit
 *     space, or packed into a small window at sub-page granularity so that
 *     overlaps and unaligned edges are common), with a capacity around the
 *     rule's threshold. Checked: the return code (-E_INVAL for a bad type,
 *     -E_CAPACITY exactly below 2 entries per kept entry, tracker untouched
 *     then), pmem_check, equality with the quadratic reference ref_build,
 *     and that the total equals the measure of the union of the kept spans.
 *  2. a sequence of insert / cut / retype / alloc / free on a small tracker
 *     checked against the page model after every operation, return codes
 *     (capacity included) predicted by the model.
 * Any violation aborts.
 *
 * The Makefile links only this file and the shared/ sources, so the model
 * is compiled in from tests/host/common. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host/common/refmodel.c"

#define RAW_MAX        48
#define OPS_PAGES      1024            /* model space for part 2: 4 MiB */
#define OPS_CAP_MAX    64
#define WINDOW_UNIT    0x100           /* sub-page granularity of packed entries */

/* UBSan reports must stop the fuzzer, not scroll by: the Makefile builds
 * with recoverable checks. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

struct reader {
    const uint8_t *p;
    size_t left;
};

static uint64_t take(struct reader *r, size_t bytes)
{
    uint64_t v = 0;

    for (size_t i = 0; i < bytes && r->left > 0; i++, r->left--)
        v |= (uint64_t)*r->p++ << (8 * i);
    return v;
}

#define CHECK(cond, ...)                                                \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "fuzz_pmem: " __VA_ARGS__);                 \
            fputc('\n', stderr);                                        \
            abort();                                                    \
        }                                                               \
    } while (0)

static struct pmem_raw decode_raw(struct reader *r)
{
    struct pmem_raw e;
    uint8_t mode = (uint8_t)take(r, 1);

    if (mode & 1) {            /* anywhere: wrap, top of space, huge */
        e.base = take(r, 8);
        e.length = take(r, 8);
    } else {                   /* packed into a 16 MiB window */
        e.base = take(r, 2) * WINDOW_UNIT;
        e.length = take(r, 2) * WINDOW_UNIT;
    }
    e.type = (uint32_t)(take(r, 1) % (PMEM_TYPE_COUNT + 1));  /* NONE and COUNT: invalid */
    return e;
}

static int cmp_range_base(const void *a, const void *b)
{
    const struct pmem_range *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

static uint64_t union_bytes(const struct pmem_raw *raw, size_t n)
{
    struct pmem_range spans[RAW_MAX];
    size_t k = 0;
    uint64_t sum = 0;
    paddr_t reach = 0;

    for (size_t i = 0; i < n; i++)
        if (ref_raw_span(&raw[i], &spans[k].base, &spans[k].end))
            k++;
    qsort(spans, k, sizeof(spans[0]), cmp_range_base);
    for (size_t i = 0; i < k; i++) {
        paddr_t b = MAX(spans[i].base, reach);
        if (spans[i].end > b)
            sum += spans[i].end - b;
        reach = MAX(reach, spans[i].end);
    }
    return sum;
}

static void check_build(struct reader *r)
{
    struct pmem_raw raw[RAW_MAX];
    struct pmem_range storage[2 * RAW_MAX + 2], want[2 * RAW_MAX + 2];
    size_t n = take(r, 1) % (RAW_MAX + 1), kept = 0;
    bool bad_type = false;

    for (size_t i = 0; i < n; i++) {
        paddr_t b, e;
        raw[i] = decode_raw(r);
        bad_type |= raw[i].type == PMEM_NONE || raw[i].type >= PMEM_TYPE_COUNT;
        kept += ref_raw_span(&raw[i], &b, &e);
    }
    size_t cap = take(r, 1) % (2 * n + 3);
    struct pmem pm;
    pmem_init(&pm, storage, cap);
    storage[0] = (struct pmem_range){ .base = 0, .end = PAGE_SIZE, .type = PMEM_BAD };
    pm.count = cap > 0;

    int rc = pmem_build(&pm, raw, n, NULL);
    int expect = bad_type ? -E_INVAL : 2 * kept > cap ? -E_CAPACITY : 0;
    CHECK(rc == expect, "build: rc %d, expected %d (n %zu kept %zu cap %zu)", rc, expect, n, kept,
          cap);
    if (rc != 0) {
        CHECK(pm.count == (cap > 0) && (cap == 0 || storage[0].type == PMEM_BAD),
              "build failed but changed the tracker");
        return;
    }
    CHECK(pmem_check(&pm), "build: invariants broken");
    size_t nw = ref_build(raw, n, want, ARRAY_LEN(want));
    CHECK(ref_ranges_equal("fuzz build", &pm, want, nw), "build differs from the reference");
    CHECK(pmem_total_bytes(&pm) == union_bytes(raw, n), "build: bytes not accounted once");
}

static enum pmem_type decode_type(uint8_t byte)
{
    return (enum pmem_type)(byte % (PMEM_TYPE_COUNT + 1));
}

/* One operation from 5 bytes: op, first page (2), pages, type/align. */
static void one_op(struct reader *r, struct pmem *pm, struct page_model *m, struct page_model *next)
{
    uint8_t op = (uint8_t)take(r, 1);
    paddr_t base = take(r, 2) % OPS_PAGES * PAGE_SIZE;
    uint64_t pages = take(r, 1) + 1;
    uint8_t arg = (uint8_t)take(r, 1);
    paddr_t end = MIN(base + pages * PAGE_SIZE, (paddr_t)OPS_PAGES * PAGE_SIZE);
    size_t cap = pm->capacity;
    paddr_t got = 0, want = 0;
    int rc, expect;

    switch (op % 5) {
    case 0:
        expect = model_expect_insert(m, next, cap, base, end, decode_type(arg));
        rc = pmem_insert(pm, base, end, decode_type(arg));
        break;
    case 1:
        expect = model_expect_cut(m, next, cap, base, end);
        rc = pmem_cut(pm, base, end);
        break;
    case 2:
        expect = model_expect_retype(m, next, cap, base, end, decode_type(arg));
        rc = pmem_retype(pm, base, end, decode_type(arg));
        break;
    case 3: { /* size: pages; align: 2^(arg % 10) pages; max_end: base (0: none) */
        uint64_t align = PAGE_SIZE << (arg % 10);
        enum pmem_type t = decode_type((uint8_t)(arg / 10));
        expect = model_expect_alloc(m, next, cap, pages * PAGE_SIZE, align, base, t, &want);
        rc = pmem_alloc(pm, pages * PAGE_SIZE, align, base, t, &got);
        CHECK(rc != 0 || got == want, "alloc at %#llx, model %#llx", (unsigned long long)got,
              (unsigned long long)want);
        break;
    }
    default:
        expect = model_expect_free(m, next, cap, base, end - base);
        rc = pmem_free(pm, base, end - base);
        break;
    }
    CHECK(rc == expect, "op %u [%#llx, %#llx): rc %d, model %d", op % 5,
          (unsigned long long)base, (unsigned long long)end, rc, expect);
    CHECK(pmem_check(pm), "op %u: invariants broken", op % 5);
    if (rc == 0)
        *m = *next;
    CHECK(model_matches(m, pm), "op %u: tracker and model differ", op % 5);
}

static void check_ops(struct reader *r)
{
    static struct page_model m, next;
    struct pmem_range storage[OPS_CAP_MAX];
    struct pmem pm;

    pmem_init(&pm, storage, take(r, 1) % OPS_CAP_MAX + 1);
    model_init(&m, OPS_PAGES);
    while (r->left > 0)
        one_op(r, &pm, &m, &next);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = { .p = data, .left = size };

    check_build(&r);
    check_ops(&r);
    return 0;
}

#include "refmodel.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- pmem_build reference ------------------------------------------- */

static bool ref_is_ram(uint32_t t)
{
    return t == PMEM_USABLE || t == PMEM_BOOT_SERVICES || t == PMEM_LOADER_RECLAIMABLE ||
           t == PMEM_ACPI_RECLAIMABLE;
}

bool ref_raw_span(const struct pmem_raw *e, paddr_t *base, paddr_t *end)
{
    /* In 128-bit arithmetic so the wrap test cannot itself wrap. */
    unsigned __int128 raw_end = (unsigned __int128)e->base + e->length;

    if (e->length == 0 || raw_end > PMEM_END_MAX)
        return false;
    if (ref_is_ram(e->type)) {
        *base = (e->base + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
        *end = (paddr_t)(raw_end / PAGE_SIZE * PAGE_SIZE);
    } else {
        *base = e->base / PAGE_SIZE * PAGE_SIZE;
        *end = (paddr_t)((raw_end + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE);
    }
    return *base < *end;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void ref_put(struct pmem_range *out, size_t *k, size_t cap, paddr_t b, paddr_t e, uint32_t t)
{
    if (*k > 0 && out[*k - 1].end == b && out[*k - 1].type == t) {
        out[*k - 1].end = e;
        return;
    }
    if (*k == cap) {
        fprintf(stderr, "ref_build: more than %zu entries\n", cap);
        abort();
    }
    out[(*k)++] = (struct pmem_range){ .base = b, .end = e, .type = t };
}

size_t ref_build(const struct pmem_raw *raw, size_t n, struct pmem_range *out, size_t cap)
{
    uint64_t *edges = malloc((2 * n + 1) * sizeof(*edges));
    size_t ne = 0, k = 0;

    for (size_t i = 0; i < n; i++) {
        paddr_t b, e;
        if (ref_raw_span(&raw[i], &b, &e)) {
            edges[ne++] = b;
            edges[ne++] = e;
        }
    }
    qsort(edges, ne, sizeof(*edges), cmp_u64);
    for (size_t j = 0; j + 1 < ne; j++) {
        if (edges[j] == edges[j + 1])
            continue;
        int best = -1;
        uint32_t type = PMEM_NONE;
        for (size_t i = 0; i < n; i++) {
            paddr_t b, e;
            if (ref_raw_span(&raw[i], &b, &e) && b <= edges[j] && edges[j + 1] <= e &&
                pmem_precedence((enum pmem_type)raw[i].type) > best) {
                best = pmem_precedence((enum pmem_type)raw[i].type);
                type = raw[i].type;
            }
        }
        if (type != PMEM_NONE)
            ref_put(out, &k, cap, edges[j], edges[j + 1], type);
    }
    free(edges);
    return k;
}

void ref_dump(const char *label, const struct pmem_range *r, size_t n)
{
    fprintf(stderr, "%s: %zu entries\n", label, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "  [%#llx, %#llx) %s\n", (unsigned long long)r[i].base,
                (unsigned long long)r[i].end, pmem_type_name((enum pmem_type)r[i].type));
}

bool ref_ranges_equal(const char *label, const struct pmem *pm, const struct pmem_range *want,
                      size_t n)
{
    bool same = pm->count == n;

    for (size_t i = 0; same && i < n; i++)
        same = pm->ranges[i].base == want[i].base && pm->ranges[i].end == want[i].end &&
               pm->ranges[i].type == want[i].type;
    if (!same) {
        fprintf(stderr, "%s: tracker differs from reference\n", label);
        ref_dump("tracker", pm->ranges, pm->count);
        ref_dump("reference", want, n);
    }
    return same;
}

/* ---- page model --------------------------------------------------------- */

void model_init(struct page_model *m, size_t pages)
{
    if (pages > MODEL_MAX_PAGES)
        abort();
    m->pages = pages;
    for (size_t p = 0; p < MODEL_MAX_PAGES; p++)
        m->type[p] = PMEM_NONE;
}

void model_paint(struct page_model *m, paddr_t base, paddr_t end, enum pmem_type type)
{
    for (paddr_t a = base; a < end; a += PAGE_SIZE)
        m->type[a / PAGE_SIZE] = (uint8_t)type;
}

bool model_any_set(const struct page_model *m, paddr_t base, paddr_t end)
{
    for (paddr_t a = base; a < end; a += PAGE_SIZE)
        if (m->type[a / PAGE_SIZE] != PMEM_NONE)
            return true;
    return false;
}

size_t model_runs(const struct page_model *m)
{
    size_t runs = 0;

    for (size_t p = 0; p < m->pages; p++)
        runs += m->type[p] != PMEM_NONE && (p == 0 || m->type[p - 1] != m->type[p]);
    return runs;
}

static bool all_of_type(const struct page_model *m, paddr_t base, uint64_t size, uint8_t type)
{
    for (paddr_t a = base; a < base + size; a += PAGE_SIZE)
        if (a / PAGE_SIZE >= m->pages || m->type[a / PAGE_SIZE] != type)
            return false;
    return true;
}

bool model_alloc_at(const struct page_model *m, uint64_t size, uint64_t align, paddr_t max_end,
                    paddr_t *out)
{
    paddr_t top = (paddr_t)m->pages * PAGE_SIZE;

    if (max_end != 0)
        top = MIN(top, max_end / PAGE_SIZE * PAGE_SIZE);
    for (paddr_t a = 0; a + size <= top; a += align)
        if (all_of_type(m, a, size, PMEM_USABLE)) {
            *out = a;
            return true;
        }
    return false;
}

static bool model_freeable(uint8_t t)
{
    return t == PMEM_LOADER_RECLAIMABLE || t == PMEM_KERNEL_IMAGE ||
           t == PMEM_KERNEL_PAGETABLES || t == PMEM_KERNEL_STACK || t == PMEM_KERNEL_HEAP ||
           t == PMEM_KERNEL_DATA || t == PMEM_AP_TRAMPOLINE || t == PMEM_BOOT_SERVICES ||
           t == PMEM_ACPI_RECLAIMABLE;
}

int model_free_result(const struct page_model *m, paddr_t pa, uint64_t size)
{
    if (pa / PAGE_SIZE >= m->pages || m->type[pa / PAGE_SIZE] == PMEM_NONE)
        return -E_NOTFOUND;
    uint8_t t = m->type[pa / PAGE_SIZE];
    return all_of_type(m, pa, size, t) && model_freeable(t) ? 0 : -E_INVAL;
}

static bool model_type_valid(enum pmem_type t)
{
    return t > PMEM_NONE && t < PMEM_TYPE_COUNT;
}

static bool model_type_owned(enum pmem_type t)
{
    return t == PMEM_LOADER_RECLAIMABLE || (t >= PMEM_KERNEL_IMAGE && t <= PMEM_AP_TRAMPOLINE);
}

/* After painting *next: a merged tracker needs one entry per run. */
static int model_fits(const struct page_model *next, size_t capacity)
{
    return model_runs(next) > capacity ? -E_CAPACITY : 0;
}

int model_expect_insert(const struct page_model *m, struct page_model *next, size_t capacity,
                        paddr_t base, paddr_t end, enum pmem_type type)
{
    *next = *m;
    if (base >= end || !model_type_valid(type))
        return -E_INVAL;
    if (model_any_set(m, base, end))
        return -E_OVERLAP;
    model_paint(next, base, end, type);
    return model_fits(next, capacity);
}

int model_expect_cut(const struct page_model *m, struct page_model *next, size_t capacity,
                     paddr_t base, paddr_t end)
{
    *next = *m;
    if (base >= end)
        return -E_INVAL;
    model_paint(next, base, end, PMEM_NONE);
    return model_fits(next, capacity);
}

int model_expect_retype(const struct page_model *m, struct page_model *next, size_t capacity,
                        paddr_t base, paddr_t end, enum pmem_type type)
{
    *next = *m;
    if (base >= end || !model_type_valid(type))
        return -E_INVAL;
    model_paint(next, base, end, type);
    return model_fits(next, capacity);
}

int model_expect_alloc(const struct page_model *m, struct page_model *next, size_t capacity,
                       uint64_t size, uint64_t align, paddr_t max_end, enum pmem_type type,
                       paddr_t *at)
{
    *next = *m;
    if (size == 0 || size % PAGE_SIZE || align < PAGE_SIZE || (align & (align - 1)) ||
        !model_type_owned(type))
        return -E_INVAL;
    if (!model_alloc_at(m, size, align, max_end, at))
        return -E_NOMEM;
    model_paint(next, *at, *at + size, type);
    return model_fits(next, capacity);
}

int model_expect_free(const struct page_model *m, struct page_model *next, size_t capacity,
                      paddr_t pa, uint64_t size)
{
    *next = *m;
    if (size == 0)
        return -E_INVAL;
    int rc = model_free_result(m, pa, size);
    if (rc)
        return rc;
    model_paint(next, pa, pa + size, PMEM_USABLE);
    return model_fits(next, capacity);
}

bool model_matches(const struct page_model *m, const struct pmem *pm)
{
    paddr_t top = (paddr_t)m->pages * PAGE_SIZE;

    if (pm->count > 0 && pm->ranges[pm->count - 1].end > top) {
        fprintf(stderr, "model: tracker reaches %#llx, past the model's end\n",
                (unsigned long long)pm->ranges[pm->count - 1].end);
        return false;
    }
    /* One pass over pages and entries together (no pmem_type_at: the model
     * must not lean on the code under test more than it has to). */
    size_t i = 0;
    for (size_t p = 0; p < m->pages; p++) {
        paddr_t a = (paddr_t)p * PAGE_SIZE;
        while (i < pm->count && pm->ranges[i].end <= a)
            i++;
        enum pmem_type got = i < pm->count && pm->ranges[i].base <= a
                                 ? (enum pmem_type)pm->ranges[i].type : PMEM_NONE;
        if (got != m->type[p]) {
            fprintf(stderr, "model: page %#llx is %s, model says %s\n", (unsigned long long)a,
                    pmem_type_name(got), pmem_type_name((enum pmem_type)m->type[p]));
            ref_dump("tracker", pm->ranges, pm->count);
            return false;
        }
    }
    return true;
}

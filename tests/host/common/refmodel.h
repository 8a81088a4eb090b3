/* Reference models the tests compare the real code against. They are
 * deliberately naive (quadratic, or one byte per page) so that they are
 * obviously right; they share no code with shared/. */
#ifndef PAGODA_TEST_REFMODEL_H
#define PAGODA_TEST_REFMODEL_H

#include "pmem.h"

/* ---- pmem_build reference: O(n^2) over elementary intervals ---------- */

/* pmem_build's documented rounding rule for one raw entry, restated: false if
 * the entry is dropped (zero-length, wrapping past PMEM_END_MAX, RAM that
 * shrinks to nothing). */
bool ref_raw_span(const struct pmem_raw *e, paddr_t *base, paddr_t *end);

/* The expected tracker for a raw map: for each elementary interval between
 * two span edges, the covering type of highest precedence; touching equal
 * types merged. Returns the count; aborts if cap is too small. */
size_t ref_build(const struct pmem_raw *raw, size_t n, struct pmem_range *out, size_t cap);

/* Same entries? On a difference prints both lists (label first) to stderr. */
bool ref_ranges_equal(const char *label, const struct pmem *pm, const struct pmem_range *want,
                      size_t n);

void ref_dump(const char *label, const struct pmem_range *r, size_t n);

/* ---- page model: one type byte per 4 KiB page over [0, pages) ------- */

#define MODEL_MAX_PAGES 8192   /* 32 MiB */

struct page_model {
    size_t pages;
    uint8_t type[MODEL_MAX_PAGES];   /* enum pmem_type; PMEM_NONE = gap */
};

void model_init(struct page_model *m, size_t pages);
void model_paint(struct page_model *m, paddr_t base, paddr_t end, enum pmem_type type);
bool model_any_set(const struct page_model *m, paddr_t base, paddr_t end);
/* Entries a merged tracker needs for this model: maximal same-type runs. */
size_t model_runs(const struct page_model *m);
/* Lowest aligned usable block below limit (0 = none), as pmem_alloc picks. */
bool model_alloc_at(const struct page_model *m, uint64_t size, uint64_t align, paddr_t max_end,
                    paddr_t *out);
/* What pmem_free must answer: 0, -E_NOTFOUND or -E_INVAL. */
int model_free_result(const struct page_model *m, paddr_t pa, uint64_t size);
/* Expected outcome of one tracker operation on a tracker of `capacity`
 * entries that matches m: the return code, and in *next (a copy of m) the
 * state after success. Arguments are page-aligned spans inside the model. */
int model_expect_insert(const struct page_model *m, struct page_model *next, size_t capacity,
                        paddr_t base, paddr_t end, enum pmem_type type);
int model_expect_cut(const struct page_model *m, struct page_model *next, size_t capacity,
                     paddr_t base, paddr_t end);
int model_expect_retype(const struct page_model *m, struct page_model *next, size_t capacity,
                        paddr_t base, paddr_t end, enum pmem_type type);
/* *at: the address pmem_alloc must return on success. */
int model_expect_alloc(const struct page_model *m, struct page_model *next, size_t capacity,
                       uint64_t size, uint64_t align, paddr_t max_end, enum pmem_type type,
                       paddr_t *at);
int model_expect_free(const struct page_model *m, struct page_model *next, size_t capacity,
                      paddr_t pa, uint64_t size);

/* Tracker and model agree page by page, and the tracker is in the model's
 * space. Prints the first difference. */
bool model_matches(const struct page_model *m, const struct pmem *pm);

#endif

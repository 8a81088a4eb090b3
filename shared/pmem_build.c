/* pmem_build: the sanitiser that turns a raw firmware map into a tracker
 * (contract in include/pmem.h), and the type precedence it resolves
 * overlaps with. The tracker's own operations are in shared/pmem.c.
 *
 * Each kept raw entry becomes two events, stored as pmem_range records at the
 * top of the tracker's own storage: { .base = address, .type, .flags =
 * EVENT_START or EVENT_END }. A heapsort orders them by address (ends before
 * starts at one address, so touching entries do not count as overlapping).
 * One sweep then keeps a count of open entries per type; between two
 * consecutive event addresses the open type of highest precedence owns the
 * span, which is appended (merging) at the bottom of the storage.
 *
 *   storage: [ output 0 .. k)  ...free...  [ events cap-m .. cap ) ]
 *
 * Why an output write never clobbers an unread event: with m events at
 * indices [cap - m, cap), output entry j is written only once at least j + 1
 * events were consumed (each output entry ends at a new distinct address), so
 * unread events sit at indices >= cap - m + j + 1 > j whenever cap >= m. The
 * event being handled is copied out before anything is written. */
#include "pmem.h"

enum build_event { EVENT_END = 0, EVENT_START = 1 };

enum raw_verdict { RAW_KEPT, RAW_ZERO_LENGTH, RAW_WRAPPED, RAW_EMPTY };

static bool raw_unaligned(const struct pmem_raw *e)
{
    return !IS_ALIGNED(e->base, PAGE_SIZE) || !IS_ALIGNED(e->length, PAGE_SIZE);
}

/* The page-aligned span a raw entry stands for (see pmem_build's rounding
 * rule), or why it is dropped. Never wraps: raw ends are <= PMEM_END_MAX,
 * which is page-aligned. */
static enum raw_verdict raw_span(const struct pmem_raw *e, paddr_t *base, paddr_t *end)
{
    if (e->length == 0)
        return RAW_ZERO_LENGTH;
    if (e->base > PMEM_END_MAX || e->length > PMEM_END_MAX - e->base)
        return RAW_WRAPPED;
    paddr_t raw_end = e->base + e->length;
    if (pmem_type_is_ram((enum pmem_type)e->type)) {
        *base = ALIGN_UP(e->base, PAGE_SIZE);
        *end = ALIGN_DOWN(raw_end, PAGE_SIZE);
    } else {
        *base = ALIGN_DOWN(e->base, PAGE_SIZE);
        *end = ALIGN_UP(raw_end, PAGE_SIZE);
    }
    return *base < *end ? RAW_KEPT : RAW_EMPTY;
}

/* Validate every entry and count what is kept, touching nothing. */
static int survey_raw(const struct pmem_raw *raw, size_t n, size_t *kept,
                      struct pmem_sanitize_stats *st)
{
    *kept = 0;
    for (size_t i = 0; i < n; i++) {
        paddr_t base, end;

        if (!pmem_type_valid((enum pmem_type)raw[i].type))
            return -E_INVAL;
        switch (raw_span(&raw[i], &base, &end)) {
        case RAW_KEPT:        ++*kept; break;
        case RAW_ZERO_LENGTH: st->zero_length++; break;
        case RAW_WRAPPED:     st->wrapped++; break;
        case RAW_EMPTY:       break;
        }
        if (raw[i].length != 0 && raw_unaligned(&raw[i]))
            st->unaligned++;
    }
    return 0;
}

static struct pmem_range make_event(paddr_t at, uint32_t type, enum build_event kind)
{
    return (struct pmem_range){ .base = at, .end = 0, .type = type, .flags = kind };
}

/* Writes 2 events per kept entry into ev[]. */
static void fill_events(struct pmem_range *ev, const struct pmem_raw *raw, size_t n)
{
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        paddr_t base, end;

        if (raw_span(&raw[i], &base, &end) != RAW_KEPT)
            continue;
        ev[m++] = make_event(base, raw[i].type, EVENT_START);
        ev[m++] = make_event(end, raw[i].type, EVENT_END);
    }
}

static bool event_before(const struct pmem_range *a, const struct pmem_range *b)
{
    return a->base < b->base || (a->base == b->base && a->flags < b->flags);
}

static void swap_ranges(struct pmem_range *a, struct pmem_range *b)
{
    struct pmem_range t = *a;
    *a = *b;
    *b = t;
}

static void sift_down(struct pmem_range *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;

        if (child >= n)
            return;
        if (child + 1 < n && event_before(&a[child], &a[child + 1]))
            child++;
        if (!event_before(&a[root], &a[child]))
            return;
        swap_ranges(&a[root], &a[child]);
        root = child;
    }
}

/* Heapsort: O(n log n) worst case, no recursion, no scratch. */
static void sort_events(struct pmem_range *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end > 1; end--) {
        swap_ranges(&a[0], &a[end - 1]);
        sift_down(a, 0, end - 1);
    }
}

/* The open type of highest precedence (PMEM_NONE if nothing is open). */
static enum pmem_type sweep_winner(const size_t open[PMEM_TYPE_COUNT])
{
    enum pmem_type best = PMEM_NONE;

    for (int t = PMEM_NONE + 1; t < PMEM_TYPE_COUNT; t++)
        if (open[t] > 0 && pmem_precedence((enum pmem_type)t) > pmem_precedence(best))
            best = (enum pmem_type)t;
    return best;
}

/* Append [base, end) as `type` to out[0..k), merging; returns the new k. */
static size_t emit(struct pmem_range *out, size_t k, paddr_t base, paddr_t end,
                   enum pmem_type type)
{
    if (k > 0 && out[k - 1].end == base && out[k - 1].type == type) {
        out[k - 1].end = end;
        return k;
    }
    out[k] = (struct pmem_range){ .base = base, .end = end, .type = type, .flags = 0 };
    return k + 1;
}

/* Sweep the sorted events ev[0..m), writing the result from out[0]; `ev`
 * lies above `out` in the same array (see the block comment). */
static size_t sweep(struct pmem_range *out, const struct pmem_range *ev, size_t m,
                    size_t *overlaps)
{
    size_t open[PMEM_TYPE_COUNT] = { 0 };
    size_t open_total = 0, k = 0;
    paddr_t at = 0;

    for (size_t i = 0; i < m; i++) {
        const struct pmem_range e = ev[i];

        if (open_total > 0 && e.base != at)
            k = emit(out, k, at, e.base, sweep_winner(open));
        at = e.base;
        if (e.flags == EVENT_START) {
            *overlaps += open_total > 0;
            open[e.type]++;
            open_total++;
        } else {
            open[e.type]--;
            open_total--;
        }
    }
    return k;
}

int pmem_build(struct pmem *pm, const struct pmem_raw *raw, size_t n,
               struct pmem_sanitize_stats *stats)
{
    struct pmem_sanitize_stats st = { 0 };
    size_t kept;
    int rc = survey_raw(raw, n, &kept, &st);

    if (rc)
        return rc;
    if (kept > pm->capacity / 2)
        return -E_CAPACITY;
    /* Nothing was written so far: both failures leave the tracker as it was. */
    pm->count = 0;
    if (kept > 0) {
        size_t m = 2 * kept;
        struct pmem_range *ev = pm->ranges + (pm->capacity - m);

        fill_events(ev, raw, n);
        sort_events(ev, m);
        pm->count = sweep(pm->ranges, ev, m, &st.overlaps);
    }
    if (stats)
        *stats = st;
    return 0;
}

uint64_t pmem_raw_length_from_pages(uint64_t pages)
{
    return pages > (UINT64_MAX >> PAGE_SHIFT) ? UINT64_MAX : pages << PAGE_SHIFT;
}

int pmem_precedence(enum pmem_type type)
{
    switch (type) {
    case PMEM_USABLE:             return 1;
    case PMEM_UNACCEPTED:         return 2;
    case PMEM_BOOT_SERVICES:      return 3;
    case PMEM_LOADER_RECLAIMABLE: return 4;
    case PMEM_KERNEL_IMAGE:       return 5;
    case PMEM_KERNEL_PAGETABLES:  return 6;
    case PMEM_KERNEL_STACK:       return 7;
    case PMEM_KERNEL_HEAP:        return 8;
    case PMEM_KERNEL_DATA:        return 9;
    case PMEM_AP_TRAMPOLINE:      return 10;
    case PMEM_ACPI_RECLAIMABLE:   return 11;
    case PMEM_PERSISTENT:         return 12;
    case PMEM_FRAMEBUFFER:        return 13;
    case PMEM_ACPI_NVS:           return 14;
    case PMEM_FIRMWARE_RUNTIME:   return 15;
    case PMEM_MMIO:               return 16;
    case PMEM_RESERVED:           return 17;
    case PMEM_BAD:                return 18;
    default:                      return -1;
    }
}

/* Physical-memory tracker: sorted, disjoint, merged ranges in caller storage.
 * Contract and capacity rule: include/pmem.h. Design note: docs/memory.md.
 *
 * Invariants of pm->ranges[0 .. count), checked by pmem_check():
 *  - base < end, both page-aligned; type in (PMEM_NONE, PMEM_TYPE_COUNT);
 *  - sorted and disjoint: r[i].end <= r[i+1].base;
 *  - merged: r[i].end == r[i+1].base implies r[i].type != r[i+1].type.
 *
 * Every mutation goes through paint(), which computes the (at most three)
 * entries that replace the window [base, end) touches, decides capacity, and
 * only then moves memory. So a failed operation never leaves a half-done
 * change behind.
 *
 * pmem_build (the sanitiser for raw firmware maps) and pmem_precedence are in
 * shared/pmem_build.c.
 *
 * Freestanding: the only library calls are the compiler builtins below, which
 * the loader and kernel back with their own memset/memcpy/memmove. */
#include "pmem.h"
#include "sorted.h"

/* The part of the first touched entry left of base, [base, end) itself, and
 * the part of the last touched entry right of end. */
#define PAINT_MAX_PIECES 3

static bool span_valid(paddr_t base, paddr_t end)
{
    return base < end && IS_ALIGNED(base, PAGE_SIZE) && IS_ALIGNED(end, PAGE_SIZE);
}

static struct pmem_range make_range(paddr_t base, paddr_t end, enum pmem_type type)
{
    return (struct pmem_range){ .base = base, .end = end, .type = type, .flags = 0 };
}

/* Index of the first entry with end > addr (count if none): the entry
 * containing addr, or the first one after it. */
static size_t first_ending_after(const struct pmem *pm, paddr_t addr)
{
    return SORTED_FIRST_END_AFTER(pm->ranges, pm->count, addr);
}

/* Index of the first entry with base >= addr (count if none). Entries are
 * disjoint: that is the first one ending after addr, or the next when addr
 * lies strictly inside it. */
static size_t first_starting_at(const struct pmem *pm, paddr_t addr)
{
    size_t i = first_ending_after(pm, addr);

    return i < pm->count && pm->ranges[i].base < addr ? i + 1 : i;
}

static bool joinable(const struct pmem_range *left, const struct pmem_range *right)
{
    return left->end == right->base && left->type == right->type;
}

/* Merge touching same-type neighbours inside pieces[0..n); returns the new n. */
static size_t join_pieces(struct pmem_range *pieces, size_t n)
{
    size_t out = 0;

    for (size_t i = 0; i < n; i++) {
        if (out > 0 && joinable(&pieces[out - 1], &pieces[i]))
            pieces[out - 1].end = pieces[i].end;
        else
            pieces[out++] = pieces[i];
    }
    return out;
}

/* Make [base, end) be `type` (PMEM_NONE: a gap), whatever was there.
 *
 *   before:   [ A ....... | B ..... | C ........ ]      entries lo .. hi-1
 *                   [base ................ end)
 *   after:    [ A ][ type ..................... ][ C ]  A and C remainders
 *
 * The remainders and the new piece then join an outer neighbour of the same
 * type that touches them, widening the window [lo, hi) that is replaced. */
static int paint(struct pmem *pm, paddr_t base, paddr_t end, enum pmem_type type)
{
    struct pmem_range *r = pm->ranges;
    struct pmem_range pieces[PAINT_MAX_PIECES];
    size_t lo = first_ending_after(pm, base);
    size_t hi = first_starting_at(pm, end);
    size_t n = 0;

    if (lo < hi && r[lo].base < base)
        pieces[n++] = make_range(r[lo].base, base, r[lo].type);
    if (type != PMEM_NONE)
        pieces[n++] = make_range(base, end, type);
    if (lo < hi && r[hi - 1].end > end)
        pieces[n++] = make_range(end, r[hi - 1].end, r[hi - 1].type);
    n = join_pieces(pieces, n);
    if (n > 0 && lo > 0 && joinable(&r[lo - 1], &pieces[0]))
        pieces[0].base = r[--lo].base;
    if (n > 0 && hi < pm->count && joinable(&pieces[n - 1], &r[hi]))
        pieces[n - 1].end = r[hi++].end;

    if (n == 0 && lo == hi)
        return 0; /* cutting a gap */
    size_t new_count = pm->count - (hi - lo) + n;
    if (new_count > pm->capacity)
        return -E_CAPACITY;
    __builtin_memmove(&r[lo + n], &r[hi], (pm->count - hi) * sizeof(*r));
    __builtin_memcpy(&r[lo], pieces, n * sizeof(*r));
    pm->count = new_count;
    return 0;
}

void pmem_init(struct pmem *pm, struct pmem_range *storage, size_t capacity)
{
    pm->ranges = storage;
    pm->count = 0;
    pm->capacity = capacity;
}

int pmem_insert(struct pmem *pm, paddr_t base, paddr_t end, enum pmem_type type)
{
    if (!span_valid(base, end) || !pmem_type_valid(type))
        return -E_INVAL;
    if (first_ending_after(pm, base) < first_starting_at(pm, end))
        return -E_OVERLAP;
    return paint(pm, base, end, type);
}

int pmem_cut(struct pmem *pm, paddr_t base, paddr_t end)
{
    if (!span_valid(base, end))
        return -E_INVAL;
    return paint(pm, base, end, PMEM_NONE);
}

int pmem_retype(struct pmem *pm, paddr_t base, paddr_t end, enum pmem_type type)
{
    if (!span_valid(base, end) || !pmem_type_valid(type))
        return -E_INVAL;
    return paint(pm, base, end, type);
}

long pmem_find(const struct pmem *pm, paddr_t addr)
{
    size_t i = first_ending_after(pm, addr);

    if (i < pm->count && pm->ranges[i].base <= addr)
        return (long)i;
    return -1;
}

enum pmem_type pmem_type_at(const struct pmem *pm, paddr_t addr)
{
    long i = pmem_find(pm, addr);

    return i < 0 ? PMEM_NONE : (enum pmem_type)pm->ranges[i].type;
}

bool pmem_next_gap(const struct pmem *pm, paddr_t lo, paddr_t hi, paddr_t *cursor,
                   paddr_t *gap_base, paddr_t *gap_end)
{
    paddr_t at = MAX(*cursor, lo);
    size_t i = first_ending_after(pm, at);

    /* Skip entries covering `at`; touching entries of other types chain. */
    while (i < pm->count && pm->ranges[i].base <= at)
        at = pm->ranges[i++].end;
    if (at >= hi) {
        *cursor = hi;
        return false;
    }
    *gap_base = at;
    *gap_end = i < pm->count ? MIN(pm->ranges[i].base, hi) : hi;
    *cursor = *gap_end;
    return true;
}

void pmem_totals(const struct pmem *pm, uint64_t totals[PMEM_TYPE_COUNT])
{
    __builtin_memset(totals, 0, PMEM_TYPE_COUNT * sizeof(totals[0]));
    for (size_t i = 0; i < pm->count; i++)
        totals[pm->ranges[i].type] += pm->ranges[i].end - pm->ranges[i].base;
}

uint64_t pmem_total_bytes(const struct pmem *pm)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < pm->count; i++)
        sum += pm->ranges[i].end - pm->ranges[i].base;
    return sum;
}

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

int pmem_alloc(struct pmem *pm, uint64_t size, uint64_t align, paddr_t max_end,
               enum pmem_type type, paddr_t *out)
{
    paddr_t limit = max_end ? ALIGN_DOWN(max_end, PAGE_SIZE) : PMEM_END_MAX;

    if (size == 0 || !IS_ALIGNED(size, PAGE_SIZE) || !is_pow2(align) || align < PAGE_SIZE ||
        !pmem_type_is_owned(type))
        return -E_INVAL;
    for (size_t i = 0; i < pm->count && pm->ranges[i].base < limit; i++) {
        const struct pmem_range *r = &pm->ranges[i];
        paddr_t at;

        if (r->type != PMEM_USABLE || !align_fit(r->base, MIN(r->end, limit), size, align, &at))
            continue;
        int rc = paint(pm, at, at + size, type);
        if (rc == 0)
            *out = at;
        return rc;
    }
    return -E_NOMEM;
}

static bool type_is_freeable(enum pmem_type type)
{
    return pmem_type_is_owned(type) || type == PMEM_BOOT_SERVICES ||
           type == PMEM_ACPI_RECLAIMABLE;
}

int pmem_free(struct pmem *pm, paddr_t pa, uint64_t size)
{
    if (size == 0 || !IS_ALIGNED(size, PAGE_SIZE) || !IS_ALIGNED(pa, PAGE_SIZE) ||
        size > PMEM_END_MAX - pa)
        return -E_INVAL;
    long i = pmem_find(pm, pa);
    if (i < 0)
        return -E_NOTFOUND;
    const struct pmem_range *r = &pm->ranges[i];
    if (pa + size > r->end || !type_is_freeable((enum pmem_type)r->type))
        return -E_INVAL;
    return paint(pm, pa, pa + size, PMEM_USABLE);
}

/* A switch, not a table of pointers: no relocations in the -fpic EFI build. */
const char *pmem_type_name(enum pmem_type type)
{
    switch (type) {
    case PMEM_NONE:               return "none";
    case PMEM_USABLE:             return "usable";
    case PMEM_BOOT_SERVICES:      return "boot-services";
    case PMEM_LOADER_RECLAIMABLE: return "loader-reclaimable";
    case PMEM_KERNEL_IMAGE:       return "kernel-image";
    case PMEM_KERNEL_PAGETABLES:  return "kernel-pagetables";
    case PMEM_KERNEL_STACK:       return "kernel-stack";
    case PMEM_KERNEL_HEAP:        return "kernel-heap";
    case PMEM_KERNEL_DATA:        return "kernel-data";
    case PMEM_AP_TRAMPOLINE:      return "ap-trampoline";
    case PMEM_ACPI_RECLAIMABLE:   return "acpi-reclaimable";
    case PMEM_ACPI_NVS:           return "acpi-nvs";
    case PMEM_FIRMWARE_RUNTIME:   return "firmware-runtime";
    case PMEM_MMIO:               return "mmio";
    case PMEM_FRAMEBUFFER:        return "framebuffer";
    case PMEM_PERSISTENT:         return "persistent";
    case PMEM_UNACCEPTED:         return "unaccepted";
    case PMEM_BAD:                return "bad";
    case PMEM_RESERVED:           return "reserved";
    default:                      return "invalid";
    }
}

bool pmem_type_valid(enum pmem_type type)
{
    return type > PMEM_NONE && type < PMEM_TYPE_COUNT;
}

bool pmem_type_is_ram(enum pmem_type type)
{
    return type == PMEM_USABLE || type == PMEM_BOOT_SERVICES ||
           type == PMEM_LOADER_RECLAIMABLE || type == PMEM_ACPI_RECLAIMABLE;
}

bool pmem_type_is_owned(enum pmem_type type)
{
    return type == PMEM_LOADER_RECLAIMABLE ||
           (type >= PMEM_KERNEL_IMAGE && type <= PMEM_AP_TRAMPOLINE);
}

bool pmem_check(const struct pmem *pm)
{
    if (pm->count > pm->capacity || (pm->count > 0 && pm->ranges == NULL))
        return false;
    for (size_t i = 0; i < pm->count; i++) {
        const struct pmem_range *r = &pm->ranges[i];

        if (!span_valid(r->base, r->end) || !pmem_type_valid((enum pmem_type)r->type))
            return false;
        if (i > 0 && (r[-1].end > r->base || joinable(&r[-1], r)))
            return false;
    }
    return true;
}

/* Virtual-range tracker: sorted, disjoint reservations in caller storage.
 * Contract: include/vrange.h.
 *
 * Invariants of vs->r[0 .. count), checked by vrange_check():
 *  - base < end; kind in (VR_NONE, VR_KIND_COUNT);
 *  - sorted and disjoint: r[i].end <= r[i+1].base. Touching reservations
 *    stay separate entries: each is released on its own. */
#include "vrange.h"
#include "sorted.h"

static bool kind_valid(enum vrange_kind kind)
{
    return kind > VR_NONE && kind < VR_KIND_COUNT;
}

/* Index of the first reservation with end > va (count if none). */
static size_t first_ending_after(const struct vrange_set *vs, vaddr_t va)
{
    return SORTED_FIRST_END_AFTER(vs->r, vs->count, va);
}

/* Open a hole at index i (capacity checked by the caller). */
static void insert_at(struct vrange_set *vs, size_t i, vaddr_t base, vaddr_t end,
                      enum vrange_kind kind)
{
    __builtin_memmove(&vs->r[i + 1], &vs->r[i], (vs->count - i) * sizeof(vs->r[0]));
    vs->r[i] = (struct vrange){ .base = base, .end = end, .kind = kind, .pad = 0 };
    vs->count++;
}

static void remove_at(struct vrange_set *vs, size_t i)
{
    __builtin_memmove(&vs->r[i], &vs->r[i + 1], (vs->count - i - 1) * sizeof(vs->r[0]));
    vs->count--;
}

void vrange_init(struct vrange_set *vs, struct vrange *storage, size_t capacity)
{
    vs->r = storage;
    vs->count = 0;
    vs->capacity = capacity;
}

int vrange_reserve(struct vrange_set *vs, vaddr_t base, vaddr_t end, enum vrange_kind kind)
{
    if (base >= end || !kind_valid(kind))
        return -E_INVAL;
    size_t i = first_ending_after(vs, base);
    if (i < vs->count && vs->r[i].base < end)
        return -E_OVERLAP;
    if (vs->count == vs->capacity)
        return -E_CAPACITY;
    insert_at(vs, i, base, end, kind);
    return 0;
}

int vrange_alloc(struct vrange_set *vs, uint64_t size, uint64_t align, vaddr_t win_lo,
                 vaddr_t win_hi, enum vrange_kind kind, vaddr_t *out)
{
    if (size == 0 || align == 0 || (align & (align - 1)) || win_lo >= win_hi || !kind_valid(kind))
        return -E_INVAL;
    vaddr_t cursor = win_lo;
    /* Walk the gaps of the window in address order: [cursor, next base). */
    for (size_t i = first_ending_after(vs, win_lo); cursor < win_hi; i++) {
        vaddr_t gap_end = i < vs->count ? MIN(vs->r[i].base, win_hi) : win_hi;
        vaddr_t x;

        if (cursor < gap_end && align_fit(cursor, gap_end, size, align, &x)) {
            if (vs->count == vs->capacity)
                return -E_CAPACITY;
            insert_at(vs, i, x, x + size, kind);
            *out = x;
            return 0;
        }
        if (i >= vs->count)
            break;
        cursor = vs->r[i].end;   /* > cursor: entries from i on end past win_lo, sorted */
    }
    return -E_NOMEM;
}

int vrange_release(struct vrange_set *vs, vaddr_t base, vaddr_t end)
{
    if (base >= end)
        return -E_INVAL;
    size_t i = first_ending_after(vs, base);
    if (i == vs->count || vs->r[i].base > base || vs->r[i].end < end)
        return -E_NOTFOUND;
    struct vrange *v = &vs->r[i];
    bool keep_left = v->base < base, keep_right = end < v->end;

    if (keep_left && keep_right) {
        /*  [ v.base ... | base ... end | ... v.end )  ->  two reservations */
        if (vs->count == vs->capacity)
            return -E_CAPACITY;
        insert_at(vs, i + 1, end, v->end, (enum vrange_kind)v->kind);
        vs->r[i].end = base;
    } else if (keep_left) {
        v->end = base;
    } else if (keep_right) {
        v->base = end;
    } else {
        remove_at(vs, i);
    }
    return 0;
}

const struct vrange *vrange_lookup(const struct vrange_set *vs, vaddr_t va)
{
    size_t i = first_ending_after(vs, va);

    return i < vs->count && vs->r[i].base <= va ? &vs->r[i] : NULL;
}

/* A switch, not a table of pointers: no relocations in the -fpic EFI build. */
const char *vrange_kind_name(enum vrange_kind kind)
{
    switch (kind) {
    case VR_NONE:         return "none";
    case VR_HHDM:         return "hhdm";
    case VR_KERNEL_IMAGE: return "kernel-image";
    case VR_KERNEL_STACK: return "kernel-stack";
    case VR_GUARD:        return "guard";
    case VR_HEAP:         return "heap";
    case VR_MMIO:         return "mmio";
    case VR_IDENTITY:     return "identity";
    case VR_OTHER:        return "other";
    case VR_HEAP_SLICES:  return "heap-slices";
    default:              return "invalid";
    }
}

bool vrange_check(const struct vrange_set *vs)
{
    if (vs->count > vs->capacity || (vs->count > 0 && vs->r == NULL))
        return false;
    for (size_t i = 0; i < vs->count; i++) {
        const struct vrange *v = &vs->r[i];

        if (v->base >= v->end || !kind_valid((enum vrange_kind)v->kind))
            return false;
        if (i > 0 && v[-1].end > v->base)
            return false;
    }
    return true;
}

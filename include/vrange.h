/* Virtual-range tracker: the set of used, half-open virtual ranges of one
 * address space (HHDM, kernel image, stacks, heap, ...), sorted in a
 * caller-supplied array, with first-fit search for free space in a window. */
#ifndef PAGODA_VRANGE_H
#define PAGODA_VRANGE_H

#include "types.h"

/* What a reserved range holds; names for reports. */
enum vrange_kind {
    VR_NONE = 0,
    VR_HHDM,
    VR_KERNEL_IMAGE,
    VR_KERNEL_STACK,
    VR_GUARD,         /* deliberately unmapped guard page(s) */
    VR_HEAP,
    VR_MMIO,
    VR_IDENTITY,      /* transitional identity map */
    VR_OTHER,
    VR_HEAP_SLICES,   /* the kernel's per-CPU heap slices */
    VR_KIND_COUNT
};

struct vrange {
    vaddr_t base;
    vaddr_t end;      /* exclusive; end > base */
    uint32_t kind;    /* enum vrange_kind */
    uint32_t pad;
};

/* Sorted by base, non-overlapping. Touching ranges are kept apart (they are
 * distinct reservations, released separately). Capacity: each reserve adds
 * one entry; release of a sub-range may add one (a split). Running out is
 * -E_CAPACITY with the set unchanged. Lookups are O(log n); reserve and
 * release add one memmove; alloc is O(n) (first fit over the gaps). */
struct vrange_set {
    struct vrange *r;
    size_t count;
    size_t capacity;
};

void vrange_init(struct vrange_set *vs, struct vrange *storage, size_t capacity);

/* Reserve exactly [base, end). -E_OVERLAP if any byte is taken,
 * -E_CAPACITY when full, -E_INVAL if base >= end or kind is not a kind. */
int vrange_reserve(struct vrange_set *vs, vaddr_t base, vaddr_t end, enum vrange_kind kind);

/* Find the lowest free [x, x+size) with x aligned to `align` (a power of
 * two) inside [win_lo, win_hi), reserve it and return x in *out.
 * -E_NOMEM if nothing fits, -E_INVAL for size 0, a bad align or an empty
 * window, -E_CAPACITY when full. */
int vrange_alloc(struct vrange_set *vs, uint64_t size, uint64_t align, vaddr_t win_lo,
                 vaddr_t win_hi, enum vrange_kind kind, vaddr_t *out);

/* Release [base, end), which must lie inside one reservation (splitting it if
 * it is a middle part). -E_NOTFOUND otherwise, -E_INVAL if base >= end,
 * -E_CAPACITY if a split does not fit. */
int vrange_release(struct vrange_set *vs, vaddr_t base, vaddr_t end);

/* The reservation containing va, or NULL. O(log n). */
const struct vrange *vrange_lookup(const struct vrange_set *vs, vaddr_t va);

/* Short lowercase name ("hhdm", "kernel-stack", ...); "invalid" out of range. */
const char *vrange_kind_name(enum vrange_kind kind);

/* Check the invariants (sorted, disjoint, base < end, valid kinds,
 * count <= capacity). For tests and the kernel's self-checks (accounting,
 * smp-stress: kmem_check in kernel/mm.c). */
bool vrange_check(const struct vrange_set *vs);

#endif

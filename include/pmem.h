/* Physical-memory tracker: a map from non-overlapping, half-open physical
 * ranges to a type, kept sorted in a caller-supplied array. Shared by the
 * loader (built from the firmware map), the kernel and host tests.
 * Design note: docs/memory.md. */
#ifndef PAGODA_PMEM_H
#define PAGODA_PMEM_H

#include "types.h"

/* Types. The numeric values are part of the boot-info ABI (docs/bootinfo.md):
 * append, never renumber. The kernel's own uses are sub-types so the tracker
 * says what memory is used for, not only that it is used. */
enum pmem_type {
    PMEM_NONE = 0,            /* not a type: "no entry here" (a gap) */
    PMEM_USABLE,              /* free RAM */
    PMEM_BOOT_SERVICES,       /* firmware boot-services code/data: usable after ExitBootServices */
    PMEM_LOADER_RECLAIMABLE,  /* loader image, boot info: reclaimable once the kernel copied it */
    PMEM_KERNEL_IMAGE,        /* kernel ELF segments */
    PMEM_KERNEL_PAGETABLES,   /* page-table frames */
    PMEM_KERNEL_STACK,        /* kernel stacks */
    PMEM_KERNEL_HEAP,         /* kernel heap / general kernel allocations */
    PMEM_KERNEL_DATA,         /* kernel metadata: tracker storage, allocator bitmaps */
    PMEM_AP_TRAMPOLINE,       /* the page below 1 MiB the APs start in */
    PMEM_ACPI_RECLAIMABLE,    /* ACPI tables: reclaimable after parsing */
    PMEM_ACPI_NVS,            /* ACPI non-volatile storage: never touched */
    PMEM_FIRMWARE_RUNTIME,    /* EFI runtime services code/data: never touched */
    PMEM_MMIO,                /* memory-mapped I/O */
    PMEM_FRAMEBUFFER,         /* GOP framebuffer */
    PMEM_PERSISTENT,          /* persistent memory (pmem) */
    PMEM_UNACCEPTED,          /* unaccepted memory (confidential VMs) */
    PMEM_BAD,                 /* unusable: errors detected */
    PMEM_RESERVED,            /* reserved, unknown or OEM types */
    PMEM_TYPE_COUNT
};

/* One range: [base, end), page-aligned once sanitised. 24 bytes; part of the
 * boot-info ABI. */
struct pmem_range {
    paddr_t base;
    paddr_t end;
    uint32_t type;   /* enum pmem_type */
    uint32_t flags;  /* reserved, 0 */
};

/* Highest page-aligned exclusive end a range can have: the last page of the
 * 64-bit space is never part of the map (its end, 2^64, is not a paddr_t). */
#define PMEM_END_MAX ((paddr_t)0 - PAGE_SIZE)

/* The tracker. `ranges` is caller storage of `capacity` entries. Invariants
 * (pmem_check): every entry is page-aligned with base < end and a type in
 * (PMEM_NONE, PMEM_TYPE_COUNT); entries are sorted by base and disjoint; no
 * two touching neighbours share a type (they are always merged).
 *
 * Capacity rule: pmem_insert and pmem_cut add at most 1 entry; pmem_retype,
 * pmem_alloc and pmem_free at most 2 (one entry split into three). pmem_build
 * needs 2 entries per raw entry it keeps (so 2n always suffices) and leaves at
 * most 2n - 1. An operation that would exceed capacity fails with -E_CAPACITY
 * and leaves the tracker unchanged: the check is made before anything moves.
 *
 * The mutators take page-aligned [base, end) with base < end (-E_INVAL
 * otherwise) and cost O(log n) plus one memmove of the entries after the
 * change. */
struct pmem {
    struct pmem_range *ranges;
    size_t count;
    size_t capacity;
};

/* A raw firmware-style entry, before sanitising: may be unsorted, overlap,
 * be zero-length, unaligned or wrap around. */
struct pmem_raw {
    paddr_t base;
    uint64_t length;
    uint32_t type;   /* enum pmem_type */
};

/* A raw length from a count of 4 KiB pages (a UEFI descriptor's
 * NumberOfPages). pages << 12 wraps on a corrupt count: the result
 * saturates at UINT64_MAX instead, so pmem_build drops the entry as
 * wrapping rather than keeping a truncated length. */
uint64_t pmem_raw_length_from_pages(uint64_t pages);

void pmem_init(struct pmem *pm, struct pmem_range *storage, size_t capacity);

/* Insert [base, end) as `type`, merging with touching neighbours of the same
 * type. Refuses any overlap with an existing entry: -E_OVERLAP. */
int pmem_insert(struct pmem *pm, paddr_t base, paddr_t end, enum pmem_type type);

/* Remove [base, end) from every entry it touches (splitting as needed).
 * Removing a gap is not an error. */
int pmem_cut(struct pmem *pm, paddr_t base, paddr_t end);

/* cut + insert, as one step (either both happen or neither). [base, end) need
 * not be covered beforehand; any type but PMEM_NONE, PMEM_USABLE included. */
int pmem_retype(struct pmem *pm, paddr_t base, paddr_t end, enum pmem_type type);

/* Type at addr, or PMEM_NONE in a gap. O(log n). */
enum pmem_type pmem_type_at(const struct pmem *pm, paddr_t addr);

/* Index of the entry containing addr, or -1. O(log n). */
long pmem_find(const struct pmem *pm, paddr_t addr);

/* Iterate gaps within [lo, hi): returns true and sets *gap_base and *gap_end to
 * the next gap at or after *cursor, advancing *cursor. Start with *cursor = lo. */
bool pmem_next_gap(const struct pmem *pm, paddr_t lo, paddr_t hi, paddr_t *cursor,
                   paddr_t *gap_base, paddr_t *gap_end);

/* totals[t] = bytes of type t, for every t < PMEM_TYPE_COUNT. */
void pmem_totals(const struct pmem *pm, uint64_t totals[PMEM_TYPE_COUNT]);

/* Sum of all entries' lengths. */
uint64_t pmem_total_bytes(const struct pmem *pm);

/* Allocate `size` bytes (a multiple of 4 KiB) aligned to `align` (a power of
 * two >= 4 KiB; 4K, 2M, 1G for frames) from PMEM_USABLE, lowest address
 * first, entirely below `max_end` (0 = no limit; e.g. 1 MiB for the AP
 * trampoline, 4 GiB for 32-bit DMA), and retype them as `type`, which must be
 * an owned type (pmem_type_is_owned). Returns 0 and sets *out, or -E_NOMEM /
 * -E_CAPACITY / -E_INVAL. O(n) in the number of entries: the fast path is
 * falloc. */
int pmem_alloc(struct pmem *pm, uint64_t size, uint64_t align, paddr_t max_end,
               enum pmem_type type, paddr_t *out);

/* Retype [pa, pa+size) back to PMEM_USABLE (merging). The range must lie in
 * one entry of an owned type or a reclaimable one (boot-services,
 * acpi-reclaimable): -E_NOTFOUND in a gap, -E_INVAL otherwise (a usable
 * entry means a double free; firmware and MMIO types are never freed). */
int pmem_free(struct pmem *pm, paddr_t pa, uint64_t size);

/* Build from a raw map (any order, overlaps, zero-length, unaligned,
 * wrapping), replacing the tracker's contents.
 * Result: sorted, non-overlapping, page-aligned; every input byte that is
 * kept is accounted for exactly once at page granularity: each page gets the
 * type of highest pmem_precedence() among the kept entries covering it.
 * Partial pages: a RAM type (pmem_type_is_ram) is shrunk inward to whole
 * pages, any other type is grown outward, so a page holding any non-RAM byte
 * is never handed out as RAM. Dropped: zero-length entries, RAM entries that
 * shrink to nothing, and entries running past PMEM_END_MAX (wrapping): a gap
 * is never allocated, so dropping is the safe answer to a corrupt entry.
 *
 * Allocates nothing (it runs after ExitBootServices): the tracker's own
 * storage is the sorting scratch, hence 2 entries per kept raw entry (see the
 * capacity rule). O(n log n): heapsort of 2n boundary events, then one sweep.
 * Returns 0, -E_CAPACITY, or -E_INVAL on a type out of range (PMEM_NONE
 * included); both are decided before the tracker is touched. Counts go into
 * *stats if given (on success): dropped zero-length and wrapping entries,
 * entries starting inside another one, entries with an unaligned edge. */
struct pmem_sanitize_stats {
    size_t zero_length;
    size_t wrapped;
    size_t overlaps;
    size_t unaligned;
};
int pmem_build(struct pmem *pm, const struct pmem_raw *raw, size_t n,
               struct pmem_sanitize_stats *stats);

/* Rank used on overlap: higher wins ("the more restrictive type wins"). A
 * strict total order, so the result never depends on input order:
 *   USABLE < UNACCEPTED < BOOT_SERVICES < LOADER_RECLAIMABLE
 *   < KERNEL_IMAGE < KERNEL_PAGETABLES < KERNEL_STACK < KERNEL_HEAP
 *   < KERNEL_DATA < AP_TRAMPOLINE < ACPI_RECLAIMABLE < PERSISTENT
 *   < FRAMEBUFFER < ACPI_NVS < FIRMWARE_RUNTIME < MMIO < RESERVED < BAD.
 * -1 for PMEM_NONE and out-of-range values. */
int pmem_precedence(enum pmem_type type);

/* Short lowercase name ("usable", "kernel-pagetables", ...), for reports;
 * "invalid" for values out of range. */
const char *pmem_type_name(enum pmem_type type);

/* True for the tracker's types: PMEM_NONE < type < PMEM_TYPE_COUNT. */
bool pmem_type_valid(enum pmem_type type);

/* True for types the kernel may hand out or reclaim as RAM one day
 * (usable, boot-services, loader-reclaimable, acpi-reclaimable). */
bool pmem_type_is_ram(enum pmem_type type);

/* True for the types memory is allocated as (pmem_alloc, falloc_alloc):
 * loader-reclaimable, the kernel-* types and ap-trampoline. */
bool pmem_type_is_owned(enum pmem_type type);

/* Check the invariants (sorted, non-overlapping, merged, page-aligned,
 * base < end, valid types, count <= capacity). Returns true when they hold.
 * For tests and the kernel's self-check. */
bool pmem_check(const struct pmem *pm);

#endif

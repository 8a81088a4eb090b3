/* x86_64 page-table mapper over caller-supplied frames and physical-memory
 * access, 4- or 5-level (pt->levels; the loader picks per boot,
 * docs/paging.md). Shared by the loader (identity access), the kernel (HHDM
 * access) and host tests (an arena). */
#ifndef PAGODA_PT_H
#define PAGODA_PT_H

#include "types.h"

/* Mapping flags, architecture-neutral; pt.c turns them into PTE bits.
 * Default (0) = read-only, no-execute, supervisor, write-back. */
#define PT_MAP_WRITE   (1u << 0)
#define PT_MAP_EXEC    (1u << 1)
#define PT_MAP_USER    (1u << 2)
#define PT_MAP_GLOBAL  (1u << 3)
#define PT_MAP_WC      (1u << 4)   /* write-combining (framebuffer) */
#define PT_MAP_UC      (1u << 5)   /* uncached (MMIO) */
#define PT_MAP_MAX_4K  (1u << 6)   /* never use huge leaves for this range */
/* Set the leaf's PAT bit: PAT index 4 + the index WC/UC/WB pick. Only for a
 * PAT layout other than Pagoda's: the Limine protocol's WC is index 5
 * (PT_MAP_WC | PT_MAP_PAT_HIGH under efi/limine.h's LIMINE_PAT_VALUE). */
#define PT_MAP_PAT_HIGH (1u << 7)
#define PT_MAP_ALL     ((1u << 8) - 1)

/* CPU capabilities the mapper may use. */
#define PT_CAP_1G      (1u << 0)   /* 1 GiB leaves (CPUID 0x80000001 EDX.26) */
#define PT_CAP_NX      (1u << 1)   /* NX bit honoured (EFER.NXE will be set) */
#define PT_CAP_ALL     (PT_CAP_1G | PT_CAP_NX)

struct pt_env {
    /* Return a 4 KiB-aligned frame below PTE_PHYS_LIMIT, or 0 when none is
     * left. pt.c zeroes it. */
    paddr_t (*alloc_frame)(void *ctx);
    /* Give back a frame of page tables that became empty. May be NULL
     * (frames are then leaked and counted in pt.frames_leaked). Called at
     * once, before any TLB flush: see "TLB" below. */
    void (*free_frame)(void *ctx, paddr_t pa);
    /* Pointer through which the CPU running this code reaches pa. */
    void *(*phys_to_ptr)(void *ctx, paddr_t pa);
    void *ctx;
};

struct pt {
    struct pt_env env;
    paddr_t root;            /* PML4 (or PML5) physical address: CR3 */
    int levels;              /* 4 or 5 */
    unsigned caps;           /* PT_CAP_* */
    uint64_t frames_used;    /* table frames currently owned, root included */
    uint64_t frames_freed;   /* table frames given back over the lifetime */
    uint64_t frames_leaked;  /* tables dropped while free_frame was NULL */
    unsigned shared_from;    /* root entries >= this belong to another pt
                              * (pt_clone_kernel_half); PT_ENTRIES = none */
    bool kernel_pinned;      /* pt_pin_kernel_half ran: see there */
    unsigned recursive_slot; /* upper root entry kept for a recursive mapping
                              * (shared/pt_recursive.c); 0 = none */
};

/* TLB: pt.c never touches CR3, INVLPG or other CPUs. After pt_unmap or
 * pt_protect on a live address space the caller flushes (and shoots down on
 * SMP), and reuses frames handed to free_frame only after that flush, since
 * the CPU may still cache the paging-structure entries that pointed to them.
 *
 * Ranges: [va, va+len) must be 4 KiB-aligned, canonical and inside one half
 * (it may end exactly at 2^64). len 0 is a no-op. A pt made by
 * pt_clone_kernel_half refuses ranges in the shared half (-E_INVAL): growing
 * the kernel half is the kernel pt's job. */

/* Allocate an empty root. Returns 0, -E_NOMEM or -E_INVAL (levels not 4/5). */
int pt_init(struct pt *pt, const struct pt_env *env, int levels, unsigned caps);

/* Map [va, va+len) -> [pa, pa+len). va, pa, len 4 KiB-aligned, va canonical.
 * Picks the largest leaf (1G if PT_CAP_1G, 2M, 4K) that the alignment of va
 * and pa and the remaining length allow, but never in place of a pinned
 * table (pt_pin_table): below one, the next smaller leaves. Any already-present leaf in the
 * range is an error (-E_BUSY) and nothing after it is mapped; pages mapped
 * before the error stay mapped. -E_NOMEM when alloc_frame runs dry (same
 * rule; no half-built empty tables are left behind). -E_INVAL for a bad
 * range, pa + len beyond PTE_PHYS_LIMIT, unknown flags or both WC and UC. */
int pt_map(struct pt *pt, vaddr_t va, paddr_t pa, uint64_t len, unsigned flags);

/* Unmap [va, va+len) (4 KiB-aligned). Huge leaves only partly covered are
 * split first. Table frames that become empty are freed (not the root, nor
 * pinned tables: pt_pin_kernel_half, pt_pin_table).
 * Unmapped holes inside the range are skipped. -E_NOMEM if a split needs a
 * frame and none is left: pages before that point are unmapped already. */
int pt_unmap(struct pt *pt, vaddr_t va, uint64_t len);

/* Change flags of every mapped page in [va, va+len) to `flags`, splitting
 * huge leaves only partly covered (unless their flags already equal `flags`).
 * With PT_MAP_MAX_4K every huge leaf in the range is split down to 4 KiB.
 * Holes are skipped. Accessed/dirty bits are kept. -E_NOMEM as pt_unmap. */
int pt_protect(struct pt *pt, vaddr_t va, uint64_t len, unsigned flags);

struct pt_translation {
    paddr_t pa;              /* physical address of va itself */
    uint64_t leaf_size;      /* 4K, 2M or 1G */
    unsigned flags;          /* PT_MAP_* as decoded from the leaf */
    uint64_t pte;            /* raw leaf entry */
};

/* Walk va. 0 and *out, -E_NOTFOUND when not mapped, -E_INVAL when va is not
 * canonical. */
int pt_translate(const struct pt *pt, vaddr_t va, struct pt_translation *out);

/* Pin the kernel half of `kernel`, once, before it is first cloned: every
 * empty root entry in 256..511 except `recursive_slot` gets an empty table,
 * and those tables (the ones a root entry of the upper half points to) are
 * never freed, even when empty. From then on the upper root entries never
 * change (recursive_slot aside), so clones can share them: every later
 * kernel mapping lands in a table that every clone already points to. Costs
 * one frame per empty entry (up to 255: ~1 MiB). recursive_slot is an upper
 * root index that pt_map and friends then refuse (-E_INVAL) and clones do
 * not copy; pt_recursive_install may point it at a root. Returns 0, -E_INVAL
 * (a clone, already pinned, the slot not in 256..511 or in use) or -E_NOMEM
 * (nothing changed: the tables made so far are given back). */
int pt_pin_kernel_half(struct pt *kernel, unsigned recursive_slot);

/* Make the table at `level` (PT_LEVEL_4K: the page table) that holds va's
 * entries exist, with every table above it, and pin it and them (PTE_PINNED
 * in every entry on the path): none is ever freed, even when empty, so the
 * entries above it never change again. Leaves under
 * it can then be changed through a pt that never needs to allocate or free
 * a table (a range inside one pinned table), without holding whatever
 * serialises the rest of the tree: that pt only writes entries of the
 * pinned table. Idempotent. The table's physical address goes to *table
 * (if not NULL), for callers that check its entries. Returns 0, -E_INVAL (level not below the root,
 * va not canonical or in a range this pt refuses), -E_BUSY (a huge leaf
 * maps va above `level`) or -E_NOMEM (nothing changed). */
int pt_pin_table(struct pt *pt, vaddr_t va, int level, paddr_t *table);

/* A new address space whose upper half (root entries 256..511, the
 * recursive slot excepted) points to the same tables as `kernel`, which
 * must be pinned (-E_INVAL otherwise): per-process address spaces share the
 * kernel, including what it maps later. The child gets its own env (e.g. a
 * locked allocator), the kernel's levels and caps; child->frames_used counts
 * only what it owns. */
int pt_clone_kernel_half(struct pt *child, const struct pt_env *env, const struct pt *kernel);

/* Free the root of a pt that owns nothing else (frames_used == 1): -E_BUSY
 * otherwise. Empty a clone's lower half with pt_unmap first. The caller makes
 * sure no CPU still uses the root (see TLB above). */
int pt_fini(struct pt *pt);

/* Minimum table frames (root included) that mapping every range in
 * `ranges` (each {va, pa, len, flags}) needs with the leaves pt_map would pick,
 * counting tables shared by neighbouring ranges once. Ranges sorted by va,
 * non-overlapping. */
struct pt_mapping {
    vaddr_t va;
    paddr_t pa;
    uint64_t len;
    unsigned flags;
};
uint64_t pt_min_frames(const struct pt_mapping *ranges, size_t n, int levels, unsigned caps);

/* Canonical-address check for the given number of levels (false unless
 * levels is 4 or 5). */
bool pt_is_canonical(vaddr_t va, int levels);

/* Internal to the mapper: shared by shared/pt.c and shared/pt_min.c so that
 * pt_min_frames counts the leaves pt_map really lays. Not for callers.
 * pt_leaf_level: the largest leaf level (PT_LEVEL_4K..) whose size divides
 * va and pa and fits in len, within caps and flags (PT_MAP_MAX_4K).
 * pt_entry_left: bytes from va to the end of the level-`level` entry that
 * holds it. */
int pt_leaf_level(unsigned caps, unsigned flags, vaddr_t va, paddr_t pa, uint64_t len);
uint64_t pt_entry_left(int level, vaddr_t va);

#endif

/* Host-side helpers for the page-table mapper's tests and benchmark:
 *  - a simulated RAM arena that hands out table frames (struct pt_env hooks)
 *    and catches bad frees and stray physical accesses;
 *  - pt_check_tree, a checker that walks a whole tree recursively, written
 *    apart from shared/pt.c's walk, and verifies invariants I1-I5 of pt.c;
 *  - pt_expected_leaf_bits, the PTE bits a leaf must have, restated from the
 *    SDM rather than taken from pt.c.
 * Header-only (static inline) so each test stays a single .c file. */
#ifndef PAGODA_TESTS_PT_ARENA_H
#define PAGODA_TESTS_PT_ARENA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pt.h"
#include "x86/pte.h"

/* Physical address of the arena's first frame: non-zero, since 0 means "no
 * frame", and not 0-based so that a pa used as an index would show. */
#define ARENA_BASE_PA  (256 * MiB)
#define ARENA_POISON   0xA5   /* fills handed-out frames: pt.c must zero them */
#define ARENA_NO_LIMIT UINT64_MAX

struct pt_arena {
    uint8_t *mem;          /* mmap(MAP_NORESERVE): untouched frames cost nothing */
    uint64_t frames;       /* capacity */
    uint64_t bump;         /* frames handed out at least once */
    uint64_t *free_stack;  /* indices given back, reused first */
    uint64_t nfree;
    uint8_t *live_map;     /* 1 = handed out and not given back */
    uint64_t live;
    uint64_t limit;        /* alloc fails once `live` reaches it */
    uint64_t allocs, frees;
    bool poison;
};

static inline void arena_die(const char *what, paddr_t pa)
{
    fprintf(stderr, "pt_arena: %s (pa %#llx)\n", what, (unsigned long long)pa);
    abort();
}

static inline void arena_init(struct pt_arena *a, uint64_t frames, bool poison)
{
    *a = (struct pt_arena){ .frames = frames, .limit = ARENA_NO_LIMIT, .poison = poison };
    a->mem = mmap(NULL, frames * PAGE_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    a->free_stack = malloc(frames * sizeof(*a->free_stack));
    a->live_map = calloc(frames, 1);
    if (a->mem == MAP_FAILED || !a->free_stack || !a->live_map)
        arena_die("out of host memory", 0);
}

static inline void arena_fini(struct pt_arena *a)
{
    munmap(a->mem, a->frames * PAGE_SIZE);
    free(a->free_stack);
    free(a->live_map);
}

static inline uint64_t arena_index(const struct pt_arena *a, paddr_t pa)
{
    if (pa < ARENA_BASE_PA || !IS_ALIGNED(pa, PAGE_SIZE) ||
        (pa - ARENA_BASE_PA) / PAGE_SIZE >= a->frames)
        arena_die("frame outside the arena", pa);
    return (pa - ARENA_BASE_PA) / PAGE_SIZE;
}

static inline bool arena_is_live(const struct pt_arena *a, paddr_t pa)
{
    return a->live_map[arena_index(a, pa)];
}

static inline paddr_t arena_alloc(void *ctx)
{
    struct pt_arena *a = ctx;
    uint64_t i;
    if (a->live >= a->limit)
        return 0;
    if (a->nfree > 0)
        i = a->free_stack[--a->nfree];
    else if (a->bump < a->frames)
        i = a->bump++;
    else
        return 0;
    a->live_map[i] = 1;
    a->live++;
    a->allocs++;
    if (a->poison)
        memset(a->mem + i * PAGE_SIZE, ARENA_POISON, PAGE_SIZE);
    return ARENA_BASE_PA + i * PAGE_SIZE;
}

static inline void arena_free(void *ctx, paddr_t pa)
{
    struct pt_arena *a = ctx;
    uint64_t i = arena_index(a, pa);
    if (!a->live_map[i])
        arena_die("double free", pa);
    a->live_map[i] = 0;
    a->live--;
    a->frees++;
    a->free_stack[a->nfree++] = i;
    if (a->poison)
        memset(a->mem + i * PAGE_SIZE, ARENA_POISON, PAGE_SIZE);
}

/* Only live frames may be reached: a walk into a freed frame is a bug. */
static inline void *arena_phys_to_ptr(void *ctx, paddr_t pa)
{
    struct pt_arena *a = ctx;
    uint64_t i = arena_index(a, ALIGN_DOWN(pa, PAGE_SIZE));
    if (!a->live_map[i])
        arena_die("access to a frame that is not live", pa);
    return a->mem + (pa - ARENA_BASE_PA);
}

static inline struct pt_env arena_env(struct pt_arena *a)
{
    return (struct pt_env){
        .alloc_frame = arena_alloc,
        .free_frame = arena_free,
        .phys_to_ptr = arena_phys_to_ptr,
        .ctx = a,
    };
}

/* ---- expected bits ------------------------------------------------------- */

/* Bits the checker compares on a leaf at `level`: all but the address, A
 * and D. Bit 7 is PS in a huge leaf and PAT in a 4K PTE; bit 12 is PAT in a
 * huge leaf and address in a 4K PTE. */
static inline uint64_t pt_check_attr_mask(int level)
{
    uint64_t mask = PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_PS | PTE_G | PTE_NX;
    return level == PT_LEVEL_4K ? mask : mask | PTE_PAT_HUGE;
}

/* PTE bits (within pt_check_attr_mask) of a leaf at `level` for `flags`:
 * SDM 4.5, tables 4-15 to 4-20; Pagoda's PAT indices 0 WB, 1 WC, 3 UC. */
static inline uint64_t pt_expected_leaf_bits(unsigned flags, unsigned caps, int level)
{
    uint64_t bits = PTE_P;
    bits |= (flags & PT_MAP_WRITE) ? PTE_W : 0;
    bits |= (flags & PT_MAP_USER) ? PTE_U : 0;
    bits |= (flags & PT_MAP_GLOBAL) ? PTE_G : 0;
    bits |= (flags & PT_MAP_UC) ? (PTE_PWT | PTE_PCD) : (flags & PT_MAP_WC) ? PTE_PWT : 0;
    bits |= level > PT_LEVEL_4K ? PTE_PS : 0;
    bits |= (!(flags & PT_MAP_EXEC) && (caps & PT_CAP_NX)) ? PTE_NX : 0;
    return bits;
}

/* ---- whole-tree checker -------------------------------------------------- */

struct pt_check {
    /* Optional: called for every leaf, in increasing va order. */
    void (*leaf)(void *ctx, vaddr_t va, uint64_t pte, int level);
    void *ctx;
    /* Results. */
    uint64_t tables;                       /* reachable table frames, root included */
    uint64_t leaves[PT_LEVEL_1G + 1];      /* by level */
    uint64_t user_tables;                  /* table entries with U */
    uint64_t pinned_tables;                /* table entries with PTE_PINNED */
    const char *error;                     /* first broken invariant, or NULL */
    vaddr_t error_va;
    uint8_t *seen;                         /* per arena frame */
};

static inline void pt_check_fail(struct pt_check *c, const char *what, vaddr_t va)
{
    if (!c->error) {
        c->error = what;
        c->error_va = va;
    }
}

static inline vaddr_t pt_check_sign_extend(vaddr_t va, int levels)
{
    int bits = levels == PT_LEVELS_MAX ? VA_BITS_5LEVEL : VA_BITS_4LEVEL;
    return (va & (1ULL << (bits - 1))) ? va | ~((1ULL << bits) - 1) : va;
}

/* `user_path`: every table entry above this leaf has U. */
static inline void pt_check_leaf(const struct pt *pt, struct pt_check *c, uint64_t e, int level,
                                 vaddr_t va, bool user_path)
{
    uint64_t low_addr = (PT_LEVEL_SIZE(level) - 1) & PTE_ADDR_MASK & ~PTE_PAT_HUGE;
    if (level > PT_LEVEL_1G)
        pt_check_fail(c, "PS set in a PML4/PML5 entry", va);
    else if (level == PT_LEVEL_1G && !(pt->caps & PT_CAP_1G))
        pt_check_fail(c, "1G leaf without PT_CAP_1G", va);
    else if (level > PT_LEVEL_4K && (e & low_addr))
        pt_check_fail(c, "huge leaf address not aligned to its size", va);
    else if ((e & PTE_U) && !user_path)
        pt_check_fail(c, "user leaf below a table entry without U", va);
    else
        c->leaves[level]++;
    if (c->leaf && level <= PT_LEVEL_1G)
        c->leaf(c->ctx, va, e, level);
}

static inline void pt_check_table(const struct pt *pt, struct pt_arena *a, struct pt_check *c,
                                  paddr_t table_pa, int level, vaddr_t base, bool user_path,
                                  bool pinned_entry);

/* One entry of a table at `level`; va is the first address it maps. */
static inline void pt_check_entry(const struct pt *pt, struct pt_arena *a, struct pt_check *c,
                                  uint64_t e, int level, vaddr_t va, bool user_path)
{
    if (!(e & PTE_P)) {
        if (e != 0)
            pt_check_fail(c, "non-present entry is not 0", va);
        return;
    }
    if (level == PT_LEVEL_4K || (e & PTE_PS)) {
        pt_check_leaf(pt, c, e, level, va, user_path);
        return;
    }
    if ((e & ~PTE_ADDR_MASK & ~PTE_U & ~PTE_PINNED) != (PTE_P | PTE_W))
        pt_check_fail(c, "table entry is not exactly P|W(|U)(|PINNED)", va);
    c->user_tables += (e & PTE_U) ? 1 : 0;
    c->pinned_tables += (e & PTE_PINNED) ? 1 : 0;
    pt_check_table(pt, a, c, e & PTE_ADDR_MASK, level - 1, va, user_path && (e & PTE_U),
                   (e & PTE_PINNED) != 0);
}

static inline void pt_check_table(const struct pt *pt, struct pt_arena *a, struct pt_check *c,
                                  paddr_t table_pa, int level, vaddr_t base, bool user_path,
                                  bool pinned_entry)
{
    uint64_t i = arena_index(a, table_pa);
    if (!a->live_map[i] || c->seen[i]) {
        pt_check_fail(c, c->seen[i] ? "table reachable twice" : "table frame not live", base);
        return;
    }
    c->seen[i] = 1;
    c->tables++;
    const uint64_t *t = (const uint64_t *)(a->mem + i * PAGE_SIZE);
    bool root = level == pt->levels, empty = true;
    size_t end = root ? pt->shared_from : PT_ENTRIES;   /* shared: another pt's */
    for (size_t k = 0; k < end; k++) {
        vaddr_t va = pt_check_sign_extend(base | ((uint64_t)k << PT_LEVEL_SHIFT(level)),
                                          pt->levels);
        empty = empty && !(t[k] & PTE_P);
        if (root && pt->recursive_slot && k == pt->recursive_slot && (t[k] & PTE_P)) {
            if ((t[k] & PTE_ADDR_MASK) != pt->root || (t[k] & PTE_U) || !(t[k] & PTE_W))
                pt_check_fail(c, "recursive slot is not a supervisor entry for the root", va);
            continue;   /* the root again: not a table of its own */
        }
        pt_check_entry(pt, a, c, t[k], level, va, user_path);
    }
    /* Pinned (pt_pin_kernel_half: the tables right under the upper root
     * entries; pt_pin_table: PTE_PINNED in the entry) stay even when empty. */
    bool pinned = pinned_entry || (pt->kernel_pinned && level == pt->levels - 1 && (int64_t)base < 0);
    if (empty && !root && !pinned)
        pt_check_fail(c, "empty non-root table", base);
}

/* Walk everything under pt->root. Returns c->error (NULL when all holds),
 * and also fails if the reachable tables differ from pt->frames_used. */
static inline const char *pt_check_tree(const struct pt *pt, struct pt_arena *a,
                                        struct pt_check *c)
{
    c->tables = c->user_tables = c->pinned_tables = 0;
    memset(c->leaves, 0, sizeof(c->leaves));
    c->error = NULL;
    c->seen = calloc(a->frames, 1);
    pt_check_table(pt, a, c, pt->root, pt->levels, 0, true, false);
    free(c->seen);
    if (c->tables != pt->frames_used)
        pt_check_fail(c, "reachable tables != frames_used", 0);
    return c->error;
}

#endif

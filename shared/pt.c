/* x86_64 page-table mapper: API in include/pt.h, design in docs/paging.md.
 * pt_min_frames, which counts without building, is in shared/pt_min.c.
 *
 * Invariants, true between calls for every table reachable from pt->root
 * (root entries >= pt->shared_from excepted: another pt owns those tables):
 *  I1 A table is one 4 KiB frame from env.alloc_frame, reached through
 *     exactly one entry (the root through pt->root); frames_used counts them.
 *  I2 No table but the root is empty, pinned tables excepted (I7, I8). pt_unmap
 *     frees the tables it empties and a failed PT_ALLOC walk frees the tables
 *     it created, so a present entry below the root and above leaf level
 *     always has a mapped page below it: that is what lets pt_map answer
 *     -E_BUSY from the one entry it wants to fill (never a root entry).
 *  I3 A non-present entry is 0.
 *  I4 A table entry (non-leaf) is P|W, plus U once a user leaf was mapped
 *     below it (kept until the table is freed), plus PTE_PINNED (I8). Never
 *     NX, PWT or PCD: the leaf alone decides access and caching.
 *  I5 A leaf is PTE_PS at levels 2 and 3 (never at 4 or 5) and holds an
 *     address aligned to its size. Its cache type is a PAT index 0..3 in
 *     PWT/PCD; pt_map and pt_protect set the PAT bit (bit 7 in a 4 KiB
 *     PTE, bit 12 in a huge leaf) only for PT_MAP_PAT_HIGH (the Limine
 *     path's PAT layout), splits carry it over to the new position.
 *  I6 Only tables are touched, never the mapped memory, CR3 or the TLB.
 *  I7 Once pt_pin_kernel_half ran, every upper root entry but the recursive
 *     slot points to a table that is never freed: the upper root entries are
 *     constant, which is what lets clones share them.
 *  I8 A table whose entry carries PTE_PINNED (pt_pin_table) is never freed;
 *     every entry on the path from the root to it carries the bit too. So
 *     every entry above a pinned table is constant: callers may change
 *     leaves under it without touching, or racing on, anything shared with
 *     other ranges. A pinned table may map nothing: pt_map never lays a
 *     leaf in place of one, it maps below with smaller leaves.
 */
#include "pt.h"
#include "x86/pte.h"

enum pt_walk_mode {
    PT_LOOKUP,   /* stop at the first non-present entry */
    PT_ALLOC,    /* create missing tables on the way down */
};

/* Where a walk for va went: pte[k] is va's entry at level k, for k from the
 * root level down to `level`, where the walk stopped. */
struct pt_path {
    vaddr_t va;
    int level;
    uint64_t *pte[PT_LEVELS_MAX + 1];
};

/* Bits of a table entry (I4), U aside. */
#define PTE_TABLE (PTE_P | PTE_W)

static uint64_t *pt_table(const struct pt *pt, paddr_t pa)
{
    return pt->env.phys_to_ptr(pt->env.ctx, pa);
}

static bool pte_is_leaf(uint64_t pte, int level)
{
    return (pte & PTE_P) && (level == PT_LEVEL_4K || (pte & PTE_PS));
}

static uint64_t pte_leaf_addr_mask(int level)
{
    if (level == PT_LEVEL_4K)
        return PTE_ADDR_MASK;
    return level == PT_LEVEL_2M ? PTE_ADDR_MASK_2M : PTE_ADDR_MASK_1G;
}

static uint64_t pte_pat_bit(int level)
{
    return level == PT_LEVEL_4K ? PTE_PAT_4K : PTE_PAT_HUGE;
}

/* Point *pte at a table whose entries were written just before. The release
 * store keeps the compiler from sinking those writes below it (x86 keeps
 * stores in order), so a hardware walk never sees a half-written table. */
static void pte_publish(uint64_t *pte, uint64_t value)
{
    __atomic_store_n(pte, value, __ATOMIC_RELEASE);
}

/* Bytes from va to the end of the level-`level` entry that holds it. */
uint64_t pt_entry_left(int level, vaddr_t va)
{
    return PT_LEVEL_SIZE(level) - (va & (PT_LEVEL_SIZE(level) - 1));
}

/* ---- table frames -------------------------------------------------------- */

static int pt_alloc_table(struct pt *pt, paddr_t *out)
{
    paddr_t pa = pt->env.alloc_frame(pt->env.ctx);
    if (pa == 0)
        return -E_NOMEM;
    uint64_t *table = pt_table(pt, pa);
    for (size_t i = 0; i < PT_ENTRIES; i++)
        table[i] = 0;
    pt->frames_used++;
    *out = pa;
    return 0;
}

static void pt_free_table(struct pt *pt, paddr_t pa)
{
    pt->frames_used--;
    if (pt->env.free_frame) {
        pt->env.free_frame(pt->env.ctx, pa);
        pt->frames_freed++;
    } else {
        pt->frames_leaked++;
    }
}

static bool pt_table_empty(const uint64_t *table)
{
    for (size_t i = 0; i < PT_ENTRIES; i++)
        if (table[i] & PTE_P)
            return false;
    return true;
}

static bool va_is_higher_half(vaddr_t va)
{
    return (int64_t)va < 0;
}

/* I7, I8: the table at `level` holding va's entries, reached through
 * `parent`, is pinned. */
static bool pt_table_pinned(const struct pt *pt, int level, vaddr_t va, uint64_t parent)
{
    return (parent & PTE_PINNED) ||
           (pt->kernel_pinned && level == pt->levels - 1 && va_is_higher_half(va));
}

/* Free, bottom-up, the tables holding p->pte[from..to] while they are empty,
 * clearing the entry that pointed to each (I2). Stops at the first table that
 * still maps something (its ancestors do too) or is pinned (I7). to <
 * pt->levels, so the root is never freed. */
static void pt_prune(struct pt *pt, const struct pt_path *p, int from, int to)
{
    for (int level = from; level <= to; level++) {
        uint64_t *table = p->pte[level] - PT_INDEX(level, p->va);
        uint64_t *parent = p->pte[level + 1];
        if (!pt_table_empty(table) || pt_table_pinned(pt, level, p->va, *parent))
            return;
        paddr_t frame = *parent & PTE_ADDR_MASK;
        *parent = 0;
        pt_free_table(pt, frame);
    }
}

/* Highest level k < pt->levels such that, for every j in [level, k], `next`
 * is the end of the table holding va's level-j entry (level - 1 if none).
 * A walk moving up in va never comes back to those tables. */
static int pt_tables_done(const struct pt *pt, int level, vaddr_t next)
{
    int k = level - 1;
    while (k + 1 < pt->levels && IS_ALIGNED(next, PT_LEVEL_SIZE(k + 2)))
        k++;
    return k;
}

/* ---- the walk ------------------------------------------------------------ */

/* Descend from the root towards va's entry at level `target`. Stops early at
 * a leaf (a huge page above target) or, with PT_LOOKUP, at a non-present
 * entry; p->level says where. Returns 0, or -E_NOMEM when PT_ALLOC could not
 * get a frame (the tables this walk created are freed again). */
static int pt_walk(struct pt *pt, vaddr_t va, int target, enum pt_walk_mode mode,
                   struct pt_path *p)
{
    uint64_t *table = pt_table(pt, pt->root);
    p->va = va;
    for (int level = pt->levels;; level--) {
        uint64_t *pte = &table[PT_INDEX(level, va)];
        p->pte[level] = pte;
        p->level = level;
        if (level == target || pte_is_leaf(*pte, level))
            return 0;
        if (!(*pte & PTE_P)) {
            if (mode == PT_LOOKUP)
                return 0;
            paddr_t frame;
            int err = pt_alloc_table(pt, &frame);
            if (err) {
                pt_prune(pt, p, level, pt->levels - 1);
                return err;
            }
            pte_publish(pte, frame | PTE_TABLE);
        }
        table = pt_table(pt, *pte & PTE_ADDR_MASK);
    }
}

/* I4: table entries above a user leaf carry U, so the leaf alone decides. */
static void pt_path_grant_user(const struct pt *pt, const struct pt_path *p)
{
    for (int level = p->level + 1; level <= pt->levels; level++)
        *p->pte[level] |= PTE_U;
}

/* ---- flags <-> leaf bits ------------------------------------------------- */

static bool pt_flags_valid(unsigned flags)
{
    const unsigned both = PT_MAP_WC | PT_MAP_UC;
    return (flags & ~PT_MAP_ALL) == 0 && (flags & both) != both;
}

static uint64_t pte_cache_bits(unsigned flags)
{
    if (flags & PT_MAP_UC)
        return PTE_CACHE_UC;
    return (flags & PT_MAP_WC) ? PTE_CACHE_WC : PTE_CACHE_WB;
}

/* Everything but the address of a leaf at `level` mapped with `flags`. */
static uint64_t pte_leaf_bits(const struct pt *pt, unsigned flags, int level)
{
    uint64_t bits = PTE_P | pte_cache_bits(flags);
    if (level != PT_LEVEL_4K)
        bits |= PTE_PS;
    if (flags & PT_MAP_WRITE)
        bits |= PTE_W;
    if (flags & PT_MAP_USER)
        bits |= PTE_U;
    if (flags & PT_MAP_GLOBAL)
        bits |= PTE_G;
    if (flags & PT_MAP_PAT_HIGH)
        bits |= pte_pat_bit(level);
    if (!(flags & PT_MAP_EXEC) && (pt->caps & PT_CAP_NX))
        bits |= PTE_NX;
    return bits;
}

/* The leaf with new flags: same address, accessed/dirty kept, PAT bit
 * from `flags` (the cache type comes from `flags` alone, I5). */
static uint64_t pte_reprotect(const struct pt *pt, uint64_t pte, int level, unsigned flags)
{
    uint64_t kept = pte_leaf_addr_mask(level) | PTE_A | PTE_D;
    return (pte & kept) | pte_leaf_bits(pt, flags, level);
}

/* PT_MAP_ cache flag of a PAT index under PAGODA_PAT_VALUE. WT (index 5,
 * reachable only with the PAT bit, which Pagoda never sets) has no flag and
 * reads back as write-back; the raw pte tells the difference. */
static unsigned pat_index_flags(unsigned index)
{
    switch (PAT_ENTRY_TYPE(PAGODA_PAT_VALUE, index)) {
    case PAT_TYPE_WC:
        return PT_MAP_WC;
    case PAT_TYPE_UC:
    case PAT_TYPE_UCM:
        return PT_MAP_UC;
    default:
        return 0;
    }
}

static unsigned pte_decode_flags(uint64_t pte, int level)
{
    unsigned pat = ((pte & PTE_PWT) ? 1u : 0) | ((pte & PTE_PCD) ? 2u : 0) |
                   ((pte & pte_pat_bit(level)) ? 4u : 0);
    unsigned flags = pat_index_flags(pat);
    if (pte & PTE_W)
        flags |= PT_MAP_WRITE;
    if (pte & PTE_U)
        flags |= PT_MAP_USER;
    if (pte & PTE_G)
        flags |= PT_MAP_GLOBAL;
    if (!(pte & PTE_NX))
        flags |= PT_MAP_EXEC;
    return flags;
}

/* ---- leaves -------------------------------------------------------------- */

/* The largest leaf level whose size divides va and pa and fits in len. */
int pt_leaf_level(unsigned caps, unsigned flags, vaddr_t va, paddr_t pa, uint64_t len)
{
    int top = (caps & PT_CAP_1G) ? PT_LEVEL_1G : PT_LEVEL_2M;
    int level = PT_LEVEL_4K;
    if (flags & PT_MAP_MAX_4K)
        return level;
    while (level < top && IS_ALIGNED(va | pa, PT_LEVEL_SIZE(level + 1)) &&
           len >= PT_LEVEL_SIZE(level + 1))
        level++;
    return level;
}

/* Attributes for the children of a huge leaf at level child_level + 1. A
 * 4 KiB PTE has no PS bit and keeps the PAT bit where PS was (bit 7). */
static uint64_t pte_child_attrs(uint64_t huge, int child_level)
{
    uint64_t attrs = huge & ~pte_leaf_addr_mask(child_level + 1);
    if (child_level != PT_LEVEL_4K)
        return attrs;
    uint64_t pat = (attrs & PTE_PAT_HUGE) ? PTE_PAT_4K : 0;
    return (attrs & ~(PTE_PS | PTE_PAT_HUGE)) | pat;
}

/* Replace the huge leaf *pte at `level` by a table of PT_ENTRIES leaves one
 * level down: same memory, same attributes. The table is filled before it is
 * published, so a concurrent walk sees the old leaf or the whole new table
 * (the caller still flushes the old leaf from the TLB). */
static int pt_split(struct pt *pt, uint64_t *pte, int level)
{
    paddr_t frame;
    int err = pt_alloc_table(pt, &frame);
    if (err)
        return err;
    uint64_t *table = pt_table(pt, frame);
    uint64_t attrs = pte_child_attrs(*pte, level - 1);
    paddr_t base = *pte & pte_leaf_addr_mask(level);
    for (uint64_t i = 0; i < PT_ENTRIES; i++)
        table[i] = (base + i * PT_LEVEL_SIZE(level - 1)) | attrs;
    pte_publish(pte, frame | PTE_TABLE | (*pte & PTE_U));
    return 0;
}

/* ---- API ----------------------------------------------------------------- */

bool pt_is_canonical(vaddr_t va, int levels)
{
    if (levels < PT_LEVELS_MIN || levels > PT_LEVELS_MAX)
        return false;
    int bits = levels == PT_LEVELS_MAX ? VA_BITS_5LEVEL : VA_BITS_4LEVEL;
    uint64_t top = va >> (bits - 1);   /* all 0 or all 1 */
    return top == 0 || top == (UINT64_MAX >> (bits - 1));
}

/* Page-aligned, canonical, not wrapping, inside one half, not in a half
 * that another pt owns and not over the recursive slot. */
static int pt_check_range(const struct pt *pt, vaddr_t va, uint64_t len)
{
    vaddr_t last = va + len - 1;
    if (!IS_ALIGNED(va | len, PAGE_SIZE) || !pt_is_canonical(va, pt->levels))
        return -E_INVAL;
    if (len == 0)
        return 0;
    if (last < va || !pt_is_canonical(last, pt->levels) ||
        va_is_higher_half(va) != va_is_higher_half(last))
        return -E_INVAL;
    if (PT_INDEX(pt->levels, last) >= pt->shared_from)
        return -E_INVAL;
    if (pt->recursive_slot && va_is_higher_half(va) &&
        PT_INDEX(pt->levels, va) <= pt->recursive_slot &&
        PT_INDEX(pt->levels, last) >= pt->recursive_slot)
        return -E_INVAL;
    return 0;
}

int pt_init(struct pt *pt, const struct pt_env *env, int levels, unsigned caps)
{
    if (levels < PT_LEVELS_MIN || levels > PT_LEVELS_MAX || (caps & ~PT_CAP_ALL) ||
        !env->alloc_frame || !env->phys_to_ptr)
        return -E_INVAL;
    *pt = (struct pt){
        .env = *env,
        .levels = levels,
        .caps = caps,
        .shared_from = PT_ENTRIES,
    };
    return pt_alloc_table(pt, &pt->root);
}

int pt_map(struct pt *pt, vaddr_t va, paddr_t pa, uint64_t len, unsigned flags)
{
    int err = pt_check_range(pt, va, len);
    if (err)
        return err;
    if (!IS_ALIGNED(pa, PAGE_SIZE) || pa > PTE_PHYS_LIMIT || len > PTE_PHYS_LIMIT - pa ||
        !pt_flags_valid(flags))
        return -E_INVAL;
    for (uint64_t off = 0; off < len;) {
        int level = pt_leaf_level(pt->caps, flags, va + off, pa + off, len - off);
        struct pt_path p;
        for (;;) {
            err = pt_walk(pt, va + off, level, PT_ALLOC, &p);
            if (err)
                return err;
            /* I8: a pinned table may be empty, and no leaf replaces it:
             * below one, the next smaller leaves. */
            if (p.level != level || level == PT_LEVEL_4K || !(*p.pte[level] & PTE_PINNED))
                break;
            level--;
        }
        uint64_t *pte = p.pte[p.level];
        if (p.level != level || (*pte & PTE_P))
            return -E_BUSY;   /* a huge leaf above, or something below (I2, I8) */
        *pte = (pa + off) | pte_leaf_bits(pt, flags, level);
        if (flags & PT_MAP_USER)
            pt_path_grant_user(pt, &p);
        off += PT_LEVEL_SIZE(level);
    }
    return 0;
}

/* A leaf at `level` holding va, of which only `len` bytes from va are in the
 * range: does it stick out of the range? */
static bool pt_leaf_partly_covered(int level, vaddr_t va, uint64_t len)
{
    uint64_t left = pt_entry_left(level, va);
    return left < PT_LEVEL_SIZE(level) || len < left;
}

int pt_unmap(struct pt *pt, vaddr_t va, uint64_t len)
{
    int err = pt_check_range(pt, va, len);
    while (!err && len > 0) {
        struct pt_path p;
        pt_walk(pt, va, PT_LEVEL_4K, PT_LOOKUP, &p);
        uint64_t *pte = p.pte[p.level];
        if ((*pte & PTE_P) && pt_leaf_partly_covered(p.level, va, len)) {
            err = pt_split(pt, pte, p.level);
            continue;   /* walk again into the new table */
        }
        *pte = 0;   /* a whole leaf, or already a hole */
        uint64_t step = MIN(pt_entry_left(p.level, va), len);
        int done = step == len ? pt->levels - 1 : pt_tables_done(pt, p.level, va + step);
        pt_prune(pt, &p, p.level, done);
        va += step;
        len -= step;
    }
    return err;
}

int pt_protect(struct pt *pt, vaddr_t va, uint64_t len, unsigned flags)
{
    int err = pt_check_range(pt, va, len);
    if (!err && !pt_flags_valid(flags))
        err = -E_INVAL;
    while (!err && len > 0) {
        struct pt_path p;
        pt_walk(pt, va, PT_LEVEL_4K, PT_LOOKUP, &p);
        uint64_t *pte = p.pte[p.level];
        if (*pte & PTE_P) {
            uint64_t want = pte_reprotect(pt, *pte, p.level, flags);
            bool changes_part = want != *pte && pt_leaf_partly_covered(p.level, va, len);
            bool too_big = p.level != PT_LEVEL_4K && (flags & PT_MAP_MAX_4K);
            if (changes_part || too_big) {
                err = pt_split(pt, pte, p.level);
                continue;
            }
            *pte = want;
            if (flags & PT_MAP_USER)
                pt_path_grant_user(pt, &p);
        }
        uint64_t step = MIN(pt_entry_left(p.level, va), len);
        va += step;
        len -= step;
    }
    return err;
}

int pt_translate(const struct pt *pt, vaddr_t va, struct pt_translation *out)
{
    if (!pt_is_canonical(va, pt->levels))
        return -E_INVAL;
    struct pt_path p;
    pt_walk((struct pt *)pt, va, PT_LEVEL_4K, PT_LOOKUP, &p);   /* writes nothing */
    uint64_t pte = *p.pte[p.level];
    if (!(pte & PTE_P))
        return -E_NOTFOUND;
    uint64_t size = PT_LEVEL_SIZE(p.level);
    out->pa = (pte & pte_leaf_addr_mask(p.level)) | (va & (size - 1));
    out->leaf_size = size;
    out->flags = pte_decode_flags(pte, p.level);
    out->pte = pte;
    return 0;
}

int pt_pin_kernel_half(struct pt *kernel, unsigned recursive_slot)
{
    if (kernel->shared_from != PT_ENTRIES || kernel->kernel_pinned ||
        recursive_slot < PT_ROOT_KERNEL_FIRST || recursive_slot >= PT_ENTRIES)
        return -E_INVAL;
    uint64_t *root = pt_table(kernel, kernel->root);
    if (root[recursive_slot] & PTE_P)
        return -E_INVAL;
    uint64_t made[PT_ENTRIES / 64] = { 0 };   /* entries this call filled */
    for (unsigned i = PT_ROOT_KERNEL_FIRST; i < PT_ENTRIES; i++) {
        paddr_t frame;
        if (i == recursive_slot || (root[i] & PTE_P))
            continue;
        if (pt_alloc_table(kernel, &frame) != 0) {
            /* Undo (I2: an unpinned pt has no empty tables). Nothing can
             * have been mapped below them: the caller holds the pt. */
            for (unsigned j = PT_ROOT_KERNEL_FIRST; j < i; j++) {
                if (made[j / 64] & (1ULL << (j % 64))) {
                    paddr_t t = root[j] & PTE_ADDR_MASK;
                    root[j] = 0;
                    pt_free_table(kernel, t);
                }
            }
            return -E_NOMEM;
        }
        pte_publish(&root[i], frame | PTE_TABLE);
        made[i / 64] |= 1ULL << (i % 64);
    }
    kernel->kernel_pinned = true;
    kernel->recursive_slot = recursive_slot;
    return 0;
}

int pt_pin_table(struct pt *pt, vaddr_t va, int level, paddr_t *table)
{
    if (level < PT_LEVEL_4K || level >= pt->levels || pt_check_range(pt, va, PAGE_SIZE) != 0)
        return -E_INVAL;
    struct pt_path p;
    int err = pt_walk(pt, va, level, PT_ALLOC, &p);
    if (err)
        return err;
    if (p.level != level)
        return -E_BUSY;   /* a huge leaf maps va above `level` */
    /* The whole path carries the bit (I8): an ancestor of a pinned table
     * may map nothing else either, so pt_map must look below it too.
     * Entries only gain the bit, which a hardware walk ignores. */
    for (int l = level + 1; l <= pt->levels; l++)
        pte_publish(p.pte[l], *p.pte[l] | PTE_PINNED);
    if (table)
        *table = *p.pte[level + 1] & PTE_ADDR_MASK;
    return 0;
}

int pt_clone_kernel_half(struct pt *child, const struct pt_env *env, const struct pt *kernel)
{
    if (!kernel->kernel_pinned)
        return -E_INVAL;
    int err = pt_init(child, env, kernel->levels, kernel->caps);
    if (err)
        return err;
    const uint64_t *src = pt_table(kernel, kernel->root);
    uint64_t *dst = pt_table(child, child->root);
    for (size_t i = PT_ROOT_KERNEL_FIRST; i < PT_ENTRIES; i++)
        dst[i] = i == kernel->recursive_slot ? 0 : src[i];
    child->shared_from = PT_ROOT_KERNEL_FIRST;
    child->recursive_slot = kernel->recursive_slot;
    return 0;
}

int pt_fini(struct pt *pt)
{
    if (pt->frames_used != 1)
        return -E_BUSY;
    pt_free_table(pt, pt->root);
    pt->root = 0;
    return 0;
}

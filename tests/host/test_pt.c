/* Unit tests for shared/pt.c, table-driven: leaf choice, flags -> PTE bits,
 * translation through huge pages, errors, freeing, splits, the cloned kernel
 * half, 5-level paging and pt_min_frames. After every mutation the whole tree
 * is re-walked by the independent checker in pt_arena.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_arena.h"

#define ARENA_FRAMES 4096
#define CAPS_ALL     (PT_CAP_1G | PT_CAP_NX)

/* Test addresses: VA_B starts a PML4 entry (512 GiB-aligned), PA_B is
 * 1 GiB-aligned. Neither means anything to the mapper. */
#define VA_B   0x0000040000000000ULL
#define PA_B   0x0000000100000000ULL
#define VA_HH  HIGHER_HALF_BASE
#define VA_TOP 0xFFFFFFFFFFE00000ULL   /* last 2 MiB of the address space */

struct fixture {
    struct pt_arena arena;
    struct pt pt;
};

static void fx_init(struct fixture *f, int levels, unsigned caps)
{
    arena_init(&f->arena, ARENA_FRAMES, true);
    struct pt_env env = arena_env(&f->arena);
    assert_int_equal(pt_init(&f->pt, &env, levels, caps), 0);
    assert_int_equal(f->pt.frames_used, 1);
}

/* The whole tree satisfies pt.c's invariants and owns exactly the arena's
 * live frames: nothing leaked, nothing freed twice. */
static void fx_check(struct fixture *f, struct pt_check *c)
{
    const char *err = pt_check_tree(&f->pt, &f->arena, c);
    if (err)
        fail_msg("tree: %s at va %#llx", err, (unsigned long long)c->error_va);
    assert_int_equal(f->arena.live, f->pt.frames_used);
    assert_int_equal(f->arena.frees, f->pt.frames_freed);
}

static void fx_fini(struct fixture *f)
{
    arena_fini(&f->arena);
}

static struct pt_translation must_translate(const struct pt *pt, vaddr_t va)
{
    struct pt_translation t;
    int err = pt_translate(pt, va, &t);
    if (err)
        fail_msg("translate %#llx: %d", (unsigned long long)va, err);
    return t;
}

static void assert_unmapped(const struct pt *pt, vaddr_t va)
{
    struct pt_translation t;
    assert_int_equal(pt_translate(pt, va, &t), -E_NOTFOUND);
}

/* The raw entry for va at `level`, reached by hand (not through pt.c). */
static uint64_t *raw_entry(struct fixture *f, vaddr_t va, int level)
{
    paddr_t table = f->pt.root;
    for (int l = f->pt.levels;; l--) {
        uint64_t *e = (uint64_t *)arena_phys_to_ptr(&f->arena, table) + PT_INDEX(l, va);
        if (l == level)
            return e;
        assert_true((*e & PTE_P) && !(*e & PTE_PS));
        table = *e & PTE_ADDR_MASK;
    }
}

/* ---- leaf choice --------------------------------------------------------- */

struct leaf_case {
    const char *desc;
    unsigned caps, flags;
    vaddr_t va;
    paddr_t pa;
    uint64_t len;
    uint64_t n4k, n2m, n1g;
};

static const struct leaf_case leaf_cases[] = {
    { "one 4K page", CAPS_ALL, 0, VA_B, PA_B, 4 * KiB, 1, 0, 0 },
    { "2M-aligned 2M: one 2M leaf", CAPS_ALL, 0, VA_B, PA_B, 2 * MiB, 0, 1, 0 },
    { "2M + 4K: 2M then a 4K tail", CAPS_ALL, 0, VA_B, PA_B, 2 * MiB + 4 * KiB, 1, 1, 0 },
    { "4K head up to a 2M boundary, then 2M", CAPS_ALL, 0, VA_B + 2 * MiB - 4 * KiB,
      PA_B + 2 * MiB - 4 * KiB, 2 * MiB + 4 * KiB, 1, 1, 0 },
    { "va 2M-aligned, pa only 4K: all 4K", CAPS_ALL, 0, VA_B, PA_B + 4 * KiB, 2 * MiB, 512, 0, 0 },
    { "1G with PT_CAP_1G: one 1G leaf", CAPS_ALL, 0, VA_B, PA_B, 1 * GiB, 0, 0, 1 },
    { "1G without PT_CAP_1G: 512 x 2M", PT_CAP_NX, 0, VA_B, PA_B, 1 * GiB, 0, 512, 0 },
    { "pa only 2M-aligned: 2M leaves", CAPS_ALL, 0, VA_B, PA_B + 2 * MiB, 1 * GiB, 0, 512, 0 },
    { "4K | 2M | 1G | 2M | 4K", CAPS_ALL, 0, VA_B + GiB - 2 * MiB - 4 * KiB,
      PA_B + GiB - 2 * MiB - 4 * KiB, GiB + 4 * MiB + 8 * KiB, 2, 2, 1 },
    { "PT_MAP_MAX_4K: 4K even when 2M fits", CAPS_ALL, PT_MAP_MAX_4K, VA_B, PA_B, 2 * MiB, 512, 0,
      0 },
    { "1G - 4K: 511 x 2M + 511 x 4K", CAPS_ALL, 0, VA_B, PA_B, GiB - 4 * KiB, 511, 511, 0 },
    { "higher half, 1G", CAPS_ALL, PT_MAP_GLOBAL, VA_HH + GiB, PA_B, 1 * GiB, 0, 0, 1 },
};

static void test_leaf_choice(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(leaf_cases); i++) {
        const struct leaf_case *lc = &leaf_cases[i];
        struct fixture f;
        struct pt_check c = { 0 };
        print_message("  %s\n", lc->desc);
        fx_init(&f, PT_LEVELS_MIN, lc->caps);
        assert_int_equal(pt_map(&f.pt, lc->va, lc->pa, lc->len, lc->flags), 0);
        fx_check(&f, &c);
        assert_int_equal(c.leaves[PT_LEVEL_4K], lc->n4k);
        assert_int_equal(c.leaves[PT_LEVEL_2M], lc->n2m);
        assert_int_equal(c.leaves[PT_LEVEL_1G], lc->n1g);
        struct pt_mapping m = { lc->va, lc->pa, lc->len, lc->flags };
        assert_int_equal(f.pt.frames_used, pt_min_frames(&m, 1, PT_LEVELS_MIN, lc->caps));
        assert_int_equal(must_translate(&f.pt, lc->va).pa, lc->pa);
        assert_int_equal(must_translate(&f.pt, lc->va + lc->len - 1).pa, lc->pa + lc->len - 1);
        assert_unmapped(&f.pt, lc->va + lc->len);
        fx_fini(&f);
    }
}

/* ---- flags -> PTE bits --------------------------------------------------- */

struct bits_case {
    const char *desc;
    unsigned caps, flags;
    uint64_t size;        /* leaf size the mapping gets */
    uint64_t set, clear;  /* bits that must be set / clear in the leaf */
};

#define ALL_ATTR (PTE_W | PTE_U | PTE_G | PTE_PWT | PTE_PCD | PTE_NX)

static const struct bits_case bits_cases[] = {
    { "default: read-only, NX, supervisor, WB", CAPS_ALL, 0, 4 * KiB, PTE_P | PTE_NX,
      ALL_ATTR & ~PTE_NX },
    { "without PT_CAP_NX never NX", 0, 0, 4 * KiB, PTE_P, ALL_ATTR },
    { "EXEC clears NX", CAPS_ALL, PT_MAP_EXEC, 4 * KiB, PTE_P, ALL_ATTR },
    { "WRITE sets W", CAPS_ALL, PT_MAP_WRITE, 4 * KiB, PTE_W | PTE_NX, PTE_U | PTE_G },
    { "USER sets U", CAPS_ALL, PT_MAP_USER, 4 * KiB, PTE_U, PTE_W | PTE_G },
    { "GLOBAL sets G", CAPS_ALL, PT_MAP_GLOBAL, 4 * KiB, PTE_G, PTE_W | PTE_U },
    { "WC 4K: PAT index 1 (PWT), PAT bit 7 clear", CAPS_ALL, PT_MAP_WC, 4 * KiB, PTE_PWT,
      PTE_PCD | PTE_PAT_4K },
    { "UC 4K: PAT index 3 (PWT|PCD)", CAPS_ALL, PT_MAP_UC, 4 * KiB, PTE_PWT | PTE_PCD, PTE_PAT_4K },
    { "WB 2M: PS, no cache bits, PAT bit 12 clear", CAPS_ALL, 0, 2 * MiB, PTE_PS,
      PTE_PWT | PTE_PCD | PTE_PAT_HUGE },
    { "WC 2M: PS|PWT, PAT bit 12 clear", CAPS_ALL, PT_MAP_WC, 2 * MiB, PTE_PS | PTE_PWT,
      PTE_PCD | PTE_PAT_HUGE },
    { "UC 1G: PS|PWT|PCD, PAT bit 12 clear", CAPS_ALL, PT_MAP_UC, 1 * GiB,
      PTE_PS | PTE_PWT | PTE_PCD, PTE_PAT_HUGE },
    { "kernel text 2M: RX global", CAPS_ALL, PT_MAP_EXEC | PT_MAP_GLOBAL, 2 * MiB, PTE_PS | PTE_G,
      PTE_W | PTE_NX | PTE_U },
    { "user data 4K: RW NX U", CAPS_ALL, PT_MAP_WRITE | PT_MAP_USER, 4 * KiB,
      PTE_W | PTE_U | PTE_NX, PTE_G },
};

static void test_flag_bits(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(bits_cases); i++) {
        const struct bits_case *bc = &bits_cases[i];
        struct fixture f;
        struct pt_check c = { 0 };
        print_message("  %s\n", bc->desc);
        fx_init(&f, PT_LEVELS_MIN, bc->caps);
        assert_int_equal(pt_map(&f.pt, VA_B, PA_B, bc->size, bc->flags), 0);
        fx_check(&f, &c);
        struct pt_translation t = must_translate(&f.pt, VA_B);
        assert_int_equal(t.leaf_size, bc->size);
        assert_int_equal(t.pte & (bc->set | PTE_P), bc->set | PTE_P);
        assert_int_equal(t.pte & bc->clear, 0);
        unsigned want = bc->flags | ((bc->caps & PT_CAP_NX) ? 0 : PT_MAP_EXEC);
        assert_int_equal(t.flags, want);
        /* Table entries: exactly P|W, plus U on the whole path for a user leaf. */
        int tables_above = PT_LEVELS_MIN - (bc->size == 4 * KiB ? 1 : bc->size == 2 * MiB ? 2 : 3);
        assert_int_equal(c.user_tables, (bc->flags & PT_MAP_USER) ? tables_above : 0);
        fx_fini(&f);
    }
}

/* ---- translate ----------------------------------------------------------- */

static void test_translate_huge(void **state)
{
    (void)state;
    struct fixture f;
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, GiB, PT_MAP_WRITE), 0);
    assert_int_equal(pt_map(&f.pt, VA_B + GiB, PA_B + 4 * GiB, 2 * MiB, 0), 0);
    assert_int_equal(pt_map(&f.pt, VA_B + GiB + 2 * MiB, PA_B + 8 * GiB, 4 * KiB, PT_MAP_UC), 0);

    struct pt_translation t = must_translate(&f.pt, VA_B + 0x12345678);
    assert_int_equal(t.pa, PA_B + 0x12345678);
    assert_int_equal(t.leaf_size, GiB);
    assert_int_equal(t.flags, PT_MAP_WRITE);
    t = must_translate(&f.pt, VA_B + GiB + 0x1ABCDE);
    assert_int_equal(t.pa, PA_B + 4 * GiB + 0x1ABCDE);
    assert_int_equal(t.leaf_size, 2 * MiB);
    t = must_translate(&f.pt, VA_B + GiB + 2 * MiB + 0xFFF);
    assert_int_equal(t.pa, PA_B + 8 * GiB + 0xFFF);
    assert_int_equal(t.leaf_size, 4 * KiB);
    assert_int_equal(t.flags, PT_MAP_UC);

    assert_unmapped(&f.pt, VA_B + GiB + 2 * MiB + 4 * KiB);
    assert_unmapped(&f.pt, VA_B - 1);
    assert_unmapped(&f.pt, VA_HH);
    assert_int_equal(pt_translate(&f.pt, 0x0000800000000000ULL, &t), -E_INVAL);
    fx_fini(&f);
}

/* ---- errors -------------------------------------------------------------- */

struct err_case {
    const char *desc;
    vaddr_t va;
    paddr_t pa;
    uint64_t len;
    unsigned flags;
    int map_want, unmap_want;   /* pt_map, then pt_unmap of the same range */
};

static const struct err_case err_cases[] = {
    { "va not page-aligned", VA_B + 8, PA_B, 4 * KiB, 0, -E_INVAL, -E_INVAL },
    { "pa not page-aligned", VA_B, PA_B + 8, 4 * KiB, 0, -E_INVAL, 0 },
    { "len not page-aligned", VA_B, PA_B, 4 * KiB + 1, 0, -E_INVAL, -E_INVAL },
    { "va non-canonical", 0x0000800000000000ULL, PA_B, 4 * KiB, 0, -E_INVAL, -E_INVAL },
    { "range runs into the non-canonical hole", 0x00007FFFFFFFF000ULL, PA_B, 8 * KiB, 0,
      -E_INVAL, -E_INVAL },
    { "range wraps past 2^64", 0xFFFFFFFFFFFFF000ULL, PA_B, 8 * KiB, 0, -E_INVAL, -E_INVAL },
    { "pa beyond 52 bits", VA_B, PTE_PHYS_LIMIT - 4 * KiB, 8 * KiB, 0, -E_INVAL, 0 },
    { "WC and UC together", VA_B, PA_B, 4 * KiB, PT_MAP_WC | PT_MAP_UC, -E_INVAL, 0 },
    { "unknown flag", VA_B, PA_B, 4 * KiB, PT_MAP_ALL + 1, -E_INVAL, 0 },
    { "len 0 is a no-op", VA_B, PA_B, 0, 0, 0, 0 },
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
        const struct err_case *ec = &err_cases[i];
        struct fixture f;
        struct pt_check c = { 0 };
        print_message("  %s\n", ec->desc);
        fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
        assert_int_equal(pt_map(&f.pt, ec->va, ec->pa, ec->len, ec->flags), ec->map_want);
        assert_int_equal(pt_unmap(&f.pt, ec->va, ec->len), ec->unmap_want);
        fx_check(&f, &c);
        assert_int_equal(f.pt.frames_used, 1);
        fx_fini(&f);
    }
    struct pt pt;
    struct pt_arena a;
    arena_init(&a, 16, true);
    struct pt_env env = arena_env(&a);
    assert_int_equal(pt_init(&pt, &env, 3, 0), -E_INVAL);
    assert_int_equal(pt_init(&pt, &env, 6, 0), -E_INVAL);
    assert_int_equal(pt_init(&pt, &env, 4, PT_CAP_ALL + 1), -E_INVAL);
    assert_int_equal(pt_init(&pt, &env, 4, 0), 0);
    assert_int_equal(pt_protect(&pt, VA_B, 4 * KiB, PT_MAP_WC | PT_MAP_UC), -E_INVAL);
    arena_fini(&a);
}

/* Mapping over anything present is -E_BUSY; the pages before it stay.
 *
 *   map A..A+4 pages, with A+2 already mapped:
 *   +------+------+======+------+
 *   |  A   | A+1  | A+2  | A+3  |     ==== present before the call
 *   +------+------+======+------+
 *   mapped  mapped  BUSY   not mapped
 */
static void test_busy(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    const vaddr_t a = VA_B + 4 * GiB;
    assert_int_equal(pt_map(&f.pt, a + 2 * PAGE_SIZE, PA_B, PAGE_SIZE, 0), 0);
    assert_int_equal(pt_map(&f.pt, a, PA_B + GiB, 4 * PAGE_SIZE, 0), -E_BUSY);
    assert_int_equal(must_translate(&f.pt, a).pa, PA_B + GiB);
    assert_int_equal(must_translate(&f.pt, a + PAGE_SIZE).pa, PA_B + GiB + PAGE_SIZE);
    assert_int_equal(must_translate(&f.pt, a + 2 * PAGE_SIZE).pa, PA_B);
    assert_unmapped(&f.pt, a + 3 * PAGE_SIZE);
    fx_check(&f, &c);

    /* Exact remap; 2M over a table holding 4K pages; 4K inside 2M and 1G. */
    assert_int_equal(pt_map(&f.pt, a, PA_B, PAGE_SIZE, 0), -E_BUSY);
    assert_int_equal(pt_map(&f.pt, a, PA_B, 2 * MiB, 0), -E_BUSY);
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, GiB, 0), 0);
    assert_int_equal(pt_map(&f.pt, VA_B + GiB, PA_B, 2 * MiB, 0), 0);
    uint64_t used = f.pt.frames_used;
    assert_int_equal(pt_map(&f.pt, VA_B + 5 * PAGE_SIZE, PA_B, PAGE_SIZE, 0), -E_BUSY);
    assert_int_equal(pt_map(&f.pt, VA_B + GiB + PAGE_SIZE, PA_B, PAGE_SIZE, 0), -E_BUSY);
    assert_int_equal(pt_map(&f.pt, VA_B + 2 * MiB, PA_B, 2 * MiB, 0), -E_BUSY);
    assert_int_equal(f.pt.frames_used, used);
    fx_check(&f, &c);
    fx_fini(&f);
}

static void test_out_of_frames(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    /* A 4K page needs PDPT, PD and PT: every shortfall leaves no table. */
    for (uint64_t extra = 0; extra < 3; extra++) {
        f.arena.limit = 1 + extra;
        assert_int_equal(pt_map(&f.pt, VA_B, PA_B, PAGE_SIZE, 0), -E_NOMEM);
        fx_check(&f, &c);
        assert_int_equal(f.pt.frames_used, 1);
    }
    f.arena.limit = 4;
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, PAGE_SIZE, 0), 0);

    /* Two 2M leaves in different PDs: the first stays when the second's PD
     * cannot be had. */
    f.arena.limit = f.arena.live + 1;
    vaddr_t va = VA_B + 2 * GiB - 2 * MiB;
    assert_int_equal(pt_map(&f.pt, va, PA_B, 4 * MiB, 0), -E_NOMEM);
    assert_int_equal(must_translate(&f.pt, va).leaf_size, 2 * MiB);
    assert_unmapped(&f.pt, va + 2 * MiB);
    fx_check(&f, &c);

    /* A split needs a frame: unmap/protect fail cleanly, the leaf stays. */
    f.arena.limit = f.arena.live;
    assert_int_equal(pt_unmap(&f.pt, va + PAGE_SIZE, PAGE_SIZE), -E_NOMEM);
    assert_int_equal(pt_protect(&f.pt, va + PAGE_SIZE, PAGE_SIZE, PT_MAP_WRITE), -E_NOMEM);
    assert_int_equal(must_translate(&f.pt, va + PAGE_SIZE).leaf_size, 2 * MiB);
    fx_check(&f, &c);
    fx_fini(&f);
}

/* ---- unmap and freeing --------------------------------------------------- */

static const struct pt_mapping mixed_maps[] = {
    { VA_B + GiB - 8 * KiB, PA_B + GiB - 8 * KiB, 3 * GiB + 16 * KiB, PT_MAP_WRITE },
    { VA_B + 8 * GiB + 4 * KiB, PA_B + 12 * KiB, 5 * MiB, PT_MAP_EXEC },
    { VA_B + 512 * GiB - 2 * MiB, PA_B, 4 * MiB, PT_MAP_USER },   /* crosses a PML4 entry */
    { VA_HH, 0, 4 * GiB, PT_MAP_WRITE | PT_MAP_GLOBAL },
    { VA_TOP, PA_B, 2 * MiB, 0 },   /* ends at 2^64 */
};

static void map_all(struct fixture *f, const struct pt_mapping *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pt_map(&f->pt, m[i].va, m[i].pa, m[i].len, m[i].flags), 0);
}

static void test_unmap_frees_tables(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    map_all(&f, mixed_maps, ARRAY_LEN(mixed_maps));
    fx_check(&f, &c);
    assert_int_equal(f.pt.frames_used,
                     pt_min_frames(mixed_maps, ARRAY_LEN(mixed_maps), PT_LEVELS_MIN, CAPS_ALL));
    /* Piecewise and over holes: the lower half in uneven chunks. */
    for (vaddr_t va = VA_B; va < VA_B + 1024 * GiB; va += 3 * GiB + 4 * KiB) {
        assert_int_equal(pt_unmap(&f.pt, va, 3 * GiB + 4 * KiB), 0);
        fx_check(&f, &c);
    }
    assert_int_equal(pt_unmap(&f.pt, VA_HH, 0 - VA_HH), 0);   /* whole higher half */
    fx_check(&f, &c);
    assert_int_equal(f.pt.frames_used, 1);
    assert_int_equal(f.arena.live, 1);
    assert_int_equal(f.pt.frames_freed, f.arena.allocs - 1);
    fx_fini(&f);

    /* Without free_frame the tables are dropped and counted as leaked. */
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    f.pt.env.free_frame = NULL;
    map_all(&f, mixed_maps, 1);
    uint64_t used = f.pt.frames_used;
    assert_int_equal(pt_unmap(&f.pt, mixed_maps[0].va, mixed_maps[0].len), 0);
    assert_int_equal(f.pt.frames_used, 1);
    assert_int_equal(f.pt.frames_leaked, used - 1);
    assert_int_equal(f.pt.frames_freed, 0);
    fx_fini(&f);
}

/* ---- splitting ----------------------------------------------------------- */

/* Unmapping one 4K page out of a 1G leaf splits 1G -> 512 x 2M, then the
 * 2M around the page -> 512 x 4K:
 *
 *   before  +--------------------------- 1G ---------------------------+
 *   after   | 2M | 2M | ... | 4K 4K .. [hole] .. 4K 4K | ... | 2M | 2M |
 *           +----+----+-----+--------- one 2M ---------+-----+----+----+
 */
static void test_split_on_unmap(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, GiB, PT_MAP_WRITE | PT_MAP_GLOBAL), 0);
    assert_int_equal(f.pt.frames_used, 2);
    const vaddr_t hole = VA_B + GiB / 2 + 4 * KiB;
    assert_int_equal(pt_unmap(&f.pt, hole, PAGE_SIZE), 0);
    fx_check(&f, &c);
    assert_int_equal(c.leaves[PT_LEVEL_2M], 511);
    assert_int_equal(c.leaves[PT_LEVEL_4K], 511);
    assert_int_equal(f.pt.frames_used, 4);
    assert_unmapped(&f.pt, hole);
    struct pt_translation t = must_translate(&f.pt, hole - PAGE_SIZE);
    assert_int_equal(t.pa, PA_B + GiB / 2);
    assert_int_equal(t.leaf_size, 4 * KiB);
    assert_int_equal(t.flags, PT_MAP_WRITE | PT_MAP_GLOBAL);
    assert_int_equal(t.pte & PTE_PAT_4K, 0);   /* bit 7: no PS in a 4K PTE, PAT bit clear */
    assert_int_equal(must_translate(&f.pt, hole + PAGE_SIZE).pa, PA_B + GiB / 2 + 8 * KiB);
    assert_int_equal(must_translate(&f.pt, VA_B + GiB - 1).leaf_size, 2 * MiB);

    /* Unmapping the rest of that 2M frees the split PT again. */
    assert_int_equal(pt_unmap(&f.pt, VA_B + GiB / 2, 2 * MiB), 0);
    fx_check(&f, &c);
    assert_int_equal(f.pt.frames_used, 3);
    fx_fini(&f);
}

static void test_split_on_protect(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    const unsigned rw_global = PT_MAP_WRITE | PT_MAP_GLOBAL;
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, 2 * MiB, rw_global), 0);

    /* Same flags on part of a leaf: nothing to split. */
    assert_int_equal(pt_protect(&f.pt, VA_B + PAGE_SIZE, PAGE_SIZE, rw_global), 0);
    assert_int_equal(f.pt.frames_used, 3);

    /* Read-only guard page in the middle: 2M -> 512 x 4K, one changed. */
    assert_int_equal(pt_protect(&f.pt, VA_B + PAGE_SIZE, PAGE_SIZE, 0), 0);
    fx_check(&f, &c);
    assert_int_equal(c.leaves[PT_LEVEL_4K], 512);
    assert_int_equal(must_translate(&f.pt, VA_B + PAGE_SIZE).flags, 0);
    assert_int_equal(must_translate(&f.pt, VA_B).flags, rw_global);
    assert_int_equal(must_translate(&f.pt, VA_B + 2 * PAGE_SIZE).pa, PA_B + 2 * PAGE_SIZE);

    /* Whole leaves change in place; holes are skipped; user grants U above. */
    assert_int_equal(pt_protect(&f.pt, VA_B, 4 * MiB, PT_MAP_USER | PT_MAP_WC), 0);
    fx_check(&f, &c);
    assert_int_equal(c.user_tables, 3);
    assert_int_equal(must_translate(&f.pt, VA_B + MiB).flags, PT_MAP_USER | PT_MAP_WC);

    /* PT_MAP_MAX_4K breaks a 1G leaf all the way down. */
    assert_int_equal(pt_map(&f.pt, VA_B + GiB, PA_B, GiB, 0), 0);
    assert_int_equal(pt_protect(&f.pt, VA_B + GiB, GiB, PT_MAP_MAX_4K), 0);
    fx_check(&f, &c);
    assert_int_equal(c.leaves[PT_LEVEL_4K], 512 + 512 * 512);
    assert_int_equal(c.leaves[PT_LEVEL_1G] + c.leaves[PT_LEVEL_2M], 0);
    fx_fini(&f);
}

/* The PAT bit sits at bit 12 in 2M/1G leaves and at bit 7 in 4K PTEs (where
 * bit 12 is address). pt.c never sets it, but a split must carry it over. */
static void test_split_moves_pat_bit(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, GiB, PT_MAP_WC), 0);
    *raw_entry(&f, VA_B, PT_LEVEL_1G) |= PTE_PAT_HUGE;   /* PAT index 5 */

    assert_int_equal(pt_unmap(&f.pt, VA_B, PAGE_SIZE), 0);
    fx_check(&f, &c);
    uint64_t pd = *raw_entry(&f, VA_B + 2 * MiB, PT_LEVEL_2M);
    assert_true((pd & PTE_PS) && (pd & PTE_PAT_HUGE) && (pd & PTE_PWT));
    assert_int_equal(pd & PTE_ADDR_MASK_2M, PA_B + 2 * MiB);
    const vaddr_t even = VA_B + 2 * PAGE_SIZE;   /* pa bit 12 clear */
    uint64_t pte = *raw_entry(&f, even, PT_LEVEL_4K);
    assert_true((pte & PTE_PAT_4K) && (pte & PTE_PWT));
    assert_int_equal(pte & PTE_ADDR_MASK, PA_B + 2 * PAGE_SIZE);   /* bit 12 is address again */

    /* pt_protect chooses the cache type from flags alone: PAT bit dropped. */
    assert_int_equal(pt_protect(&f.pt, even, PAGE_SIZE, PT_MAP_WC), 0);
    pte = *raw_entry(&f, even, PT_LEVEL_4K);
    assert_int_equal(pte & (PTE_PAT_4K | PTE_PWT | PTE_PCD), PTE_PWT);
    fx_fini(&f);
}

/* PT_MAP_PAT_HIGH sets the PAT bit at its position per leaf size (bit 12 in
 * 2M/1G leaves, bit 7 in 4K PTEs), never in tables, and pt_protect keeps or
 * drops it by flags. */
static void test_pat_high(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    const unsigned wc5 = PT_MAP_WC | PT_MAP_PAT_HIGH | PT_MAP_WRITE;
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, 2 * MiB + PAGE_SIZE, wc5), 0);
    fx_check(&f, &c);
    uint64_t pd = *raw_entry(&f, VA_B, PT_LEVEL_2M);
    assert_int_equal(pd & (PTE_PS | PTE_PAT_HUGE | PTE_PWT | PTE_PCD), PTE_PS | PTE_PAT_HUGE | PTE_PWT);
    assert_int_equal(pd & PTE_ADDR_MASK_2M, PA_B);
    uint64_t pte = *raw_entry(&f, VA_B + 2 * MiB, PT_LEVEL_4K);
    assert_int_equal(pte & (PTE_PAT_4K | PTE_PWT | PTE_PCD), PTE_PAT_4K | PTE_PWT);
    assert_int_equal(pte & PTE_ADDR_MASK, PA_B + 2 * MiB);
    uint64_t pdpt = *raw_entry(&f, VA_B + 2 * MiB, PT_LEVEL_1G);
    assert_int_equal(pdpt & (PTE_PS | PTE_PAT_HUGE | PTE_PWT | PTE_PCD), 0);   /* a table: I4 */
    assert_int_equal(pt_protect(&f.pt, VA_B + 2 * MiB, PAGE_SIZE, PT_MAP_WC), 0);
    pte = *raw_entry(&f, VA_B + 2 * MiB, PT_LEVEL_4K);
    assert_int_equal(pte & (PTE_PAT_4K | PTE_PWT | PTE_PCD), PTE_PWT);
    assert_int_equal(pt_protect(&f.pt, VA_B + 2 * MiB, PAGE_SIZE, wc5), 0);
    pte = *raw_entry(&f, VA_B + 2 * MiB, PT_LEVEL_4K);
    assert_int_equal(pte & (PTE_PAT_4K | PTE_PWT | PTE_PCD), PTE_PAT_4K | PTE_PWT);
    fx_fini(&f);
}

/* ---- clone, 5-level, top of the address space ---------------------------- */

static void test_clone_kernel_half(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, VA_HH, 0, 4 * GiB, PT_MAP_WRITE | PT_MAP_GLOBAL), 0);
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, PAGE_SIZE, 0), 0);

    struct pt child;
    struct pt_env env = arena_env(&f.arena);
    assert_int_equal(pt_clone_kernel_half(&child, &env, &f.pt), -E_INVAL);   /* not pinned */
    assert_int_equal(pt_pin_kernel_half(&f.pt, PT_ENTRIES - 3), 0);
    assert_int_equal(pt_clone_kernel_half(&child, &env, &f.pt), 0);
    assert_int_equal(child.frames_used, 1);
    const uint64_t *kr = arena_phys_to_ptr(&f.arena, f.pt.root);
    const uint64_t *cr = arena_phys_to_ptr(&f.arena, child.root);
    assert_memory_equal(cr + PT_ROOT_KERNEL_FIRST, kr + PT_ROOT_KERNEL_FIRST,
                        PT_ROOT_KERNEL_FIRST * sizeof(uint64_t));
    for (unsigned i = PT_ROOT_KERNEL_FIRST; i < PT_ENTRIES; i++)
        assert_true((kr[i] & PTE_P) == (i == PT_ENTRIES - 3 ? 0 : PTE_P));
    assert_int_equal(must_translate(&child, VA_HH + GiB + 5).pa, GiB + 5);
    assert_unmapped(&child, VA_B);

    /* The child's lower half is its own; its upper half is not its to change. */
    assert_int_equal(pt_map(&child, VA_B + GiB, PA_B, 2 * MiB, PT_MAP_USER), 0);
    assert_unmapped(&f.pt, VA_B + GiB);
    assert_int_equal(pt_map(&child, VA_HH + 8 * GiB, 0, PAGE_SIZE, 0), -E_INVAL);
    assert_int_equal(pt_unmap(&child, VA_HH, PAGE_SIZE), -E_INVAL);
    assert_int_equal(pt_protect(&child, VA_HH, PAGE_SIZE, 0), -E_INVAL);
    const char *err = pt_check_tree(&child, &f.arena, &c);
    assert_null(err);
    assert_int_equal(child.frames_used, 3);   /* root, PDPT, PD */
    assert_int_equal(pt_unmap(&child, VA_B + GiB, 2 * MiB), 0);
    assert_int_equal(child.frames_used, 1);
    assert_null(pt_check_tree(&f.pt, &f.arena, &c));   /* the kernel's tree is untouched */
    assert_int_equal(f.arena.live, f.pt.frames_used + child.frames_used);
    assert_int_equal(pt_fini(&child), 0);
    assert_int_equal(f.arena.live, f.pt.frames_used);
    fx_fini(&f);
}

/* ---- pinned tables ------------------------------------------------------- */

static paddr_t refuse_frame(void *ctx)
{
    (void)ctx;
    return 0;
}

static void forbid_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    fail_msg("a pt that may not free tables freed %#llx", (unsigned long long)pa);
}

/* A copy of f's pt that can neither allocate nor free a table: what the
 * kernel's per-CPU heap slices map through without the kernel's lock. */
static struct pt fixed_view(const struct fixture *f)
{
    struct pt view = f->pt;
    view.env.alloc_frame = refuse_frame;
    view.env.free_frame = forbid_free;
    return view;
}

static void test_pin_table(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    const vaddr_t va = VA_B + GiB + 4 * MiB;   /* a PT of its own, 2 MiB-aligned */
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);

    paddr_t table = 0;
    assert_int_equal(pt_pin_table(&f.pt, va, PT_LEVEL_4K, &table), 0);
    assert_int_equal(f.pt.frames_used, 4);   /* root, PDPT, PD and the pinned PT */
    assert_true(*raw_entry(&f, va, PT_LEVEL_2M) & PTE_PINNED);
    assert_int_equal(table, *raw_entry(&f, va, PT_LEVEL_2M) & PTE_ADDR_MASK);
    assert_true(*raw_entry(&f, va, PT_LEVEL_1G) & PTE_PINNED);   /* the path too */
    assert_true(*raw_entry(&f, va, PT_LEVELS_MIN) & PTE_PINNED);
    assert_false(*raw_entry(&f, va + GiB, PT_LEVEL_1G) & PTE_PINNED);
    fx_check(&f, &c);   /* an empty table, allowed because pinned */
    assert_int_equal(c.pinned_tables, 3);
    assert_int_equal(pt_pin_table(&f.pt, va, PT_LEVEL_4K, NULL), 0);   /* idempotent */
    assert_int_equal(f.pt.frames_used, 4);

    /* Through a pt that cannot touch tables: map and unmap inside the
     * pinned table, over and over; nothing is allocated or freed. */
    struct pt view = fixed_view(&f);
    uint64_t allocs = f.arena.allocs;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(pt_map(&view, va, PA_B, 16 * PAGE_SIZE, PT_MAP_WRITE), 0);
        assert_int_equal(pt_map(&view, va + 2 * MiB - PAGE_SIZE, PA_B, PAGE_SIZE, 0), 0);
        assert_int_equal(must_translate(&f.pt, va + 5 * PAGE_SIZE + 7).pa, PA_B + 5 * PAGE_SIZE + 7);
        fx_check(&f, &c);
        assert_int_equal(pt_unmap(&view, va, 2 * MiB), 0);
        assert_unmapped(&f.pt, va);
        fx_check(&f, &c);
    }
    assert_int_equal(f.arena.allocs, allocs);
    assert_int_equal(f.pt.frames_used, 4);
    /* Outside it the view would need a table: refused, nothing changed. */
    assert_int_equal(pt_map(&view, va + 2 * MiB, PA_B, PAGE_SIZE, 0), -E_NOMEM);
    fx_check(&f, &c);

    /* The tree around it still grows and shrinks: a neighbour's PT comes
     * and goes, the pinned PT and its ancestors stay, even when the whole
     * lower half is unmapped. */
    assert_int_equal(pt_map(&f.pt, va + 2 * MiB, PA_B, PAGE_SIZE, 0), 0);
    assert_int_equal(f.pt.frames_used, 5);
    assert_int_equal(pt_unmap(&f.pt, va + 2 * MiB, PAGE_SIZE), 0);
    assert_int_equal(f.pt.frames_used, 4);
    assert_int_equal(pt_map(&f.pt, va + PAGE_SIZE, PA_B, PAGE_SIZE, 0), 0);
    assert_int_equal(pt_unmap(&f.pt, VA_B, 512 * GiB), 0);
    assert_int_equal(f.pt.frames_used, 4);
    assert_unmapped(&f.pt, va + PAGE_SIZE);
    fx_check(&f, &c);

    /* Pinning one level up: the PD, which then takes 2 MiB leaves. */
    const vaddr_t pd_va = VA_B + 16 * GiB;
    assert_int_equal(pt_pin_table(&f.pt, pd_va, PT_LEVEL_2M, NULL), 0);
    assert_int_equal(f.pt.frames_used, 5);   /* + the pinned PD (the PDPT exists) */
    view = fixed_view(&f);
    assert_int_equal(pt_map(&view, pd_va, PA_B, 4 * MiB, 0), 0);
    assert_int_equal(must_translate(&f.pt, pd_va + 2 * MiB).leaf_size, 2 * MiB);
    assert_int_equal(pt_unmap(&view, pd_va, GiB), 0);
    fx_check(&f, &c);
    assert_int_equal(c.pinned_tables, 4);   /* + the PDPT entry of pd_va */

    /* No leaf replaces a pinned table, even an empty one: a 1 GiB mapping
     * over the pinned PD is laid as 2 MiB leaves, one over the PD holding
     * the pinned PT as 2 MiB and 4 KiB ones; they come and go, the pinned
     * tables stay. */
    assert_int_equal(pt_map(&f.pt, pd_va, PA_B, GiB, 0), 0);
    assert_int_equal(must_translate(&f.pt, pd_va).leaf_size, 2 * MiB);
    assert_int_equal(pt_map(&f.pt, VA_B + GiB, PA_B, GiB, 0), 0);
    assert_int_equal(must_translate(&f.pt, VA_B + GiB).leaf_size, 2 * MiB);
    assert_int_equal(must_translate(&f.pt, va + 5 * PAGE_SIZE).leaf_size, PAGE_SIZE);
    assert_int_equal(must_translate(&f.pt, va + 5 * PAGE_SIZE).pa, PA_B + 4 * MiB + 5 * PAGE_SIZE);
    fx_check(&f, &c);
    assert_int_equal(pt_unmap(&f.pt, VA_B, 512 * GiB), 0);
    assert_int_equal(f.pt.frames_used, 5);
    fx_check(&f, &c);
    fx_fini(&f);
}

static void test_pin_table_errors(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);

    assert_int_equal(pt_pin_table(&f.pt, VA_B, 0, NULL), -E_INVAL);
    assert_int_equal(pt_pin_table(&f.pt, VA_B, PT_LEVELS_MIN, NULL), -E_INVAL);   /* the root */
    assert_int_equal(pt_pin_table(&f.pt, VA_B + 8, PT_LEVEL_4K, NULL), -E_INVAL);
    assert_int_equal(pt_pin_table(&f.pt, 0x0000800000000000ULL, PT_LEVEL_4K, NULL), -E_INVAL);
    assert_int_equal(f.pt.frames_used, 1);

    /* A 2 MiB leaf where the PT would be. */
    assert_int_equal(pt_map(&f.pt, VA_B, PA_B, 2 * MiB, 0), 0);
    uint64_t used = f.pt.frames_used;
    assert_int_equal(pt_pin_table(&f.pt, VA_B + PAGE_SIZE, PT_LEVEL_4K, NULL), -E_BUSY);
    assert_int_equal(f.pt.frames_used, used);
    fx_check(&f, &c);

    /* Out of frames part way down: the tables made so far go again. */
    for (uint64_t extra = 0; extra < 3; extra++) {
        f.arena.limit = f.arena.live + extra;
        assert_int_equal(pt_pin_table(&f.pt, VA_B + 1024 * GiB, PT_LEVEL_4K, NULL), -E_NOMEM);
        assert_int_equal(f.pt.frames_used, used);
        fx_check(&f, &c);
    }
    f.arena.limit = ARENA_NO_LIMIT;
    fx_fini(&f);

    /* 5 levels: the pinned PT's parent is four tables below the root. */
    fx_init(&f, PT_LEVELS_MAX, CAPS_ALL);
    assert_int_equal(pt_pin_table(&f.pt, VA_HH, PT_LEVEL_4K, NULL), 0);
    assert_int_equal(f.pt.frames_used, 5);
    assert_int_equal(pt_unmap(&f.pt, VA_HH, GiB), 0);
    assert_int_equal(f.pt.frames_used, 5);
    fx_check(&f, &c);
    fx_fini(&f);
}

static void test_five_level(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    const vaddr_t high = 1ULL << 52;   /* needs more than 48 bits */
    fx_init(&f, PT_LEVELS_MAX, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, high, PA_B, GiB + PAGE_SIZE, PT_MAP_WRITE), 0);
    assert_int_equal(pt_map(&f.pt, 0xFF00000000000000ULL, 0, 2 * MiB, 0), 0);
    fx_check(&f, &c);
    struct pt_mapping m[] = { { high, PA_B, GiB + PAGE_SIZE, PT_MAP_WRITE },
                              { 0xFF00000000000000ULL, 0, 2 * MiB, 0 } };
    assert_int_equal(f.pt.frames_used, pt_min_frames(m, 2, PT_LEVELS_MAX, CAPS_ALL));
    assert_int_equal(f.pt.frames_used, 1 + (1 + 1 + 1 + 1) + (1 + 1 + 1));
    struct pt_translation t = must_translate(&f.pt, high + 0x1234567);
    assert_int_equal(t.pa, PA_B + 0x1234567);
    assert_int_equal(t.leaf_size, GiB);
    assert_int_equal(must_translate(&f.pt, high + GiB).leaf_size, PAGE_SIZE);
    assert_int_equal(pt_unmap(&f.pt, high + PAGE_SIZE, GiB), 0);
    fx_check(&f, &c);
    assert_int_equal(pt_unmap(&f.pt, high, PAGE_SIZE), 0);
    assert_int_equal(pt_unmap(&f.pt, 0xFF00000000000000ULL, 2 * MiB), 0);
    fx_check(&f, &c);
    assert_int_equal(f.pt.frames_used, 1);
    fx_fini(&f);

    /* The same address is not canonical with 4 levels. */
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, high, PA_B, PAGE_SIZE, 0), -E_INVAL);
    fx_fini(&f);
}

static void test_top_of_address_space(void **state)
{
    (void)state;
    struct fixture f;
    struct pt_check c = { 0 };
    fx_init(&f, PT_LEVELS_MIN, CAPS_ALL);
    assert_int_equal(pt_map(&f.pt, VA_TOP, PA_B, 2 * MiB, 0), 0);
    assert_int_equal(must_translate(&f.pt, UINT64_MAX).pa, PA_B + 2 * MiB - 1);
    assert_int_equal(pt_protect(&f.pt, UINT64_MAX - PAGE_SIZE + 1, PAGE_SIZE, PT_MAP_WRITE), 0);
    assert_int_equal(must_translate(&f.pt, UINT64_MAX).flags, PT_MAP_WRITE);
    assert_int_equal(pt_unmap(&f.pt, VA_TOP, 2 * MiB), 0);
    fx_check(&f, &c);
    assert_int_equal(f.pt.frames_used, 1);
    fx_fini(&f);
}

/* ---- pt_min_frames and pt_is_canonical ------------------------------------ */

struct min_case {
    const char *desc;
    struct pt_mapping m[3];
    size_t n;
    int levels;
    unsigned caps;
    uint64_t want;
};

static const struct min_case min_cases[] = {
    { "1 TiB HHDM, 1G pages: root + 2 PDPTs", { { VA_HH, 0, TiB, 0 } }, 1, 4, CAPS_ALL, 3 },
    { "1 TiB HHDM, 2M pages: root + 2 + 1024 PDs", { { VA_HH, 0, TiB, 0 } }, 1, 4, PT_CAP_NX,
      1027 },
    { "one 4K page", { { VA_B, PA_B, PAGE_SIZE, 0 } }, 1, 4, CAPS_ALL, 4 },
    { "one 4K page, 5 levels", { { VA_B, PA_B, PAGE_SIZE, 0 } }, 1, 5, CAPS_ALL, 5 },
    { "two ranges in one PT share it",
      { { VA_B, PA_B, PAGE_SIZE, 0 }, { VA_B + 8 * KiB, PA_B, PAGE_SIZE, 0 } }, 2, 4, CAPS_ALL,
      4 },
    { "two PTs under one PD",
      { { VA_B, PA_B, PAGE_SIZE, 0 }, { VA_B + 2 * MiB, PA_B + 4 * KiB, PAGE_SIZE, 0 } }, 2, 4,
      CAPS_ALL, 5 },
    { "lower and higher half",
      { { VA_B, PA_B, PAGE_SIZE, 0 }, { VA_HH, PA_B, PAGE_SIZE, 0 } }, 2, 4, CAPS_ALL, 7 },
    { "kernel-like: 4K head and 2M body, then a 1G in the same PDPT",
      { { VA_HH + 2 * MiB - 8 * KiB, 2 * MiB - 8 * KiB, 4 * MiB + 8 * KiB, 0 },
        { VA_HH + 2 * GiB, 0, GiB, 0 } }, 2, 4, CAPS_ALL, 1 + 1 + 1 + 1 },
    { "pa incongruent: 4K over 4 MiB crossing a PD", { { VA_B + GiB - 2 * MiB, 4 * KiB, 4 * MiB, 0 } },
      1, 4, CAPS_ALL, 1 + 1 + 2 + 2 },
};

static void test_min_frames(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(min_cases); i++) {
        const struct min_case *mc = &min_cases[i];
        struct fixture f;
        struct pt_check c = { 0 };
        print_message("  %s\n", mc->desc);
        assert_int_equal(pt_min_frames(mc->m, mc->n, mc->levels, mc->caps), mc->want);
        fx_init(&f, mc->levels, mc->caps);
        map_all(&f, mc->m, mc->n);
        fx_check(&f, &c);
        assert_int_equal(f.pt.frames_used, mc->want);
        fx_fini(&f);
    }
}

struct canon_case {
    vaddr_t va;
    int levels;
    bool want;
};

static const struct canon_case canon_cases[] = {
    { 0, 4, true },
    { 0x00007FFFFFFFFFFFULL, 4, true },
    { 0x0000800000000000ULL, 4, false },
    { 0xFFFF7FFFFFFFFFFFULL, 4, false },
    { 0xFFFF800000000000ULL, 4, true },
    { UINT64_MAX, 4, true },
    { 0x0000800000000000ULL, 5, true },
    { 0x00FFFFFFFFFFFFFFULL, 5, true },
    { 0x0100000000000000ULL, 5, false },
    { 0xFEFFFFFFFFFFFFFFULL, 5, false },
    { 0xFF00000000000000ULL, 5, true },
    { 0, 3, false },
};

static void test_canonical(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(canon_cases); i++)
        assert_int_equal(pt_is_canonical(canon_cases[i].va, canon_cases[i].levels),
                         canon_cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leaf_choice),
        cmocka_unit_test(test_flag_bits),
        cmocka_unit_test(test_translate_huge),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_busy),
        cmocka_unit_test(test_out_of_frames),
        cmocka_unit_test(test_unmap_frees_tables),
        cmocka_unit_test(test_split_on_unmap),
        cmocka_unit_test(test_split_on_protect),
        cmocka_unit_test(test_split_moves_pat_bit),
        cmocka_unit_test(test_pat_high),
        cmocka_unit_test(test_clone_kernel_half),
        cmocka_unit_test(test_pin_table),
        cmocka_unit_test(test_pin_table_errors),
        cmocka_unit_test(test_five_level),
        cmocka_unit_test(test_top_of_address_space),
        cmocka_unit_test(test_min_frames),
        cmocka_unit_test(test_canonical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

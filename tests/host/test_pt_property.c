/* Property test for shared/pt.c: a seeded random sequence of pt_map,
 * pt_unmap, pt_protect and pt_pin_table over a bounded VA window, with huge pages, splits,
 * table freeing and injected frame shortages. After every step the whole
 * tree is walked by pt_arena.h's checker and every leaf is compared with a
 * reference model (sorted intervals of window offsets -> pa, flags); the
 * reachable tables must equal frames_used and the arena's live frames.
 * Every CHECKPOINT steps the reference is rebuilt into a fresh tree, whose
 * frames_used must equal pt_min_frames. Seed: $PT_PROP_SEED (default fixed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_arena.h"

#define STEPS          3000
#define CHECKPOINT     250
#define REF_MAX        16384
#define WINDOW         (8 * GiB)
#define ARENA_FRAMES   4096
#define SMALL_MAX      (16 * MiB)   /* 4K-only mappings stay below this */
#define DEFAULT_SEED   0x5EED0F9A6E5ULL

/* A mapped run [lo, hi) of window offsets; pa is where lo maps to. */
struct ival {
    uint64_t lo, hi;
    paddr_t pa;
    unsigned flags;   /* normalised: no PT_MAP_MAX_4K, EXEC when NX is off */
};

struct ref {
    struct ival v[REF_MAX];
    size_t n;
    struct ival tmp[REF_MAX];
};

enum ref_op { REF_REMOVE, REF_PROTECT };

struct prop {
    const char *name;
    int levels;
    unsigned caps;
    vaddr_t base;          /* window start; the window may end at 2^64 */
    uint64_t seed, rng;
    struct pt_arena arena;
    struct pt pt;
    struct ref *ref;
    uint64_t step;
    uint64_t n_map, n_unmap, n_protect, n_pin, n_busy, n_nomem, max_tables;
    uint64_t max_leaves[PT_LEVEL_1G + 1];   /* peak count, by level */
};

static uint64_t rnd(struct prop *s)
{
    s->rng ^= s->rng >> 12;   /* xorshift64* */
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(struct prop *s, uint64_t n)
{
    return rnd(s) % n;
}

static unsigned norm_flags(unsigned flags, unsigned caps)
{
    flags &= ~PT_MAP_MAX_4K;
    return (caps & PT_CAP_NX) ? flags : flags | PT_MAP_EXEC;
}

/* ---- reference model ----------------------------------------------------- */

static void ref_push(struct ival *out, size_t *n, struct ival iv)
{
    if (iv.lo >= iv.hi)
        return;
    if (*n >= REF_MAX)
        fail_msg("reference model full");
    struct ival *prev = *n ? &out[*n - 1] : NULL;
    if (prev && prev->hi == iv.lo && prev->flags == iv.flags &&
        prev->pa + (prev->hi - prev->lo) == iv.pa)
        prev->hi = iv.hi;   /* keep runs maximal: a leaf never spans two */
    else
        out[(*n)++] = iv;
}

static struct ival ival_slice(const struct ival *iv, uint64_t lo, uint64_t hi)
{
    return (struct ival){ lo, hi, iv->pa + (lo - iv->lo), iv->flags };
}

/* Remove [lo, hi), or give it `flags`, keeping the list sorted and merged. */
static void ref_apply(struct ref *r, enum ref_op op, uint64_t lo, uint64_t hi, unsigned flags)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct ival *iv = &r->v[i];
        if (iv->hi <= lo || iv->lo >= hi) {
            ref_push(r->tmp, &n, *iv);
            continue;
        }
        ref_push(r->tmp, &n, ival_slice(iv, iv->lo, MAX(iv->lo, lo)));
        struct ival mid = ival_slice(iv, MAX(iv->lo, lo), MIN(iv->hi, hi));
        mid.flags = flags;
        if (op == REF_PROTECT)
            ref_push(r->tmp, &n, mid);
        ref_push(r->tmp, &n, ival_slice(iv, MIN(iv->hi, hi), iv->hi));
    }
    memcpy(r->v, r->tmp, n * sizeof(r->v[0]));
    r->n = n;
}

/* Add [lo, hi) -> pa, which must be free. */
static void ref_insert(struct ref *r, uint64_t lo, uint64_t hi, paddr_t pa, unsigned flags)
{
    size_t n = 0, i = 0;
    for (; i < r->n && r->v[i].hi <= lo; i++)
        ref_push(r->tmp, &n, r->v[i]);
    ref_push(r->tmp, &n, (struct ival){ lo, hi, pa, flags });
    for (; i < r->n; i++)
        ref_push(r->tmp, &n, r->v[i]);
    memcpy(r->v, r->tmp, n * sizeof(r->v[0]));
    r->n = n;
}

/* Lowest mapped offset in [lo, hi), or hi. */
static uint64_t ref_first_mapped(const struct ref *r, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].hi > lo && r->v[i].lo < hi)
            return MAX(r->v[i].lo, lo);
    return hi;
}

/* ---- whole-tree comparison ----------------------------------------------- */

struct cmp {
    const struct ref *r;
    vaddr_t base;
    unsigned caps;
    size_t cur;
    uint64_t bytes;
    const char *err;
    vaddr_t err_va;
};

static uint64_t leaf_pa_mask(int level)
{
    return level == PT_LEVEL_4K ? PTE_ADDR_MASK
           : level == PT_LEVEL_2M ? PTE_ADDR_MASK_2M : PTE_ADDR_MASK_1G;
}

static void cmp_fail(struct cmp *c, const char *what, vaddr_t va)
{
    if (!c->err) {
        c->err = what;
        c->err_va = va;
    }
}

/* Leaves come in increasing va: one cursor over the sorted reference. */
static void cmp_leaf(void *ctx, vaddr_t va, uint64_t pte, int level)
{
    struct cmp *c = ctx;
    uint64_t size = PT_LEVEL_SIZE(level), off = va - c->base;
    if (va < c->base || off >= WINDOW || WINDOW - off < size) {
        cmp_fail(c, "leaf outside the window", va);
        return;
    }
    while (c->cur < c->r->n && c->r->v[c->cur].hi <= off)
        c->cur++;
    const struct ival *iv = c->cur < c->r->n ? &c->r->v[c->cur] : NULL;
    if (!iv || iv->lo > off || iv->hi - off < size)
        cmp_fail(c, "leaf maps what the reference does not", va);
    else if ((pte & leaf_pa_mask(level)) != iv->pa + (off - iv->lo))
        cmp_fail(c, "leaf maps the wrong pa", va);
    else if ((pte & pt_check_attr_mask(level)) != pt_expected_leaf_bits(iv->flags, c->caps, level))
        cmp_fail(c, "leaf has the wrong bits", va);
    c->bytes += size;
}

static uint64_t ref_bytes(const struct ref *r)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < r->n; i++)
        sum += r->v[i].hi - r->v[i].lo;
    return sum;
}

/* Tree invariants only (mid-operation states after an injected failure). */
static void check_structure(struct prop *s, struct pt_check *pc)
{
    const char *err = pt_check_tree(&s->pt, &s->arena, pc);
    if (err)
        fail_msg("%s seed %#llx step %llu: %s at %#llx", s->name, (unsigned long long)s->seed,
                 (unsigned long long)s->step, err,
                 (unsigned long long)pc->error_va);
    assert_int_equal(s->arena.live, s->pt.frames_used);
    assert_int_equal(s->arena.frees, s->pt.frames_freed);
}

/* Everything: invariants, no leaked frame, and leaves == reference. */
static void check_all(struct prop *s, const struct pt *pt, struct pt_arena *a)
{
    struct cmp c = { .r = s->ref, .base = s->base, .caps = s->caps };
    struct pt_check pc = { .leaf = cmp_leaf, .ctx = &c };
    const char *err = pt_check_tree(pt, a, &pc);
    if (!err && !c.err && c.bytes != ref_bytes(s->ref))
        c.err = "leaves cover less than the reference";
    if (err || c.err)
        fail_msg("%s seed %#llx step %llu: %s at %#llx", s->name, (unsigned long long)s->seed,
                 (unsigned long long)s->step, err ? err : c.err,
                 (unsigned long long)(err ? pc.error_va : c.err_va));
    assert_int_equal(a->live, pt->frames_used);
    for (int level = PT_LEVEL_4K; level <= PT_LEVEL_1G; level++)
        s->max_leaves[level] = MAX(s->max_leaves[level], pc.leaves[level]);
    s->max_tables = MAX(s->max_tables, pc.tables);
}

/* ---- random operations --------------------------------------------------- */

/* A random [lo, lo+len) in the window, mixing 4K, 2M and 1G granularity. */
static void pick_range(struct prop *s, uint64_t *lo, uint64_t *len)
{
    uint64_t k = rnd_below(s, 10);
    if (k < 4) {
        *lo = rnd_below(s, WINDOW / PAGE_SIZE) * PAGE_SIZE;
        *len = (1 + rnd_below(s, 16)) * PAGE_SIZE;
    } else if (k < 7) {
        *lo = rnd_below(s, WINDOW / (2 * MiB)) * 2 * MiB;
        *lo += rnd_below(s, 4) ? 0 : rnd_below(s, 512) * PAGE_SIZE;
        *len = (1 + rnd_below(s, 8)) * 2 * MiB + (rnd_below(s, 4) ? 0 : PAGE_SIZE);
    } else if (k < 9) {
        *lo = rnd_below(s, WINDOW / GiB) * GiB;
        *lo += rnd_below(s, 4) ? 0 : rnd_below(s, 512) * 2 * MiB;
        *len = (1 + rnd_below(s, 3)) * GiB + (rnd_below(s, 3) ? 0 : 2 * MiB);
    } else {
        *lo = rnd_below(s, 4) * GiB;
        *len = (2 + rnd_below(s, 4)) * GiB;
    }
    *lo = MIN(*lo, WINDOW - PAGE_SIZE);
    *len = MIN(*len, WINDOW - *lo);
}

static unsigned pick_flags(struct prop *s, uint64_t len)
{
    static const unsigned cache[] = { 0, 0, 0, PT_MAP_WC, PT_MAP_UC };
    unsigned flags = (unsigned)rnd_below(s, PT_MAP_GLOBAL << 1);   /* W, X, U, G */
    flags |= cache[rnd_below(s, ARRAY_LEN(cache))];
    if (len <= SMALL_MAX && rnd_below(s, 8) == 0)
        flags |= PT_MAP_MAX_4K;
    return flags;
}

/* pa congruent with va modulo 1G, 2M or (small ranges only) just 4K. */
static paddr_t pick_pa(struct prop *s, vaddr_t va, uint64_t len)
{
    paddr_t pa = rnd_below(s, 4096) * GiB;
    uint64_t k = rnd_below(s, 4);
    if (k == 0)
        return pa + (va & (2 * MiB - 1)) + rnd_below(s, 512) * 2 * MiB;
    if (k == 1 && len <= SMALL_MAX)
        return pa + rnd_below(s, GiB / PAGE_SIZE) * PAGE_SIZE;
    return pa + (va & (GiB - 1));
}

/* Maybe make the next operation run out of frames after a few. */
static bool maybe_starve(struct prop *s)
{
    if (rnd_below(s, 16) != 0)
        return false;
    s->arena.limit = s->arena.live + rnd_below(s, 3);
    return true;
}

/* After a failed pt_map the pages before the failure stay mapped: find them
 * through pt_translate, check each leaf, and add them to the reference. */
static void adopt_map_prefix(struct prop *s, uint64_t lo, uint64_t stop, paddr_t pa,
                             unsigned flags)
{
    uint64_t x = lo;
    struct pt_translation t;
    while (x < stop && pt_translate(&s->pt, s->base + x, &t) == 0) {
        assert_int_equal(t.pa, pa + (x - lo));
        assert_int_equal(t.flags, flags);
        x = MIN(stop, x + t.leaf_size - ((s->base + x) & (t.leaf_size - 1)));
    }
    if (x > lo)
        ref_insert(s->ref, lo, x, pa, flags);
}

static void step_map(struct prop *s, uint64_t lo, uint64_t len)
{
    vaddr_t va = s->base + lo;
    paddr_t pa = pick_pa(s, va, len);
    unsigned flags = pick_flags(s, len), nf = norm_flags(flags, s->caps);
    uint64_t busy_at = ref_first_mapped(s->ref, lo, lo + len);
    bool starved = maybe_starve(s);
    int err = pt_map(&s->pt, va, pa, len, flags);
    s->arena.limit = ARENA_NO_LIMIT;
    s->n_map++;
    if (err == 0) {
        assert_int_equal(busy_at, lo + len);
        ref_insert(s->ref, lo, lo + len, pa, nf);
        return;
    }
    if (err == -E_BUSY) {
        assert_true(busy_at < lo + len);
        s->n_busy++;
    } else {
        assert_int_equal(err, -E_NOMEM);
        assert_true(starved);
        s->n_nomem++;
    }
    adopt_map_prefix(s, lo, busy_at, pa, nf);
}

/* Unmap or protect; an injected shortage must leave a sound tree, and the
 * retry with frames available must finish the job. */
static void step_change(struct prop *s, enum ref_op op, uint64_t lo, uint64_t len)
{
    vaddr_t va = s->base + lo;
    unsigned flags = pick_flags(s, len);
    bool starved = maybe_starve(s);
    int err = op == REF_REMOVE ? pt_unmap(&s->pt, va, len) : pt_protect(&s->pt, va, len, flags);
    s->arena.limit = ARENA_NO_LIMIT;
    if (err) {
        struct pt_check pc = { 0 };
        assert_int_equal(err, -E_NOMEM);
        assert_true(starved);
        s->n_nomem++;
        check_structure(s, &pc);
        err = op == REF_REMOVE ? pt_unmap(&s->pt, va, len) : pt_protect(&s->pt, va, len, flags);
        assert_int_equal(err, 0);
    }
    *(op == REF_REMOVE ? &s->n_unmap : &s->n_protect) += 1;
    ref_apply(s->ref, op, lo, lo + len, norm_flags(flags, s->caps));
}

/* Pin the PT or the PD holding va: 0, or -E_BUSY exactly when a leaf
 * larger than that table's entries maps va, or -E_NOMEM when starved. The
 * mappings do not change; from then on the checker must find the pinned
 * table (and so its ancestors) still there after every unmap, and no
 * other empty table. */
static void step_pin(struct prop *s, uint64_t lo)
{
    vaddr_t va = s->base + lo;
    int level = rnd_below(s, 2) ? PT_LEVEL_4K : PT_LEVEL_2M;
    struct pt_translation t;
    bool huge_above = pt_translate(&s->pt, va, &t) == 0 && t.leaf_size > PT_LEVEL_SIZE(level);
    bool starved = maybe_starve(s);
    int err = pt_pin_table(&s->pt, va, level, NULL);
    s->arena.limit = ARENA_NO_LIMIT;
    if (err == 0) {
        assert_false(huge_above);
        s->n_pin++;
    } else if (err == -E_BUSY) {
        assert_true(huge_above);
        s->n_busy++;
    } else {
        assert_int_equal(err, -E_NOMEM);
        assert_true(starved);
        s->n_nomem++;
    }
}

/* The reference, mapped afresh, needs exactly pt_min_frames tables. */
static void checkpoint_min_frames(struct prop *s)
{
    static struct pt_mapping m[REF_MAX];
    struct pt_arena a;
    struct pt fresh;
    arena_init(&a, ARENA_FRAMES, false);
    struct pt_env env = arena_env(&a);
    assert_int_equal(pt_init(&fresh, &env, s->levels, s->caps), 0);
    for (size_t i = 0; i < s->ref->n; i++) {
        const struct ival *iv = &s->ref->v[i];
        m[i] = (struct pt_mapping){ s->base + iv->lo, iv->pa, iv->hi - iv->lo, iv->flags };
        assert_int_equal(pt_map(&fresh, m[i].va, m[i].pa, m[i].len, m[i].flags), 0);
    }
    check_all(s, &fresh, &a);
    assert_int_equal(fresh.frames_used, pt_min_frames(m, s->ref->n, s->levels, s->caps));
    arena_fini(&a);
}

static uint64_t seed_from_env(void)
{
    const char *e = getenv("PT_PROP_SEED");
    return e ? strtoull(e, NULL, 0) : DEFAULT_SEED;
}

static void run_property(struct prop *s)
{
    s->seed = seed_from_env();
    s->rng = s->seed ^ ((uint64_t)s->levels << 32) ^ s->caps ^ s->base;
    s->ref = calloc(1, sizeof(*s->ref));
    assert_non_null(s->ref);
    arena_init(&s->arena, ARENA_FRAMES, true);
    struct pt_env env = arena_env(&s->arena);
    assert_int_equal(pt_init(&s->pt, &env, s->levels, s->caps), 0);

    for (s->step = 0; s->step < STEPS; s->step++) {
        uint64_t lo, len, k = rnd_below(s, 20);
        pick_range(s, &lo, &len);
        if (k < 9)
            step_map(s, lo, len);
        else if (k < 19)
            step_change(s, k < 15 ? REF_REMOVE : REF_PROTECT, lo, len);
        else
            step_pin(s, lo);
        check_all(s, &s->pt, &s->arena);
        assert_int_equal(s->arena.frees, s->pt.frames_freed);
        if (s->step % CHECKPOINT == 0)
            checkpoint_min_frames(s);
    }
    /* Unmapping the window gives every table back but the pinned ones and
     * their ancestors (the checker allows no other empty table). */
    struct pt_check pc = { 0 };
    assert_int_equal(pt_unmap(&s->pt, s->base, WINDOW), 0);
    ref_apply(s->ref, REF_REMOVE, 0, WINDOW, 0);
    check_all(s, &s->pt, &s->arena);
    check_structure(s, &pc);
    assert_true(s->n_pin > 0 ? pc.pinned_tables > 0 : s->pt.frames_used == 1);
    assert_int_equal(s->arena.live, s->pt.frames_used);

    print_message("  %s: seed %#llx, %llu maps and pins (%llu busy), %llu unmaps, %llu protects, "
                  "%llu pins, %llu out-of-frames, peak leaves %llu 4K / %llu 2M / %llu 1G, "
                  "peak %llu tables, %llu frames freed\n",
                  s->name, (unsigned long long)s->seed, (unsigned long long)s->n_map,
                  (unsigned long long)s->n_busy, (unsigned long long)s->n_unmap,
                  (unsigned long long)s->n_protect, (unsigned long long)s->n_pin,
                  (unsigned long long)s->n_nomem,
                  (unsigned long long)s->max_leaves[PT_LEVEL_4K],
                  (unsigned long long)s->max_leaves[PT_LEVEL_2M],
                  (unsigned long long)s->max_leaves[PT_LEVEL_1G], (unsigned long long)s->max_tables,
                  (unsigned long long)s->pt.frames_freed);
    arena_fini(&s->arena);
    free(s->ref);
}

/* Lower half, 1G pages, the window straddling a PML4 entry boundary. */
static void test_property_4level_1g(void **state)
{
    (void)state;
    struct prop s = { .name = "4-level 1G+NX", .levels = PT_LEVELS_MIN,
                      .caps = PT_CAP_1G | PT_CAP_NX, .base = 512 * GiB - WINDOW / 2 };
    run_property(&s);
}

/* The last 8 GiB of the address space: ranges end at 2^64 (va + len == 0). */
static void test_property_4level_top(void **state)
{
    (void)state;
    struct prop s = { .name = "4-level 2M-only, no NX, top of VA", .levels = PT_LEVELS_MIN,
                      .caps = 0, .base = 0 - WINDOW };
    run_property(&s);
}

/* 5-level, straddling a PML5 entry boundary (2^48). */
static void test_property_5level(void **state)
{
    (void)state;
    struct prop s = { .name = "5-level 1G+NX", .levels = PT_LEVELS_MAX,
                      .caps = PT_CAP_1G | PT_CAP_NX, .base = (1ULL << 48) - WINDOW / 2 };
    run_property(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_4level_1g),
        cmocka_unit_test(test_property_4level_top),
        cmocka_unit_test(test_property_5level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

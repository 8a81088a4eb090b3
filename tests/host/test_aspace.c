/* Tests for shared/aspace.c on the simulated RAM arena: spaces share the
 * kernel half (including kernel mappings made after they were created, which
 * is what pinning buys), keep their user halves apart, map user pages U and
 * NX, and give back exactly the frames they took: the arena's live count
 * returns to the kernel's own tables after every destroy, and the frames a
 * space holds equal pt_min_frames of its mappings (counted without building).
 * The kernel's tables are compared byte for byte before and after. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "aspace.h"
#include "pt_arena.h"
#include "pt_recursive.h"

#define ARENA_FRAMES   8192
#define CAPS_ALL       (PT_CAP_1G | PT_CAP_NX)
#define SPACES         3
#define RECURSIVE_SLOT 509
#define KERNEL_TEXT    0xFFFFFFFF80000000ULL
#define KERNEL_LATE    0xFFFFC00000000000ULL   /* root slot 384: empty before pinning */
#define USER_BASE      0x0000000000400000ULL
#define USER_STRIDE    (1ULL << 39)            /* one root entry apart */
#define PA_USER        0x0000000300000000ULL

struct kernel_fixture {
    struct pt_arena arena;
    struct pt pt;
    struct pt_env env;
    uint8_t *owned;   /* arena frames that are the kernel's tables after pinning */
};

static void kernel_init(struct kernel_fixture *k, int levels)
{
    arena_init(&k->arena, ARENA_FRAMES, true);
    k->env = arena_env(&k->arena);
    assert_int_equal(pt_init(&k->pt, &k->env, levels, CAPS_ALL), 0);
    vaddr_t hh = levels == PT_LEVELS_MAX ? 0xFF00000000000000ULL : HIGHER_HALF_BASE;
    assert_int_equal(pt_map(&k->pt, hh, 0, 4 * GiB, PT_MAP_WRITE | PT_MAP_GLOBAL), 0);
    assert_int_equal(pt_map(&k->pt, KERNEL_TEXT, 2 * MiB, 64 * KiB, PT_MAP_EXEC | PT_MAP_GLOBAL), 0);
    assert_int_equal(pt_pin_kernel_half(&k->pt, RECURSIVE_SLOT), 0);
    k->owned = malloc(k->arena.frames);
    memcpy(k->owned, k->arena.live_map, k->arena.frames);
}

static void kernel_fini(struct kernel_fixture *k)
{
    free(k->owned);
    arena_fini(&k->arena);
}

/* Bytes of every table the kernel had after pinning (a fingerprint); the
 * kernel's tree must hold and own exactly those frames. */
static uint64_t kernel_fingerprint(struct kernel_fixture *k)
{
    struct pt_check c = { 0 };
    assert_null(pt_check_tree(&k->pt, &k->arena, &c));
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (uint64_t i = 0; i < k->arena.bump; i++) {
        if (!k->owned[i])
            continue;
        assert_true(k->arena.live_map[i]);
        const uint8_t *p = k->arena.mem + i * PAGE_SIZE;
        for (size_t b = 0; b < PAGE_SIZE; b++)
            h = (h ^ p[b]) * 1099511628211ULL;
    }
    return h;
}

static void check_space(struct kernel_fixture *k, struct aspace *as)
{
    struct pt_check c = { 0 };
    assert_null(pt_check_tree(&as->pt, &k->arena, &c));
    assert_int_equal(c.tables, as->pt.frames_used);
}

static void run_spaces(int levels)
{
    struct kernel_fixture k;
    struct aspace as[SPACES];
    struct pt_translation t;
    kernel_init(&k, levels);
    uint64_t kernel_frames = k.arena.live;
    assert_int_equal(kernel_frames, k.pt.frames_used);
    uint64_t print = kernel_fingerprint(&k);

    for (int i = 0; i < SPACES; i++) {
        assert_int_equal(aspace_create(&as[i], &k.env, &k.pt), 0);
        vaddr_t va = USER_BASE + i * USER_STRIDE;
        assert_int_equal(aspace_map(&as[i], va, PA_USER + i * PAGE_SIZE, PAGE_SIZE, PT_MAP_WRITE), 0);
        assert_int_equal(aspace_map(&as[i], va + GiB, PA_USER, 2 * MiB, PT_MAP_EXEC), 0);
        struct pt_mapping m[] = { { va, PA_USER + i * PAGE_SIZE, PAGE_SIZE, 0 },
                                  { va + GiB, PA_USER, 2 * MiB, 0 } };
        assert_int_equal(as[i].pt.frames_used, pt_min_frames(m, 2, levels, CAPS_ALL));
        check_space(&k, &as[i]);
    }
    assert_int_equal(kernel_fingerprint(&k), print);   /* creating spaces wrote no kernel table */

    /* A kernel mapping made now, in a root slot that had nothing before
     * pinning, is seen by every space already made. */
    assert_int_equal(pt_map(&k.pt, KERNEL_LATE, 8 * MiB, PAGE_SIZE, PT_MAP_WRITE), 0);
    uint64_t kernel_after_late = k.pt.frames_used;
    for (int i = 0; i < SPACES; i++) {
        assert_int_equal(pt_translate(&as[i].pt, KERNEL_LATE, &t), 0);
        assert_int_equal(t.pa, 8 * MiB);
        assert_int_equal(pt_translate(&as[i].pt, KERNEL_TEXT + 4 * KiB, &t), 0);
        assert_int_equal(t.pa, 2 * MiB + 4 * KiB);
        /* Its own page: user, NX unless asked; nobody else's. */
        vaddr_t mine = USER_BASE + i * USER_STRIDE;
        assert_int_equal(pt_translate(&as[i].pt, mine, &t), 0);
        assert_int_equal(t.pa, PA_USER + i * PAGE_SIZE);
        assert_int_equal(t.flags, PT_MAP_USER | PT_MAP_WRITE);
        assert_int_equal(pt_translate(&as[i].pt, mine + GiB, &t), 0);
        assert_int_equal(t.flags, PT_MAP_USER | PT_MAP_EXEC);
        for (int j = 0; j < SPACES; j++)
            if (j != i)
                assert_int_equal(pt_translate(&as[i].pt, USER_BASE + j * USER_STRIDE, &t),
                                 -E_NOTFOUND);
        assert_int_equal(pt_translate(&k.pt, mine, &t), -E_NOTFOUND);
    }
    assert_int_equal(pt_unmap(&k.pt, KERNEL_LATE, PAGE_SIZE), 0);
    assert_int_equal(k.pt.frames_used, kernel_frames);   /* the pinned table stays */
    assert_true(kernel_after_late > kernel_frames);
    assert_int_equal(kernel_fingerprint(&k), print);

    /* Unmap gives tables back at once; destroy gives back the rest. */
    assert_int_equal(aspace_unmap(&as[0], USER_BASE + GiB, 2 * MiB), 0);
    check_space(&k, &as[0]);
    for (int i = 0; i < SPACES; i++) {
        uint64_t live = k.arena.live, owned = as[i].pt.frames_used;
        assert_int_equal(aspace_destroy(&as[i]), 0);
        assert_int_equal(k.arena.live, live - owned);
    }
    assert_int_equal(k.arena.live, kernel_frames);
    assert_int_equal(kernel_fingerprint(&k), print);
    kernel_fini(&k);
}

static void test_spaces_4(void **state)
{
    (void)state;
    run_spaces(PT_LEVELS_MIN);
}

static void test_spaces_5(void **state)
{
    (void)state;
    run_spaces(PT_LEVELS_MAX);
}

static void test_refusals(void **state)
{
    (void)state;
    struct kernel_fixture k;
    struct aspace as;
    kernel_init(&k, PT_LEVELS_MIN);
    assert_int_equal(aspace_create(&as, &k.env, &k.pt), 0);
    assert_int_equal(aspace_map(&as, USER_BASE, PA_USER, PAGE_SIZE, PT_MAP_GLOBAL), -E_INVAL);
    assert_int_equal(aspace_map(&as, KERNEL_LATE, PA_USER, PAGE_SIZE, 0), -E_INVAL);
    assert_int_equal(aspace_map(&as, aspace_user_end(PT_LEVELS_MIN) - PAGE_SIZE, PA_USER, 2 * PAGE_SIZE, 0),
                     -E_INVAL);
    assert_int_equal(aspace_map(&as, aspace_user_end(PT_LEVELS_MIN) - PAGE_SIZE, PA_USER, PAGE_SIZE, 0), 0);
    /* The recursive slot is not shared: a space's root has nothing there. */
    const uint64_t *root = arena_phys_to_ptr(&k.arena, as.pt.root);
    assert_int_equal(pt_recursive_install(&k.pt), 0);
    assert_int_equal(root[RECURSIVE_SLOT], 0);
    assert_int_equal(pt_recursive_remove(&k.pt), 0);
    /* pt_fini refuses while the space still owns tables. */
    assert_int_equal(pt_fini(&as.pt), -E_BUSY);
    assert_int_equal(aspace_destroy(&as), 0);
    assert_int_equal(k.arena.live, k.pt.frames_used);

    /* Out of frames while creating or mapping: nothing is left behind. */
    for (uint64_t spare = 0; spare < 5; spare++) {
        k.arena.limit = k.arena.live + spare;
        int err = aspace_create(&as, &k.env, &k.pt);
        if (err == 0) {
            err = aspace_map(&as, USER_BASE, PA_USER, PAGE_SIZE, 0);
            assert_int_equal(err, spare < 4 ? -E_NOMEM : 0);
            assert_int_equal(aspace_destroy(&as), 0);
        } else {
            assert_int_equal(err, -E_NOMEM);
            assert_int_equal(spare, 0);
        }
        assert_int_equal(k.arena.live, k.pt.frames_used);
    }
    kernel_fini(&k);
}

/* Pinning with too few frames changes nothing; with enough it fills every
 * upper entry but the slot; twice, or with a bad slot, is refused. */
static void test_pin(void **state)
{
    (void)state;
    struct pt_arena a;
    struct pt kpt;
    struct pt_check c = { 0 };
    arena_init(&a, 1024, true);
    struct pt_env env = arena_env(&a);
    assert_int_equal(pt_init(&kpt, &env, PT_LEVELS_MIN, CAPS_ALL), 0);
    assert_int_equal(pt_map(&kpt, KERNEL_TEXT, 2 * MiB, PAGE_SIZE, 0), 0);   /* slot 511: 4 tables */
    assert_int_equal(pt_pin_kernel_half(&kpt, 255), -E_INVAL);
    assert_int_equal(pt_pin_kernel_half(&kpt, 511), -E_INVAL);   /* in use */
    a.limit = a.live + 100;
    assert_int_equal(pt_pin_kernel_half(&kpt, RECURSIVE_SLOT), -E_NOMEM);
    assert_false(kpt.kernel_pinned);
    assert_int_equal(kpt.frames_used, 4);
    assert_int_equal(a.live, 4);
    assert_null(pt_check_tree(&kpt, &a, &c));
    a.limit = ARENA_NO_LIMIT;
    assert_int_equal(pt_pin_kernel_half(&kpt, RECURSIVE_SLOT), 0);
    assert_int_equal(kpt.frames_used, 4 + 254);   /* 256 upper entries: 511 had one, 509 stays empty */
    assert_null(pt_check_tree(&kpt, &a, &c));
    assert_int_equal(pt_pin_kernel_half(&kpt, RECURSIVE_SLOT), -E_INVAL);
    arena_fini(&a);
}

/* Without pinning there is no sharing promise: creating is refused. */
static void test_unpinned_kernel(void **state)
{
    (void)state;
    struct pt_arena a;
    struct pt kpt;
    struct aspace as;
    arena_init(&a, 64, true);
    struct pt_env env = arena_env(&a);
    assert_int_equal(pt_init(&kpt, &env, PT_LEVELS_MIN, CAPS_ALL), 0);
    assert_int_equal(aspace_create(&as, &env, &kpt), -E_INVAL);
    assert_int_equal(a.live, 1);
    arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spaces_4),
        cmocka_unit_test(test_spaces_5),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_pin),
        cmocka_unit_test(test_unpinned_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

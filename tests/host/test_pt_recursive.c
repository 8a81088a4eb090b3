/* Tests for shared/pt_recursive.c. The arithmetic is checked against the
 * real tables, not against a restatement of itself: tables are built in the
 * host arena, the recursive entry is installed, and pt_translate (a software
 * walk of those tables) of each computed address must land exactly on the
 * physical address of the entry it names (table frame + index * 8), at every
 * level, for 4- and 5-level roots and several slots. The table frames are
 * found by a separate walk by hand. Plus one vector from outside: the
 * well-known PML4 self-map address for slot 510. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pt_arena.h"
#include "pt_recursive.h"

#define ARENA_FRAMES 4096
#define CAPS_ALL     (PT_CAP_1G | PT_CAP_NX)
#define PA_DATA      0x0000000200000000ULL   /* mapped memory: never touched */

/* Addresses with index fields at the edges (0, 511) and in between, in both
 * halves; each mapped by its own 4 KiB leaf. Those in the recursive slot are
 * skipped per slot. */
static const vaddr_t vas_4level[] = {
    0x0000000000000000ULL, 0x0000000000001000ULL, 0x00007FFFFFFFF000ULL,
    0x0000123456789000ULL, 0x00000040201FF000ULL, 0xFFFF800000000000ULL,
    0xFFFFFFFFFFFFF000ULL, 0xFFFFC0DE12345000ULL, 0xFFFF9A5A5A5A5000ULL,
};
static const vaddr_t vas_5level[] = {
    0x0000000000000000ULL, 0x00FFFFFFFFFFF000ULL, 0x0012345678912000ULL,
    0xFF00000000000000ULL, 0xFFFFFFFFFFFFF000ULL, 0xFF7FFFFFFFFFF000ULL,
    0xFFABCDEF01234000ULL,
};

/* Physical address of va's level-`level` entry, by hand from the root. */
static paddr_t entry_pa_by_hand(struct pt_arena *a, const struct pt *pt, vaddr_t va, int level)
{
    paddr_t table = pt->root;
    for (int l = pt->levels; l > level; l--) {
        uint64_t e = ((const uint64_t *)arena_phys_to_ptr(a, table))[PT_INDEX(l, va)];
        assert_true((e & PTE_P) && !(e & PTE_PS));
        table = e & PTE_ADDR_MASK;
    }
    return table + PT_INDEX(level, va) * sizeof(uint64_t);
}

static void check_slot(int levels, unsigned slot, const vaddr_t *vas, size_t n)
{
    struct pt_arena a;
    struct pt pt;
    struct pt_check c = { 0 };
    arena_init(&a, ARENA_FRAMES, true);
    struct pt_env env = arena_env(&a);
    assert_int_equal(pt_init(&pt, &env, levels, CAPS_ALL), 0);
    for (size_t i = 0; i < n; i++)
        if (PT_INDEX(levels, vas[i]) != slot)
            assert_int_equal(pt_map(&pt, vas[i], PA_DATA + i * PAGE_SIZE, PAGE_SIZE, PT_MAP_WRITE), 0);
    assert_int_equal(pt_recursive_install(&pt), -E_INVAL);   /* no slot before pinning */
    assert_int_equal(pt_pin_kernel_half(&pt, slot), 0);
    assert_int_equal(pt_recursive_install(&pt), 0);
    assert_int_equal(pt_recursive_install(&pt), -E_BUSY);
    assert_null(pt_check_tree(&pt, &a, &c));
    /* Supervisor, and NX: the MMU ORs NX over every level of a walk, so the
     * tables are never executable through the slot (pt_translate reports the
     * leaf's bits only). */
    uint64_t e = ((const uint64_t *)arena_phys_to_ptr(&a, pt.root))[slot];
    assert_int_equal(e, pt.root | PTE_P | PTE_W | PTE_NX);

    unsigned checked = 0;
    for (size_t i = 0; i < n; i++) {
        if (PT_INDEX(levels, vas[i]) == slot)
            continue;
        for (int level = PT_LEVEL_4K; level <= levels; level++) {
            vaddr_t rva = pt_recursive_entry_va(slot, levels, vas[i], level);
            struct pt_translation t;
            assert_true(pt_is_canonical(rva, levels));
            assert_int_equal(PT_INDEX(levels, rva), slot);
            assert_int_equal(pt_translate(&pt, rva, &t), 0);
            assert_int_equal(t.pa, entry_pa_by_hand(&a, &pt, vas[i], level));
            assert_int_equal(t.leaf_size, PAGE_SIZE);
            assert_false(t.flags & PT_MAP_USER);
            checked++;
        }
    }
    assert_true(checked >= (n - 1) * PT_LEVELS_MIN);

    /* Removed, the window is gone and the tree is as before. */
    assert_int_equal(pt_recursive_remove(&pt), 0);
    assert_int_equal(pt_recursive_remove(&pt), -E_INVAL);
    struct pt_translation t;
    assert_int_equal(pt_translate(&pt, pt_recursive_entry_va(slot, levels, vas[0], 1), &t),
                     -E_NOTFOUND);
    assert_null(pt_check_tree(&pt, &a, &c));
    /* Nothing may be mapped into the slot while it is reserved. */
    assert_int_equal(pt_map(&pt, pt_recursive_base(slot, levels), PA_DATA, PAGE_SIZE, 0), -E_INVAL);
    arena_fini(&a);
}

static void test_every_level_4(void **state)
{
    (void)state;
    const unsigned slots[] = { 256, 300, 509, 510, 511 };
    for (size_t s = 0; s < ARRAY_LEN(slots); s++)
        check_slot(PT_LEVELS_MIN, slots[s], vas_4level, ARRAY_LEN(vas_4level));
}

static void test_every_level_5(void **state)
{
    (void)state;
    const unsigned slots[] = { 256, 300, 509, 511 };
    for (size_t s = 0; s < ARRAY_LEN(slots); s++)
        check_slot(PT_LEVELS_MAX, slots[s], vas_5level, ARRAY_LEN(vas_5level));
}

/* Slot 510 with 4 levels: the PML4 appears at 0xFFFFFF7FBFDFE000, the
 * address OS tutorials quote for that slot (510 in all four index fields). */
static void test_known_vector(void **state)
{
    (void)state;
    assert_int_equal(pt_recursive_entry_va(510, PT_LEVELS_MIN, 0, 4), 0xFFFFFF7FBFDFE000ULL);
    assert_int_equal(pt_recursive_entry_va(510, PT_LEVELS_MIN, 0, 1), 0xFFFFFF0000000000ULL);
    assert_int_equal(pt_recursive_base(510, PT_LEVELS_MIN), 0xFFFFFF0000000000ULL);
    assert_int_equal(pt_recursive_span(PT_LEVELS_MIN), 512 * GiB);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_int_equal(pt_recursive_entry_va(255, PT_LEVELS_MIN, 0, 1), 0);
    assert_int_equal(pt_recursive_entry_va(512, PT_LEVELS_MIN, 0, 1), 0);
    assert_int_equal(pt_recursive_entry_va(300, 3, 0, 1), 0);
    assert_int_equal(pt_recursive_entry_va(300, PT_LEVELS_MIN, 0, 0), 0);
    assert_int_equal(pt_recursive_entry_va(300, PT_LEVELS_MIN, 0, 5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_level_4),
        cmocka_unit_test(test_every_level_5),
        cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

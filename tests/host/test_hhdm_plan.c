/* Host tests for the loader's windows and placement check
 * (shared/hhdm_plan.c): a kernel whose pages touch a window the loader maps
 * is refused, naming that window; one that only borders a window is not;
 * and the plan puts every mapping but the kernel's inside its window, in
 * address order, so the tables built from it need exactly pt_min_frames.
 *
 *   identity   [handoff page)            lower half
 *   direct map [HHDM_BASE_4LEVEL, HHDM_END_4LEVEL)     PML4 slots 256..507
 *   (free)     [HHDM_END_4LEVEL, KSTACK_WINDOW) slots 508..509: a kernel may go here
 *   stack      [KSTACK_WINDOW, _END)     slot 510
 *   (free)     [KSTACK_WINDOW_END, top)  slot 511: Pagoda's kernel
 *
 * With 5 levels only the direct map moves: [HHDM_BASE_5LEVEL,
 * HHDM_END_5LEVEL), PML5 slots 256..271; the old 4-level direct map is free
 * for a kernel then, and the plan still comes out sorted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>

#include "bootinfo.h"
#include "hhdm_plan.h"
#include "pt_arena.h"
#include "x86/pte.h"

#define ID_BASE   0x3E000000ULL                    /* where a handoff page might be */
#define ID_END    (ID_BASE + PAGE_SIZE)
#define SEG_LEN   (3 * PAGE_SIZE)
#define NONE      HHDM_WINDOW_COUNT
#define PLAN_CAP  32
#define ARENA_FRAMES 256

static const struct hhdm_plan_layout layout = {
    .levels = 4, .identity_base = ID_BASE, .identity_end = ID_END,
    .stack_phys = 0x200000, .stack_size = KERNEL_STACK_SIZE,
};

/* A one- or two-segment kernel: text at va0, data (if va1) at va1. */
static struct elf_image kernel_at(vaddr_t va0, vaddr_t va1)
{
    struct elf_image k = { .entry = va0, .nsegs = 1 };

    k.segs[0] = (struct elf_segment){ .vaddr = va0, .memsz = SEG_LEN, .filesz = SEG_LEN,
                                      .flags = PF_R | PF_X };
    if (va1) {
        k.segs[1] = (struct elf_segment){ .vaddr = va1, .memsz = SEG_LEN, .flags = PF_R | PF_W };
        k.nsegs = 2;
    }
    k.lo = ALIGN_DOWN(va0, PAGE_SIZE);
    k.hi = ALIGN_UP((va1 ? va1 : va0) + SEG_LEN, PAGE_SIZE);
    return k;
}

/* A kernel whose pages lie [va0, va0 + SEG_LEN) against `levels`'s windows. */
static enum hhdm_window collision_at(int levels, vaddr_t va0, vaddr_t *lo)
{
    struct hhdm_plan_layout l = layout;
    struct elf_image k = kernel_at(va0, 0);
    vaddr_t hi;

    l.levels = levels;
    return hhdm_plan_kernel_collision(&l, &k, lo, &hi);
}

/* The direct map's window follows the level count, nothing else does; a
 * kernel is kept out of both level counts' direct maps, so the machine's
 * CPU never decides whether a kernel boots. */
static void test_placement_5level(void **state)
{
    vaddr_t lo = 0;

    (void)state;
    assert_int_equal(collision_at(5, HHDM_BASE_4LEVEL + 0x200000, &lo), HHDM_WINDOW_DIRECT_MAP_OTHER);
    assert_int_equal(lo, HHDM_BASE_4LEVEL + 0x200000);
    assert_int_equal(collision_at(4, HHDM_BASE_4LEVEL + 0x200000, &lo), HHDM_WINDOW_DIRECT_MAP);
    assert_int_equal(collision_at(5, HHDM_END_4LEVEL, &lo), NONE);
    assert_int_equal(collision_at(5, KERNEL_VBASE, &lo), NONE);
    assert_int_equal(collision_at(5, KSTACK_WINDOW, &lo), HHDM_WINDOW_STACK);
    struct hhdm_plan_layout l = layout;
    l.levels = 5;
    struct hhdm_window_span dm = hhdm_plan_window(&l, HHDM_WINDOW_DIRECT_MAP);
    assert_int_equal(dm.base, HHDM_BASE_5LEVEL);
    assert_int_equal(dm.end - dm.base, PTE_PHYS_LIMIT);
    assert_true(pt_is_canonical(dm.base, 5) && pt_is_canonical(dm.end - 1, 5));
    assert_false(pt_is_canonical(dm.base, 4));
}

static void test_placement_rows(void **state)
{
    static const struct {
        const char *what;
        vaddr_t va0, va1;
        enum hhdm_window want;
        vaddr_t want_lo;            /* the colliding segment's first page */
    } rows[] = {
        { "top 2 GiB (Pagoda's link address)", KERNEL_VBASE, KERNEL_VBASE + 0x10000, NONE, 0 },
        { "slot 509, between the direct map and the stacks", KSTACK_WINDOW - 0x200000, 0, NONE, 0 },
        { "ends exactly where the stack window starts", KSTACK_WINDOW - SEG_LEN, 0, NONE, 0 },
        { "starts exactly where the stack window ends", KSTACK_WINDOW_END, 0, NONE, 0 },
        { "starts exactly where the direct map ends", HHDM_END_4LEVEL, 0, NONE, 0 },
        { "inside the direct map (the issue's 0xffff800000200000)", HHDM_BASE_4LEVEL + 0x200000, 0,
          HHDM_WINDOW_DIRECT_MAP, HHDM_BASE_4LEVEL + 0x200000 },
        { "at the direct map's base", HHDM_BASE_4LEVEL, 0, HHDM_WINDOW_DIRECT_MAP, HHDM_BASE_4LEVEL },
        { "straddles the direct map's end", HHDM_END_4LEVEL - PAGE_SIZE, 0, HHDM_WINDOW_DIRECT_MAP,
          HHDM_END_4LEVEL - PAGE_SIZE },
        { "data segment in the direct map, text fine", KERNEL_VBASE, HHDM_BASE_4LEVEL + 0x1000000,
          HHDM_WINDOW_DIRECT_MAP, HHDM_BASE_4LEVEL + 0x1000000 },
        { "on the stack window's guard page", KSTACK_WINDOW, 0, HHDM_WINDOW_STACK, KSTACK_WINDOW },
        { "on the BSP stack", KSTACK_WINDOW + 2 * PAGE_SIZE, 0, HHDM_WINDOW_STACK,
          KSTACK_WINDOW + 2 * PAGE_SIZE },
        { "straddles the stack window's start", KSTACK_WINDOW - PAGE_SIZE, 0, HHDM_WINDOW_STACK,
          KSTACK_WINDOW - PAGE_SIZE },
        { "high in the stack window", KSTACK_WINDOW_END - PAGE_SIZE, 0, HHDM_WINDOW_STACK,
          KSTACK_WINDOW_END - PAGE_SIZE },
        { "unaligned segment whose page touches the stack window", KSTACK_WINDOW_END - 8, 0,
          HHDM_WINDOW_STACK, KSTACK_WINDOW_END - PAGE_SIZE },
        { "on the handoff identity page", ID_BASE, 0, HHDM_WINDOW_IDENTITY, ID_BASE },
        { "ends inside the handoff identity page", ID_BASE - PAGE_SIZE, 0, HHDM_WINDOW_IDENTITY,
          ID_BASE - PAGE_SIZE },
        { "ends where the handoff identity page starts", ID_BASE - SEG_LEN, 0, NONE, 0 },
        { "starts where the handoff identity page ends", ID_END, 0, NONE, 0 },
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct elf_image k = kernel_at(rows[i].va0, rows[i].va1);
        vaddr_t lo = 0, hi = 0;
        enum hhdm_window got = hhdm_plan_kernel_collision(&layout, &k, &lo, &hi);
        if (got != rows[i].want || (got != NONE && lo != rows[i].want_lo))
            fail_msg("%s: window %d (pages 0x%llx-0x%llx), want %d at 0x%llx", rows[i].what, got,
                     (unsigned long long)lo, (unsigned long long)hi, rows[i].want,
                     (unsigned long long)rows[i].want_lo);
    }
}

/* The windows are disjoint and each has a name; the identity one is the
 * layout's range. */
static void test_windows(void **state)
{
    (void)state;
    for (int a = 0; a < HHDM_WINDOW_COUNT; a++) {
        struct hhdm_window_span wa = hhdm_plan_window(&layout, (enum hhdm_window)a);
        assert_true(wa.base < wa.end);
        assert_non_null(wa.name);
        for (int b = a + 1; b < HHDM_WINDOW_COUNT; b++) {
            struct hhdm_window_span wb = hhdm_plan_window(&layout, (enum hhdm_window)b);
            assert_false(wa.base < wb.end && wb.base < wa.end);
        }
    }
    struct hhdm_window_span id = hhdm_plan_window(&layout, HHDM_WINDOW_IDENTITY);
    assert_int_equal(id.base, ID_BASE);
    assert_int_equal(id.end, ID_END);
}

static bool inside(const struct pt_mapping *m, struct hhdm_window_span w)
{
    return m->va >= w.base && m->va + m->len <= w.end;
}

/* Plan a small machine with the kernel at va0, check every mapping's
 * window and the order, then build the tables and compare with
 * pt_min_frames (which needs the order). */
static void plan_and_build(vaddr_t va0, int levels)
{
    struct pmem_range storage[8];
    struct pmem pm;
    struct pt_mapping m[PLAN_CAP];
    struct hhdm_plan p;
    struct elf_image k = kernel_at(va0, va0 + 0x10000);
    struct hhdm_plan_layout l = layout;
    uint64_t hhdm_end;

    l.levels = levels;
    pmem_init(&pm, storage, ARRAY_LEN(storage));
    assert_int_equal(pmem_insert(&pm, 0, 640 * KiB, PMEM_USABLE), 0);
    assert_int_equal(pmem_insert(&pm, MiB, 2 * GiB, PMEM_USABLE), 0);
    assert_int_equal(pmem_insert(&pm, 0xFEC00000, 0xFEC01000, PMEM_MMIO), 0);
    l.kernel = &k;
    l.kernel_phys = 0x1000000;
    assert_int_equal(hhdm_plan_kernel_collision(&l, &k, &(vaddr_t){ 0 }, &(vaddr_t){ 0 }), NONE);
    hhdm_plan_init(&p, m, PLAN_CAP);
    hhdm_plan_all(&p, &pm, &l, &hhdm_end);
    assert_false(p.overflow);

    size_t kernel_maps = 0;
    for (size_t i = 0; i < p.n; i++) {
        if (i > 0 && p.m[i - 1].va + p.m[i - 1].len > p.m[i].va)
            fail_msg("plan entry %zu at 0x%llx not after the one before", i,
                     (unsigned long long)p.m[i].va);
        int in = 0;
        for (int w = 0; w < HHDM_WINDOW_COUNT; w++)
            in += inside(&p.m[i], hhdm_plan_window(&l, (enum hhdm_window)w));
        bool is_kernel = p.m[i].va >= k.lo && p.m[i].va + p.m[i].len <= k.hi;
        kernel_maps += is_kernel;
        if (in != (is_kernel ? 0 : 1))
            fail_msg("plan entry 0x%llx+0x%llx lies in %d windows", (unsigned long long)p.m[i].va,
                     (unsigned long long)p.m[i].len, in);
    }
    assert_int_equal(kernel_maps, k.nsegs);

    struct pt_arena arena;
    struct pt pt;
    arena_init(&arena, ARENA_FRAMES, true);
    struct pt_env env = arena_env(&arena);
    assert_int_equal(pt_init(&pt, &env, levels, PT_CAP_1G | PT_CAP_NX), 0);
    for (size_t i = 0; i < p.n; i++)
        assert_int_equal(pt_map(&pt, p.m[i].va, p.m[i].pa, p.m[i].len, p.m[i].flags), 0);
    assert_int_equal(pt.frames_used, pt_min_frames(p.m, p.n, levels, PT_CAP_1G | PT_CAP_NX));
    struct pt_translation t;
    assert_int_equal(pt_translate(&pt, hhdm_window_base(levels) + 0x123000, &t), 0);
    assert_int_equal(t.pa, 0x123000);
    arena_fini(&arena);
}

static void test_plan_kernel_on_top(void **state)
{
    (void)state;
    plan_and_build(KERNEL_VBASE, 4);
}

/* 5 levels: the direct map at the PML5 base, the kernel where it is with 4. */
static void test_plan_5level(void **state)
{
    (void)state;
    plan_and_build(KERNEL_VBASE, 5);
    plan_and_build(KSTACK_WINDOW - 0x200000, 5);
}

static void test_plan_kernel_below_stacks(void **state)
{
    (void)state;
    plan_and_build(KSTACK_WINDOW - 0x200000, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placement_rows),
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_plan_kernel_on_top),
        cmocka_unit_test(test_plan_kernel_below_stacks),
        cmocka_unit_test(test_placement_5level),
        cmocka_unit_test(test_plan_5level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

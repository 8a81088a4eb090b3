/* tools/replay, part 2: the HHDM plan of a replayed tracker, built into
 * page tables for real (docs/memmap-capture.md "Replaying", items 6-7). */
#include <stdio.h>
#include <stdlib.h>

#include "bootinfo.h"
#include "hhdm_plan.h"
#include "pt.h"
#include "replay.h"

#define PT_LEVELS  4
#define ARENA_PA   (4 * GiB)   /* made-up physical address of the table arena */

static const char *cache_name(unsigned flags)
{
    return (flags & PT_MAP_UC) ? "uc" : (flags & PT_MAP_WC) ? "wc" : "wb";
}

/* Table frames: a malloc'd array standing in for physical memory at
 * ARENA_PA, handed out in order. pt.c zeroes each frame it takes. No
 * free_frame: nothing is unmapped, and a failed pt_map ends the build. */
struct arena {
    uint8_t *mem;
    uint64_t frames, next;
};

static paddr_t arena_alloc(void *ctx)
{
    struct arena *a = ctx;

    return a->next < a->frames ? ARENA_PA + (a->next++ << PAGE_SHIFT) : 0;
}

static void *arena_ptr(void *ctx, paddr_t pa)
{
    struct arena *a = ctx;

    return a->mem + (pa - ARENA_PA);
}

struct leaves {
    uint64_t n1g, n2m, n4k;
};

/* Leaves of one mapping as built, read back with pt_translate; each must
 * land on the planned physical address. */
static int count_leaves(const struct pt *pt, const struct pt_mapping *m, struct leaves *out)
{
    struct pt_translation t;

    *out = (struct leaves){ 0 };
    for (uint64_t off = 0; off < m->len; off += t.leaf_size) {
        if (pt_translate(pt, m->va + off, &t) < 0 || t.pa != m->pa + off)
            return -E_NOTFOUND;
        out->n1g += t.leaf_size == PAGE_SIZE_1G;
        out->n2m += t.leaf_size == PAGE_SIZE_2M;
        out->n4k += t.leaf_size == PAGE_SIZE_4K;
    }
    return 0;
}

/* What one CPU kind gets: tables built, leaves per mapping. */
struct build {
    unsigned caps;
    uint64_t min_frames, used;
    struct leaves total;
    struct leaves *per_map;
    int rc;
};

static void build_tables(const struct hhdm_plan *plan, struct build *b)
{
    b->min_frames = pt_min_frames(plan->m, plan->n, PT_LEVELS, b->caps);
    /* Room for twice the minimum: the arena must not be what limits. */
    struct arena a = { .frames = 2 * b->min_frames + 1 };
    a.mem = calloc(a.frames, PAGE_SIZE);
    b->per_map = calloc(plan->n ? plan->n : 1, sizeof(*b->per_map));
    if (!a.mem || !b->per_map) {
        fprintf(stderr, "replay: out of memory for %llu table frames\n", (unsigned long long)a.frames);
        exit(EXIT_USAGE);
    }
    const struct pt_env env = { .alloc_frame = arena_alloc, .phys_to_ptr = arena_ptr, .ctx = &a };
    struct pt pt;

    b->rc = pt_init(&pt, &env, PT_LEVELS, b->caps);
    for (size_t i = 0; b->rc == 0 && i < plan->n; i++)
        b->rc = pt_map(&pt, plan->m[i].va, plan->m[i].pa, plan->m[i].len, plan->m[i].flags);
    for (size_t i = 0; b->rc == 0 && i < plan->n; i++) {
        struct leaves *l = &b->per_map[i];
        b->rc = count_leaves(&pt, &plan->m[i], l);
        b->total.n1g += l->n1g;
        b->total.n2m += l->n2m;
        b->total.n4k += l->n4k;
    }
    b->used = b->rc == 0 ? pt.frames_used : 0;
    free(a.mem);
}

static void print_plan(const struct hhdm_plan *plan, uint64_t hhdm_end, const struct build *b1g,
                       const struct build *b2m)
{
    char size[SIZE_STR_MAX];
    uint64_t bytes = 0;

    for (size_t i = 0; i < plan->n; i++)
        bytes += plan->m[i].len;
    printf("\nhhdm base=%#llx mappings=%zu bytes=%llu end=%#llx\n", (unsigned long long)HHDM_BASE_4LEVEL,
           plan->n, (unsigned long long)bytes, (unsigned long long)hhdm_end);
    printf("  %-18s %-18s %8s %-5s | %-27s | %s\n", "va", "pa", "size", "cache",
           "1G-page CPU: 1G / 2M / 4K", "2M-only CPU: 2M / 4K");
    for (size_t i = 0; i < plan->n; i++) {
        const struct pt_mapping *m = &plan->m[i];
        const struct leaves *l = &b1g->per_map[i], *k = &b2m->per_map[i];
        printf("  0x%016llx 0x%016llx %8s %-5s | %7llu %9llu %9llu | %9llu %9llu\n",
               (unsigned long long)m->va, (unsigned long long)m->pa, size_str(m->len, size),
               cache_name(m->flags), (unsigned long long)l->n1g, (unsigned long long)l->n2m,
               (unsigned long long)l->n4k, (unsigned long long)k->n2m, (unsigned long long)k->n4k);
    }
}

static bool print_build(const char *cpu, const struct build *b)
{
    bool ok = b->rc == 0 && b->used == b->min_frames;

    printf("pagetables cpu=%s minimum=%llu used=%llu leaves_1g=%llu leaves_2m=%llu leaves_4k=%llu",
           cpu, (unsigned long long)b->min_frames, (unsigned long long)b->used,
           (unsigned long long)b->total.n1g, (unsigned long long)b->total.n2m,
           (unsigned long long)b->total.n4k);
    if (b->rc)
        printf(" error=%d", b->rc);
    printf(" check=%s\n", ok ? "pass" : "fail");
    return ok;
}

/* The direct map must stay in its window, [HHDM_BASE_4LEVEL, HHDM_END_4LEVEL): a range
 * far enough up (past HHDM_MAX_PHYS with 4-level paging) would run into the
 * kernel's windows, or wrap past 2^64 into the lower half. The plan clips
 * such ranges; this checks that it did, and says how much was left out. */
static bool check_hhdm_window(const struct hhdm_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        const struct pt_mapping *m = &plan->m[i];
        vaddr_t end = m->va + m->len;
        if (m->va < HHDM_BASE_4LEVEL || end < m->va || end > HHDM_END_4LEVEL) {
            printf("check hhdm-window=fail pa=0x%llx size=0x%llx va=0x%llx: outside [0x%llx, 0x%llx)\n",
                   (unsigned long long)m->pa, (unsigned long long)m->len, (unsigned long long)m->va,
                   (unsigned long long)HHDM_BASE_4LEVEL, (unsigned long long)HHDM_END_4LEVEL);
            return false;
        }
    }
    if (plan->beyond_bytes)
        printf("warning hhdm-beyond bytes=%llu: above the %llu TiB direct-map limit, not mapped\n",
               (unsigned long long)plan->beyond_bytes, (unsigned long long)((HHDM_END_4LEVEL - HHDM_BASE_4LEVEL) >> 40));
    printf("check hhdm-window=pass\n");
    return true;
}

/* Plan the HHDM once (the plan does not depend on the CPU; the leaves do)
 * and build it for both CPU kinds. */
bool replay_paging(const struct pmem *pm)
{
    struct hhdm_plan plan;
    uint64_t hhdm_end;
    struct build b1g = { .caps = PT_CAP_1G | PT_CAP_NX }, b2m = { .caps = PT_CAP_NX };

    hhdm_plan_init(&plan, calloc(pm->count ? pm->count : 1, sizeof(struct pt_mapping)), pm->count);
    if (!plan.m) {
        fprintf(stderr, "replay: out of memory\n");
        exit(EXIT_USAGE);
    }
    hhdm_plan_direct_map(&plan, pm, 4, &hhdm_end);
    build_tables(&plan, &b1g);
    build_tables(&plan, &b2m);
    print_plan(&plan, hhdm_end, &b1g, &b2m);
    bool ok = print_build("1g", &b1g);   /* every verdict printed, failed or not */
    ok = print_build("2m", &b2m) && ok;
    ok = check_hhdm_window(&plan) && ok;
    free(b1g.per_map);
    free(b2m.per_map);
    free(plan.m);
    return ok && !plan.overflow;
}

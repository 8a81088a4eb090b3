/* Benchmark for shared/pt.c on the host: time and table frames to map a
 * 1 TiB HHDM with 1 GiB and with 2 MiB pages, at 4 levels (the 4-level HHDM
 * base) and at 5 (the 5-level one: one more root level, one more frame), and
 * 4 GiB of 4 KiB pages for scale, pt_translate cost at random addresses, and the unmap that gives
 * every table back. Tables live in an mmap(MAP_NORESERVE) arena sized by
 * pt_min_frames; phys_to_ptr is a bare add, as with the kernel's HHDM.
 * Times are the best of REPEATS runs. */
#include <inttypes.h>
#include <time.h>

#include "../host/pt_arena.h"
#include "bootinfo.h"

#define REPEATS        5
#define TRANSLATES     (2 * 1000 * 1000)   /* per repeat */
#define ARENA_SLACK    16

struct bench_case {
    const char *desc;
    int levels;
    vaddr_t va;
    uint64_t len;
    unsigned caps;
    unsigned flags;
};

static const struct bench_case cases[] = {
    { "1 TiB HHDM, 1G pages", 4, HHDM_BASE_4LEVEL, TiB, PT_CAP_1G | PT_CAP_NX, PT_MAP_WRITE | PT_MAP_GLOBAL },
    { "1 TiB HHDM, 1G pages", 5, HHDM_BASE_5LEVEL, TiB, PT_CAP_1G | PT_CAP_NX, PT_MAP_WRITE | PT_MAP_GLOBAL },
    { "1 TiB HHDM, 2M pages", 4, HHDM_BASE_4LEVEL, TiB, PT_CAP_NX, PT_MAP_WRITE | PT_MAP_GLOBAL },
    { "1 TiB HHDM, 2M pages", 5, HHDM_BASE_5LEVEL, TiB, PT_CAP_NX, PT_MAP_WRITE | PT_MAP_GLOBAL },
    { "4 GiB, 4K pages", 4, HIGHER_HALF_BASE, 4 * GiB, PT_CAP_1G | PT_CAP_NX, PT_MAP_WRITE | PT_MAP_MAX_4K },
};

struct result {
    double map_ns, unmap_ns, translate_ns;
    uint64_t frames_used, frames_min, frames_after_unmap;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The kernel's phys_to_ptr is HHDM base + pa: no checks on the hot path. */
static void *bench_phys_to_ptr(void *ctx, paddr_t pa)
{
    struct pt_arena *a = ctx;
    return a->mem + (pa - ARENA_BASE_PA);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double time_translate(const struct pt *pt, vaddr_t base, uint64_t len)
{
    uint64_t rng = 0x9E3779B97F4A7C15ULL, sum = 0;
    struct pt_translation t;
    uint64_t start = now_ns();
    for (int i = 0; i < TRANSLATES; i++) {
        vaddr_t va = base + (xorshift(&rng) & (len - 1));   /* len: a power of two */
        if (pt_translate(pt, va, &t) != 0 || t.pa != va - base) {
            fprintf(stderr, "bench_pt: translate %#" PRIx64 " wrong\n", va);
            exit(1);
        }
        sum += t.pa;
    }
    double ns = (double)(now_ns() - start) / TRANSLATES;
    if (sum == 1)   /* keep the loop */
        printf(" ");
    return ns;
}

static void run_case(const struct bench_case *bc, struct result *r)
{
    struct pt_mapping m = { bc->va, 0, bc->len, bc->flags };
    struct pt_arena a;
    struct pt pt;
    r->frames_min = pt_min_frames(&m, 1, bc->levels, bc->caps);
    arena_init(&a, r->frames_min + ARENA_SLACK, false);
    struct pt_env env = arena_env(&a);
    env.phys_to_ptr = bench_phys_to_ptr;
    if (pt_init(&pt, &env, bc->levels, bc->caps) != 0)
        exit(1);
    r->map_ns = r->unmap_ns = 1e30;
    for (int rep = 0; rep < REPEATS; rep++) {
        uint64_t t0 = now_ns();
        int err = pt_map(&pt, m.va, m.pa, m.len, m.flags);
        uint64_t t1 = now_ns();
        r->map_ns = MIN(r->map_ns, (double)(t1 - t0));
        r->frames_used = pt.frames_used;
        if (err || rep == REPEATS - 1)   /* the last map stays for translate */
            break;
        err = pt_unmap(&pt, m.va, m.len);
        r->unmap_ns = MIN(r->unmap_ns, (double)(now_ns() - t1));
        r->frames_after_unmap = pt.frames_used;
        if (err)
            break;
    }
    r->translate_ns = 1e30;
    for (int rep = 0; rep < REPEATS; rep++)
        r->translate_ns = MIN(r->translate_ns, time_translate(&pt, m.va, m.len));
    arena_fini(&a);
}

static void print_time(double ns)
{
    if (ns >= 1e6)
        printf(" %9.2f ms", ns / 1e6);
    else
        printf(" %9.1f us", ns / 1e3);
}

int main(void)
{
    printf("bench_pt: x86_64 page-table mapper, host -O2, best of %d\n", REPEATS);
    printf("%-22s %6s %12s %12s %8s %8s %14s %12s\n", "mapping", "levels", "map", "unmap", "frames",
           "minimum", "translate", "after unmap");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct result r;
        run_case(&cases[i], &r);
        printf("%-22s %6d", cases[i].desc, cases[i].levels);
        print_time(r.map_ns);
        print_time(r.unmap_ns);
        printf(" %8" PRIu64 " %8" PRIu64 " %8.1f ns/op %12" PRIu64 "\n", r.frames_used,
               r.frames_min, r.translate_ns, r.frames_after_unmap);
        if (r.frames_used != r.frames_min || r.frames_after_unmap != 1) {
            fprintf(stderr, "bench_pt: frames used != minimum, or tables left after unmap\n");
            return 1;
        }
    }
    return 0;
}

/* Frame allocator benchmark: nanoseconds per 4 KiB alloc+free pair, for
 * falloc and for the classic tutorial allocator, on a realistic map (QEMU
 * q35 + OVMF, 16 GiB) and on a fragmented one (1200 entries). One table.
 *
 * falloc is timed over 1M operations each way:
 *  - fill+drain: 1M allocations, then 1M frees in allocation order;
 *    (total time) / 1M.
 *  - pair @1M: with those 1M frames still allocated, 1M alloc+free pairs.
 * The same two patterns through a frame cache (include/falloc_cache.h: the
 * kernel's per-CPU path, without its locks), which moves frames to and from
 * the buddy lists in batches of whole aligned blocks: "cached" columns.
 * The baseline walks the map on every allocation and returns the first
 * usable frame whose bit is clear in a bitmap indexed by "n-th usable
 * frame" (free clears the bit, finding n by walking the map again). Its cost
 * grows with the number of frames outstanding, so it is measured where
 * falloc's pair is: 1M frames outstanding, over a window of pairs (about a
 * second's worth; the count is printed). Reaching that state by 1M calls
 * would take O(n^2), so the bitmap's first 1M bits are set directly, which
 * is exactly the state 1M allocations leave behind.
 *
 * The "physical" memory is an anonymous mapping (huge pages if the host
 * allows), pre-faulted by warm-up rounds so host page faults stay out of the
 * numbers, as they are out of a kernel's HHDM. Peak RSS is about 4 KiB per
 * frame ever handed out by the warm-up (free-block headers): ~4 GiB.
 *
 * `make bench` links only this file and the shared/ sources, so the map
 * generators and the arena are compiled in from tests/host/common. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../host/common/maps.c"
#include "../host/common/phys_arena.c"
#include "falloc.h"
#include "falloc_cache.h"

#define OPS             (1u << 20)         /* "1M operations" */
#define FRAG_ENTRIES    1200
#define BASELINE_BUDGET_NS  1000000000ULL  /* time spent on the baseline window */
#define BASELINE_MIN_PAIRS  20
#define BUILD_REPEATS   200
#define WARMUP_ROUNDS   2
#define GOAL_NS         30                 /* issue 10: both patterns, ns per pair */

/* This thread's CPU time, not the wall clock: on a machine shared with
 * other jobs the time this thread spends preempted is not the allocator's
 * (what the other jobs do to the caches still is). */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The kernel's phys_to_ptr is one add (HHDM); so is this one. */
static void *direct_ptr(void *ctx, paddr_t pa)
{
    return (uint8_t *)ctx + pa;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_falloc: %s: %d\n", what, rc);
    exit(1);
}

/* ---- the tutorial allocator ------------------------------------------- */

struct tutorial {
    const struct pmem *map;   /* walked on every call */
    uint64_t *used;           /* bit n: the n-th usable frame is handed out */
};

static bool used_bit(const struct tutorial *t, uint64_t n)
{
    return (t->used[n / 64] >> (n % 64)) & 1;
}

static paddr_t tutorial_alloc(struct tutorial *t)
{
    uint64_t n = 0;

    for (size_t i = 0; i < t->map->count; i++) {
        const struct pmem_range *r = &t->map->ranges[i];
        if (r->type != PMEM_USABLE)
            continue;
        for (paddr_t pa = r->base; pa < r->end; pa += PAGE_SIZE, n++)
            if (!used_bit(t, n)) {
                t->used[n / 64] |= 1ULL << (n % 64);
                return pa;
            }
    }
    return 0;
}

static void tutorial_free(struct tutorial *t, paddr_t pa)
{
    uint64_t n = 0;

    for (size_t i = 0; i < t->map->count; i++) {
        const struct pmem_range *r = &t->map->ranges[i];
        if (r->type != PMEM_USABLE)
            continue;
        if (pa >= r->base && pa < r->end) {
            n += (pa - r->base) / PAGE_SIZE;
            t->used[n / 64] &= ~(1ULL << (n % 64));
            return;
        }
        n += (r->end - r->base) / PAGE_SIZE;
    }
}

/* ns per pair with OPS frames outstanding; *pairs: the window measured. */
static double baseline_pair_ns(const struct pmem *pm, uint64_t *pairs)
{
    uint64_t totals[PMEM_TYPE_COUNT];
    pmem_totals(pm, totals);
    uint64_t frames = totals[PMEM_USABLE] / PAGE_SIZE;
    struct tutorial t = { .map = pm, .used = calloc(frames / 64 + 1, sizeof(uint64_t)) };

    for (uint64_t n = 0; n < OPS; n++)
        t.used[n / 64] |= 1ULL << (n % 64);
    uint64_t t0 = now_ns(), t1 = t0;
    for (*pairs = 0; *pairs < BASELINE_MIN_PAIRS || t1 - t0 < BASELINE_BUDGET_NS; ++*pairs) {
        paddr_t pa = tutorial_alloc(&t);
        if (pa == 0)
            die("baseline ran out", 0);
        tutorial_free(&t, pa);
        t1 = now_ns();
    }
    free(t.used);
    return (double)(t1 - t0) / (double)*pairs;
}

/* ---- falloc ------------------------------------------------------------ */

struct falloc_numbers {
    double fill_drain_ns;     /* per pair: (1M allocs + 1M frees) / 1M */
    double pair_at_1m_ns;     /* per pair, 1M outstanding */
    uint64_t checksum;        /* keeps the work observable */
};

/* One 4 KiB allocation or free: straight from the buddy lists, or through
 * a frame cache (refilled and drained under what would be the kernel's
 * lock) when `cache` is set. */
static paddr_t alloc_one(struct falloc *fa, struct falloc_cache *cache)
{
    paddr_t pa = 0;
    int rc;

    if (cache == NULL)
        rc = falloc_alloc(fa, PAGE_SIZE, 0, PMEM_KERNEL_HEAP, &pa);
    else if ((rc = falloc_cache_get(cache, PMEM_KERNEL_HEAP, &pa)) == -E_NOMEM &&
             (rc = falloc_cache_refill(fa, cache)) == 0)
        rc = falloc_cache_get(cache, PMEM_KERNEL_HEAP, &pa);
    if (rc != 0)
        die("alloc", rc);
    return pa;
}

static void free_one(struct falloc *fa, struct falloc_cache *cache, paddr_t pa)
{
    int rc;

    if (cache == NULL)
        rc = falloc_free(fa, pa, PAGE_SIZE, PMEM_KERNEL_HEAP);
    else if ((rc = falloc_cache_put(fa, cache, pa, PMEM_KERNEL_HEAP)) == -E_CAPACITY &&
             (rc = falloc_cache_drain(fa, cache, FALLOC_CACHE_BATCH)) == 0)
        rc = falloc_cache_put(fa, cache, pa, PMEM_KERNEL_HEAP);
    if (rc != 0)
        die("free", rc);
}

static void alloc_many(struct falloc *fa, struct falloc_cache *cache, paddr_t *pa, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        pa[i] = alloc_one(fa, cache);
}

static void free_many(struct falloc *fa, struct falloc_cache *cache, const paddr_t *pa, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free_one(fa, cache, pa[i]);
}

/* Empty the cache and book what it handed out: the allocator's own
 * accounting is exact again. */
static void settle(struct falloc *fa, struct falloc_cache *cache)
{
    int64_t sum[PMEM_TYPE_COUNT] = { 0 };

    if (cache == NULL)
        return;
    falloc_cache_collect(cache, sum);
    if (falloc_cache_drain(fa, cache, 0) != 0 || falloc_settle(fa, sum) != 0)
        die("settle", 0);
}

static struct falloc_numbers measure_falloc(struct pmem *pm, const struct phys_arena *arena,
                                            bool cached)
{
    static struct falloc_cache cache_storage;
    struct falloc_cache *cache = cached ? &cache_storage : NULL;
    struct falloc *fa = calloc(1, sizeof(*fa));
    uint64_t meta_bytes = falloc_metadata_bytes(pm);
    void *meta = malloc(meta_bytes);
    paddr_t *pa = malloc(OPS * sizeof(*pa));
    const struct falloc_env env = { .phys_to_ptr = direct_ptr, .ctx = arena->base };
    struct falloc_numbers r = { 0 };
    int rc;

    if ((rc = falloc_init(fa, &env, pm, meta, meta_bytes)))
        die("falloc_init", rc);
    /* Warm-up: fault in every page a header will land on. Two rounds: the
     * free lists' order after the first drain differs from the fresh one,
     * so the second round reaches the set the measured round uses. */
    for (int round = 0; round < WARMUP_ROUNDS; round++) {
        alloc_many(fa, cache, pa, OPS);
        free_many(fa, cache, pa, OPS);
    }

    uint64_t t0 = now_ns();
    alloc_many(fa, cache, pa, OPS);
    uint64_t t1 = now_ns();
    for (uint32_t i = 0; i < OPS; i++) {
        paddr_t x = alloc_one(fa, cache);
        free_one(fa, cache, x);
        r.checksum += x;
    }
    uint64_t t2 = now_ns();
    free_many(fa, cache, pa, OPS);
    uint64_t t3 = now_ns();
    settle(fa, cache);

    r.fill_drain_ns = (double)((t1 - t0) + (t3 - t2)) / OPS;
    r.pair_at_1m_ns = (double)(t2 - t1) / OPS;
    if (!falloc_check(fa) || fa->free_bytes != fa->managed_bytes)
        die("falloc inconsistent after the run", 0);
    free(pa);
    free(meta);
    free(fa);
    return r;
}

/* ---- driver ------------------------------------------------------------ */

static double build_us(struct pmem *pm, const struct pmem_raw *raw, size_t n)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < BUILD_REPEATS; i++)
        if (pmem_build(pm, raw, n, NULL) != 0)
            die("pmem_build", i);
    return (double)(now_ns() - t0) / BUILD_REPEATS / 1000.0;
}

static void bench_map(const char *name, const struct pmem_raw *raw, size_t n)
{
    struct pmem pm;
    struct phys_arena arena;
    uint64_t pairs;

    pmem_init(&pm, calloc(2 * n, sizeof(struct pmem_range)), 2 * n);
    double build = build_us(&pm, raw, n);
    phys_arena_map(&arena, pm.ranges[pm.count - 1].end, ARENA_HUGE_PAGES);
    struct falloc_numbers f = measure_falloc(&pm, &arena, false);
    struct falloc_numbers c = measure_falloc(&pm, &arena, true);
    phys_arena_unmap(&arena);
    double base = baseline_pair_ns(&pm, &pairs);
    bool met = c.fill_drain_ns <= GOAL_NS && c.pair_at_1m_ns <= GOAL_NS;

    printf("%-12s %6zu %8.1f | %9.1f %9.1f | %9.1f %9.1f | %11.0f %6llu | %9.0fx | %s\n", name,
           pm.count, build, f.fill_drain_ns, f.pair_at_1m_ns, c.fill_drain_ns, c.pair_at_1m_ns,
           base, (unsigned long long)pairs, base / c.pair_at_1m_ns, met ? "met" : "missed");
    if (f.checksum == 1 || c.checksum == 1)
        printf("(checksum)\n");
    free(pm.ranges);
}

int main(void)
{
    static struct pmem_raw ovmf[OVMF_MAP_MAX], frag[FRAG_ENTRIES];
    size_t n_ovmf = map_ovmf(ovmf, OVMF_MAP_MAX, 16 * GiB, 1);
    size_t n_frag = map_fragmented(frag, FRAG_ENTRIES, FRAG_ENTRIES, 42);

    printf("4 KiB frames, ns per alloc+free pair (-O2); 1M = %u operations; goal: cached <= %d ns\n",
           OPS, GOAL_NS);
    printf("%-12s %6s %8s | %9s %9s | %9s %9s | %11s %6s | %10s | %s\n", "map", "ranges",
           "build us", "buddy", "buddy", "cached", "cached", "baseline", "window", "baseline /",
           "goal");
    printf("%-12s %6s %8s | %9s %9s | %9s %9s | %11s %6s | %10s |\n", "", "", "", "fill+drn",
           "pair@1M", "fill+drn", "pair@1M", "pair @1M", "pairs", "cached@1M");
    bench_map("ovmf-16G", ovmf, n_ovmf);
    bench_map("fragmented", frag, n_frag);
    printf("fill+drn: 1M allocs then 1M frees, per pair. pair@1M: alloc+free with 1M frames\n"
           "outstanding (falloc: over 1M pairs; baseline: over the window shown). buddy: falloc\n"
           "alone; cached: through a %d-frame cache (the kernel's per-CPU path). build: one\n"
           "pmem_build of the raw map, averaged over %d runs.\n", FALLOC_CACHE_FRAMES, BUILD_REPEATS);
    return 0;
}

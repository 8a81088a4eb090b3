/* Self-checks that need every CPU: one shared CR3; the same memory types;
 * the same translations everywhere, seen through each CPU's own MMU; a
 * stress run of the memory manager on all CPUs at once that must leave the
 * books exactly as they were and every structure intact; and (test mode) a
 * page unmapped by one CPU faults on all others once the shootdown returns.
 * With one CPU online they prove nothing: each reports `skipped`. */
#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"
#include "x86/pte.h"

/* Rounds per CPU: a fixed total of map/unmap pairs shared by however many
 * CPUs there are, at least STRESS_ROUNDS_MIN each. With pagoda.mm.pcpu=0
 * each unmap is a shootdown to all the others, so the cost grows with the
 * square of the CPU count; with frame caches and lazy heap flushes it is one
 * IPI round per HEAP_QUARANTINE unmaps, to the CPUs still behind. */
#define STRESS_TOTAL_ROUNDS 128
#define STRESS_ROUNDS_MIN   2
#define PATTERN_BASE       0xC0FFEE0000000000ULL
#define TRANSLATE_PATTERN  0x7A5C0DE000000000ULL
#define ALIAS_BASE         0xA11A5000000000ULL
#define BREAK_KEY          "pagoda.break"   /* =translate: the test of smp-translate */

struct per_cpu_result {
    /* smp-translate: the page this CPU mapped, and what it saw of all pages */
    paddr_t pa;
    vaddr_t va;
    bool mapped;             /* pa mapped at va: to be undone */
    bool wrote;              /* the write through va did not fault */
    bool alias_ok;
    uint32_t reads;          /* pages of others this CPU read */
    uint32_t bad_reads;      /* ... of which faulted or read wrong */
    /* smp-stress */
    uint32_t errors;
    uint64_t stress_ticks;   /* TSC ticks this CPU spent in its rounds */
    /* smp-shootdown */
    uint64_t probe;         /* probe_read8's return: 0 or 1 + vector */
    uint64_t cr2;
};

/* By CPU index, smp_cpu_count() entries: allocated by selftest_smp. */
static struct per_cpu_result *results;
/* A word of the kernel's .bss that every CPU bumps through the kernel's own
 * mapping and reads back through its HHDM alias (they must be one frame).
 * One counter, not a byte per CPU: no table to size with the CPU count,
 * and no race (a CPU must see at least its own increment and never more
 * than every CPU's). Starts at ALIAS_BASE, so zeroed memory does not pass. */
static volatile uint64_t alias_counter;

static struct per_cpu_result *mine(void)
{
    return &results[this_cpu()->index];
}

/* pagoda.break=translate, the test of the test: the last online CPU runs
 * smp-translate on a copy of the root without the heap window's entry, as
 * a CPU with its own, different tables would. The check must fail; the CPU
 * goes back to the shared root before any other check. */
static struct {
    paddr_t root;            /* 0: not breaking anything */
    paddr_t pml4;            /* 5 levels: the copied PML4 under the root, else 0 */
    unsigned cpu;
    uint64_t saved_cr3;
} broken;

/* A copy of the table at physical `from`, in a new frame at *to. */
static bool copy_table(paddr_t from, paddr_t *to)
{
    if (kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_PAGETABLES, to) != 0)
        return false;
    const uint64_t *src = phys_to_virt(from);
    uint64_t *dst = phys_to_virt(*to);
    for (size_t i = 0; i < PT_ENTRIES; i++)
        dst[i] = src[i];
    return true;
}

/* The heap window's PML4 entry is cleared in a copy of the PML4: the root
 * itself with 4 levels; with 5, the PML4 under the root's entry for the
 * window (which also holds the kernel and its stacks), in a copied root. */
static bool break_translate_setup(const struct bootinfo *bi)
{
    if (!cmdline_value_is(cmdline_value(bi->cmdline, BREAK_KEY), "translate"))
        return true;
    if (!copy_table(kmem.pt.root, &broken.root))
        return false;
    uint64_t *pml4 = phys_to_virt(broken.root);
    if (kmem.pt.levels == PT_LEVELS_MAX) {
        uint64_t *slot = &pml4[PT_INDEX(PT_LEVELS_MAX, KHEAP_WINDOW)];
        if (!copy_table(*slot & PTE_ADDR_MASK, &broken.pml4)) {
            (void)kmem_free_frame(broken.root, PAGE_SIZE, PMEM_KERNEL_PAGETABLES);   /* just allocated */
            broken.root = 0;
            return false;
        }
        *slot = broken.pml4 | (*slot & ~PTE_ADDR_MASK);
        pml4 = phys_to_virt(broken.pml4);
    }
    pml4[PT_INDEX(PT_LEVELS_MIN, KHEAP_WINDOW)] = 0;
    for (unsigned c = 0; c < smp_cpu_count(); c++)
        if (smp_cpu(c))
            broken.cpu = c;
    kprintf("pagoda: breaking smp-translate on purpose (%s): cpu %u on other tables\n", BREAK_KEY,
            broken.cpu);
    return true;
}

static void break_translate_here(void)
{
    if (broken.root != 0 && this_cpu()->index == broken.cpu) {
        broken.saved_cr3 = read_cr3();
        write_cr3(broken.root);
    }
}

static void unbreak_translate_here(void)
{
    if (broken.root != 0 && this_cpu()->index == broken.cpu)
        write_cr3(broken.saved_cr3);
}

/* After every CPU is back on the shared root. */
static bool break_translate_cleanup(void)
{
    paddr_t root = broken.root, pml4 = broken.pml4;

    broken.root = broken.pml4 = 0;
    return (root == 0 || kmem_free_frame(root, PAGE_SIZE, PMEM_KERNEL_PAGETABLES) == 0) &&
           (pml4 == 0 || kmem_free_frame(pml4, PAGE_SIZE, PMEM_KERNEL_PAGETABLES) == 0);
}

static uint64_t translate_pattern(unsigned cpu, paddr_t pa)
{
    return TRANSLATE_PATTERN ^ ((uint64_t)cpu << 32) ^ pa;
}

/* Phase 1, on every CPU: map a fresh frame at a fresh kernel address and
 * write this CPU's pattern through that mapping (this CPU's MMU walks the
 * tables it just changed). Also: the word this CPU bumped through the
 * kernel's data mapping reads back through its HHDM alias. */
static void translate_map_here(void *arg)
{
    const struct bootinfo *bi = arg;
    struct per_cpu_result *r = mine();
    unsigned me = this_cpu()->index;

    break_translate_here();
    r->mapped = kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &r->pa) == 0;
    if (r->mapped && kmem_map_fresh(r->pa, PAGE_SIZE, PT_MAP_WRITE, &r->va) != 0) {
        /* The check fails on !mapped already; a refused free would also
         * break falloc_check in smp-stress's kmem_check. */
        (void)kmem_free_frame(r->pa, PAGE_SIZE, PMEM_KERNEL_HEAP);
        r->mapped = false;
    }
    /* A CPU whose tables lack the mapping faults: caught, the check fails. */
    r->wrote = r->mapped && probe_write8((volatile void *)r->va, 0) == 0;
    if (r->wrote)
        *(volatile uint64_t *)r->va = translate_pattern(me, r->pa);

    uint64_t bumped = __atomic_add_fetch(&alias_counter, 1, __ATOMIC_SEQ_CST);
    paddr_t alias_pa = bi->kernel_phys + ((vaddr_t)&alias_counter - bi->kernel_virt);
    uint64_t seen = __atomic_load_n((volatile uint64_t *)phys_to_virt(alias_pa), __ATOMIC_SEQ_CST);
    r->alias_ok = seen >= bumped && seen <= ALIAS_BASE + smp_cpu_count();
}

/* Does this CPU see CPU c's page, through c's fresh mapping (which this
 * CPU's MMU has never walked: a private or stale copy of the tables faults
 * or reads another frame) and through the direct map? */
static bool sees_page(unsigned c)
{
    const struct per_cpu_result *o = &results[c];
    uint64_t want = translate_pattern(c, o->pa);

    if (probe_read8((const volatile void *)o->va) != 0)
        return false;
    return *(volatile uint64_t *)o->va == want &&
           *(volatile uint64_t *)phys_to_virt(o->pa) == want;
}

/* Phase 2, on every CPU: read every other CPU's page. */
static void translate_read_here(void *arg)
{
    struct per_cpu_result *r = mine();
    unsigned me = this_cpu()->index;
    (void)arg;

    r->reads = r->bad_reads = 0;
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        if (c == me || !smp_cpu(c) || !results[c].wrote)
            continue;
        r->reads++;
        r->bad_reads += !sees_page(c);
    }
    unbreak_translate_here();
}

struct bad_cpus {
    unsigned count, first;
};

static void note_bad(struct bad_cpus *b, unsigned cpu)
{
    if (b->count++ == 0)
        b->first = cpu;
}

static bool check_translations(const struct bootinfo *bi, char *detail, size_t len)
{
    struct bad_cpus bad = { 0, 0 };
    unsigned n = 0, reads = 0;

    if (!break_translate_setup(bi)) {
        fmt_snprintf(detail, len, "reason=no-frame");
        return false;
    }
    alias_counter = ALIAS_BASE;
    smp_call_all(translate_map_here, (void *)bi);
    smp_call_all(translate_read_here, NULL);
    bool cleaned = break_translate_cleanup();
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        const struct per_cpu_result *r = &results[c];
        if (!smp_cpu(c))
            continue;
        n++;
        reads += r->reads;
        if (!r->wrote || !r->alias_ok || r->bad_reads != 0)
            note_bad(&bad, c);
    }
    /* Phase 3, here: the pages go (each unmap is a shootdown). */
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        struct per_cpu_result *r = &results[c];
        if (!smp_cpu(c) || !r->mapped)
            continue;
        if (kmem_unmap(r->va, PAGE_SIZE) != 0 ||
            kmem_free_frame(r->pa, PAGE_SIZE, PMEM_KERNEL_HEAP) != 0)
            note_bad(&bad, c);
        r->mapped = false;
    }
    if (!cleaned)
        note_bad(&bad, 0);
    if (bad.count == 0)
        fmt_snprintf(detail, len, "cpus=%u reads=%u", n, reads);
    else
        fmt_snprintf(detail, len, "cpus=%u reads=%u bad_cpus=%u first_bad_cpu=%u", n, reads,
                     bad.count, bad.first);
    return bad.count == 0;
}

static bool check_cr3(const struct bootinfo *bi, char *detail, size_t len)
{
    uint64_t bsp = read_cr3();
    bool ok = true;
    (void)bi;

    for (unsigned c = 0; c < smp_cpu_count(); c++)
        if (smp_cpu(c))
            ok = ok && smp_cpu(c)->cr3 == bsp;
    fmt_snprintf(detail, len, "cr3=0x%lx", (unsigned long)bsp);
    return ok;
}

/* PAT and MTRRs: memory types must mean the same on every CPU. */
static bool check_memory_types(const struct bootinfo *bi, char *detail, size_t len)
{
    unsigned matched = 0, synced = 0, bad = 0;
    uint64_t pat = smp_cpu(0)->pat;
    (void)bi;

    for (unsigned c = 1; c < smp_cpu_count(); c++) {
        const struct cpu *p = smp_cpu(c);
        if (!p)
            continue;
        bad += p->pat != pat || p->mtrr == MTRR_MISMATCH;
        matched += p->mtrr == MTRR_MATCHED;
        synced += p->mtrr == MTRR_SYNCED;
    }
    fmt_snprintf(detail, len, "pat=0x%lx mtrr_matched=%u mtrr_synced=%u mismatched=%u",
                 (unsigned long)pat, matched, synced, bad);
    return bad == 0;
}

/* One CPU's share of the stress run: allocate, map, write, verify, unmap,
 * free; every step through the locked kmem interface. */
static void stress_here(void *arg)
{
    struct per_cpu_result *r = mine();
    uint64_t pattern = PATTERN_BASE | ((uint64_t)this_cpu()->index << 32);
    uint64_t rounds = *(const uint64_t *)arg;
    uint64_t t0 = rdtsc();

    r->errors = 0;
    for (uint64_t i = 0; i < rounds; i++) {
        paddr_t pa;
        vaddr_t va;
        if (kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &pa) != 0) {
            r->errors++;
            continue;
        }
        if (kmem_map_fresh(pa, PAGE_SIZE, PT_MAP_WRITE, &va) == 0) {
            *(volatile uint64_t *)va = pattern + i;
            if (*(volatile uint64_t *)phys_to_virt(pa) != pattern + i)
                r->errors++;
            if (kmem_unmap(va, PAGE_SIZE) != 0)
                r->errors++;
        } else {
            r->errors++;
        }
        if (kmem_free_frame(pa, PAGE_SIZE, PMEM_KERNEL_HEAP) != 0)
            r->errors++;
    }
    r->stress_ticks = rdtsc() - t0;
}

/* The median of the online CPUs' stress times: what one CPU's rounds cost,
 * apart from the wait for the cross-CPU call to reach it. By counting, not
 * sorting: no storage, and n^2 steps are nothing next to the run. */
static uint64_t median_stress_ticks(void)
{
    unsigned n = smp_online_count();

    for (unsigned i = 0; i < smp_cpu_count(); i++) {
        if (!smp_cpu(i))
            continue;
        uint64_t v = results[i].stress_ticks;
        unsigned below = 0, at_most = 0;
        for (unsigned j = 0; j < smp_cpu_count(); j++) {
            if (!smp_cpu(j))
                continue;
            below += results[j].stress_ticks < v;
            at_most += results[j].stress_ticks <= v;
        }
        if (below <= n / 2 && n / 2 < at_most)
            return v;
    }
    return 0;   /* unreachable: some value always holds the middle rank */
}

static void nothing_here(void *arg)
{
    (void)arg;
}

static bool check_stress(const struct bootinfo *bi, char *detail, size_t len)
{
    uint64_t before[PMEM_TYPE_COUNT], after[PMEM_TYPE_COUNT];
    uint32_t errors = 0;
    (void)bi;

    uint64_t rounds = MAX(STRESS_ROUNDS_MIN, STRESS_TOTAL_ROUNDS / smp_online_count());
    kmem_totals(before);
    /* The floor: one cross-CPU call that does nothing (wake every CPU, wait
     * for all), which the stress run pays once too. */
    uint64_t t_call = rdtsc();
    smp_call_all(nothing_here, NULL);
    uint64_t call_us = timer_ticks_to_us(rdtsc() - t_call);
    uint64_t shootdowns = tlb_shootdowns_sent(), ipis = tlb_ipis_sent(), locks = kmem_lock_count();
    uint64_t t0 = rdtsc();
    smp_call_all(stress_here, &rounds);
    uint64_t us = timer_ticks_to_us(rdtsc() - t0);
    locks = kmem_lock_count() - locks;
    uint64_t round_ns = timer_ticks_to_ns(median_stress_ticks()) / rounds;
    kmem_totals(after);
    bool structures = kmem_check();
    bool same = true;
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        same = same && before[t] == after[t];
    for (unsigned c = 0; c < smp_cpu_count(); c++)
        if (smp_cpu(c))
            errors += results[c].errors;
    fmt_snprintf(detail, len,
                 "cpus=%u rounds=%lu errors=%u shootdowns=%lu ipis=%lu global_locks=%lu totals=%s "
                 "structures=%s us=%lu call_us=%lu round_ns=%lu pcpu=%s",
                 smp_online_count(), (unsigned long)rounds, errors,
                 (unsigned long)(tlb_shootdowns_sent() - shootdowns),
                 (unsigned long)(tlb_ipis_sent() - ipis), (unsigned long)locks, same ? "exact" : "changed",
                 structures ? "ok" : "broken", (unsigned long)us, (unsigned long)call_us,
                 (unsigned long)round_ns, kmem_pcpu_on() ? "on" : "off");
    return same && errors == 0 && structures;
}

static vaddr_t shot_va;

static void read_shot_page(void *arg)
{
    struct per_cpu_result *r = mine();
    (void)arg;
    r->probe = probe_read8((const volatile void *)shot_va);
    r->cr2 = this_cpu()->last_fault.cr2;
}

/* Every CPU reads the page at shot_va (so its TLB may hold it); the BSP
 * unmaps it; every CPU must now fault on it. Returns the CPUs that faulted
 * (*cpus: online), or -1 if a CPU could not read it while mapped or the
 * unmap failed. */
static int shoot(int (*unmap)(vaddr_t va, uint64_t len), unsigned *cpus)
{
    bool ok = true;
    int faulted = 0;

    smp_call_all(read_shot_page, NULL);
    for (unsigned c = 0; c < smp_cpu_count(); c++)
        if (smp_cpu(c))
            ok = ok && results[c].probe == 0;
    ok = unmap(shot_va, PAGE_SIZE) == 0 && ok;
    smp_call_all(read_shot_page, NULL);
    *cpus = 0;
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        if (!smp_cpu(c))
            continue;
        (*cpus)++;
        faulted += results[c].probe == 1 + VEC_PAGE_FAULT && results[c].cr2 == shot_va;
    }
    return ok ? faulted : -1;
}

/* Both ways an unmap is made safe (kernel/tlb.c): a fresh heap-window page
 * (flushed lazily: each CPU catches up at the next call's start) and the
 * fixed temporary window at the heap window's end (kmem_unmap_at: an IPI
 * round to every CPU; the heap generation does not move, so the calls'
 * catch-up flushes nothing and only that round can make the CPUs fault). */
static bool check_shootdown(const struct bootinfo *bi, char *detail, size_t len)
{
    paddr_t pa;
    unsigned cpus = 0;
    int heap = -1, fixed = -1;
    (void)bi;

    if (kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &pa) != 0) {
        fmt_snprintf(detail, len, "reason=no-frame");
        return false;
    }
    if (kmem_map_fresh(pa, PAGE_SIZE, PT_MAP_WRITE, &shot_va) == 0)
        heap = shoot(kmem_unmap, &cpus);
    vaddr_t heap_va = shot_va;
    shot_va = PT_TEMP_WINDOW;
    if (kmem_map_at(shot_va, pa, PAGE_SIZE, PT_MAP_WRITE) == 0)
        fixed = shoot(kmem_unmap_at, &cpus);
    bool ok = kmem_free_frame(pa, PAGE_SIZE, PMEM_KERNEL_HEAP) == 0 && heap == (int)cpus &&
              fixed == (int)cpus;
    fmt_snprintf(detail, len, "va=0x%lx faulted=%d/%u window=0x%lx window_faulted=%d/%u",
                 (unsigned long)heap_va, heap, cpus, (unsigned long)PT_TEMP_WINDOW, fixed, cpus);
    return ok;
}

/* In the order they run (and the boot tests expect). */
static const struct smp_check {
    const char *name;
    bool test_mode_only;
    bool (*run)(const struct bootinfo *bi, char *detail, size_t len);
} smp_checks[] = {
    { "smp-cr3", false, check_cr3 },
    { "smp-memtypes", false, check_memory_types },
    { "smp-translate", false, check_translations },
    { "smp-stress", false, check_stress },
    { "smp-shootdown", true, check_shootdown },
};

void selftest_smp(const struct bootinfo *bi, bool test_mode, struct check_result *r)
{
    bool single = smp_online_count() < 2;
    char detail[256];   /* the longest, smp-stress, takes about 180 with big numbers */

    if (!single && !results)
        results = ktable_alloc(smp_cpu_count(), sizeof(*results));

    for (size_t i = 0; i < ARRAY_LEN(smp_checks); i++) {
        const struct smp_check *c = &smp_checks[i];
        if (c->test_mode_only && !test_mode)
            continue;
        if (single) {
            check_skip(r, c->name, "single-cpu");
            continue;
        }
        detail[0] = '\0';
        bool ok = c->run(bi, detail, sizeof(detail));
        check_record(r, c->name, ok, detail);
    }
}

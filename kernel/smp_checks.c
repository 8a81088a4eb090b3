/* Self-checks that need every CPU: one shared CR3; the same translations
 * everywhere (by the software walk and by the MMU itself); a stress run of
 * the memory manager on all CPUs at once that must leave the books exactly
 * as they were; and (test mode) a page unmapped by one CPU faults on all
 * others once the shootdown returns. */
#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"

/* Rounds per CPU: a fixed total of map/unmap pairs shared by however many
 * CPUs there are (each unmap is a shootdown to all the others, so the cost
 * grows with the square of the CPU count), at least STRESS_ROUNDS_MIN each. */
#define STRESS_TOTAL_ROUNDS 128
#define STRESS_ROUNDS_MIN   2
#define PROBE_ADDRS        4
#define VEC_PAGE_FAULT     14
#define PATTERN_BASE       0xC0FFEE0000000000ULL
#define TAG_BASE           0xA0

struct per_cpu_result {
    paddr_t pa[PROBE_ADDRS];
    bool alias_ok;
    uint32_t errors;
    uint64_t probe;         /* probe_read8's return: 0 or 1 + vector */
    uint64_t cr2;
};

static struct per_cpu_result results[BOOTINFO_MAX_CPUS];
static vaddr_t probe_addrs[PROBE_ADDRS];
static volatile uint8_t data_tag[BOOTINFO_MAX_CPUS];   /* one byte per CPU: no races */

static struct per_cpu_result *mine(void)
{
    return &results[this_cpu()->index];
}

/* Software walk of each probe address, and an MMU check: a value written
 * through the kernel data mapping reads back through its HHDM alias. */
static void translate_here(void *arg)
{
    const struct bootinfo *bi = arg;
    struct per_cpu_result *r = mine();
    struct pt_translation t;

    for (int i = 0; i < PROBE_ADDRS; i++)
        r->pa[i] = pt_translate(&kmem.pt, probe_addrs[i], &t) == 0 ? t.pa : 0;
    unsigned me = this_cpu()->index;
    uint8_t tag = (uint8_t)(TAG_BASE + me);
    paddr_t tag_pa = bi->kernel_phys + ((vaddr_t)&data_tag[me] - bi->kernel_virt);
    data_tag[me] = tag;
    r->alias_ok = *(volatile uint8_t *)phys_to_virt(tag_pa) == tag;
}

static void check_translations(const struct bootinfo *bi, struct check_result *cr)
{
    char detail[96];
    bool ok = true;
    unsigned n = 0, first_bad = 0;

    probe_addrs[0] = (vaddr_t)__text_start;
    probe_addrs[1] = (vaddr_t)__rodata_start;
    probe_addrs[2] = (vaddr_t)&data_tag;
    probe_addrs[3] = HHDM_BASE + bi->kernel_phys;
    smp_call_all(translate_here, (void *)bi);
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        if (!smp_cpu(c))
            continue;
        n++;
        bool same = results[c].alias_ok;
        for (int i = 0; i < PROBE_ADDRS; i++)
            same = same && results[c].pa[i] && results[c].pa[i] == results[0].pa[i];
        if (!same && ok)
            first_bad = c;
        ok = ok && same;
    }
    if (ok)
        fmt_snprintf(detail, sizeof(detail), "cpus=%u addresses=%d", n, PROBE_ADDRS);
    else
        fmt_snprintf(detail, sizeof(detail), "cpus=%u addresses=%d first_mismatch_cpu=%u", n,
                     PROBE_ADDRS, first_bad);
    check_record(cr, "smp-translate", ok, detail);
}

static void check_cr3(struct check_result *cr)
{
    uint64_t bsp = read_cr3();
    bool ok = true;
    char detail[64];

    for (unsigned c = 0; c < smp_cpu_count(); c++)
        if (smp_cpu(c))
            ok = ok && smp_cpu(c)->cr3 == bsp;
    fmt_snprintf(detail, sizeof(detail), "cr3=0x%lx", (unsigned long)bsp);
    check_record(cr, "smp-cr3", ok, detail);
}

/* PAT and MTRRs: memory types must mean the same on every CPU. */
static void check_memory_types(struct check_result *cr)
{
    unsigned matched = 0, synced = 0, bad = 0;
    uint64_t pat = smp_cpu(0)->pat;
    char detail[96];

    for (unsigned c = 1; c < smp_cpu_count(); c++) {
        const struct cpu *p = smp_cpu(c);
        if (!p)
            continue;
        bad += p->pat != pat || p->mtrr == MTRR_MISMATCH;
        matched += p->mtrr == MTRR_MATCHED;
        synced += p->mtrr == MTRR_SYNCED;
    }
    fmt_snprintf(detail, sizeof(detail), "pat=0x%lx mtrr_matched=%u mtrr_synced=%u mismatched=%u",
                 (unsigned long)pat, matched, synced, bad);
    check_record(cr, "smp-memtypes", bad == 0, detail);
}

/* One CPU's share of the stress run: allocate, map, write, verify, unmap,
 * free; every step through the locked kmem interface. */
static void stress_here(void *arg)
{
    struct per_cpu_result *r = mine();
    uint64_t pattern = PATTERN_BASE | ((uint64_t)this_cpu()->index << 32);
    uint64_t rounds = *(const uint64_t *)arg;

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
}

static void check_stress(struct check_result *cr)
{
    uint64_t before[PMEM_TYPE_COUNT], after[PMEM_TYPE_COUNT];
    uint32_t errors = 0;
    char detail[96];

    uint64_t rounds = MAX(STRESS_ROUNDS_MIN, STRESS_TOTAL_ROUNDS / smp_online_count());
    kmem_totals(before);
    uint64_t shootdowns = tlb_shootdowns_sent(), t0 = rdtsc();
    smp_call_all(stress_here, &rounds);
    uint64_t us = timer_ticks_to_us(rdtsc() - t0);
    kmem_totals(after);
    bool same = true;
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        same = same && before[t] == after[t];
    for (unsigned c = 0; c < smp_cpu_count(); c++)
        if (smp_cpu(c))
            errors += results[c].errors;
    fmt_snprintf(detail, sizeof(detail), "cpus=%u rounds=%lu errors=%u shootdowns=%lu totals=%s us=%lu",
                 smp_online_count(), (unsigned long)rounds, errors,
                 (unsigned long)(tlb_shootdowns_sent() - shootdowns), same ? "exact" : "changed",
                 (unsigned long)us);
    check_record(cr, "smp-stress", same && errors == 0 && pmem_check(&kmem.pm), detail);
}

static vaddr_t shot_va;

static void read_shot_page(void *arg)
{
    struct per_cpu_result *r = mine();
    (void)arg;
    r->probe = probe_read8((const volatile void *)shot_va);
    r->cr2 = this_cpu()->last_fault.cr2;
}

/* Every CPU reads the page (so its TLB may hold it); the BSP unmaps it;
 * every CPU must now fault on it. */
static void check_shootdown(struct check_result *cr)
{
    paddr_t pa;
    bool ok = kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &pa) == 0 &&
              kmem_map_fresh(pa, PAGE_SIZE, PT_MAP_WRITE, &shot_va) == 0;
    unsigned faulted = 0, cpus = 0;
    char detail[96];

    if (ok) {
        smp_call_all(read_shot_page, NULL);
        for (unsigned c = 0; c < smp_cpu_count(); c++)
            if (smp_cpu(c))
                ok = ok && results[c].probe == 0;
        ok = kmem_unmap(shot_va, PAGE_SIZE) == 0 && ok;
        smp_call_all(read_shot_page, NULL);
        for (unsigned c = 0; c < smp_cpu_count(); c++) {
            if (!smp_cpu(c))
                continue;
            cpus++;
            faulted += results[c].probe == 1 + VEC_PAGE_FAULT && results[c].cr2 == shot_va;
        }
        ok = ok && faulted == cpus;
        kmem_free_frame(pa, PAGE_SIZE, PMEM_KERNEL_HEAP);
    }
    fmt_snprintf(detail, sizeof(detail), "va=0x%lx faulted=%u/%u", (unsigned long)shot_va, faulted,
                 cpus);
    check_record(cr, "smp-shootdown", ok, detail);
}

void selftest_smp(const struct bootinfo *bi, bool test_mode, struct check_result *r)
{
    check_cr3(r);
    check_memory_types(r);
    check_translations(bi, r);
    check_stress(r);
    if (test_mode)
        check_shootdown(r);
}

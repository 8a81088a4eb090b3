/* Self-checks `ptaccess-*`: the same page-table entries reached three ways.
 * A fresh 4 KiB kernel mapping is the target; its entry at every level is
 * read
 *  - direct:    through the HHDM, walking from the root by hand (Pagoda's way);
 *  - recursive: through root slot PT_RECURSIVE_SLOT pointed at the root for
 *               the duration of the check, at pt_recursive_entry_va's
 *               addresses, read on every CPU;
 *  - window:    by mapping each table's frame at the fixed page
 *               PT_TEMP_WINDOW, reading, unmapping (INVLPG + shootdown) and
 *               moving on to the next table at the same address, which only
 *               reads right if the previous translation was flushed;
 * and all three must agree. `ptaccess-clean` then checks that the slot and
 * the window are gone: empty in the tables, faulting on every CPU, and the
 * allocator's totals exactly as before. docs/page-table-access.md. */
#include <string.h>

#include "fmt.h"
#include "kernel.h"
#include "pt_recursive.h"
#include "x86/cpu.h"
#include "x86/pte.h"

#define TARGET_PATTERN 0x7074616363657373ULL
#define VEC_PAGE_FAULT 14
#define DETAIL_MAX     256

struct walk {
    vaddr_t va;
    int levels;
    paddr_t table[PT_LEVELS_MAX + 1];   /* frame holding va's level-L entry */
    uint64_t entry[PT_LEVELS_MAX + 1];
};

static struct walk target;
/* By CPU index, sized from the CPU count before the totals are taken. */
static uint64_t (*seen_recursive)[PT_LEVELS_MAX + 1];
static uint64_t (*probe_after)[2];
static uint64_t *seen_ticks;

static uint64_t *table_index(paddr_t table, vaddr_t va, int level)
{
    return (uint64_t *)phys_to_virt(table) + PT_INDEX(level, va);
}

/* "L4=0x.. L3=0x.. ..." for entries e[levels..1]. */
static void format_entries(char *out, size_t size, const uint64_t *e, int levels)
{
    size_t n = 0;
    out[0] = '\0';
    for (int level = levels; level >= PT_LEVEL_4K && n < size; level--)
        n += (size_t)fmt_snprintf(out + n, size - n, " L%d=0x%lx", level, (unsigned long)e[level]);
}

static bool entries_equal(const uint64_t *a, const uint64_t *b, int levels)
{
    for (int level = PT_LEVEL_4K; level <= levels; level++)
        if (a[level] != b[level])
            return false;
    return true;
}

/* Direct map: from the root, one HHDM pointer per table. */
static void check_direct(struct check_result *r, paddr_t pa)
{
    char detail[DETAIL_MAX], entries[DETAIL_MAX];
    struct pt_translation t;
    paddr_t table = kmem.pt.root;
    bool ok = true;

    uint64_t t0 = 0;
    for (int pass = 0; pass < 2; pass++) {   /* the second is timed: the first pays for TCG */
        table = kmem.pt.root;
        t0 = rdtsc();
        for (int level = target.levels; level >= PT_LEVEL_4K && ok; level--) {
            target.table[level] = table;
            target.entry[level] = *table_index(table, target.va, level);
            ok = (target.entry[level] & PTE_P) &&
                 (level == PT_LEVEL_4K || !(target.entry[level] & PTE_PS));
            table = target.entry[level] & PTE_ADDR_MASK;
        }
    }
    uint64_t ns = timer_ticks_to_ns(rdtsc() - t0);
    ok = ok && table == pa && pt_translate(&kmem.pt, target.va, &t) == 0 && t.pa == pa;
    format_entries(entries, sizeof(entries), target.entry, target.levels);
    fmt_snprintf(detail, sizeof(detail), "va=0x%lx%s ns=%lu", (unsigned long)target.va, entries,
                 (unsigned long)ns);
    check_record(r, "ptaccess-direct", ok, detail);
}

static void read_recursive_here(void *arg)
{
    unsigned me = this_cpu()->index;
    uint64_t *seen = seen_recursive[me];
    (void)arg;
    for (int pass = 0; pass < 2; pass++) {   /* the second is timed */
        uint64_t t0 = rdtsc();
        for (int level = PT_LEVEL_4K; level <= target.levels; level++) {
            vaddr_t rva = pt_recursive_entry_va(PT_RECURSIVE_SLOT, target.levels, target.va, level);
            seen[level] = probe_read8((const volatile void *)rva) == 0 ? *(volatile uint64_t *)rva : 0;
        }
        seen_ticks[me] = rdtsc() - t0;
    }
}

/* Recursive slot: installed, read on every CPU at the computed addresses
 * (which the software walk must also resolve to the entries themselves),
 * removed with a shootdown of the whole slot. */
static void check_recursive(struct check_result *r)
{
    char detail[DETAIL_MAX], entries[DETAIL_MAX];
    unsigned cpus = 0, agree = 0;
    bool ok = kmem_recursive_slot(true) == 0;

    for (int level = PT_LEVEL_4K; level <= target.levels && ok; level++) {
        struct pt_translation t;
        vaddr_t rva = pt_recursive_entry_va(PT_RECURSIVE_SLOT, target.levels, target.va, level);
        ok = pt_translate(&kmem.pt, rva, &t) == 0 &&
             t.pa == target.table[level] + PT_INDEX(level, target.va) * sizeof(uint64_t);
    }
    if (ok)
        smp_call_all(read_recursive_here, NULL);
    ok = kmem_recursive_slot(false) == 0 && ok;
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        if (!smp_cpu(c))
            continue;
        cpus++;
        agree += entries_equal(seen_recursive[c], target.entry, target.levels);
    }
    format_entries(entries, sizeof(entries), seen_recursive[0], target.levels);
    fmt_snprintf(detail, sizeof(detail), "slot=%u pte_at=0x%lx%s ns=%lu agree=%u/%u",
                 PT_RECURSIVE_SLOT,
                 (unsigned long)pt_recursive_entry_va(PT_RECURSIVE_SLOT, target.levels, target.va,
                                                      PT_LEVEL_4K),
                 entries, (unsigned long)timer_ticks_to_ns(seen_ticks[this_cpu()->index]), agree, cpus);
    check_record(r, "ptaccess-recursive", ok && agree == cpus, detail);
}

/* One pass of the window over every level: map the level's table at the
 * fixed page, read the entry, unmap (INVLPG + shootdown). Counts the maps. */
static bool window_pass(uint64_t seen[PT_LEVELS_MAX + 1], unsigned *maps)
{
    const volatile uint64_t *window = (const volatile uint64_t *)PT_TEMP_WINDOW;
    *maps = 0;
    for (int level = target.levels; level >= PT_LEVEL_4K; level--) {
        if (kmem_map_at(PT_TEMP_WINDOW, target.table[level], PAGE_SIZE, 0) != 0)
            return false;
        (*maps)++;
        seen[level] = window[PT_INDEX(level, target.va)];
        if (kmem_unmap_at(PT_TEMP_WINDOW, PAGE_SIZE) != 0)
            return false;
    }
    return true;
}

/* Temporary window: each table's frame in turn at the same address. Two
 * passes; the second is timed (the first pays for TCG's translation). */
static void check_window(struct check_result *r)
{
    char detail[DETAIL_MAX], entries[DETAIL_MAX];
    uint64_t seen[PT_LEVELS_MAX + 1] = { 0 };
    unsigned maps = 0;

    bool ok = window_pass(seen, &maps) && entries_equal(seen, target.entry, target.levels);
    uint64_t t0 = rdtsc();
    ok = ok && window_pass(seen, &maps);
    uint64_t ns = timer_ticks_to_ns(rdtsc() - t0);
    ok = ok && entries_equal(seen, target.entry, target.levels);
    format_entries(entries, sizeof(entries), seen, target.levels);
    fmt_snprintf(detail, sizeof(detail), "window=0x%lx maps=%u%s ns=%lu agree=%s",
                 (unsigned long)PT_TEMP_WINDOW, maps, entries, (unsigned long)ns, ok ? "yes" : "no");
    check_record(r, "ptaccess-window", ok, detail);
}

/* The audit: every leaf of the kernel's tables lies inside one virtual
 * reservation that is not a guard, and the lower half and the recursive slot
 * are empty. Walks the real tables through the direct map, so whatever a
 * demo (or anything else) left behind shows, wherever it is. The other CPUs
 * are idle during the self-checks: the reservations do not move. */
struct audit {
    uint64_t leaves, outside;
    vaddr_t first_outside;
};

static vaddr_t sign_extend_va(vaddr_t va, int levels)
{
    int bits = levels == PT_LEVELS_MAX ? VA_BITS_5LEVEL : VA_BITS_4LEVEL;
    return (va & (1ULL << (bits - 1))) ? va | ~((1ULL << bits) - 1) : va;
}

static void audit_leaf(struct audit *a, vaddr_t va, uint64_t size)
{
    const struct vrange *r = vrange_lookup(&kmem.vs, va);
    a->leaves++;
    if (!r || r->kind == VR_GUARD || va + size - 1 > r->end - 1) {
        if (a->outside++ == 0)
            a->first_outside = va;
    }
}

static void audit_table(struct audit *a, paddr_t table, int level, vaddr_t base)
{
    const uint64_t *t = phys_to_virt(table);
    bool root = level == kmem.pt.levels;
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (!(t[i] & PTE_P))
            continue;
        vaddr_t va = sign_extend_va(base | ((uint64_t)i << PT_LEVEL_SHIFT(level)), kmem.pt.levels);
        if (root && (i < PT_ROOT_KERNEL_FIRST || i == PT_RECURSIVE_SLOT)) {
            if (a->outside++ == 0)
                a->first_outside = va;
        } else if (level == PT_LEVEL_4K || (t[i] & PTE_PS)) {
            audit_leaf(a, va, PT_LEVEL_SIZE(level));
        } else {
            audit_table(a, t[i] & PTE_ADDR_MASK, level - 1, va);
        }
    }
}

static void probe_gone_here(void *arg)
{
    unsigned me = this_cpu()->index;
    (void)arg;
    probe_after[me][0] = probe_read8((const volatile void *)PT_TEMP_WINDOW);
    probe_after[me][1] = probe_read8((const volatile void *)pt_recursive_entry_va(
        PT_RECURSIVE_SLOT, target.levels, target.va, target.levels));
}

/* Nothing left behind: the slot is empty, the window unmapped but still
 * reserved, both fault on every CPU, the books balance, the audit finds no
 * leaf outside a reservation, and kmem_check (every structure's checker and
 * its own table walk) holds. */
static void check_clean(struct check_result *r, const uint64_t before[PMEM_TYPE_COUNT])
{
    uint64_t after[PMEM_TYPE_COUNT];
    struct pt_translation t;
    unsigned cpus = 0, faulted = 0;
    char detail[DETAIL_MAX];

    smp_call_all(probe_gone_here, NULL);
    for (unsigned c = 0; c < smp_cpu_count(); c++) {
        if (!smp_cpu(c))
            continue;
        cpus++;
        faulted += probe_after[c][0] == 1 + VEC_PAGE_FAULT && probe_after[c][1] == 1 + VEC_PAGE_FAULT;
    }
    kmem_totals(after);
    bool exact = true;
    for (int i = 0; i < PMEM_TYPE_COUNT; i++)
        exact = exact && before[i] == after[i];
    const struct vrange *w = vrange_lookup(&kmem.vs, PT_TEMP_WINDOW);
    struct audit a = { 0 };
    audit_table(&a, kmem.pt.root, kmem.pt.levels, 0);
    bool structures = kmem_check();
    bool ok = *table_index(kmem.pt.root, pt_recursive_base(PT_RECURSIVE_SLOT, target.levels),
                           target.levels) == 0 &&
              pt_translate(&kmem.pt, PT_TEMP_WINDOW, &t) == -E_NOTFOUND && w && w->kind == VR_OTHER &&
              faulted == cpus && exact && a.outside == 0 && structures;
    fmt_snprintf(detail, sizeof(detail),
                 "slot=empty window=unmapped faulted=%u/%u totals=%s leaves=%lu unreserved=%lu "
                 "structures=%s",
                 faulted, cpus, exact ? "exact" : "changed", (unsigned long)a.leaves,
                 (unsigned long)a.outside, structures ? "ok" : "broken");
    if (a.outside)
        fmt_snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), " first=0x%lx",
                     (unsigned long)a.first_outside);
    check_record(r, "ptaccess-clean", ok, detail);
}

void selftest_ptaccess(struct check_result *r)
{
    uint64_t before[PMEM_TYPE_COUNT];
    paddr_t pa;
    vaddr_t va = 0;

    seen_recursive = ktable_alloc(smp_cpu_count(), sizeof(*seen_recursive));
    probe_after = ktable_alloc(smp_cpu_count(), sizeof(*probe_after));
    seen_ticks = ktable_alloc(smp_cpu_count(), sizeof(*seen_ticks));
    kmem_totals(before);
    bool ok = kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &pa) == 0;
    if (ok && kmem_map_fresh(pa, PAGE_SIZE, PT_MAP_WRITE, &va) != 0) {
        kmem_free_frame(pa, PAGE_SIZE, PMEM_KERNEL_HEAP);
        ok = false;
    }
    if (!ok) {
        check_record(r, "ptaccess-direct", false, "no target page");
        return;
    }
    *(volatile uint64_t *)va = TARGET_PATTERN;   /* accessed and dirty: entries stay put */
    target = (struct walk){ .va = va, .levels = kmem.pt.levels };
    check_direct(r, pa);
    check_recursive(r);
    check_window(r);
    bool freed = kmem_unmap(va, PAGE_SIZE) == 0 && kmem_free_frame(pa, PAGE_SIZE, PMEM_KERNEL_HEAP) == 0;
    if (!freed)
        check_record(r, "ptaccess-clean", false, "target page not given back");
    else
        check_clean(r, before);
}

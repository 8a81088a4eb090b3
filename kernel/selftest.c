/* Boot self-checks, run at every boot: the page tables say what the loader
 * promised (checked against the tracker, which is independent of them), a
 * fresh mapping works, and the memory accounting adds up. In test mode also
 * the deliberate faults: a write to kernel text and a read of address 0
 * must fault, be caught and be recovered from, and the heap slices' own
 * check. Each check prints one line
 * `pagoda: check NAME=pass|fail|skipped ...`; the verdict line counts them. */
#include <string.h>

#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"

#define PF_ERR_PRESENT  (1ULL << 0)
#define PF_ERR_WRITE    (1ULL << 1)
#define TEST_PATTERN    0x5A17C0DEDEADBEEFULL

void check_record(struct check_result *r, const char *name, bool ok, const char *detail)
{
    kprintf("pagoda: check %s=%s%s%s\n", name, ok ? "pass" : "fail", detail[0] ? " " : "", detail);
    if (ok) {
        r->passed++;
    } else if (r->failed++ == 0) {
        size_t n = strlen(name);
        n = MIN(n, sizeof(r->first_failure) - 1);
        memcpy(r->first_failure, name, n);
        r->first_failure[n] = '\0';
    }
}

void check_skip(struct check_result *r, const char *name, const char *reason)
{
    kprintf("pagoda: check %s=skipped reason=%s\n", name, reason);
    r->skipped++;
}

bool selftest_verdict(const struct check_result *r)
{
    if (r->failed)
        kprintf("pagoda: result=fail reason=%s checks_passed=%u checks_failed=%u "
                "checks_skipped=%u\n", r->first_failure, r->passed, r->failed, r->skipped);
    else
        kprintf("pagoda: result=pass checks=%u skipped=%u\n", r->passed, r->skipped);
    return r->failed == 0;
}

/* va maps to the physical address the kernel image layout implies, with
 * the wanted write/exec rights, in a frame the tracker types `want`. */
static bool translates_to(vaddr_t va, paddr_t pa, bool write, bool exec, enum pmem_type want)
{
    struct pt_translation t;

    if (pt_translate(&kmem.pt, va, &t) != 0 || t.pa != pa)
        return false;
    if (!!(t.flags & PT_MAP_WRITE) != write || !!(t.flags & PT_MAP_EXEC) != exec)
        return false;
    return want == PMEM_NONE || pmem_type_at(&kmem.pm, pa) == want;
}

static paddr_t image_phys(const struct bootinfo *bi, const void *va)
{
    return bi->kernel_phys + ((vaddr_t)va - bi->kernel_virt);
}

static void check_kernel_mappings(const struct bootinfo *bi, struct check_result *r)
{
    static int data_probe;
    bool ok = translates_to((vaddr_t)__text_start, image_phys(bi, __text_start), false, true,
                            PMEM_KERNEL_IMAGE) &&
              translates_to((vaddr_t)__rodata_start, image_phys(bi, __rodata_start), false, false,
                            PMEM_KERNEL_IMAGE) &&
              translates_to((vaddr_t)&data_probe, image_phys(bi, &data_probe), true, false,
                            PMEM_KERNEL_IMAGE);
    check_record(r, "kernel-wx", ok, "text=RX rodata=R data=RW+NX");

    int on_stack;
    struct pt_translation t;
    ok = pt_translate(&kmem.pt, (vaddr_t)&on_stack, &t) == 0 && (t.flags & PT_MAP_WRITE) &&
         !(t.flags & PT_MAP_EXEC) && pmem_type_at(&kmem.pm, t.pa) == PMEM_KERNEL_STACK &&
         pt_translate(&kmem.pt, bi->stack_top - bi->stack_size - PAGE_SIZE, &t) == -E_NOTFOUND;
    check_record(r, "stack", ok, "RW+NX, guard page unmapped");
}

static bool hhdm_mapped(enum pmem_type t)
{
    return t != PMEM_RESERVED && t != PMEM_BAD && t != PMEM_UNACCEPTED;
}

/* Ranges (or their parts) beyond the direct map's window are not mapped. */
static bool hhdm_covers(const struct pmem_range *r)
{
    return hhdm_mapped(r->type) && r->end <= kmem.hhdm_max_phys;
}

/* Cache class the HHDM must use for a type: the loader merges neighbours
 * of the same class into one run, which may then hold huge leaves. */
static unsigned hhdm_cache(enum pmem_type t)
{
    return t == PMEM_MMIO ? PT_MAP_UC : t == PMEM_FRAMEBUFFER ? PT_MAP_WC : 0;
}

static bool hhdm_page_ok(paddr_t pa, unsigned cache, uint64_t *leaf)
{
    struct pt_translation t;

    if (pt_translate(&kmem.pt, (vaddr_t)phys_to_virt(pa), &t) != 0 || t.pa != pa)
        return false;
    *leaf = t.leaf_size;
    return (t.flags & PT_MAP_WRITE) && !(t.flags & PT_MAP_EXEC) &&
           (t.flags & (PT_MAP_UC | PT_MAP_WC)) == cache;
}

/* Every HHDM-mapped tracker range: its first and last page translate to
 * themselves, writable, NX, with its cache type. In every run of touching
 * ranges of one cache class, the first block aligned to the HHDM page size
 * must be mapped by a leaf of exactly that size. */
static void check_hhdm(const struct bootinfo *bi, struct check_result *r)
{
    uint64_t page = bi->hhdm_page_size, leaf = 0, huge_seen = 0;
    paddr_t run_start = 0;
    bool ok = true;
    char detail[96];

    for (size_t i = 0; i < kmem.pm.count && ok; i++) {
        const struct pmem_range *rg = &kmem.pm.ranges[i];
        const struct pmem_range *prev = i ? rg - 1 : NULL;
        if (!hhdm_covers(rg))
            continue;
        unsigned cache = hhdm_cache(rg->type);
        ok = hhdm_page_ok(rg->base, cache, &leaf) && hhdm_page_ok(rg->end - PAGE_SIZE, cache, &leaf);
        if (!prev || prev->end != rg->base || !hhdm_mapped(prev->type) || hhdm_cache(prev->type) != cache)
            run_start = rg->base;
        paddr_t block = ALIGN_UP(run_start, page);
        if (ok && block >= rg->base && block + page <= rg->end) {
            ok = hhdm_page_ok(block, cache, &leaf) && leaf == page;
            huge_seen++;
        }
    }
    fmt_snprintf(detail, sizeof(detail), "ranges=%lu huge_leaves_checked=%lu page=%luM",
                 (unsigned long)kmem.pm.count, (unsigned long)huge_seen, (unsigned long)(page / MiB));
    check_record(r, "hhdm", ok, detail);
}

/* A frame from the allocator, mapped at a fresh higher-half address, reads
 * back through its HHDM alias; once unmapped, the address translates to
 * nothing. APs are online: every step goes through the locked kmem API. */
static void check_fresh_mapping(struct check_result *r)
{
    paddr_t pa = 0;
    vaddr_t va = 0;
    struct pt_translation t;
    char detail[64];

    if (kmem_alloc_frame(PAGE_SIZE, PMEM_KERNEL_HEAP, &pa) != 0) {
        check_record(r, "fresh-map", false, "reason=no-frame");
        return;
    }
    bool ok = kmem_map_fresh(pa, PAGE_SIZE, PT_MAP_WRITE, &va) == 0;
    if (ok) {
        *(volatile uint64_t *)va = TEST_PATTERN;
        ok = *(volatile uint64_t *)phys_to_virt(pa) == TEST_PATTERN;
        ok = kmem_unmap(va, PAGE_SIZE) == 0 && ok &&
             pt_translate(&kmem.pt, va, &t) == -E_NOTFOUND;
    }
    ok = kmem_free_frame(pa, PAGE_SIZE, PMEM_KERNEL_HEAP) == 0 && ok;
    fmt_snprintf(detail, sizeof(detail), "va=0x%lx pa=0x%lx", (unsigned long)va, (unsigned long)pa);
    check_record(r, "fresh-map", ok, detail);
}

/* The allocator's view of every type adds up to the firmware map plus what
 * the loader added (framebuffer, APIC pages), and the tracker's, the
 * allocator's and the virtual ranges' own checkers pass (falloc_check: all
 * of the tracker's usable memory is the allocator's, the loader's page
 * tables freed so far included). */
static void check_accounting(const struct bootinfo *bi, struct check_result *r)
{
    uint64_t totals[PMEM_TYPE_COUNT], sum = 0;
    char detail[96];

    kmem_totals(totals);
    for (int t = 0; t < PMEM_TYPE_COUNT; t++)
        sum += totals[t];
    bool structures = kmem_check();
    bool ok = structures && sum == bi->firmware_total + bi->pmem_added_bytes;
    fmt_snprintf(detail, sizeof(detail), "tracker=%lu firmware=%lu added=%lu structures=%s",
                 (unsigned long)sum, (unsigned long)bi->firmware_total,
                 (unsigned long)bi->pmem_added_bytes, structures ? "ok" : "broken");
    check_record(r, "accounting", ok, detail);
}

/* ---- heap-slice: this CPU's piece of the heap window ----------------- */

#define SLICE_CYCLES    (VSLICE_PAGES + VSLICE_PAGES / 2)   /* more than a slice holds */
#define SLICE_RUN_PAGES 4

/* Map `pages` pages of frames at pa fresh, write and read one word through
 * each, and say where it went. */
static bool map_and_touch(paddr_t pa, unsigned pages, vaddr_t *va)
{
    if (kmem_map_fresh(pa, (uint64_t)pages * PAGE_SIZE, PT_MAP_WRITE, va) != 0)
        return false;
    bool ok = true;
    for (unsigned i = 0; i < pages; i++) {
        *(volatile uint64_t *)(*va + i * PAGE_SIZE) = TEST_PATTERN + i;
        ok = ok && *(volatile uint64_t *)phys_to_virt(pa + i * PAGE_SIZE) == TEST_PATTERN + i;
    }
    return ok;
}

static bool mapped(vaddr_t va)
{
    struct pt_translation t;
    return pt_translate(&kmem.pt, va, &t) == 0;
}

/* More single-page map/unmap cycles than the slice holds: every mapping
 * lands in this CPU's slice, the held pages come back (catch_ups), and the
 * lowest page is handed out again. */
static bool slice_cycles(paddr_t pa, const struct cpu *c, uint64_t *catch_ups, bool *reused)
{
    uint64_t before = c->slice.catch_ups;
    vaddr_t lowest = UINT64_MAX, va;
    bool ok = true;

    *reused = false;
    for (unsigned i = 0; i < SLICE_CYCLES && ok; i++) {
        ok = map_and_touch(pa, 1, &va) && heap_slice_is_cpus(va, c);
        *reused = *reused || va == lowest;
        lowest = MIN(lowest, va);
        ok = kmem_unmap(va, PAGE_SIZE) == 0 && !mapped(va) && ok;
    }
    *catch_ups = c->slice.catch_ups - before;
    return ok;
}

/* A run of SLICE_RUN_PAGES: a middle page unmapped alone; then unmaps that
 * name a page that is no longer live are refused and change nothing. */
static bool slice_partial_unmaps(paddr_t pa, const struct cpu *c)
{
    vaddr_t va;

    if (!map_and_touch(pa, SLICE_RUN_PAGES, &va) || !heap_slice_is_cpus(va, c))
        return false;
    bool ok = kmem_unmap(va + PAGE_SIZE, PAGE_SIZE) == 0 && !mapped(va + PAGE_SIZE) &&
              kmem_unmap(va + PAGE_SIZE, PAGE_SIZE) == -E_INVAL &&
              kmem_unmap(va, 2 * PAGE_SIZE) == -E_INVAL && mapped(va);
    ok = kmem_unmap(va, PAGE_SIZE) == 0 && ok;
    ok = kmem_unmap(va + 2 * PAGE_SIZE, (SLICE_RUN_PAGES - 2) * PAGE_SIZE) == 0 && ok;
    return ok && !mapped(va) && !mapped(va + (SLICE_RUN_PAGES - 1) * PAGE_SIZE);
}

/* Test mode: small fresh mappings go to this CPU's heap slice and its held
 * pages are reused once every CPU has caught up; a longer mapping goes to
 * the shared part of the window; the slice's pages agree with its table
 * (kmem_check). */
static void check_heap_slice(struct check_result *r)
{
    const uint64_t block = 2 * HEAP_SLICE_MAX_PAGES * PAGE_SIZE;   /* a power of two */
    struct cpu *c = this_cpu();
    uint64_t catch_ups = 0;
    bool reused = false, large_shared = false;
    paddr_t pa;
    vaddr_t va;
    char detail[128];

    if (!kmem_pcpu_on()) {
        check_skip(r, "heap-slice", "pcpu-off");
        return;
    }
    if (kmem_alloc_frame(block, PMEM_KERNEL_HEAP, &pa) != 0) {
        check_record(r, "heap-slice", false, "reason=no-frames");
        return;
    }
    bool cycles = slice_cycles(pa, c, &catch_ups, &reused);
    bool partial = slice_partial_unmaps(pa, c);
    if (map_and_touch(pa, HEAP_SLICE_MAX_PAGES + 1, &va)) {
        large_shared = !heap_slice_contains(va);
        large_shared = kmem_unmap(va, (HEAP_SLICE_MAX_PAGES + 1) * PAGE_SIZE) == 0 && large_shared;
    }
    bool freed = kmem_free_frame(pa, block, PMEM_KERNEL_HEAP) == 0;
    bool structures = kmem_check();
    bool ok = cycles && catch_ups > 0 && reused && partial && large_shared && freed && structures;
    fmt_snprintf(detail, sizeof(detail),
                 "cpu=%u cycles=%u/%s catch_ups=%lu reused=%s partial=%s large=%s structures=%s",
                 c->index, SLICE_CYCLES, cycles ? "ok" : "broken", (unsigned long)catch_ups,
                 reused ? "yes" : "no", partial ? "ok" : "broken",
                 large_shared ? "shared" : "broken", structures ? "ok" : "broken");
    check_record(r, "heap-slice", ok, detail);
}

/* Test mode: faults that must happen, be caught and be recovered from. */
static void check_faults(struct check_result *r)
{
    struct cpu *c = this_cpu();
    char detail[96];

    uint64_t v = probe_write8((volatile void *)__text_start, 0x90);
    struct fault_record f = c->last_fault;
    bool ok = v == 1 + VEC_PAGE_FAULT && f.cr2 == (uint64_t)__text_start &&
              (f.error & (PF_ERR_PRESENT | PF_ERR_WRITE)) == (PF_ERR_PRESENT | PF_ERR_WRITE);
    fmt_snprintf(detail, sizeof(detail), "vector=%lu error=0x%lx rip=0x%lx cr2=0x%lx",
                 (unsigned long)(v ? v - 1 : 0), (unsigned long)f.error, (unsigned long)f.rip,
                 (unsigned long)f.cr2);
    check_record(r, "fault-text-write", ok, detail);

    v = probe_read8((const volatile void *)0);
    f = c->last_fault;
    ok = v == 1 + VEC_PAGE_FAULT && f.cr2 == 0 && !(f.error & PF_ERR_PRESENT);
    fmt_snprintf(detail, sizeof(detail), "vector=%lu error=0x%lx rip=0x%lx cr2=0x%lx",
                 (unsigned long)(v ? v - 1 : 0), (unsigned long)f.error, (unsigned long)f.rip,
                 (unsigned long)f.cr2);
    check_record(r, "fault-null-read", ok, detail);
}

void selftest_run(const struct bootinfo *bi, bool test_mode, struct check_result *r)
{
    *r = (struct check_result){ 0 };
    check_kernel_mappings(bi, r);
    check_hhdm(bi, r);
    check_fresh_mapping(r);
    check_accounting(bi, r);
    check_record(r, "pagetables-minimal", bi->pt_frames_used == bi->pt_frames_min, "");
    if (test_mode) {
        check_faults(r);
        check_heap_slice(r);
    }
}

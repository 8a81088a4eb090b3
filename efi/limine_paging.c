/* A Limine kernel's address space, from the firmware map in B->mm:
 *   tracker (as the Pagoda path builds it) -> Limine memory map
 *   (limine_memmap_build) -> direct-map ranges per base revision
 *   (limine_hhdm_plan) -> mappings -> page tables from a pool allocated
 *   before the exit.
 * Mappings: the HHDM (hhdm + pa -> pa, supervisor rwx, WB, framebuffers WC
 * at PAT index 5), at revision 0 the same ranges identity-mapped from
 * 0x1000 on, and the kernel's segments with their own permissions. The
 * stack and every response are reached through the HHDM. From revision 1 on
 * the lower half is empty, so the handoff first loads a transitional root:
 * the final root's upper half plus the identity page(s) of limine_entry.S,
 * from where it jumps to its own HHDM alias and loads the final root.
 * Built twice: before the exit on the current map (the dry run: every
 * failure is decided there) and after it on the final map. */
#include <string.h>

#include "hhdm_plan.h"
#include "limine.h"
#include "platform_ranges.h"
#include "x86/cpu.h"

#define POOL_SLACK_FRAMES   32   /* on top of the computed minimum (+25%) */
#define TRANSITION_FRAMES   8    /* transitional root + the identity page's tables */
#define TRACKER_LOADER_RANGES 8  /* as efi/main.c: framebuffer, LAPIC, IOAPIC */
#define HHDM_FLAGS          (PT_MAP_WRITE | PT_MAP_EXEC)
#define HHDM_FLAGS_WC       (HHDM_FLAGS | PT_MAP_WC | PT_MAP_PAT_HIGH)   /* PAT5 = WC */
#define UPPER_HALF_FIRST    256  /* root entries 256..511 map the upper half */
#define ROOT_ENTRIES        512

static EFI_STATUS alloc_array(uint64_t bytes, void **out)
{
    paddr_t pa;
    EFI_STATUS st = alloc_pages(PAGODA_MEM_BOOTINFO, bytes, AllocateAnyPages, 0, &pa);

    *out = (void *)(uintptr_t)pa;
    return st;
}

/* Storage for everything built from a map: tracker, Limine entries and
 * their pointers, the EFI map copy, direct-map ranges, mappings. Sized
 * from the current map's buffer, which every later map fits in. */
static EFI_STATUS allocate_storage(struct limine_boot *B)
{
    void *tracker, *ptrs;
    EFI_STATUS st;

    if ((st = memmap_alloc(&B->mm)) || (st = memmap_get(&B->mm)))
        return st;
    B->raw_cap = B->mm.buf_size / B->mm.desc_size;
    size_t tracker_cap = 2 * B->raw_cap + TRACKER_LOADER_RANGES;
    B->entries_cap = limine_memmap_max_entries(tracker_cap, 1, LIMINE_TABLES_MAX);
    /* limine_hhdm_plan: at most one range per entry, plus the low 4 GiB
     * block's pieces around a framebuffer in it (revisions 0-2). */
    B->hhdm_cap = B->entries_cap + 4;
    B->plan_cap = 2 * B->hhdm_cap + ELF_MAX_SEGMENTS;
    if ((st = alloc_array(tracker_cap * sizeof(struct pmem_range), &tracker)) ||
        (st = alloc_array(B->raw_cap * sizeof(struct pmem_raw), (void **)&B->raw)) ||
        (st = alloc_array(B->entries_cap * sizeof(*B->entries), (void **)&B->entries)) ||
        (st = alloc_array(B->entries_cap * sizeof(uint64_t), &ptrs)) ||
        (st = alloc_array(B->mm.buf_size, (void **)&B->efi_map_copy)) ||
        (st = alloc_array(B->hhdm_cap * sizeof(*B->hhdm_ranges), (void **)&B->hhdm_ranges)) ||
        (st = alloc_array(B->plan_cap * sizeof(*B->plan), (void **)&B->plan)))
        return st;
    B->entry_ptrs = ptrs;
    pmem_init(&B->pm, tracker, tracker_cap);
    return EFI_SUCCESS;
}

/* Tracker from the map in B->mm, plus the ranges the firmware omits. */
static int build_tracker(struct limine_boot *B)
{
    if (memmap_count(&B->mm) > B->raw_cap)
        return -E_CAPACITY;
    size_t n = memmap_to_raw(&B->mm, B->raw);
    int rc = pmem_build(&B->pm, B->raw, n, NULL);
    return rc < 0 ? rc : platform_ranges_add(&B->pm, &B->fb, NULL);
}

static int build_memmap(struct limine_boot *B, size_t *n)
{
    struct limine_fb_range fb = { .base = B->fb.base, .length = (uint64_t)B->fb.pitch * B->fb.height };
    const struct limine_memmap_input in = {
        .pm = &B->pm, .rev = B->rev.booted, .tables = B->tables.ranges, .ntables = B->tables.nranges,
        .fbs = &fb, .nfbs = B->fb.base ? 1 : 0,
    };

    return limine_memmap_build(&in, B->entries, B->entries_cap, n);
}

/* The responses filled from the map: entries and their pointer array; the
 * firmware map with the loader's own types (UEFI 2.10: 0x80000000+ are the
 * OS loader's) shown as EfiLoaderData, which is what they are to anyone
 * else. */
static void fill_map_responses(struct limine_boot *B, size_t n)
{
    if (B->memmap_resp) {
        for (size_t i = 0; i < n; i++)
            B->entry_ptrs[i] = limine_kva(B, &B->entries[i]);
        B->memmap_resp->entry_count = n;
        B->memmap_resp->entries = limine_kva(B, B->entry_ptrs);
    }
    if (B->efi_map_resp) {
        memcpy(B->efi_map_copy, B->mm.buf, B->mm.size);
        for (UINTN i = 0; i < memmap_count(&B->mm); i++) {
            EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(B->efi_map_copy + i * B->mm.desc_size);
            if (d->Type >= PAGODA_MEM_BASE)
                d->Type = EfiLoaderData;
        }
        B->efi_map_resp->memmap = limine_kva(B, B->efi_map_copy);
        B->efi_map_resp->memmap_size = B->mm.size;
        B->efi_map_resp->desc_size = B->mm.desc_size;
        B->efi_map_resp->desc_version = B->mm.desc_version;
    }
}

/* Mappings sorted by va: identity (revision 0), HHDM, kernel. */
static int build_plan(struct limine_boot *B, size_t nmap, struct hhdm_plan *p)
{
    size_t nh;
    int rc = limine_hhdm_plan(B->entries, nmap, B->rev.booted, B->hhdm_ranges, B->hhdm_cap, &nh);

    if (rc < 0)
        return rc;
    hhdm_plan_init(p, B->plan, B->plan_cap);
    for (size_t i = 0; B->rules.identity_map && i < nh; i++) {
        const struct limine_map_range *r = &B->hhdm_ranges[i];
        paddr_t base = MAX(r->base, PAGE_SIZE);   /* page 0 stays unmapped */
        if (base < r->end)
            hhdm_plan_add(p, base, base, r->end - base, r->cache == LIMINE_CACHE_WC ? HHDM_FLAGS_WC : HHDM_FLAGS);
    }
    for (size_t i = 0; i < nh; i++) {
        const struct limine_map_range *r = &B->hhdm_ranges[i];
        hhdm_plan_add(p, B->hhdm + r->base, r->base, r->end - r->base,
                      r->cache == LIMINE_CACHE_WC ? HHDM_FLAGS_WC : HHDM_FLAGS);
    }
    hhdm_plan_kernel(p, &B->k->elf, B->k->phys);
    return p->overflow ? -E_CAPACITY : 0;
}

/* The transitional root: the final upper half, and limine_entry.S's
 * page(s) at their identity address. */
static int build_transition(struct limine_boot *B, const struct pt *final, paddr_t *root)
{
    const struct pt_env env = paging_pool_env(&B->pool);
    paddr_t lo = ALIGN_DOWN((uintptr_t)limine_entry_start, PAGE_SIZE);
    paddr_t hi = ALIGN_UP((uintptr_t)limine_entry_end, PAGE_SIZE);
    struct pt tr;
    int rc = pt_init(&tr, &env, final->levels, B->caps);

    if (rc == 0)
        rc = pt_map(&tr, lo, lo, hi - lo, PT_MAP_EXEC);
    if (rc == 0 && B->handoff->la57) {   /* GDT, block and scratch stack of the 32-bit part */
        paddr_t page = ALIGN_DOWN((uintptr_t)B->gdt, PAGE_SIZE);
        rc = pt_map(&tr, page, page, PAGE_SIZE, PT_MAP_WRITE);
    }
    if (rc == 0 && B->mp.tramp)          /* the APs' trampoline (limine_mp.c) */
        rc = pt_map(&tr, B->mp.tramp, B->mp.tramp, PAGE_SIZE, PT_MAP_EXEC);
    if (rc == 0 && B->mp.tramp && !B->mp.x2apic) {   /* an AP's xAPIC, for its SVR (limine_ap.S) */
        paddr_t lapic = rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK;
        rc = pt_map(&tr, lapic, lapic, PAGE_SIZE, PT_MAP_WRITE | PT_MAP_UC);
    }
    if (rc < 0)
        return rc;
    uint64_t *dst = (uint64_t *)(uintptr_t)tr.root, *src = (uint64_t *)(uintptr_t)final->root;
    memcpy(dst + UPPER_HALF_FIRST, src + UPPER_HALF_FIRST, (ROOT_ENTRIES - UPPER_HALF_FIRST) * sizeof(*dst));
    *root = tr.root;
    return 0;
}

static int build_tables(struct limine_boot *B, const struct hhdm_plan *p)
{
    const struct pt_env env = paging_pool_env(&B->pool);
    struct pt pt;
    int rc;

    B->pool.used = 0;   /* the dry run's tables are rebuilt from scratch */
    rc = pt_init(&pt, &env, B->levels, B->caps);
    for (size_t i = 0; rc == 0 && i < p->n; i++)
        rc = pt_map(&pt, p->m[i].va, p->m[i].pa, p->m[i].len, p->m[i].flags);
    if (rc == 0)
        rc = build_transition(B, &pt, &B->handoff->trans_cr3);
    B->handoff->final_cr3 = pt.root;
    return rc;
}

int limine_build_address_space(struct limine_boot *B, const char **what)
{
    struct hhdm_plan p;
    size_t n;
    int rc;

    *what = "building the tracker";
    if ((rc = build_tracker(B)) < 0)
        return rc;
    *what = "building the memory map";
    if ((rc = build_memmap(B, &n)) < 0)
        return rc;
    fill_map_responses(B, n);
    *what = "planning the direct map";
    if ((rc = build_plan(B, n, &p)) < 0)
        return rc;
    *what = "building the page tables";
    return build_tables(B, &p);
}

/* Storage, then the pool sized from a plan of the current map. */
EFI_STATUS limine_paging_prepare(struct limine_boot *B)
{
    struct hhdm_plan p;
    size_t n;
    EFI_STATUS st;
    int rc;

    if ((st = allocate_storage(B)) || (st = memmap_get(&B->mm)))
        return st;
    if ((rc = build_tracker(B)) < 0 || (rc = build_memmap(B, &n)) < 0 || (rc = build_plan(B, n, &p)) < 0) {
        con_printf("pagoda: limine: memory map or direct-map plan: %s\n", limine_strerror(rc));
        return EFI_LOAD_ERROR;
    }
    uint64_t min = pt_min_frames(p.m, p.n, B->levels, B->caps) + TRANSITION_FRAMES;
    B->pool.frames = min + min / 4 + POOL_SLACK_FRAMES;
    B->pool.used = 0;
    /* 5-level and the APs' trampoline: the transitional root is loaded into
     * CR3 by 32-bit code. */
    if (B->levels == 5 || B->mp.tramp)
        return alloc_pages(PAGODA_MEM_PAGETABLES, B->pool.frames << PAGE_SHIFT, AllocateMaxAddress,
                           LA57_SWITCH_MAX_ADDR, &B->pool.base);
    return alloc_pages(PAGODA_MEM_PAGETABLES, B->pool.frames << PAGE_SHIFT, AllocateAnyPages, 0,
                       &B->pool.base);
}

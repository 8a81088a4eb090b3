/* The Limine memory map from Pagoda's tracker, and what each base revision
 * changes about memory: types, the direct map's coverage, whether table
 * addresses are physical. Pure functions over caller storage; API and
 * contracts in include/limine_proto.h, rules in docs/limine.md.
 *
 * Spec sections (limine-protocol PROTOCOL.md) cited as [Layout] "Memory
 * Layout at Entry", [Memmap] "Memory Map Feature", [EFI types] "EFI Memory
 * Map Entry Type to Limine Memory Map Type", [Rn] "Base Revision n" of the
 * "Base Revision Changes Summary", [x86 state] "Machine State at Entry". */
#include "limine_proto.h"

/* ---- per-revision rules -------------------------------------------------- */

void limine_rev_rules(uint64_t rev, struct limine_rev_rules *o)
{
    *o = (struct limine_rev_rules){
        /* [Layout] table: 0x1000 .. 4 GiB + any region, "Base revision 0 only";
         * [R1] "Dropped identity mapping". */
        .identity_map = rev == 0,
        /* [R3] "Dropped unconditional direct map of the first 4 GiB". */
        .hhdm_low_4g = rev <= 2,
        /* [R1] HHDM "no longer include[s]" Reserved and Bad memory. */
        .hhdm_all_types = rev == 0,
        /* [R4] "Added new memory map region type RESERVED_MAPPED"; ACPI
         * tables guaranteed inside ACPI reclaimable/NVS/RESERVED_MAPPED. */
        .reserved_mapped_type = rev >= 4,
        .acpi_tables_mapped = rev >= 4,
        /* [R5] runtime services code/data reported RESERVED_MAPPED; SMBIOS
         * tables and the EFI system table (+ what it references) mapped as
         * RESERVED_MAPPED entries. */
        .runtime_reserved_mapped = rev >= 5,
        .smbios_efi_mapped = rev >= 5,
        /* [x86 state] "For base revision 5 or greater, the following
         * machine state is also guaranteed". */
        .strict_entry_state = rev >= 5,
    };
}

/* [R3]: RSDP physical at revision 3 only, SMBIOS and the EFI system table
 * at revisions 3 and 4 only ([R4] RSDP virtual again, [R5] SMBIOS and EFI
 * system table virtual again); HHDM addresses everywhere else ("All
 * non-NULL pointers point to the object with the HHDM offset added"). */
bool limine_table_is_physical(enum limine_table t, uint64_t rev)
{
    switch (t) {
    case LIMINE_TABLE_RSDP:
        return rev == 3;
    case LIMINE_TABLE_SMBIOS:
    case LIMINE_TABLE_EFI_SYSTEM_TABLE:
        return rev == 3 || rev == 4;
    }
    return false;
}

uint64_t limine_table_addr(enum limine_table t, uint64_t rev, paddr_t pa, uint64_t hhdm_offset)
{
    if (pa == 0 || limine_table_is_physical(t, rev))
        return pa;
    return pa + hhdm_offset;
}

/* ---- types ------------------------------------------------------------- */

/* [EFI types]: loader and boot-services memory -> bootloader reclaimable,
 * runtime services -> RESERVED_MAPPED at 5+ else reserved, ACPI reclaim /
 * NVS -> the ACPI types, conventional -> usable, anything else -> reserved.
 * Pagoda's own allocations for the kernel: the image (and modules, which
 * the loader tracks as PMEM_KERNEL_IMAGE) -> executable and modules;
 * page tables, stacks, responses and the AP trampoline are the loader's
 * ([Layout] page tables, [x86 state] GDT and stack, [Memmap] "MP
 * trampolines" are bootloader reclaimable). */
enum limine_mem_type limine_mem_type_of(enum pmem_type t, uint64_t rev)
{
    switch (t) {
    case PMEM_USABLE:
        return LIMINE_MEM_USABLE;
    case PMEM_BOOT_SERVICES:
    case PMEM_LOADER_RECLAIMABLE:
    case PMEM_KERNEL_PAGETABLES:
    case PMEM_KERNEL_STACK:
    case PMEM_KERNEL_HEAP:
    case PMEM_KERNEL_DATA:
    case PMEM_AP_TRAMPOLINE:
        return LIMINE_MEM_BOOTLOADER_RECLAIMABLE;
    case PMEM_KERNEL_IMAGE:
        return LIMINE_MEM_EXECUTABLE_AND_MODULES;
    case PMEM_ACPI_RECLAIMABLE:
        return LIMINE_MEM_ACPI_RECLAIMABLE;
    case PMEM_ACPI_NVS:
        return LIMINE_MEM_ACPI_NVS;
    case PMEM_FIRMWARE_RUNTIME:
        return rev >= 5 ? LIMINE_MEM_RESERVED_MAPPED : LIMINE_MEM_RESERVED;
    case PMEM_FRAMEBUFFER:
        return LIMINE_MEM_FRAMEBUFFER;
    case PMEM_BAD:
        return LIMINE_MEM_BAD;
    default:   /* MMIO, persistent, unaccepted, reserved: "anything else" */
        return LIMINE_MEM_RESERVED;
    }
}

const char *limine_mem_type_name(enum limine_mem_type t)
{
    static const char *const names[LIMINE_MEM_TYPE_COUNT] = {
        [LIMINE_MEM_USABLE] = "usable",
        [LIMINE_MEM_RESERVED] = "reserved",
        [LIMINE_MEM_ACPI_RECLAIMABLE] = "acpi-reclaimable",
        [LIMINE_MEM_ACPI_NVS] = "acpi-nvs",
        [LIMINE_MEM_BAD] = "bad-memory",
        [LIMINE_MEM_BOOTLOADER_RECLAIMABLE] = "bootloader-reclaimable",
        [LIMINE_MEM_EXECUTABLE_AND_MODULES] = "executable-and-modules",
        [LIMINE_MEM_FRAMEBUFFER] = "framebuffer",
        [LIMINE_MEM_RESERVED_MAPPED] = "reserved-mapped",
    };

    return (unsigned)t < LIMINE_MEM_TYPE_COUNT ? names[t] : "invalid";
}

/* ---- building the map ---------------------------------------------------- */

/* No entry: a tracker gap. Only an overlay can turn it into an entry. */
#define MEM_NONE LIMINE_MEM_TYPE_COUNT

/* An overlay's page-rounded span [base, end); false for an empty range or
 * one whose rounded end would pass PMEM_END_MAX. */
static bool overlay_span(paddr_t base, uint64_t length, paddr_t *b, paddr_t *e)
{
    if (length == 0 || base > PMEM_END_MAX || length > PMEM_END_MAX - base)
        return false;
    *b = ALIGN_DOWN(base, PAGE_SIZE);
    *e = ALIGN_UP(base + length, PAGE_SIZE);
    return true;
}

static bool table_active(enum limine_table_class c, uint64_t rev)
{
    struct limine_rev_rules r;

    limine_rev_rules(rev, &r);
    return c == LIMINE_TC_ACPI ? r.acpi_tables_mapped : r.smbios_efi_mapped;
}

/* The uniform stretch [at, *next) of the sweep: the tracker type there
 * (MEM_NONE in a gap) and whether a framebuffer / an active table covers
 * it. *next is the nearest boundary of anything after `at`, or `at` itself
 * when nothing lies at or beyond it (the sweep is over). */
struct stretch {
    unsigned type;
    bool fb, table;
};

static void overlay_edge(paddr_t b, paddr_t e, paddr_t at, bool *covers, paddr_t *next)
{
    if (b <= at && at < e) {
        *covers = true;
        *next = MIN(*next, e);
    } else if (b > at) {
        *next = MIN(*next, b);
    }
}

static struct stretch stretch_at(const struct limine_memmap_input *in, size_t ti, paddr_t at,
                                 paddr_t *next)
{
    struct stretch s = { .type = MEM_NONE };
    paddr_t b, e;

    *next = PMEM_END_MAX + 1;   /* no boundary yet; every real one is <= PMEM_END_MAX */
    if (ti < in->pm->count) {
        const struct pmem_range *r = &in->pm->ranges[ti];

        if (r->base <= at) {
            s.type = limine_mem_type_of((enum pmem_type)r->type, in->rev);
            *next = r->end;
        } else {
            *next = r->base;
        }
    }
    for (size_t i = 0; i < in->nfbs; i++)
        if (overlay_span(in->fbs[i].base, in->fbs[i].length, &b, &e))
            overlay_edge(b, e, at, &s.fb, next);
    for (size_t i = 0; i < in->ntables; i++)
        if (table_active(in->tables[i].cls, in->rev) &&
            overlay_span(in->tables[i].base, in->tables[i].length, &b, &e))
            overlay_edge(b, e, at, &s.table, next);
    if (*next == PMEM_END_MAX + 1)
        *next = at;
    return s;
}

/* The Limine type of a stretch, or a negative error. [Layout]: usable or
 * reserved memory sharing a page with a framebuffer is trimmed; any other
 * type there "is not permitted". [R4]/[R5]: table pages not already in an
 * ACPI type are shown RESERVED_MAPPED, which keeps them mapped and keeps
 * the kernel from reusing them. */
static int stretch_type(struct stretch s)
{
    if (s.fb && s.table)
        return -LIMINE_E_TABLE_PLACE;
    if (s.fb) {
        if (s.type == MEM_NONE || s.type == LIMINE_MEM_USABLE || s.type == LIMINE_MEM_RESERVED ||
            s.type == LIMINE_MEM_FRAMEBUFFER)
            return LIMINE_MEM_FRAMEBUFFER;
        return -LIMINE_E_FB_SHARED;
    }
    if (s.table) {
        switch (s.type) {
        case LIMINE_MEM_ACPI_RECLAIMABLE:
        case LIMINE_MEM_ACPI_NVS:
            return (int)s.type;
        case LIMINE_MEM_EXECUTABLE_AND_MODULES:
        case LIMINE_MEM_FRAMEBUFFER:
        case LIMINE_MEM_BAD:
            return -LIMINE_E_TABLE_PLACE;
        default:
            return LIMINE_MEM_RESERVED_MAPPED;
        }
    }
    return (int)s.type;
}

/* Append [base, end) as `type`, merging with a touching entry of the same
 * type ([Memmap] promises sorted entries; merging is Pagoda's choice). */
static int emit(struct limine_memmap_entry *out, size_t cap, size_t *n, paddr_t base,
                paddr_t end, uint64_t type)
{
    if (*n > 0) {
        struct limine_memmap_entry *last = &out[*n - 1];

        if (last->type == type && last->base + last->length == base) {
            last->length += end - base;
            return 0;
        }
    }
    if (*n == cap)
        return -E_CAPACITY;
    out[(*n)++] = (struct limine_memmap_entry){ .base = base, .length = end - base, .type = type };
    return 0;
}

/* Page 0 is never usable ([R0]: "never marked as usable"; [R3] allows it
 * from revision 3 on, Pagoda keeps it out at every revision so a NULL
 * dereference never hits allocated memory). */
static int emit_typed(struct limine_memmap_entry *out, size_t cap, size_t *n, paddr_t base,
                      paddr_t end, uint64_t type)
{
    int rc;

    if (type == LIMINE_MEM_USABLE && base < PAGE_SIZE) {
        rc = emit(out, cap, n, base, PAGE_SIZE, LIMINE_MEM_RESERVED);
        if (rc < 0 || end == PAGE_SIZE)
            return rc;
        base = PAGE_SIZE;
    }
    return emit(out, cap, n, base, end, type);
}

static bool inputs_valid(const struct limine_memmap_input *in)
{
    paddr_t b, e;

    if (in->pm == NULL || !pmem_check(in->pm) || (in->nfbs > 0 && in->fbs == NULL) ||
        (in->ntables > 0 && in->tables == NULL))
        return false;
    for (size_t i = 0; i < in->nfbs; i++)
        if (in->fbs[i].length > 0 && !overlay_span(in->fbs[i].base, in->fbs[i].length, &b, &e))
            return false;
    for (size_t i = 0; i < in->ntables; i++)
        if (in->tables[i].length > 0 &&
            !overlay_span(in->tables[i].base, in->tables[i].length, &b, &e))
            return false;
    return true;
}

/* One sweep over the address space in stretches where the tracker entry
 * and the set of covering overlays stay the same. Every stretch boundary is
 * a page boundary (tracker entries are page-aligned, overlays are rounded
 * outward), so every entry comes out page-aligned and the entries are
 * disjoint and sorted by construction. O((n + k) * k) for n tracker
 * entries and k overlays. */
int limine_memmap_build(const struct limine_memmap_input *in, struct limine_memmap_entry *out,
                        size_t cap, size_t *n)
{
    paddr_t at = 0, next;
    size_t ti = 0;

    *n = 0;
    if (!inputs_valid(in) || (out == NULL && cap > 0))
        return -E_INVAL;
    for (;;) {
        while (ti < in->pm->count && in->pm->ranges[ti].end <= at)
            ti++;
        struct stretch s = stretch_at(in, ti, at, &next);
        if (next == at)
            return 0;
        int type = stretch_type(s);
        if (type < 0)
            return type;
        if ((unsigned)type != MEM_NONE) {
            int rc = emit_typed(out, cap, n, at, next, (uint64_t)type);
            if (rc < 0)
                return rc;
        }
        at = next;
    }
}

size_t limine_memmap_max_entries(size_t tracker_entries, size_t nfbs, size_t ntables)
{
    return 2 * tracker_entries + 2 * (nfbs + ntables) + 1;
}

/* ---- direct-map coverage -------------------------------------------------- */

/* [Layout]: revision 0 maps every region; 1-2 all but reserved and bad
 * memory; 3+ only usable, bootloader reclaimable, executable and modules,
 * framebuffer; 4+ adds reserved-mapped, ACPI reclaimable, ACPI NVS. */
bool limine_hhdm_covers(enum limine_mem_type t, uint64_t rev)
{
    if (rev == 0)
        return true;
    if (rev <= 2)
        return t != LIMINE_MEM_RESERVED && t != LIMINE_MEM_BAD;
    switch (t) {
    case LIMINE_MEM_USABLE:
    case LIMINE_MEM_BOOTLOADER_RECLAIMABLE:
    case LIMINE_MEM_EXECUTABLE_AND_MODULES:
    case LIMINE_MEM_FRAMEBUFFER:
        return true;
    case LIMINE_MEM_RESERVED_MAPPED:
    case LIMINE_MEM_ACPI_RECLAIMABLE:
    case LIMINE_MEM_ACPI_NVS:
        return rev >= 4;
    default:
        return false;
    }
}

struct plan {
    struct limine_map_range *out;
    size_t n, cap;
};

static int plan_add(struct plan *p, paddr_t base, paddr_t end, enum limine_cache cache)
{
    if (base >= end)
        return 0;
    if (p->n > 0 && p->out[p->n - 1].end == base && p->out[p->n - 1].cache == cache) {
        p->out[p->n - 1].end = end;
        return 0;
    }
    if (p->n == p->cap)
        return -E_CAPACITY;
    p->out[p->n++] = (struct limine_map_range){ .base = base, .end = end, .cache = cache };
    return 0;
}

static bool entry_valid(const struct limine_memmap_entry *e, paddr_t prev_end, bool first)
{
    return e->length > 0 && IS_ALIGNED(e->base, PAGE_SIZE) && IS_ALIGNED(e->length, PAGE_SIZE) &&
           e->base <= PMEM_END_MAX && e->length <= PMEM_END_MAX - e->base &&
           e->type < LIMINE_MEM_TYPE_COUNT && (first || e->base >= prev_end);
}

/* [Caching] x86-64: HHDM regions WB (PAT0), framebuffers WC (PAT5). At
 * revisions 0-2 the low 4 GiB are mapped whole: its gaps and uncovered
 * entries WB, framebuffers in it still WC. */
int limine_hhdm_plan(const struct limine_memmap_entry *map, size_t nmap, uint64_t rev,
                     struct limine_map_range *out, size_t cap, size_t *n)
{
    struct plan p = { .out = out, .cap = cap };
    bool low4g = rev <= 2;
    paddr_t cursor = 0;
    int rc = 0;

    *n = 0;
    if ((map == NULL && nmap > 0) || (out == NULL && cap > 0))
        return -E_INVAL;
    for (size_t i = 0; i < nmap && rc == 0; i++) {
        const struct limine_memmap_entry *e = &map[i];
        paddr_t end = e->base + e->length;
        enum limine_cache cache =
            e->type == LIMINE_MEM_FRAMEBUFFER ? LIMINE_CACHE_WC : LIMINE_CACHE_WB;

        if (!entry_valid(e, cursor, i == 0))
            return -E_INVAL;
        if (low4g)
            rc = plan_add(&p, cursor, MIN(e->base, LIMINE_LOW_4G), LIMINE_CACHE_WB);
        if (rc == 0 && limine_hhdm_covers((enum limine_mem_type)e->type, rev))
            rc = plan_add(&p, e->base, end, cache);
        else if (rc == 0 && low4g)
            rc = plan_add(&p, e->base, MIN(end, LIMINE_LOW_4G), cache);
        cursor = end;
    }
    if (rc == 0 && low4g)
        rc = plan_add(&p, cursor, LIMINE_LOW_4G, LIMINE_CACHE_WB);
    *n = p.n;
    return rc;
}

/* Host tests for shared/limine_memmap.c: the Limine memory map built from
 * the tracker, the per-revision rules and the HHDM coverage plan.
 *
 * Rows state the spec's facts as literal expectations (which revision maps
 * what, which addresses are physical). The property test compares
 * limine_memmap_build on random trackers, framebuffers and firmware tables
 * against a page model written here from the spec's wording (one Limine
 * type per 4 KiB page), and checks the promised shape: sorted, page-aligned,
 * disjoint, merged, page 0 never usable; then checks limine_hhdm_plan page
 * by page against the spec's per-revision coverage lists.
 *
 *   framebuffer trimming (spec "Memory Layout at Entry"):
 *   | usable ... |##fb page##|##fb page##| ... usable |
 *                  ^ fb starts mid-page: the whole page is the framebuffer's
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/rng.h"
#include "limine_proto.h"

#define MiB_ (1ULL << 20)
#define FB   0x80000000ULL

/* Limine types, restated from "Memory Map Feature" so the rows do not lean
 * on the header's enum values. */
enum { U = 0, R = 1, AR = 2, AN = 3, BAD = 4, BR = 5, EX = 6, FBT = 7, RM = 8 };

struct trk { paddr_t base, end; enum pmem_type type; };
struct ent { uint64_t base, length, type; };

#define MAX_TRK 6
#define MAX_ENT 8
#define MAX_OV  3

struct mm_row {
    const char *what;
    uint64_t rev;
    struct trk trk[MAX_TRK];
    struct limine_fb_range fbs[MAX_OV];
    struct limine_table_range tables[MAX_OV];
    size_t cap;
    int rc;
    struct ent want[MAX_ENT];
};

static size_t count_trk(const struct trk *t)
{
    size_t n = 0;

    while (n < MAX_TRK && t[n].end != 0)
        n++;
    return n;
}

static size_t count_fb(const struct limine_fb_range *f)
{
    size_t n = 0;

    while (n < MAX_OV && f[n].length != 0)
        n++;
    return n;
}

static size_t count_tables(const struct limine_table_range *t)
{
    size_t n = 0;

    while (n < MAX_OV && t[n].length != 0)
        n++;
    return n;
}

static void check_mm_row(const struct mm_row *r)
{
    struct pmem_range storage[16];
    struct pmem pm;
    struct limine_memmap_entry out[MAX_ENT];
    size_t n = 99;

    pmem_init(&pm, storage, ARRAY_LEN(storage));
    for (size_t i = 0; i < count_trk(r->trk); i++)
        assert_int_equal(pmem_insert(&pm, r->trk[i].base, r->trk[i].end, r->trk[i].type), 0);
    struct limine_memmap_input in = {
        .pm = &pm, .rev = r->rev,
        .fbs = r->fbs, .nfbs = count_fb(r->fbs),
        .tables = r->tables, .ntables = count_tables(r->tables),
    };
    int rc = limine_memmap_build(&in, out, r->cap ? r->cap : MAX_ENT, &n);
    if (rc != r->rc)
        fail_msg("%s: rc %d (%s), want %d", r->what, rc, limine_strerror(rc), r->rc);
    if (rc != 0)
        return;
    size_t want_n = 0;
    while (want_n < MAX_ENT && r->want[want_n].length != 0)
        want_n++;
    bool same = n == want_n;
    for (size_t i = 0; same && i < n; i++)
        same = out[i].base == r->want[i].base && out[i].length == r->want[i].length &&
               out[i].type == r->want[i].type;
    if (!same) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  got  %#llx +%#llx %s\n", (unsigned long long)out[i].base,
                    (unsigned long long)out[i].length,
                    limine_mem_type_name((enum limine_mem_type)out[i].type));
        fail_msg("%s: map differs (%zu entries, want %zu)", r->what, n, want_n);
    }
}

static void test_memmap_rows(void **state)
{
    static const struct mm_row rows[] = {
        { "usable, kernel, usable: page 0 split off as reserved", 6,
          { { 0, 1 * MiB_, PMEM_USABLE }, { 1 * MiB_, 2 * MiB_, PMEM_KERNEL_IMAGE },
            { 2 * MiB_, 16 * MiB_, PMEM_USABLE } }, { { 0 } }, { { 0 } }, 0, 0,
          { { 0, 0x1000, R }, { 0x1000, 1 * MiB_ - 0x1000, U }, { 1 * MiB_, 1 * MiB_, EX },
            { 2 * MiB_, 14 * MiB_, U } } },
        { "page 0 stays out of usable at revision 3 too", 3,
          { { 0, 0x1000, PMEM_USABLE } }, { { 0 } }, { { 0 } }, 0, 0, { { 0, 0x1000, R } } },
        { "loader allocations of several kinds merge into one reclaimable entry", 6,
          { { 1 * MiB_, 2 * MiB_, PMEM_LOADER_RECLAIMABLE },
            { 2 * MiB_, 3 * MiB_, PMEM_KERNEL_STACK },
            { 3 * MiB_, 4 * MiB_, PMEM_KERNEL_PAGETABLES },
            { 4 * MiB_, 5 * MiB_, PMEM_BOOT_SERVICES },
            { 6 * MiB_, 7 * MiB_, PMEM_AP_TRAMPOLINE } }, { { 0 } }, { { 0 } }, 0, 0,
          { { 1 * MiB_, 4 * MiB_, BR }, { 6 * MiB_, 1 * MiB_, BR } } },
        { "runtime services: reserved at revision 4", 4,
          { { 1 * MiB_, 2 * MiB_, PMEM_FIRMWARE_RUNTIME } }, { { 0 } }, { { 0 } }, 0, 0,
          { { 1 * MiB_, 1 * MiB_, R } } },
        { "runtime services: reserved-mapped at revision 5", 5,
          { { 1 * MiB_, 2 * MiB_, PMEM_FIRMWARE_RUNTIME } }, { { 0 } }, { { 0 } }, 0, 0,
          { { 1 * MiB_, 1 * MiB_, RM } } },
        { "mmio, persistent, unaccepted, bad, nvs", 6,
          { { 1 * MiB_, 2 * MiB_, PMEM_MMIO }, { 2 * MiB_, 3 * MiB_, PMEM_PERSISTENT },
            { 3 * MiB_, 4 * MiB_, PMEM_UNACCEPTED }, { 4 * MiB_, 5 * MiB_, PMEM_BAD },
            { 5 * MiB_, 6 * MiB_, PMEM_ACPI_NVS }, { 6 * MiB_, 7 * MiB_, PMEM_ACPI_RECLAIMABLE } },
          { { 0 } }, { { 0 } }, 0, 0,
          { { 1 * MiB_, 3 * MiB_, R }, { 4 * MiB_, 1 * MiB_, BAD }, { 5 * MiB_, 1 * MiB_, AN },
            { 6 * MiB_, 1 * MiB_, AR } } },
        { "framebuffer inside usable: pages it touches trimmed off", 6,
          { { FB - 1 * MiB_, FB + 1 * MiB_, PMEM_USABLE } }, { { FB + 0x800, 0x1000 } },
          { { 0 } }, 0, 0,
          { { FB - 1 * MiB_, 1 * MiB_, U }, { FB, 0x2000, FBT },
            { FB + 0x2000, 1 * MiB_ - 0x2000, U } } },
        { "framebuffer in a gap of the firmware map", 6, { { 0 } }, { { FB, 0x300000 } },
          { { 0 } }, 0, 0, { { FB, 0x300000, FBT } } },
        { "framebuffer over reserved (mmio): trimmed", 6,
          { { FB, FB + 0x10000, PMEM_MMIO } }, { { FB + 0x1000, 0x1000 } }, { { 0 } }, 0, 0,
          { { FB, 0x1000, R }, { FB + 0x1000, 0x1000, FBT }, { FB + 0x2000, 0xe000, R } } },
        { "framebuffer sharing a page with ACPI: refused", 6,
          { { FB - 0x1000, FB, PMEM_ACPI_RECLAIMABLE } }, { { FB - 0x10, 0x1000 } }, { { 0 } },
          0, -LIMINE_E_FB_SHARED, { { 0 } } },
        { "framebuffer sharing a page with loader memory: refused", 6,
          { { FB, FB + 0x1000, PMEM_LOADER_RECLAIMABLE } }, { { FB, 0x10 } }, { { 0 } }, 0,
          -LIMINE_E_FB_SHARED, { { 0 } } },
        { "ACPI table in boot-services memory: nothing changes at revision 3", 3,
          { { 1 * MiB_, 2 * MiB_, PMEM_BOOT_SERVICES } }, { { 0 } },
          { { 1 * MiB_ + 0x1234, 0x100, LIMINE_TC_ACPI } }, 0, 0, { { 1 * MiB_, 1 * MiB_, BR } } },
        { "ACPI table in boot-services memory: its page reserved-mapped at revision 4", 4,
          { { 1 * MiB_, 2 * MiB_, PMEM_BOOT_SERVICES } }, { { 0 } },
          { { 1 * MiB_ + 0x1234, 0x100, LIMINE_TC_ACPI } }, 0, 0,
          { { 1 * MiB_, 0x1000, BR }, { 1 * MiB_ + 0x1000, 0x1000, RM },
            { 1 * MiB_ + 0x2000, 1 * MiB_ - 0x2000, BR } } },
        { "ACPI table in ACPI NVS stays NVS", 6,
          { { 1 * MiB_, 2 * MiB_, PMEM_ACPI_NVS } }, { { 0 } },
          { { 1 * MiB_, 0x2000, LIMINE_TC_ACPI } }, 0, 0, { { 1 * MiB_, 1 * MiB_, AN } } },
        { "ACPI table outside the map gets its own entry", 4, { { 0 } }, { { 0 } },
          { { 0xe0000, 0x24, LIMINE_TC_ACPI } }, 0, 0, { { 0xe0000, 0x1000, RM } } },
        { "SMBIOS table ignored at revision 4", 4, { { 0 } }, { { 0 } },
          { { 0xf0000, 0x1f, LIMINE_TC_SMBIOS } }, 0, 0, { { 0 } } },
        { "SMBIOS and EFI system table reserved-mapped at revision 5", 5,
          { { 0x100000, 0x200000, PMEM_RESERVED } }, { { 0 } },
          { { 0xf0000, 0x1f, LIMINE_TC_SMBIOS }, { 0x1ff000, 0x2000, LIMINE_TC_EFI } }, 0, 0,
          { { 0xf0000, 0x1000, RM }, { 0x100000, 0xff000, R }, { 0x1ff000, 0x2000, RM } } },
        { "table in the kernel image: refused", 6,
          { { 1 * MiB_, 2 * MiB_, PMEM_KERNEL_IMAGE } }, { { 0 } },
          { { 1 * MiB_, 0x10, LIMINE_TC_ACPI } }, 0, -LIMINE_E_TABLE_PLACE, { { 0 } } },
        { "table on a framebuffer page: refused", 6, { { 0 } }, { { FB, 0x1000 } },
          { { FB + 0x10, 0x10, LIMINE_TC_ACPI } }, 0, -LIMINE_E_TABLE_PLACE, { { 0 } } },
        { "three entries, room for two", 6,
          { { 1 * MiB_, 2 * MiB_, PMEM_USABLE }, { 2 * MiB_, 3 * MiB_, PMEM_KERNEL_IMAGE },
            { 3 * MiB_, 4 * MiB_, PMEM_USABLE } }, { { 0 } }, { { 0 } }, 2, -E_CAPACITY,
          { { 0 } } },
        { "a table wrapping the address space: invalid", 6, { { 0 } }, { { 0 } },
          { { UINT64_MAX - 0x10, 0x100, LIMINE_TC_ACPI } }, 0, -E_INVAL, { { 0 } } },
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        check_mm_row(&rows[i]);
}

static void test_memmap_bad_tracker(void **state)
{
    struct pmem_range bad[2] = { { 2 * MiB_, 3 * MiB_, PMEM_USABLE, 0 },
                                 { 1 * MiB_, 2 * MiB_, PMEM_KERNEL_IMAGE, 0 } };
    struct pmem pm = { .ranges = bad, .count = 2, .capacity = 2 };
    struct limine_memmap_input in = { .pm = &pm, .rev = 6 };
    struct limine_memmap_entry out[4];
    size_t n;
    (void)state;

    assert_int_equal(limine_memmap_build(&in, out, 4, &n), -E_INVAL);
    in.pm = NULL;
    assert_int_equal(limine_memmap_build(&in, out, 4, &n), -E_INVAL);
}

/* Tracker ends count in the bound: one table over five ACPI islands with
 * gaps between them gives 9 entries from 5 tracker entries and 1 overlay.
 *
 *   | AR | gap | AR | gap | AR | gap | AR | gap | AR |
 *   |<------------------- one ACPI table ------------>|
 *   | AR | RM  | AR | RM  | AR | RM  | AR | RM  | AR |   (revision 4) */
static void test_max_entries_islands(void **state)
{
    struct pmem_range storage[8];
    struct pmem pm;
    struct limine_memmap_entry out[16];
    const struct limine_table_range table = { 1 * MiB_, 9 * PAGE_SIZE, LIMINE_TC_ACPI };
    size_t n;
    (void)state;

    pmem_init(&pm, storage, ARRAY_LEN(storage));
    for (uint64_t i = 0; i < 5; i++)
        assert_int_equal(pmem_insert(&pm, 1 * MiB_ + 2 * i * PAGE_SIZE,
                                     1 * MiB_ + (2 * i + 1) * PAGE_SIZE, PMEM_ACPI_RECLAIMABLE), 0);
    struct limine_memmap_input in = { .pm = &pm, .rev = 4, .tables = &table, .ntables = 1 };
    assert_int_equal(limine_memmap_build(&in, out, ARRAY_LEN(out), &n), 0);
    assert_int_equal(n, 9);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].base, 1 * MiB_ + i * PAGE_SIZE);
        assert_int_equal(out[i].type, i % 2 ? RM : AR);
    }
    assert_true(n <= limine_memmap_max_entries(pm.count, 0, 1));
}

/* ---- per-revision facts ---------------------------------------------------- */

static void test_rev_rules(void **state)
{
    /* Columns: identity, low 4 GiB, all types, RESERVED_MAPPED type, ACPI
     * tables mapped, runtime as RESERVED_MAPPED, SMBIOS/EFI mapped, strict
     * entry state. From "Base Revision Changes Summary". */
    static const char *const want[7] = {
        "11100000", "01000000", "01000000", "00000000", "00011000", "00011111", "00011111",
    };
    (void)state;

    for (uint64_t rev = 0; rev <= 6; rev++) {
        struct limine_rev_rules r;
        char got[9];

        limine_rev_rules(rev, &r);
        snprintf(got, sizeof(got), "%d%d%d%d%d%d%d%d", r.identity_map, r.hhdm_low_4g,
                 r.hhdm_all_types, r.reserved_mapped_type, r.acpi_tables_mapped,
                 r.runtime_reserved_mapped, r.smbios_efi_mapped, r.strict_entry_state);
        if (strcmp(got, want[rev]) != 0)
            fail_msg("revision %llu: rules %s, want %s", (unsigned long long)rev, got, want[rev]);
    }
}

static void test_table_addresses(void **state)
{
    /* "Physical for base revision 3 only" (RSDP); "3 and 4 only" (SMBIOS,
     * EFI system table). One character per revision 0..6: p = physical. */
    static const struct { enum limine_table t; const char *kind; } rows[] = {
        { LIMINE_TABLE_RSDP, "vvvpvvv" },
        { LIMINE_TABLE_SMBIOS, "vvvppvv" },
        { LIMINE_TABLE_EFI_SYSTEM_TABLE, "vvvppvv" },
    };
    const uint64_t hhdm = 0xffff800000000000ULL, pa = 0x7fe14000ULL;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        for (uint64_t rev = 0; rev <= 6; rev++) {
            bool phys = rows[i].kind[rev] == 'p';
            assert_int_equal(limine_table_is_physical(rows[i].t, rev), phys);
            assert_int_equal(limine_table_addr(rows[i].t, rev, pa, hhdm), phys ? pa : pa + hhdm);
            assert_int_equal(limine_table_addr(rows[i].t, rev, 0, hhdm), 0);   /* absent */
        }
    }
}

/* "Memory Layout at Entry": the HHDM's types per revision. Rows: type,
 * then one character per revision 0..6 (1 = mapped). */
static void test_hhdm_covers(void **state)
{
    static const char *const want[LIMINE_MEM_TYPE_COUNT] = {
        [U] = "1111111", [R] = "1000000", [AR] = "1110111", [AN] = "1110111",
        [BAD] = "1000000", [BR] = "1111111", [EX] = "1111111", [FBT] = "1111111",
        [RM] = "1110111",
    };
    (void)state;

    for (unsigned t = 0; t < LIMINE_MEM_TYPE_COUNT; t++)
        for (uint64_t rev = 0; rev <= 6; rev++)
            if (limine_hhdm_covers((enum limine_mem_type)t, rev) != (want[t][rev] == '1'))
                fail_msg("type %s rev %llu", limine_mem_type_name((enum limine_mem_type)t),
                         (unsigned long long)rev);
}

struct plan_row {
    const char *what;
    uint64_t rev;
    struct limine_map_range want[6];
};

static void test_hhdm_plan_rows(void **state)
{
    /* One map for all rows: reserved page 0, usable, an IOAPIC page,
     * the framebuffer, usable above 4 GiB, bad memory, ACPI NVS. */
    static const struct limine_memmap_entry map[] = {
        { 0, 0x1000, R }, { 0x1000, 0x9f000, U }, { FB, 0x300000, FBT },
        { 0xfec00000, 0x1000, R }, { 0x100000000, 0x40000000, U },
        { 0x140000000, 0x1000, BAD }, { 0x140001000, 0x1000, AN },
    };
    static const struct plan_row rows[] = {
        { "revision 0: low 4 GiB whole, everything above", 0,
          { { 0, FB, LIMINE_CACHE_WB }, { FB, FB + 0x300000, LIMINE_CACHE_WC },
            { FB + 0x300000, 0x140002000, LIMINE_CACHE_WB } } },
        { "revision 2: low 4 GiB whole, bad memory above left out", 2,
          { { 0, FB, LIMINE_CACHE_WB }, { FB, FB + 0x300000, LIMINE_CACHE_WC },
            { FB + 0x300000, 0x140000000, LIMINE_CACHE_WB },
            { 0x140001000, 0x140002000, LIMINE_CACHE_WB } } },
        { "revision 3: only usable and framebuffer", 3,
          { { 0x1000, 0xa0000, LIMINE_CACHE_WB }, { FB, FB + 0x300000, LIMINE_CACHE_WC },
            { 0x100000000, 0x140000000, LIMINE_CACHE_WB } } },
        { "revision 4: ACPI NVS too", 4,
          { { 0x1000, 0xa0000, LIMINE_CACHE_WB }, { FB, FB + 0x300000, LIMINE_CACHE_WC },
            { 0x100000000, 0x140000000, LIMINE_CACHE_WB },
            { 0x140001000, 0x140002000, LIMINE_CACHE_WB } } },
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        struct limine_map_range out[8];
        size_t n, want_n = 0;

        assert_int_equal(limine_hhdm_plan(map, ARRAY_LEN(map), rows[i].rev, out, 8, &n), 0);
        while (want_n < 6 && rows[i].want[want_n].end != 0)
            want_n++;
        bool same = n == want_n;
        for (size_t j = 0; same && j < n; j++)
            same = out[j].base == rows[i].want[j].base && out[j].end == rows[i].want[j].end &&
                   out[j].cache == rows[i].want[j].cache;
        if (!same) {
            for (size_t j = 0; j < n; j++)
                fprintf(stderr, "  got %#llx-%#llx %s\n", (unsigned long long)out[j].base,
                        (unsigned long long)out[j].end, out[j].cache ? "wc" : "wb");
            fail_msg("%s", rows[i].what);
        }
        if (n > 1)
            assert_int_equal(limine_hhdm_plan(map, ARRAY_LEN(map), rows[i].rev, out, n - 1, &n),
                             -E_CAPACITY);
    }
}

static void test_hhdm_plan_invalid(void **state)
{
    static const struct limine_memmap_entry unsorted[] = { { 0x2000, 0x1000, U },
                                                           { 0x1000, 0x1000, U } };
    static const struct limine_memmap_entry unaligned[] = { { 0x1000, 0x800, U } };
    static const struct limine_memmap_entry badtype[] = { { 0x1000, 0x1000, 9 } };
    struct limine_map_range out[4];
    size_t n;
    (void)state;

    assert_int_equal(limine_hhdm_plan(unsorted, 2, 3, out, 4, &n), -E_INVAL);
    assert_int_equal(limine_hhdm_plan(unaligned, 1, 3, out, 4, &n), -E_INVAL);
    assert_int_equal(limine_hhdm_plan(badtype, 1, 3, out, 4, &n), -E_INVAL);
    assert_int_equal(limine_hhdm_plan(NULL, 0, 3, out, 4, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(limine_hhdm_plan(NULL, 0, 1, out, 4, &n), 0);   /* the 4 GiB block alone */
    assert_int_equal(n, 1);
    assert_int_equal(out[0].end, 4ULL << 30);
}

/* ---- property test against a page model ----------------------------------- */

#define SPACE_PAGES 512   /* 2 MiB */
#define STEPS       3000
#define NONE_T      0xff

/* The spec's mapping, restated ("EFI Memory Map Entry Type to Limine Memory
 * Map Type" plus Pagoda's allocation types, docs/limine.md). */
static uint8_t model_type(enum pmem_type t, uint64_t rev)
{
    switch (t) {
    case PMEM_USABLE: return U;
    case PMEM_KERNEL_IMAGE: return EX;
    case PMEM_ACPI_RECLAIMABLE: return AR;
    case PMEM_ACPI_NVS: return AN;
    case PMEM_FRAMEBUFFER: return FBT;
    case PMEM_BAD: return BAD;
    case PMEM_FIRMWARE_RUNTIME: return rev >= 5 ? RM : R;
    case PMEM_BOOT_SERVICES: case PMEM_LOADER_RECLAIMABLE: case PMEM_KERNEL_PAGETABLES:
    case PMEM_KERNEL_STACK: case PMEM_KERNEL_HEAP: case PMEM_KERNEL_DATA:
    case PMEM_AP_TRAMPOLINE:
        return BR;
    default: return R;
    }
}

struct prop {
    uint64_t rng;
    struct pmem pm;
    struct pmem_range storage[SPACE_PAGES];
    struct limine_fb_range fbs[2];
    struct limine_table_range tables[4];
    size_t nfbs, ntables;
    uint64_t rev;
    uint8_t want[SPACE_PAGES];
};

static void random_tracker(struct prop *p)
{
    pmem_init(&p->pm, p->storage, ARRAY_LEN(p->storage));
    for (uint64_t pg = 0; pg < SPACE_PAGES;) {
        uint64_t len = rng_between(&p->rng, 1, 24);
        enum pmem_type t = rng_below(&p->rng, 3) == 0
                               ? PMEM_USABLE
                               : (enum pmem_type)rng_between(&p->rng, 1, PMEM_TYPE_COUNT - 1);
        len = MIN(len, SPACE_PAGES - pg);
        if (rng_below(&p->rng, 5) != 0)   /* else: a gap */
            assert_int_equal(pmem_retype(&p->pm, pg * PAGE_SIZE, (pg + len) * PAGE_SIZE, t), 0);
        pg += len;
    }
}

/* A byte range inside the space, at any byte offset. */
static void random_bytes(struct prop *p, paddr_t *base, uint64_t *len)
{
    *base = rng_below(&p->rng, (SPACE_PAGES - 8) * PAGE_SIZE);
    *len = rng_between(&p->rng, 1, 3 * PAGE_SIZE);
}

/* Expected type per page, or the error the build must return (the first
 * conflicting page in address order decides which). */
static int model_build(struct prop *p)
{
    for (uint64_t pg = 0; pg < SPACE_PAGES; pg++) {
        paddr_t lo = pg * PAGE_SIZE, hi = lo + PAGE_SIZE;
        enum pmem_type pt = pmem_type_at(&p->pm, lo);
        uint8_t t = pt == PMEM_NONE ? NONE_T : model_type(pt, p->rev);
        bool fb = false, table = false;

        for (size_t i = 0; i < p->nfbs; i++)   /* a framebuffer byte in this page */
            fb |= p->fbs[i].base < hi && p->fbs[i].base + p->fbs[i].length > lo;
        for (size_t i = 0; i < p->ntables; i++) {
            bool active = p->tables[i].cls == LIMINE_TC_ACPI ? p->rev >= 4 : p->rev >= 5;
            table |= active && p->tables[i].base < hi && p->tables[i].base + p->tables[i].length > lo;
        }
        if (fb && table)
            return -LIMINE_E_TABLE_PLACE;
        if (fb) {
            if (t != NONE_T && t != U && t != R && t != FBT)
                return -LIMINE_E_FB_SHARED;
            t = FBT;
        } else if (table) {
            if (t == EX || t == FBT || t == BAD)
                return -LIMINE_E_TABLE_PLACE;
            if (t != AR && t != AN)
                t = RM;
        }
        if (pg == 0 && t == U)
            t = R;
        p->want[pg] = t;
    }
    return 0;
}

static size_t model_runs(const struct prop *p)
{
    size_t runs = 0;

    for (uint64_t pg = 0; pg < SPACE_PAGES; pg++)
        if (p->want[pg] != NONE_T && (pg == 0 || p->want[pg - 1] != p->want[pg]))
            runs++;
    return runs;
}

static void check_shape(const struct limine_memmap_entry *m, size_t n, unsigned long step)
{
    for (size_t i = 0; i < n; i++) {
        if (!IS_ALIGNED(m[i].base, PAGE_SIZE) || !IS_ALIGNED(m[i].length, PAGE_SIZE) ||
            m[i].length == 0)
            fail_msg("step %lu: entry %zu not page-aligned", step, i);
        if (i > 0 && m[i - 1].base + m[i - 1].length > m[i].base)
            fail_msg("step %lu: entries %zu and %zu overlap or are unsorted", step, i - 1, i);
        if (i > 0 && m[i - 1].base + m[i - 1].length == m[i].base && m[i - 1].type == m[i].type)
            fail_msg("step %lu: entries %zu and %zu touch with one type", step, i - 1, i);
        if (m[i].type == U && m[i].base == 0)
            fail_msg("step %lu: page 0 usable", step);
    }
}

/* The plan maps page pg, and with which cache, per the spec's lists. */
static void check_plan(const struct prop *p, const struct limine_memmap_entry *m, size_t n,
                       unsigned long step)
{
    static const char *const covers[LIMINE_MEM_TYPE_COUNT] = {
        [U] = "1111111", [R] = "1000000", [AR] = "1110111", [AN] = "1110111",
        [BAD] = "1000000", [BR] = "1111111", [EX] = "1111111", [FBT] = "1111111",
        [RM] = "1110111",
    };
    struct limine_map_range plan[SPACE_PAGES + 2];
    size_t np;

    assert_int_equal(limine_hhdm_plan(m, n, p->rev, plan, ARRAY_LEN(plan), &np), 0);
    for (uint64_t pg = 0; pg < SPACE_PAGES; pg++) {
        paddr_t a = pg * PAGE_SIZE;
        bool want_mapped = p->rev <= 2 ||
                           (p->want[pg] != NONE_T && covers[p->want[pg]][p->rev] == '1');
        const struct limine_map_range *hit = NULL;

        for (size_t i = 0; i < np && !hit; i++)
            if (plan[i].base <= a && a < plan[i].end)
                hit = &plan[i];
        if ((hit != NULL) != want_mapped)
            fail_msg("step %lu rev %llu: page %#llx mapped %d, want %d", step,
                     (unsigned long long)p->rev, (unsigned long long)a, hit != NULL, want_mapped);
        if (hit && (hit->cache == LIMINE_CACHE_WC) != (p->want[pg] == FBT))
            fail_msg("step %lu: page %#llx cache wrong", step, (unsigned long long)a);
    }
    /* Revisions 0-2: the rest of the low 4 GiB is there, once. */
    if (p->rev <= 2) {
        assert_int_equal(plan[np - 1].end, 4ULL << 30);
        for (size_t i = 1; i < np; i++)
            assert_true(plan[i - 1].end <= plan[i].base);
    }
}

static void test_memmap_property(void **state)
{
    static struct prop p;
    struct limine_memmap_entry out[SPACE_PAGES];
    unsigned long outcomes[3] = { 0 };   /* ok, fb refused, table refused */
    (void)state;

    p.rng = 0x11a1e;
    for (unsigned long step = 0; step < STEPS; step++) {
        random_tracker(&p);
        p.rev = rng_below(&p.rng, 7);
        p.nfbs = rng_below(&p.rng, 3);
        p.ntables = rng_below(&p.rng, 5);
        for (size_t i = 0; i < p.nfbs; i++)
            random_bytes(&p, &p.fbs[i].base, &p.fbs[i].length);
        for (size_t i = 0; i < p.ntables; i++) {
            random_bytes(&p, &p.tables[i].base, &p.tables[i].length);
            p.tables[i].cls = (enum limine_table_class)rng_below(&p.rng, 3);
        }
        struct limine_memmap_input in = { .pm = &p.pm, .rev = p.rev, .fbs = p.fbs,
                                          .nfbs = p.nfbs, .tables = p.tables,
                                          .ntables = p.ntables };
        int want_rc = model_build(&p);
        size_t n;
        int rc = limine_memmap_build(&in, out, ARRAY_LEN(out), &n);
        if (rc != want_rc)
            fail_msg("step %lu: rc %d, model %d", step, rc, want_rc);
        if (rc != 0) {
            outcomes[rc == -LIMINE_E_FB_SHARED ? 1 : 2]++;
            continue;
        }
        outcomes[0]++;
        check_shape(out, n, step);
        /* Page by page equal to the model; nothing outside the space. */
        uint8_t got[SPACE_PAGES];
        memset(got, NONE_T, sizeof(got));
        for (size_t i = 0; i < n; i++) {
            assert_true(out[i].base + out[i].length <= SPACE_PAGES * PAGE_SIZE);
            for (uint64_t a = out[i].base; a < out[i].base + out[i].length; a += PAGE_SIZE)
                got[a / PAGE_SIZE] = (uint8_t)out[i].type;
        }
        for (uint64_t pg = 0; pg < SPACE_PAGES; pg++)
            if (got[pg] != p.want[pg])
                fail_msg("step %lu rev %llu: page %#llx type %u, model %u", step,
                         (unsigned long long)p.rev, (unsigned long long)(pg * PAGE_SIZE),
                         got[pg], p.want[pg]);
        /* Capacity: exactly the model's run count fits, one less does not. */
        size_t runs = model_runs(&p);
        assert_int_equal(n, runs);
        assert_true(n <= limine_memmap_max_entries(p.pm.count, p.nfbs, p.ntables));
        if (runs > 0)
            assert_int_equal(limine_memmap_build(&in, out, runs - 1, &n), -E_CAPACITY);
        check_plan(&p, out, runs, step);
    }
    /* The run exercised every outcome. */
    for (size_t i = 0; i < ARRAY_LEN(outcomes); i++)
        assert_true(outcomes[i] > STEPS / 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memmap_rows),
        cmocka_unit_test(test_memmap_bad_tracker),
        cmocka_unit_test(test_max_entries_islands),
        cmocka_unit_test(test_rev_rules),
        cmocka_unit_test(test_table_addresses),
        cmocka_unit_test(test_hhdm_covers),
        cmocka_unit_test(test_hhdm_plan_rows),
        cmocka_unit_test(test_hhdm_plan_invalid),
        cmocka_unit_test(test_memmap_property),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* replay: run a memory-map capture (docs/memmap-capture.md) through the
 * code the loader runs on it, on the host, and print what comes out:
 *   1. the firmware map by EFI type, and descriptors of unknown types;
 *   2. the tracker: pmem_build (the sanitiser), then the ranges the loader
 *      adds (framebuffer, local APIC, IOAPIC), one line per range;
 *   3. the sanitiser's warnings (pmem_sanitize_stats);
 *   4. the HHDM plan (shared/hhdm_plan.c) with the leaves pt_map lays for
 *      each mapping on a 1 GiB-page CPU and on a 2 MiB-only one, and the
 *      page-table frames: pt_min_frames, and frames_used after building the
 *      tables for real with pt_map into a malloc'd arena (replay_paging.c).
 * Exit status: 0 ok; 1 malformed capture (the message names the line);
 * 2 usage or I/O error; 3 the replay found a problem (pmem_build or pt_map
 * failed, the tables took more frames than the computed minimum, or the
 * direct map leaves its window). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootinfo.h"
#include "capture_file.h"
#include "platform_ranges.h"
#include "pmem.h"
#include "replay.h"

/* UEFI 2.10 Table 7.6: types 0..15 are defined; 0x70000000..0x7FFFFFFF
 * are OEM-defined, 0x80000000.. OS-loader-defined. Pagoda's loader
 * allocates with EFI_OS_TYPE_BASE + pmem type (efi/loader.h). */
#define EFI_DEFINED_TYPES  16
#define EFI_OEM_TYPE_BASE  0x70000000u
#define EFI_OS_TYPE_BASE   0x80000000u

/* ---- names -------------------------------------------------------------- */

static const char *efi_type_name(uint32_t type)
{
    static const char *const names[EFI_DEFINED_TYPES] = {
        "reserved", "loader-code", "loader-data", "boot-services-code", "boot-services-data",
        "runtime-code", "runtime-data", "conventional", "unusable", "acpi-reclaim",
        "acpi-nvs", "mmio", "mmio-port", "pal-code", "persistent", "unaccepted",
    };
    if (type < EFI_DEFINED_TYPES)
        return names[type];
    if (type >= EFI_OS_TYPE_BASE)
        return "os-defined";
    return type >= EFI_OEM_TYPE_BASE ? "oem-defined" : "undefined";
}

/* One of the loader's own types, recorded with the tracker type it
 * stands for. */
static bool is_pagoda_type(const struct capture_desc *d)
{
    return d->type >= EFI_OS_TYPE_BASE && d->type - EFI_OS_TYPE_BASE == d->pmem;
}

const char *size_str(uint64_t bytes, char buf[SIZE_STR_MAX])
{
    static const struct { uint64_t unit; char suffix; } units[] = {
        { TiB, 'T' }, { GiB, 'G' }, { MiB, 'M' }, { KiB, 'K' },
    };
    for (size_t i = 0; i < ARRAY_LEN(units); i++)
        if (bytes && bytes % units[i].unit == 0) {
            snprintf(buf, SIZE_STR_MAX, "%llu%c", (unsigned long long)(bytes / units[i].unit),
                     units[i].suffix);
            return buf;
        }
    snprintf(buf, SIZE_STR_MAX, "%llu", (unsigned long long)bytes);
    return buf;
}

/* ---- the capture as read ------------------------------------------------ */

static void print_capture(const char *path, const struct capture *c)
{
    static const char *const fb_formats[] = { "none", "rgbx", "bgrx", "bitmask" };

    printf("capture %s version=%u descriptors=%zu desc_size=%llu desc_version=%u\n", path,
           c->version, c->count, (unsigned long long)c->desc_size, c->desc_version);
    if (c->has_firmware)
        printf("firmware vendor=\"%s\" uefi=%#x revision=%#x\n", c->vendor, c->uefi_revision,
               c->firmware_revision);
    if (c->has_cpuid)
        printf("cpuid 1g=%d nx=%d la57=%d x2apic=%d\n", !!(c->cpu_features & BI_CPU_1G_PAGES),
               !!(c->cpu_features & BI_CPU_NX), !!(c->cpu_features & BI_CPU_LA57),
               !!(c->cpu_features & BI_CPU_X2APIC));
    if (c->has_cpus) {
        size_t enabled = 0;
        printf("cpus count=%zu source=%s bsp_apic=%u apic_ids=", c->cpu_count, c->cpus_source,
               c->bsp_apic);
        for (size_t i = 0; i < c->cpu_count; i++) {
            printf("%s%u", i ? "," : "", c->cpus[i].apic_id);
            enabled += (c->cpus[i].flags & CPU_FLAG_ENABLED) != 0;
        }
        printf("%s enabled=%zu\n", c->cpu_count ? "" : "none", enabled);
    }
    if (c->has_fb)
        printf("fb base=%#llx size=%#llx %ux%u pitch=%u format=%s\n", (unsigned long long)c->fb.base,
               (unsigned long long)c->fb.size, c->fb.width, c->fb.height, c->fb.pitch,
               fb_formats[c->fb.format]);
}

/* The tracker type the loader gave every descriptor of this EFI type, or
 * "mixed" (conventional memory with EFI_MEMORY_SP is reserved, for one). */
static const char *group_pmem_name(const struct capture *c, uint32_t type)
{
    int pmem = -1;

    for (size_t i = 0; i < c->count; i++)
        if (c->descs[i].type == type) {
            if (pmem >= 0 && (enum pmem_type)pmem != c->descs[i].pmem)
                return "mixed";
            pmem = (int)c->descs[i].pmem;
        }
    return pmem_type_name((enum pmem_type)pmem);
}

/* Descriptors and bytes per EFI type, in order of first appearance, with
 * the tracker type the loader made of them. */
static void print_firmware_types(const struct capture *c)
{
    char size[SIZE_STR_MAX];
    uint64_t total = 0;

    for (size_t i = 0; i < c->count; i++)
        total += c->descs[i].pages << PAGE_SHIFT;  /* wraps like memmap_total_bytes */
    printf("\nfirmware descriptors=%zu bytes=%llu\n", c->count, (unsigned long long)total);
    for (size_t i = 0; i < c->count; i++) {
        const struct capture_desc *d = &c->descs[i];
        size_t first = 0, n = 0;
        uint64_t bytes = 0;
        while (c->descs[first].type != d->type)
            first++;
        if (first != i)
            continue;
        for (size_t j = i; j < c->count; j++)
            if (c->descs[j].type == d->type) {
                n++;
                bytes += c->descs[j].pages << PAGE_SHIFT;
            }
        printf("  type 0x%-8x %-18s descriptors=%-4zu size=%-9s -> %s\n", d->type,
               is_pagoda_type(d) ? "pagoda" : efi_type_name(d->type), n, size_str(bytes, size),
               group_pmem_name(c, d->type));
    }
}

/* ---- tracker ------------------------------------------------------------ */

struct replay {
    const struct capture *c;
    struct pmem pm;
    struct pmem_sanitize_stats stats;
    size_t unknown_types;
};

static int build_tracker(struct replay *r)
{
    const struct capture *c = r->c;
    struct pmem_raw *raw = calloc(c->count ? c->count : 1, sizeof(*raw));
    size_t cap = 2 * c->count + 1 + PLATFORM_RANGES_ENTRIES;   /* pmem_build's capacity rule */
    int rc;

    pmem_init(&r->pm, calloc(cap, sizeof(struct pmem_range)), cap);
    if (!raw || !r->pm.ranges) {
        fprintf(stderr, "replay: out of memory\n");
        exit(EXIT_USAGE);
    }
    for (size_t i = 0; i < c->count; i++)   /* as efi/memmap.c's memmap_to_raw */
        raw[i] = (struct pmem_raw){ .base = c->descs[i].phys,
                                    .length = pmem_raw_length_from_pages(c->descs[i].pages),
                                    .type = c->descs[i].pmem };
    rc = pmem_build(&r->pm, raw, c->count, &r->stats);
    free(raw);
    return rc;
}

static void print_apic_page(paddr_t base, const char *what)
{
    printf("loader adds mmio %#llx size=%#llx (%s, not in the map)\n", (unsigned long long)base,
           (unsigned long long)PAGE_SIZE, what);
}

/* The loader's additions, made by the loader's code (platform_ranges_add),
 * then printed in the order it made them. */
static int add_loader_ranges(struct replay *r)
{
    const struct bootinfo_fb *fb = &r->c->fb;
    unsigned added;
    int rc = platform_ranges_add(&r->pm, r->c->has_fb ? fb : NULL, &added);

    if (added & PLATFORM_ADDED_FB)
        printf("loader adds framebuffer %#llx size=%#llx\n", (unsigned long long)fb->base,
               (unsigned long long)fb->size);
    if (added & PLATFORM_ADDED_LAPIC)
        print_apic_page(PLATFORM_LAPIC_BASE, "local APIC");
    if (added & PLATFORM_ADDED_IOAPIC)
        print_apic_page(PLATFORM_IOAPIC_BASE, "IOAPIC");
    return rc;
}

static void print_tracker(const struct pmem *pm)
{
    char size[SIZE_STR_MAX];

    printf("\ntracker ranges=%zu bytes=%llu\n", pm->count, (unsigned long long)pmem_total_bytes(pm));
    printf("  %-18s %-18s %8s  %s\n", "base", "end", "size", "type");
    for (size_t i = 0; i < pm->count; i++) {
        const struct pmem_range *x = &pm->ranges[i];
        printf("  0x%016llx 0x%016llx %8s  %s\n", (unsigned long long)x->base,
               (unsigned long long)x->end, size_str(x->end - x->base, size),
               pmem_type_name(x->type));
    }
}

/* Descriptors whose type neither UEFI nor Pagoda defines; the loader made
 * each of them whatever pmem= says (reserved, in practice). */
static void print_warnings(struct replay *r)
{
    const struct capture *c = r->c;

    printf("\n");
    for (size_t i = 0; i < c->count; i++) {
        const struct capture_desc *d = &c->descs[i];
        if (d->type < EFI_DEFINED_TYPES || is_pagoda_type(d))
            continue;
        r->unknown_types++;
        printf("warning line %u: type %#x is %s, not a UEFI type: tracked as %s\n", d->line, d->type,
               efi_type_name(d->type), pmem_type_name(d->pmem));
    }
    printf("warnings zero_length=%zu wrapped=%zu overlaps=%zu unaligned=%zu unknown_types=%zu\n",
           r->stats.zero_length, r->stats.wrapped, r->stats.overlaps, r->stats.unaligned,
           r->unknown_types);
}

/* ---- main --------------------------------------------------------------- */

static int replay(const char *path, const struct capture *c)
{
    struct replay r = { .c = c };
    int rc;

    print_capture(path, c);
    print_firmware_types(c);
    printf("\n");
    rc = build_tracker(&r);
    if (rc == 0)
        rc = add_loader_ranges(&r);
    if (rc < 0) {
        printf("tracker error=%d: the loader would refuse this map\n", rc);
        free(r.pm.ranges);
        return EXIT_PROBLEM;
    }
    print_tracker(&r.pm);
    print_warnings(&r);
    bool ok = replay_paging(&r.pm);
    free(r.pm.ranges);
    return ok ? 0 : EXIT_PROBLEM;
}

int main(int argc, char **argv)
{
    char err[CAPTURE_ERR_MAX];
    struct capture c;

    if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
        fprintf(stderr, "usage: replay CAPTURE-FILE   (- reads stdin)\n"
                        "Replays a memory-map capture (docs/memmap-capture.md) through the loader's\n"
                        "tracker and page-table code.\n");
        return EXIT_USAGE;
    }
    const char *path = argv[1];
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    unsigned line;
    int rc = capture_read(in, &c, &line, err);
    if (in != stdin)
        fclose(in);
    if (rc < 0) {
        if (line)
            fprintf(stderr, "replay: %s:%u: %s\n", path, line, err);
        else
            fprintf(stderr, "replay: %s: %s\n", path, err);
        return EXIT_MALFORMED;
    }
    rc = replay(path, &c);
    capture_free(&c);
    return rc;
}

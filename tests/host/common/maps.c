#include "maps.h"

#include <stdio.h>
#include <stdlib.h>

#include "rng.h"

#define OVMF_NVS_BASE        (8 * MiB)      /* OVMF's fixed ACPI NVS / work areas */
#define OVMF_BUSY_PIECES     110            /* firmware pieces below the lowmem end */
#define OVMF_BUSY_MAX        (64 * MiB)     /* they sit in at most this much */

struct map_out {
    struct pmem_raw *e;
    size_t n, cap;
};

static void put(struct map_out *m, paddr_t base, uint64_t length, enum pmem_type type)
{
    if (m->n == m->cap) {
        fprintf(stderr, "maps: more than %zu entries\n", m->cap);
        abort();
    }
    m->e[m->n++] = (struct pmem_raw){ .base = base, .length = length, .type = type };
}

/* A type for a firmware piece, weighted like a real OVMF boot: mostly
 * boot-services allocations, then free holes, runtime, loader and ACPI. */
static enum pmem_type ovmf_piece_type(uint64_t *rng)
{
    uint64_t r = rng_below(rng, 100);

    if (r < 45) return PMEM_BOOT_SERVICES;
    if (r < 65) return PMEM_USABLE;
    if (r < 75) return PMEM_FIRMWARE_RUNTIME;
    if (r < 83) return PMEM_LOADER_RECLAIMABLE;
    if (r < 88) return PMEM_ACPI_RECLAIMABLE;
    if (r < 95) return PMEM_ACPI_NVS;
    return PMEM_RESERVED;
}

/* Pack OVMF_BUSY_PIECES pieces into [base, end), the last one taking the rest. */
static void ovmf_busy(struct map_out *m, paddr_t base, paddr_t end, uint64_t *rng)
{
    uint64_t avg_pages = (end - base) / PAGE_SIZE / OVMF_BUSY_PIECES;

    for (int i = 0; i < OVMF_BUSY_PIECES - 1 && base < end; i++) {
        uint64_t pages = rng_between(rng, 1, 2 * avg_pages - 1);
        uint64_t len = MIN(pages * PAGE_SIZE, end - base);
        put(m, base, len, ovmf_piece_type(rng));
        base += len;
    }
    if (base < end)
        put(m, base, end - base, PMEM_BOOT_SERVICES);
}

size_t map_ovmf(struct pmem_raw *out, size_t cap, uint64_t ram, uint64_t seed)
{
    struct map_out m = { .e = out, .n = 0, .cap = cap };
    uint64_t low_end = MIN(ram, Q35_LOWMEM_MAX);
    uint64_t busy = MIN(OVMF_BUSY_MAX, low_end / 4);
    uint64_t rng = seed;

    put(&m, 0, PAGE_SIZE, PMEM_BOOT_SERVICES);
    put(&m, PAGE_SIZE, LEGACY_HOLE_BASE - PAGE_SIZE, PMEM_USABLE);
    put(&m, LEGACY_HOLE_BASE, LEGACY_HOLE_END - LEGACY_HOLE_BASE, PMEM_RESERVED);
    put(&m, LEGACY_HOLE_END, OVMF_NVS_BASE - LEGACY_HOLE_END, PMEM_USABLE);
    put(&m, OVMF_NVS_BASE, 32 * KiB, PMEM_ACPI_NVS);
    put(&m, OVMF_NVS_BASE + 32 * KiB, 32 * KiB, PMEM_USABLE);
    put(&m, OVMF_NVS_BASE + 64 * KiB, 960 * KiB, PMEM_ACPI_NVS);
    put(&m, OVMF_NVS_BASE + 1 * MiB, low_end - busy - (OVMF_NVS_BASE + 1 * MiB), PMEM_USABLE);
    ovmf_busy(&m, low_end - busy, low_end, &rng);
    put(&m, Q35_ECAM_BASE, Q35_ECAM_END - Q35_ECAM_BASE, PMEM_RESERVED);
    put(&m, Q35_FLASH_BASE, Q35_FLASH_END - Q35_FLASH_BASE, PMEM_MMIO);
    if (ram > low_end)
        put(&m, Q35_HIGHMEM_BASE, ram - low_end, PMEM_USABLE);
    return m.n;
}

uint64_t map_ram_bytes(const struct pmem_raw *raw, size_t n)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < n; i++)
        if (pmem_type_is_ram((enum pmem_type)raw[i].type))
            sum += raw[i].length;
    return sum;
}

#define FRAG_USABLE_MAX_PAGES  (32 * MiB / PAGE_SIZE)
#define FRAG_OTHER_MAX_PAGES   16

static enum pmem_type frag_other_type(uint64_t *rng)
{
    static const enum pmem_type types[] = {
        PMEM_BOOT_SERVICES, PMEM_RESERVED, PMEM_ACPI_RECLAIMABLE, PMEM_ACPI_NVS,
        PMEM_FIRMWARE_RUNTIME, PMEM_LOADER_RECLAIMABLE, PMEM_MMIO, PMEM_BAD,
    };
    return types[rng_below(rng, ARRAY_LEN(types))];
}

size_t map_fragmented(struct pmem_raw *out, size_t cap, size_t n, uint64_t seed)
{
    struct map_out m = { .e = out, .n = 0, .cap = cap };
    uint64_t rng = seed;
    paddr_t at = 1 * MiB;

    while (m.n < n) {
        uint64_t len = rng_between(&rng, 1, FRAG_USABLE_MAX_PAGES) * PAGE_SIZE;
        put(&m, at, len, PMEM_USABLE);
        at += len;
        for (uint64_t k = rng_between(&rng, 1, 3); k > 0 && m.n < n; k--) {
            if (rng_below(&rng, 4) == 0)
                at += rng_between(&rng, 1, FRAG_OTHER_MAX_PAGES) * PAGE_SIZE; /* a hole */
            len = rng_between(&rng, 1, FRAG_OTHER_MAX_PAGES) * PAGE_SIZE;
            put(&m, at, len, frag_other_type(&rng));
            at += len;
        }
    }
    return m.n;
}

static void shuffle(struct pmem_raw *e, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(rng, i);
        struct pmem_raw t = e[i - 1];
        e[i - 1] = e[j];
        e[j] = t;
    }
}

size_t map_bad(struct pmem_raw *out, size_t cap, uint64_t seed)
{
    struct map_out m = { .e = out, .n = 0, .cap = cap };
    uint64_t rng = seed;

    m.n = map_ovmf(out, cap, 4 * GiB, seed);
    /* Reserved over usable, usable over reserved (the reserved part must
     * win), a duplicate, and an entry straddling three others. */
    put(&m, 2 * MiB, 64 * KiB, PMEM_RESERVED);
    put(&m, LEGACY_HOLE_BASE - 16 * KiB, 64 * KiB, PMEM_USABLE);
    put(&m, Q35_ECAM_BASE, Q35_ECAM_END - Q35_ECAM_BASE, PMEM_RESERVED);
    put(&m, OVMF_NVS_BASE - 4 * KiB, 128 * KiB, PMEM_BOOT_SERVICES);
    put(&m, 3 * GiB, 512 * MiB, PMEM_USABLE);           /* over ECAM: ECAM stays */
    put(&m, Q35_HIGHMEM_BASE + 1 * GiB, 4 * MiB, PMEM_BAD);
    /* Zero-length, unaligned and wrapping entries. */
    put(&m, 5 * MiB, 0, PMEM_RESERVED);
    put(&m, 0, 0, PMEM_USABLE);
    put(&m, 6 * MiB + 100, 3 * PAGE_SIZE, PMEM_USABLE);          /* shrinks to 2 pages */
    put(&m, 7 * MiB + 100, 100, PMEM_MMIO);                       /* grows to 1 page */
    put(&m, UINT64_MAX - PAGE_SIZE, 2 * PAGE_SIZE, PMEM_RESERVED); /* wraps */
    put(&m, PMEM_END_MAX, PAGE_SIZE, PMEM_RESERVED);              /* ends at 2^64 */
    for (int i = 0; i < 32; i++) {
        paddr_t base = rng_below(&rng, 6 * GiB);
        uint64_t len = rng_between(&rng, 1, 64 * MiB);  /* one draw per statement: */
        uint64_t type = rng_between(&rng, 1, PMEM_TYPE_COUNT - 1);  /* argument order is unspecified */
        put(&m, base, len, (enum pmem_type)type);
    }
    shuffle(out, m.n, &rng);
    return m.n;
}

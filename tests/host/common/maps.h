/* Generators of raw firmware maps for tests and the bench. All are
 * deterministic in their seed and write at most `cap` entries (they abort if
 * cap is too small: a test bug). */
#ifndef PAGODA_TEST_MAPS_H
#define PAGODA_TEST_MAPS_H

#include "pmem.h"

/* QEMU q35 physical layout (hw/i386/pc_q35.c) as OVMF reports it. */
#define LEGACY_HOLE_BASE  0xA0000ULL        /* VGA window + option ROMs + BIOS */
#define LEGACY_HOLE_END   (1 * MiB)
#define Q35_LOWMEM_MAX    (2 * GiB)         /* more guest RAM moves above 4 GiB */
#define Q35_ECAM_BASE     0xB0000000ULL     /* PCIe MMCONFIG, 256 MiB */
#define Q35_ECAM_END      0xC0000000ULL
#define Q35_FLASH_BASE    0xFFC00000ULL     /* OVMF code + vars flash */
#define Q35_FLASH_END     (4 * GiB)
#define Q35_HIGHMEM_BASE  (4 * GiB)

#define OVMF_MAP_MAX      160   /* entries map_ovmf writes, at most */
#define BAD_MAP_MAX       (OVMF_MAP_MAX + 64)

/* OVMF-like map of a q35 guest with `ram` bytes: page 0 boot-services, low
 * RAM to 0xA0000, the legacy hole reserved, RAM from 1 MiB to the lowmem end
 * (min(ram, 2 GiB)) with ACPI NVS at 8 MiB and ~110 boot-services, loader,
 * runtime, ACPI and reserved pieces packed below that end, ECAM reserved,
 * flash MMIO, then the rest of the RAM at 4 GiB. Sorted, no overlaps.
 * About 120 entries. */
size_t map_ovmf(struct pmem_raw *out, size_t cap, uint64_t ram, uint64_t seed);

/* Bytes of RAM types (pmem_type_is_ram) in an OVMF map from map_ovmf. */
uint64_t map_ram_bytes(const struct pmem_raw *raw, size_t n);

/* A fragmented map of n entries from 1 MiB up, sorted and disjoint: each
 * usable range (1 page to 32 MiB) is followed by 1 to 3 small ranges of
 * other types, sometimes with a gap. About a third of the entries are usable
 * (so fewer than FALLOC_MAX_ZONES for n <= 1500) and, for n >= 1000, more
 * than 4 GiB of it: room for a million 4 KiB frames. */
size_t map_fragmented(struct pmem_raw *out, size_t cap, size_t n, uint64_t seed);

/* The 4 GiB OVMF map, made hostile: extra entries overlapping others with
 * both higher and lower precedence, duplicates, zero-length, unaligned and
 * wrapping entries, then shuffled. */
size_t map_bad(struct pmem_raw *out, size_t cap, uint64_t seed);

#endif

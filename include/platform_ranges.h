/* Ranges the kernel maps that the firmware memory map need not list: the
 * GOP framebuffer (firmware lists it as MMIO, reserved or not at all) and
 * the local APIC and IOAPIC pages at their PC defaults. The loader adds
 * them to the tracker after pmem_build (efi/main.c, build_tracker), and
 * the replay tool (tools/replay.c) adds them with the same code, so a
 * replayed map gets exactly the loader's tracker. */
#ifndef PAGODA_PLATFORM_RANGES_H
#define PAGODA_PLATFORM_RANGES_H

#include "bootinfo.h"
#include "pmem.h"

#define PLATFORM_LAPIC_BASE   0xFEE00000ULL  /* architectural default (SDM 3A 11.4.1) */
#define PLATFORM_IOAPIC_BASE  0xFEC00000ULL  /* PC-compatible default (ACPI MADT may move it) */

/* Tracker entries platform_ranges_add may add: a retype 2, each insert 1. */
#define PLATFORM_RANGES_ENTRIES 4

/* Bits of what platform_ranges_add changed, or tried to. */
#define PLATFORM_ADDED_FB      (1u << 0)   /* framebuffer retyped */
#define PLATFORM_ADDED_LAPIC   (1u << 1)   /* local APIC page inserted as MMIO */
#define PLATFORM_ADDED_IOAPIC  (1u << 2)   /* IOAPIC page inserted as MMIO */

/* Retype the framebuffer (when fb is not NULL and fb->base is not 0),
 * [base, base + size) rounded outward to pages, as PMEM_FRAMEBUFFER; then
 * insert each APIC page as PMEM_MMIO if no range covers its address.
 * Stops at the first failure and returns its pmem error, else 0. *added
 * (may be NULL) gets a PLATFORM_ADDED_* bit for each range it changed or
 * tried to: after a failure, the last one set is the one that failed. */
int platform_ranges_add(struct pmem *pm, const struct bootinfo_fb *fb, unsigned *added);

#endif

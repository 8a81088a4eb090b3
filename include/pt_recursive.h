/* The recursive page-table mapping: one root entry (the pt's recursive_slot,
 * chosen by pt_pin_kernel_half) pointing at the root itself. Walking through
 * it once or more makes the MMU stop one or more levels early, so every
 * table of the address space appears at a computable virtual address. Pagoda
 * itself reaches its tables through the direct map; this exists to show the
 * classic strategy beside it (docs/page-table-access.md). */
#ifndef PAGODA_PT_RECURSIVE_H
#define PAGODA_PT_RECURSIVE_H

#include "pt.h"

/* Virtual address of va's level-`level` entry (PT_LEVEL_4K .. levels) seen
 * through a recursive entry at root index `slot` (256..511) of a `levels`
 * (4 or 5) root:
 *
 *   4-level, level 1 (PTE):   [slot][i4  ][i3  ][i2  ] i1 * 8
 *            level 2 (PDE):   [slot][slot][i4  ][i3  ] i2 * 8
 *            level 3 (PDPTE): [slot][slot][slot][i4  ] i3 * 8
 *            level 4 (PML4E): [slot][slot][slot][slot] i4 * 8
 *
 * i.e. va's index fields shifted down by `level` fields (which drops the
 * page offset and puts i_level where the byte offset goes, times 8), `slot`
 * in the `level` top fields, sign-extended. 0 for a bad slot, level or
 * levels. Meaningful only while every entry on the way down is a table (a
 * huge leaf above `level` ends the walk with data, not a table). */
vaddr_t pt_recursive_entry_va(unsigned slot, int levels, vaddr_t va, int level);

/* Lowest and one-past-highest address the recursive slot covers (the whole
 * root entry): what a TLB flush must cover once the slot is cleared. */
vaddr_t pt_recursive_base(unsigned slot, int levels);
uint64_t pt_recursive_span(int levels);

/* Point pt's recursive slot at its root: P|W, supervisor, NX when the pt has
 * PT_CAP_NX (the tables are data). -E_INVAL without a slot (pt not pinned
 * or cloned from a pinned pt), -E_BUSY if the slot is already in use.
 * pt_recursive_remove clears it (-E_INVAL if it is not the recursive entry).
 * The caller flushes the TLB after removing (every CPU using the root). */
int pt_recursive_install(struct pt *pt);
int pt_recursive_remove(struct pt *pt);

#endif

/* x86_64 page-table entry bits and the canonical address layout
 * (Intel SDM Vol. 3A, 4.5 "4-Level Paging and 5-Level Paging"). */
#ifndef PAGODA_X86_PTE_H
#define PAGODA_X86_PTE_H

#define PTE_P         (1ULL << 0)   /* present */
#define PTE_W         (1ULL << 1)   /* writable */
#define PTE_U         (1ULL << 2)   /* user */
#define PTE_PWT       (1ULL << 3)   /* PAT index bit 0 */
#define PTE_PCD       (1ULL << 4)   /* PAT index bit 1 */
#define PTE_A         (1ULL << 5)   /* accessed */
#define PTE_D         (1ULL << 6)   /* dirty (leaves) */
#define PTE_PS        (1ULL << 7)   /* page size: leaf at PDPT/PD level */
#define PTE_PAT_4K    (1ULL << 7)   /* PAT index bit 2 in a 4 KiB PTE */
#define PTE_G         (1ULL << 8)   /* global */
#define PTE_PAT_HUGE  (1ULL << 12)  /* PAT index bit 2 in a 2M/1G leaf */
#define PTE_NX        (1ULL << 63)  /* no execute (needs EFER.NXE) */
/* Software bit: the CPU ignores bit 9 of every paging-structure entry (SDM
 * Vol. 3A, 4.5, tables 4-15 to 4-20). Pagoda's mapper sets it in a table
 * entry whose table must never be freed (pt_pin_table). */
#define PTE_PINNED    (1ULL << 9)

#define PTE_ADDR_MASK      0x000FFFFFFFFFF000ULL  /* bits 51:12 */
#define PTE_ADDR_MASK_2M   0x000FFFFFFFE00000ULL
#define PTE_ADDR_MASK_1G   0x000FFFFFC0000000ULL

#define PT_ENTRIES         512
#define PT_INDEX_BITS      9

/* Level numbering: 1 = PT (4 KiB leaves), 2 = PD (2 MiB), 3 = PDPT (1 GiB),
 * 4 = PML4, 5 = PML5. An entry at level L maps PT_LEVEL_SIZE(L) bytes; the
 * table holding level-L entries spans PT_LEVEL_SIZE(L + 1). */
#define PT_LEVEL_4K    1
#define PT_LEVEL_2M    2
#define PT_LEVEL_1G    3
#define PT_LEVELS_MIN  4            /* 4-level paging: PML4 root */
#define PT_LEVELS_MAX  5            /* 5-level paging (CR4.LA57): PML5 root */
#define PT_LEVEL_SHIFT(level) (12 + PT_INDEX_BITS * ((level) - 1))
#define PT_LEVEL_SIZE(level)  (1ULL << PT_LEVEL_SHIFT(level))
#define PT_INDEX(level, va)   (((va) >> PT_LEVEL_SHIFT(level)) & (PT_ENTRIES - 1))

/* Root entries from here up map the higher half (kernel), for either root. */
#define PT_ROOT_KERNEL_FIRST (PT_ENTRIES / 2)

/* Physical addresses a PTE can hold: bits 51:0. */
#define PTE_PHYS_LIMIT  (1ULL << 52)

/* PAT layout that Pagoda programs into IA32_PAT (MSR 0x277). Entries 0-3 are
 * reachable with PWT/PCD alone, so no leaf needs the PAT bit:
 *   0 WB, 1 WC (power-on default there is WT), 2 UC-, 3 UC, 4 WB, 5 WT, 6 UC-, 7 UC.
 * Linux uses the same slot for WC. */
#define PAT_TYPE_UC   0x00ULL
#define PAT_TYPE_WC   0x01ULL
#define PAT_TYPE_WT   0x04ULL
#define PAT_TYPE_WP   0x05ULL
#define PAT_TYPE_WB   0x06ULL
#define PAT_TYPE_UCM  0x07ULL   /* UC- */
#define PAT_ENTRY_BITS  8
#define PAT_ENTRY_MASK  0xFFULL
#define PAT_ENTRY(i, t) ((uint64_t)(t) << ((i) * PAT_ENTRY_BITS))
#define PAT_ENTRY_TYPE(pat, i) (((pat) >> ((i) * PAT_ENTRY_BITS)) & PAT_ENTRY_MASK)
#define PAGODA_PAT_VALUE                                                       \
    (PAT_ENTRY(0, PAT_TYPE_WB) | PAT_ENTRY(1, PAT_TYPE_WC) |                   \
     PAT_ENTRY(2, PAT_TYPE_UCM) | PAT_ENTRY(3, PAT_TYPE_UC) |                  \
     PAT_ENTRY(4, PAT_TYPE_WB) | PAT_ENTRY(5, PAT_TYPE_WT) |                   \
     PAT_ENTRY(6, PAT_TYPE_UCM) | PAT_ENTRY(7, PAT_TYPE_UC))
#define PTE_CACHE_WB  0ULL                   /* PAT index 0 */
#define PTE_CACHE_WC  PTE_PWT                /* PAT index 1 */
#define PTE_CACHE_UC  (PTE_PWT | PTE_PCD)    /* PAT index 3 */
#define PTE_CACHE_MASK (PTE_PWT | PTE_PCD)

/* Virtual address layout (4-level: 48-bit canonical). */
#define VA_BITS_4LEVEL   48
#define VA_BITS_5LEVEL   57
#define HIGHER_HALF_BASE 0xFFFF800000000000ULL

#endif

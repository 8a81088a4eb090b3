/* The recursive page-table mapping: address arithmetic and the root entry.
 * API and the picture of the arithmetic in include/pt_recursive.h. */
#include "pt_recursive.h"
#include "x86/pte.h"

static int va_bits(int levels)
{
    return levels == PT_LEVELS_MAX ? VA_BITS_5LEVEL : VA_BITS_4LEVEL;
}

static vaddr_t sign_extend(uint64_t x, int bits)
{
    uint64_t top = 1ULL << (bits - 1);
    return (x & top) ? x | ~((top << 1) - 1) : x;
}

vaddr_t pt_recursive_entry_va(unsigned slot, int levels, vaddr_t va, int level)
{
    if ((levels != PT_LEVELS_MIN && levels != PT_LEVELS_MAX) || level < PT_LEVEL_4K ||
        level > levels || slot < PT_ROOT_KERNEL_FIRST || slot >= PT_ENTRIES)
        return 0;
    int bits = va_bits(levels);
    uint64_t x = (va & ((1ULL << bits) - 1)) >> (PT_INDEX_BITS * level);
    x &= ~(uint64_t)(sizeof(uint64_t) - 1);
    for (int k = levels - level + 1; k <= levels; k++)
        x |= (uint64_t)slot << PT_LEVEL_SHIFT(k);
    return sign_extend(x, bits);
}

vaddr_t pt_recursive_base(unsigned slot, int levels)
{
    return sign_extend((uint64_t)slot << PT_LEVEL_SHIFT(levels), va_bits(levels));
}

uint64_t pt_recursive_span(int levels)
{
    return PT_LEVEL_SIZE(levels);
}

static uint64_t pt_recursive_entry(const struct pt *pt)
{
    return pt->root | PTE_P | PTE_W | ((pt->caps & PT_CAP_NX) ? PTE_NX : 0);
}

int pt_recursive_install(struct pt *pt)
{
    if (!pt->recursive_slot)
        return -E_INVAL;
    uint64_t *root = pt->env.phys_to_ptr(pt->env.ctx, pt->root);
    if (root[pt->recursive_slot] & PTE_P)
        return -E_BUSY;
    __atomic_store_n(&root[pt->recursive_slot], pt_recursive_entry(pt), __ATOMIC_RELEASE);
    return 0;
}

int pt_recursive_remove(struct pt *pt)
{
    if (!pt->recursive_slot)
        return -E_INVAL;
    uint64_t *root = pt->env.phys_to_ptr(pt->env.ctx, pt->root);
    if (root[pt->recursive_slot] != pt_recursive_entry(pt) &&
        root[pt->recursive_slot] != (pt_recursive_entry(pt) | PTE_A))
        return -E_INVAL;
    __atomic_store_n(&root[pt->recursive_slot], 0, __ATOMIC_RELEASE);
    return 0;
}

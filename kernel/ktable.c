/* Tables sized at boot from what the machine has (its CPU count, mostly):
 * the slot and CPU tables of the bring-up, the per-CPU tables of the
 * self-checks and address spaces, the virtual-range set. Zeroed, in
 * kernel-data frames, kept for good. */
#include <string.h>

#include "kernel.h"

uint64_t ktable_block_size(uint64_t bytes)
{
    uint64_t size = PAGE_SIZE;
    while (size < bytes && size <= UINT64_MAX / 2)
        size <<= 1;
    return size;
}

void *ktable_alloc(uint64_t count, uint64_t elem)
{
    uint64_t bytes = count * elem;
    paddr_t pa;
    int rc;

    if (count != 0 && bytes / count != elem)
        panic("ktable: %lu entries of %lu bytes overflow", (unsigned long)count, (unsigned long)elem);
    if ((rc = kmem_alloc_frame(ktable_block_size(bytes), PMEM_KERNEL_DATA, &pa)) != 0)
        panic("ktable: no memory for %lu entries of %lu bytes (%d)", (unsigned long)count,
              (unsigned long)elem, rc);
    void *p = phys_to_virt(pa);
    memset(p, 0, bytes);
    return p;
}

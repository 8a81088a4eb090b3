/* Per-process address spaces over struct pt: API in include/aspace.h.
 * The kernel half is shared, not copied, because the kernel pt was pinned
 * (pt_pin_kernel_half): its upper root entries never change again, so a
 * kernel mapping made after aspace_create is seen through the shared tables
 * by every space. */
#include "aspace.h"
#include "x86/pte.h"

vaddr_t aspace_user_end(int levels)
{
    int bits = levels == PT_LEVELS_MAX ? VA_BITS_5LEVEL : VA_BITS_4LEVEL;
    return 1ULL << (bits - 1);
}

int aspace_create(struct aspace *as, const struct pt_env *env, const struct pt *kernel)
{
    return pt_clone_kernel_half(&as->pt, env, kernel);
}

int aspace_map(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t len, unsigned flags)
{
    if ((flags & PT_MAP_GLOBAL) || va >= aspace_user_end(as->pt.levels))
        return -E_INVAL;
    return pt_map(&as->pt, va, pa, len, flags | PT_MAP_USER);
}

int aspace_unmap(struct aspace *as, vaddr_t va, uint64_t len)
{
    return pt_unmap(&as->pt, va, len);
}

int aspace_destroy(struct aspace *as)
{
    int err = pt_unmap(&as->pt, 0, aspace_user_end(as->pt.levels));
    if (err)
        return err;   /* cannot happen: only whole leaves are removed */
    return pt_fini(&as->pt);
}

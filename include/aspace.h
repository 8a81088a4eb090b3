/* A per-process address space, the part that needs no CPU: a root of its
 * own whose upper half shares the kernel's tables (pt_clone_kernel_half on a
 * pinned kernel pt), user mappings in the lower half, and teardown that gives
 * every table frame back. Entering one (CR3, PCID) is the kernel's job:
 * kernel/aspace_cpu.c. Host-tested on the simulated arena. */
#ifndef PAGODA_ASPACE_H
#define PAGODA_ASPACE_H

#include "pt.h"

/* Owns its lower-half tables and its root; not the frames its user pages
 * map (the caller's, given back by the caller after aspace_destroy). One
 * CPU at a time changes an aspace: it has no lock of its own. */
struct aspace {
    struct pt pt;
};

/* Fresh root, kernel half shared with `kernel` (which must be pinned:
 * -E_INVAL otherwise), tables from `env`. -E_NOMEM if no root frame. */
int aspace_create(struct aspace *as, const struct pt_env *env, const struct pt *kernel);

/* Map [va, va+len) -> [pa, pa+len) in the lower half for user mode:
 * always PT_MAP_USER, no-execute unless PT_MAP_EXEC. PT_MAP_GLOBAL is refused
 * (-E_INVAL): a global user page would survive the CR3 switch and show in
 * every other space. Otherwise as pt_map. */
int aspace_map(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t len, unsigned flags);

/* As pt_unmap; the caller flushes every CPU that is in this space. */
int aspace_unmap(struct aspace *as, vaddr_t va, uint64_t len);

/* Unmap the whole lower half, freeing every table under it, then the root;
 * the kernel half is not touched. Only once no CPU uses the space (it has
 * switched away, which dropped its non-global entries). Cannot run out of
 * frames: nothing is split when whole leaves go. */
int aspace_destroy(struct aspace *as);

/* One past the highest lower-half address for `levels`. */
vaddr_t aspace_user_end(int levels);

#endif

/* Address spaces as the CPU sees them: a shared/aspace.c space with a PCID,
 * entered by a CR3 write. kernel/aspace_cpu.c. */
#ifndef PAGODA_KERNEL_ASPACE_CPU_H
#define PAGODA_KERNEL_ASPACE_CPU_H

#include "aspace.h"

struct uspace {
    struct aspace as;
    uint16_t pcid;      /* 1..4095 with PCIDs on, else 0; 0 is the kernel's */
};

/* Once, after every CPU is online and before the first space: turns PCIDs
 * on in every CPU if CPUID has them. (The kernel half was pinned by
 * kmem_init, before the first clone.) */
void uspace_init(void);
bool uspace_pcid_on(void);

/* Fresh space sharing the kernel half; tables come from the locked frame
 * allocator. -E_NOMEM (no frame, or no PCID left). */
int uspace_create(struct uspace *us);
/* All tables back to the allocator and the PCID freed. -E_BUSY while any
 * CPU is in the space (each must leave it with uspace_enter_kernel). */
int uspace_destroy(struct uspace *us);
/* aspace_unmap with the TLB kept right: allowed while the space is loaded
 * on this CPU (it steps out to the kernel root for the unmap), -E_BUSY while
 * it is loaded on another. */
int uspace_unmap(struct uspace *us, vaddr_t va, uint64_t len);

/* Load the space's root (with its PCID) on this CPU; uspace_enter_kernel
 * goes back to the kernel's root (PCID 0). Each write drops the TLB entries
 * of the PCID it loads, global (kernel) ones excepted: see aspace_cpu.c. */
void uspace_enter(const struct uspace *us);
void uspace_enter_kernel(void);

/* Read a byte/qword of the current space's user memory from kernel mode:
 * with CR4.SMAP the access is bracketed by STAC/CLAC. The byte read is a
 * probe: 0, or 1 + the vector of the fault it caught. */
uint64_t uspace_probe_read8(vaddr_t va);
uint64_t uspace_read64(vaddr_t va);

#endif

/* Process-context identifiers (CR3 bits 11:0 with CR4.PCIDE): which are in
 * use. PCID 0 is the kernel's and never handed out. No lock: the kernel
 * wraps it (kernel/aspace_cpu.c); host-tested in tests/host/test_pcid_pool.c. */
#ifndef PAGODA_PCID_POOL_H
#define PAGODA_PCID_POOL_H

#include "types.h"

#define PCID_COUNT  4096   /* 12 bits */
#define PCID_KERNEL 0

struct pcid_pool {
    uint64_t used[PCID_COUNT / 64];
    unsigned in_use;       /* PCID_KERNEL included */
};

void pcid_pool_init(struct pcid_pool *p);
/* The lowest free PCID, or -E_NOMEM when all 4095 are taken. */
int pcid_pool_alloc(struct pcid_pool *p, uint16_t *out);
/* -E_INVAL for PCID_KERNEL, an out-of-range or a free PCID. */
int pcid_pool_free(struct pcid_pool *p, uint16_t pcid);

#endif

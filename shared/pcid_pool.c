/* PCID bookkeeping: a bitmap of the 4096 PCIDs. API in include/pcid_pool.h. */
#include "pcid_pool.h"

#define WORD_BITS 64u

static bool pcid_used(const struct pcid_pool *p, unsigned pcid)
{
    return (p->used[pcid / WORD_BITS] >> (pcid % WORD_BITS)) & 1;
}

void pcid_pool_init(struct pcid_pool *p)
{
    *p = (struct pcid_pool){ .in_use = 1 };
    p->used[PCID_KERNEL / WORD_BITS] = 1ULL << (PCID_KERNEL % WORD_BITS);
}

int pcid_pool_alloc(struct pcid_pool *p, uint16_t *out)
{
    for (unsigned w = 0; w < PCID_COUNT / WORD_BITS; w++) {
        if (p->used[w] == UINT64_MAX)
            continue;
        unsigned bit = (unsigned)__builtin_ctzll(~p->used[w]);
        p->used[w] |= 1ULL << bit;
        p->in_use++;
        *out = (uint16_t)(w * WORD_BITS + bit);
        return 0;
    }
    return -E_NOMEM;
}

int pcid_pool_free(struct pcid_pool *p, uint16_t pcid)
{
    if (pcid == PCID_KERNEL || pcid >= PCID_COUNT || !pcid_used(p, pcid))
        return -E_INVAL;
    p->used[pcid / WORD_BITS] &= ~(1ULL << (pcid % WORD_BITS));
    p->in_use--;
    return 0;
}

#include "phys_arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

void phys_arena_map(struct phys_arena *a, uint64_t size, enum phys_arena_pages pages)
{
    a->size = ALIGN_UP(size, PAGE_SIZE);
    void *p = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("phys_arena: mmap");
        abort();
    }
    if (pages == ARENA_HUGE_PAGES)
        (void)madvise(p, a->size, MADV_HUGEPAGE);  /* a hint: fine if refused */
    a->base = p;
}

void phys_arena_unmap(struct phys_arena *a)
{
    if (a->base)
        munmap(a->base, a->size);
    a->base = NULL;
    a->size = 0;
}

void *phys_arena_ptr(void *ctx, paddr_t pa)
{
    struct phys_arena *a = ctx;

    if (pa >= a->size) {
        fprintf(stderr, "phys_arena: physical 0x%llx outside [0, 0x%llx)\n",
                (unsigned long long)pa, (unsigned long long)a->size);
        abort();
    }
    return a->base + pa;
}

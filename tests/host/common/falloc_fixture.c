#include "falloc_fixture.h"

#include <stdio.h>
#include <stdlib.h>

static void die(const char *what, int rc)
{
    fprintf(stderr, "falloc fixture: %s: %d\n", what, rc);
    abort();
}

struct falloc_fixture *fixture_new(const struct pmem_raw *raw, size_t n)
{
    struct falloc_fixture *f = calloc(1, sizeof(*f));
    size_t cap = 2 * n + 8;
    paddr_t top = 0;
    int rc;

    pmem_init(&f->pm, calloc(cap, sizeof(struct pmem_range)), cap);
    if ((rc = pmem_build(&f->pm, raw, n, NULL)))
        die("pmem_build", rc);
    for (size_t i = 0; i < f->pm.count; i++)
        if (f->pm.ranges[i].type == PMEM_USABLE || f->pm.ranges[i].type == FALLOC_ADOPTED_TYPE)
            top = f->pm.ranges[i].end;
    phys_arena_map(&f->arena, MAX(top, PAGE_SIZE), ARENA_SMALL_PAGES);
    f->meta_bytes = falloc_metadata_bytes(&f->pm);
    f->meta = malloc(MAX(f->meta_bytes, 1));
    const struct falloc_env env = { .phys_to_ptr = phys_arena_ptr, .ctx = &f->arena };
    if ((rc = falloc_init(&f->fa, &env, &f->pm, f->meta, f->meta_bytes)))
        die("falloc_init", rc);
    return f;
}

void fixture_free(struct falloc_fixture *f)
{
    phys_arena_unmap(&f->arena);
    free(f->pm.ranges);
    free(f->meta);
    free(f);
}

struct walk {
    struct fblock *out;
    size_t n, cap;
};

static void collect(void *ctx, paddr_t base, uint64_t size)
{
    struct walk *w = ctx;

    if (w->n == w->cap) {
        fprintf(stderr, "falloc fixture: more than %zu free blocks\n", w->cap);
        abort();
    }
    w->out[w->n++] = (struct fblock){ .base = base, .size = size };
}

size_t fixture_free_blocks(const struct falloc *fa, struct fblock *out, size_t cap)
{
    struct walk w = { .out = out, .n = 0, .cap = cap };

    falloc_walk_free(fa, collect, &w);
    return w.n;
}

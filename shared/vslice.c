/* Slices of pages handed out in runs, freed pages held until released:
 * include/vslice.h. Two bitmaps (used, held); first fit, skipping whole
 * used words, so an allocation costs at most VSLICE_WORDS word tests plus
 * one pass over a partly used word per candidate run. */
#include "vslice.h"

#define WORD_BITS 64u

static bool bit(const uint64_t *map, unsigned i)
{
    return (map[i / WORD_BITS] >> (i % WORD_BITS)) & 1;
}

static void set_bits(uint64_t *map, unsigned first, unsigned n, bool on)
{
    for (unsigned i = first; i < first + n; i++) {
        uint64_t m = 1ULL << (i % WORD_BITS);
        if (on)
            map[i / WORD_BITS] |= m;
        else
            map[i / WORD_BITS] &= ~m;
    }
}

/* Without libgcc (freestanding, no POPCNT assumed). */
static unsigned ones(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

void vslice_init(struct vslice *s)
{
    *s = (struct vslice){ 0 };
}

int vslice_alloc(struct vslice *s, unsigned pages, unsigned *first)
{
    if (pages == 0 || pages > VSLICE_PAGES)
        return -E_INVAL;
    unsigned run = 0;
    for (unsigned i = 0; i < VSLICE_PAGES; i++) {
        if (i % WORD_BITS == 0 && s->used[i / WORD_BITS] == UINT64_MAX) {
            run = 0;
            i += WORD_BITS - 1;
            continue;
        }
        run = bit(s->used, i) ? 0 : run + 1;
        if (run == pages) {
            *first = i + 1 - pages;
            set_bits(s->used, *first, pages, true);
            s->live += pages;
            return 0;
        }
    }
    return -E_NOMEM;
}

bool vslice_is_live(const struct vslice *s, unsigned page)
{
    return page < VSLICE_PAGES && bit(s->used, page) && !bit(s->held, page);
}

bool vslice_range_live(const struct vslice *s, unsigned first, unsigned pages)
{
    if (first >= VSLICE_PAGES || pages > VSLICE_PAGES - first)
        return false;
    for (unsigned i = first; i < first + pages; i++)
        if (!vslice_is_live(s, i))
            return false;
    return true;
}

int vslice_free(struct vslice *s, unsigned first, unsigned pages, uint64_t gen)
{
    if (!vslice_range_live(s, first, pages))
        return -E_INVAL;
    set_bits(s->held, first, pages, true);
    s->live -= pages;
    s->held_count += pages;
    if (gen > s->held_gen)
        s->held_gen = gen;
    return 0;
}

void vslice_release(struct vslice *s)
{
    for (unsigned w = 0; w < VSLICE_WORDS; w++) {
        s->used[w] &= ~s->held[w];
        s->held[w] = 0;
    }
    s->held_count = 0;
    s->held_gen = 0;
}

bool vslice_check(const struct vslice *s)
{
    unsigned used = 0, held = 0;
    for (unsigned w = 0; w < VSLICE_WORDS; w++) {
        if (s->held[w] & ~s->used[w])
            return false;
        used += ones(s->used[w]);
        held += ones(s->held[w]);
    }
    return held == s->held_count && used == s->live + s->held_count;
}

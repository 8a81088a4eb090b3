/* Deterministic PRNG for tests, fuzz and bench (splitmix64): a seed gives
 * the same sequence on every run and machine, so a failure reproduces. */
#ifndef PAGODA_TEST_RNG_H
#define PAGODA_TEST_RNG_H

#include <stdint.h>

static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for tests; 0 when n is 0. */
static inline uint64_t rng_below(uint64_t *state, uint64_t n)
{
    return n ? rng_next(state) % n : 0;
}

/* In [lo, hi], inclusive. */
static inline uint64_t rng_between(uint64_t *state, uint64_t lo, uint64_t hi)
{
    return lo + rng_below(state, hi - lo + 1);
}

#endif

/* Helpers shared by the libFuzzer harnesses. Header-only: the Makefile
 * builds each tests/fuzz/fuzz_*.c as one translation unit with the shared/
 * sources. */
#ifndef PAGODA_FUZZ_COMMON_H
#define PAGODA_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"

/* A failed invariant: say which, then abort so libFuzzer saves the input. */
#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz: invariant failed: %s (%s:%d)\n",          \
                    #cond, __FILE__, __LINE__);                              \
            abort();                                                         \
        }                                                                    \
    } while (0)

typedef void fuzz_check_fn(const uint8_t *file, size_t size);

/* check(file, size) on a copy of data[0 .. size) in an allocation of exactly
 * `size` bytes, so ASan reports a read of even one byte past the end
 * (libFuzzer's own buffer may have slack). file is NULL when size is 0. */
static inline void fuzz_check_copy(const uint8_t *data, size_t size, fuzz_check_fn *check)
{
    uint8_t *file = malloc(size ? size : 1);

    REQUIRE(file != NULL);
    if (size > 0)
        memcpy(file, data, size);
    check(size ? file : NULL, size);
    free(file);
}

/* check(file, template_size) on a valid input built by make() with
 * data[0 .. size) XORed over its start, in an exact-size allocation. An
 * all-zero input is the template itself, and each mutation libFuzzer makes
 * flips one of its fields: a run from an empty corpus gets past the format
 * checks at once. */
static inline void fuzz_check_xor(const uint8_t *data, size_t size, void (*make)(uint8_t *file),
                                  size_t template_size, fuzz_check_fn *check)
{
    uint8_t *file = malloc(template_size);

    REQUIRE(file != NULL);
    make(file);
    for (size_t i = 0; i < MIN(size, template_size); i++)
        file[i] ^= data[i];
    check(file, template_size);
    free(file);
}

#endif

/* Basic types shared by the loader, the kernel and host tests.
 * Only freestanding headers: no libc, no UEFI, no platform types. */
#ifndef PAGODA_TYPES_H
#define PAGODA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Physical and virtual addresses are distinct types so that a swapped
 * argument reads wrong in review (seL4 does the same). */
typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1ULL << PAGE_SHIFT)
#define PAGE_SIZE_4K    PAGE_SIZE
#define PAGE_SIZE_2M    (1ULL << 21)
#define PAGE_SIZE_1G    (1ULL << 30)

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define US_PER_SECOND 1000000ULL
#define TiB (1ULL << 40)

#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a)   ALIGN_DOWN((x) + (uint64_t)(a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a) - 1)) == 0)
#define ARRAY_LEN(a)     (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))

/* The lowest address >= lo aligned to `align` (a power of two) at which
 * `size` bytes fit below `hi`; false if none. Careful near the top of the
 * address space: nothing wraps. For allocators over physical and virtual
 * ranges alike. */
static inline bool align_fit(uint64_t lo, uint64_t hi, uint64_t size, uint64_t align,
                             uint64_t *at)
{
    uint64_t a = ALIGN_UP(lo, align);

    if (a < lo || a >= hi || hi - a < size)
        return false;
    *at = a;
    return true;
}

/* Error codes returned (negated) by shared/ code. */
enum pagoda_err {
    E_OK = 0,
    E_NOMEM = 1,      /* storage or frames ran out */
    E_INVAL = 2,      /* bad argument (alignment, range, type) */
    E_OVERLAP = 3,    /* range overlaps an existing one */
    E_NOTFOUND = 4,   /* nothing at that address / no such range */
    E_CAPACITY = 5,   /* caller-supplied array is full */
    E_BUSY = 6,       /* mapping already present */
};

#endif

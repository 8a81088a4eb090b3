/* The C library functions only the kernel needs (the loader gets memset and
 * memcpy from gnu-efi; memmove and memcmp for both are shared/nolibc/).
 * memset uses REP STOS (see there). */
#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);   /* shared/nolibc/string.c */

/* REP STOSQ for the aligned bulk, REP STOSB for the edges: TCG emulates
 * a REP string instruction one element per step, so 8-byte elements fill
 * 3x faster there (the frame allocator's bitmaps, 64 MiB at 1 TiB, are
 * most of the kernel's start-up on a big guest: docs/paging.md "1 TiB");
 * on hardware the two forms run at the same speed. */
void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    size_t head = (size_t)(-(uintptr_t)dst & 7), words;
    uint64_t pattern = 0x0101010101010101ULL * (unsigned char)c;

    if (head > n)
        head = n;
    n -= head;
    words = n / 8;
    n %= 8;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(head) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(pattern) : "memory");
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    return memmove(dst, src, n);
}

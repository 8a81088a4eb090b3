/* The C library functions only the kernel needs (the loader gets memset and
 * memcpy from gnu-efi; memmove and memcmp for both are shared/nolibc/).
 * memset uses REP STOSB, which every x86_64 CPU runs well (fast-string
 * microcode; ERMS on newer ones) and TCG emulates in bulk. */
#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);   /* shared/nolibc/string.c */

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    return memmove(dst, src, n);
}

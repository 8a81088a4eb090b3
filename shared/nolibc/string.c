/* memmove, memcmp and strlen for the two targets that have no C library: the
 * loader (gnu-efi's libefi brings only memset and memcpy) and the kernel.
 * Not built for host tests, which use the real libc. The compiler may emit
 * calls to these on its own, so both are plain external functions. */
#include <stddef.h>

void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Forward copies use REP MOVSB (fast-string microcode on every x86_64;
 * TCG emulates it in bulk); an overlapping copy to a higher address must
 * go backwards, byte by byte. */
void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d < s || d >= s + n) {
        __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

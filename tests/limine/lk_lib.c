/* Freestanding helpers of the Limine test kernels: memset, memcpy, strlen and
 * friends the compiler may call, command-line keys, checksums, the module byte pattern that
 * limine-tests.sh writes (tests/limine/lk-pattern.py), and an RTC-paced wait. */
#include "lk_kernel.h"
#include "lk_x86.h"

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p < *q ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int lk_streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

const char *lk_strstr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!memcmp(hay, needle, n))
            return hay;
    return n ? NULL : hay;
}

uint64_t lk_parse_u64(const char *s, const char **end)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    if (end)
        *end = s;
    return v;
}

/* "KEY=NUMBER" as a whole word of the command line. */
int lk_cmdline_u64(const char *cmdline, const char *key, uint64_t *out)
{
    size_t n = strlen(key);
    for (const char *p = cmdline; p && *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && !memcmp(p, key, n) && p[n] == '=') {
            *out = lk_parse_u64(p + n + 1, NULL);
            return 1;
        }
    }
    return 0;
}

uint8_t lk_sum8(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *b++);
    return s;
}

/* FNV-1a, 32 bits: limine-tests.sh passes the kernel file's value on the
 * command line (lk.file_fnv) to compare with the executable file response. */
uint32_t lk_fnv1a32(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ *b++) * 16777619u;
    return h;
}

/* Must match tests/limine/lk-pattern.py: byte i of a module made with SEED. */
uint8_t lk_pattern_byte(uint64_t seed, uint64_t i)
{
    return (uint8_t)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

/* Spin until *counter reaches target or the RTC's seconds register has
 * changed `seconds` times (the RTC needs no calibration and no interrupts).
 * Returns 1 if the target was reached. */
int lk_wait_rtc_seconds(volatile uint64_t *counter, uint64_t target, unsigned seconds)
{
    outb(CMOS_INDEX, CMOS_SECONDS);
    uint8_t last = inb(CMOS_DATA);
    unsigned ticks = 0;
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < target) {
        outb(CMOS_INDEX, CMOS_SECONDS);
        uint8_t now = inb(CMOS_DATA);
        if (now != last) {
            last = now;
            if (++ticks > seconds)
                return 0;
        }
        cpu_relax();
    }
    return 1;
}

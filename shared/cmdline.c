/* The kernel command line: space-separated words, some of them key=value.
 * Read-only helpers over a NUL-terminated string: the kernel reads the boot
 * info's, the loader the one in pagoda.conf (pagoda.serial=). */
#include "cmdline.h"

/* Length of the word starting at p. */
static size_t word_len(const char *p)
{
    size_t n = 0;
    while (p[n] && p[n] != ' ')
        n++;
    return n;
}

static size_t cstr_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static bool prefix_is(const char *p, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (i >= n || p[i] != s[i])
            return false;
    return true;
}

/* Lengths first: word may be shorter than the line's word, and nothing past
 * its NUL may be read (a literal's neighbour could be a '\0' and make
 * "pagoda.testing" match "pagoda.test"). */
bool cmdline_has(const char *cmdline, const char *word)
{
    size_t k = cstr_len(word);

    for (const char *p = cmdline; *p;) {
        size_t n = word_len(p);
        if (n && n == k && prefix_is(p, n, word))
            return true;
        p += n ? n : 1;
    }
    return false;
}

const char *cmdline_value(const char *cmdline, const char *key)
{
    for (const char *p = cmdline; *p;) {
        size_t n = word_len(p), k = cstr_len(key);
        if (n > k && prefix_is(p, n, key) && p[k] == '=')
            return p + k + 1;
        p += n ? n : 1;
    }
    return NULL;
}

bool cmdline_value_is(const char *value, const char *s)
{
    return value && prefix_is(value, word_len(value), s) && word_len(value) == cstr_len(s);
}

bool cmdline_u32(const char *value, uint32_t *out)
{
    size_t n = value ? word_len(value) : 0;
    uint64_t v = 0;

    if (n == 0 || n > 10)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (value[i] < '0' || value[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(value[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

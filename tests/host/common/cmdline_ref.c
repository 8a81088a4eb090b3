/* Reference model of the command line: split a copy into words with
 * strtok_r, compare with strcmp/strncmp, convert with strtoull. Quadratic
 * and allocating, so that it is obviously right. */
#include "cmdline_ref.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Calls fn(word, offset of word in cmdline, arg) for each word until it
 * returns true; returns that offset, or -1. */
static long ref_find_word(const char *cmdline, bool (*fn)(const char *word, const void *arg),
                          const void *arg)
{
    char *copy = strdup(cmdline), *save = NULL;
    long at = -1;

    if (!copy)
        abort();
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (fn(w, arg)) {
            at = (long)(w - copy);
            break;
        }
    }
    free(copy);
    return at;
}

static bool word_equals(const char *word, const void *arg)
{
    return strcmp(word, arg) == 0;
}

static bool word_sets_key(const char *word, const void *arg)
{
    const char *key = arg;
    size_t k = strlen(key);

    return strncmp(word, key, k) == 0 && word[k] == '=';
}

bool ref_cmdline_has(const char *cmdline, const char *word)
{
    return ref_find_word(cmdline, word_equals, word) >= 0;
}

long ref_cmdline_value(const char *cmdline, const char *key)
{
    long at = ref_find_word(cmdline, word_sets_key, key);

    return at < 0 ? -1 : at + (long)strlen(key) + 1;
}

bool ref_cmdline_value_is(const char *value, const char *s)
{
    size_t n;

    if (!value)
        return false;
    n = strcspn(value, " ");
    return n == strlen(s) && strncmp(value, s, n) == 0;
}

bool ref_cmdline_u32(const char *value, uint32_t *out)
{
    char digits[11], *end;
    unsigned long long v;
    size_t n;

    if (!value)
        return false;
    n = strcspn(value, " ");
    if (n == 0 || n > 10 || strspn(value, "0123456789") < n)
        return false;
    memcpy(digits, value, n);
    digits[n] = '\0';
    errno = 0;
    v = strtoull(digits, &end, 10);
    if (errno || *end || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* Reference model of the kernel command line (shared/cmdline.c) for the
 * host test and the fuzzer: the documented rules restated with libc
 * (strtok_r on a copy, strtoull), sharing no code with shared/. */
#ifndef PAGODA_TEST_CMDLINE_REF_H
#define PAGODA_TEST_CMDLINE_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is word one of the space-separated words of cmdline? */
bool ref_cmdline_has(const char *cmdline, const char *word);

/* Offset in cmdline of the value of the first word "key=...", or -1. */
long ref_cmdline_value(const char *cmdline, const char *key);

/* Does the word at value (up to a space or the end) equal s? */
bool ref_cmdline_value_is(const char *value, const char *s);

/* The word at value as 1 to 10 decimal digits below 2^32. */
bool ref_cmdline_u32(const char *value, uint32_t *out);

#endif

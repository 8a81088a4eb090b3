/* A small freestanding printf for the loader and the kernel (serial,
 * screen, panic messages). No floating point, no allocation, no globals.
 *
 * Conversions: %s %c %d %i %u %x %X %p %%
 * Flags:       '-' (left-justify), '0' (zero-pad), '#' (0x/0X prefix on %x/%X)
 * Width:       a decimal number
 * Length:      l, ll, z (size_t; %zd takes the signed counterpart)
 * Output matches C99/glibc printf for these, including "(null)" for a
 * NULL %s and "(nil)" for a NULL %p. Not supported: precision, '*' width,
 * '+' and ' ' flags, h/hh/j/t, %o, %n, floats. An unsupported conversion
 * is printed verbatim (e.g. "%q"), so a typo shows up in the output instead
 * of eating an argument. */
#ifndef PAGODA_FMT_H
#define PAGODA_FMT_H

#include <stdarg.h>

#include "types.h"

/* Output sink: called once per character, in order. */
typedef void (*fmt_putc_fn)(void *ctx, char c);

/* Format into `put`. Returns the number of characters emitted. */
size_t fmt_vformat(fmt_putc_fn put, void *ctx, const char *fmt, va_list ap);

/* snprintf semantics: writes at most n-1 characters plus a NUL whenever
 * n > 0 (buf may be NULL when n == 0) and returns the length the full
 * output would have had, so `ret >= n` means truncated. */
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

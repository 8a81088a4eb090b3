/* The kernel command line's words (shared/cmdline.c): space-separated,
 * some of them key=value. Nothing is copied or changed. */
#ifndef PAGODA_CMDLINE_H
#define PAGODA_CMDLINE_H

#include "types.h"

/* Read by the loader and the kernel alike: =sync writes every line to COM1
 * as it is printed, instead of keeping the lines printed before every CPU
 * is online until then (for debugging a boot that hangs before that). */
#define CMDLINE_SERIAL_KEY "pagoda.serial"

bool cmdline_has(const char *cmdline, const char *word);        /* whole word */
const char *cmdline_value(const char *cmdline, const char *key); /* after "key=", or NULL */
bool cmdline_value_is(const char *value, const char *s);        /* value word == s */
/* A value word as a plain decimal number below 2^32; false otherwise. */
bool cmdline_u32(const char *value, uint32_t *out);

#endif

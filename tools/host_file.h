/* Whole-file reads for the host tools (pagoda-pin, tpm-replay). */
#ifndef PAGODA_TOOLS_HOST_FILE_H
#define PAGODA_TOOLS_HOST_FILE_H

#include <stddef.h>

/* The file's bytes in a malloc'd buffer (one spare byte at the end, so a
 * text file can be NUL-terminated), its size in *len; NULL when it cannot
 * be opened or read whole. The caller frees it. */
unsigned char *host_read_file(const char *path, size_t *len);

#endif

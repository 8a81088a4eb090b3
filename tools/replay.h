/* tools/replay (replay.c): the parts shared between its files. */
#ifndef PAGODA_TOOLS_REPLAY_H
#define PAGODA_TOOLS_REPLAY_H

#include "pmem.h"

enum { EXIT_MALFORMED = 1, EXIT_USAGE = 2, EXIT_PROBLEM = 3 };

#define SIZE_STR_MAX 24

/* Exact binary size: the largest unit that divides it ("636K", "3G"). */
const char *size_str(uint64_t bytes, char buf[SIZE_STR_MAX]);

/* replay_paging.c: plan the HHDM of `pm` with the loader's rules, build it
 * for a 1 GiB-page and a 2 MiB-only CPU, print the plan, the leaves and the
 * frames. False when a build failed, took more than the minimum, or the
 * direct map leaves its window. */
bool replay_paging(const struct pmem *pm);

#endif

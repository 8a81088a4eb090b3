/* Calendar date -> UNIX time (seconds since 1970-01-01 00:00:00 UTC), for
 * the Limine date-at-boot response: the loader reads the firmware's clock
 * (EFI_TIME) and hands the kernel a UNIX timestamp. Pure; host-tested. */
#ifndef PAGODA_UNIX_TIME_H
#define PAGODA_UNIX_TIME_H

#include "types.h"

/* The firmware's "time zone unspecified" value (UEFI 2.10, 8.3 EFI_TIME):
 * the clock is then taken as UTC. */
#define UNIX_TIME_TZ_UNSPECIFIED 2047
#define UNIX_TIME_TZ_MAX_MINUTES 1440      /* |TimeZone| <= 24 hours */

struct unix_time_date {
    uint16_t year;       /* 1970..9999 */
    uint8_t month;       /* 1..12 */
    uint8_t day;         /* 1..days in that month */
    uint8_t hour, minute, second;   /* 0..23, 0..59, 0..59 (a leap second 60 counts as 59) */
    int16_t tz_minutes;  /* EFI_TIME.TimeZone: local = UTC - tz_minutes; or UNIX_TIME_TZ_UNSPECIFIED */
};

/* 0 and *out, or -E_INVAL for a field out of range (a firmware clock that
 * was never set can read 0/0/0). */
int unix_time_from_date(const struct unix_time_date *d, int64_t *out);

#endif

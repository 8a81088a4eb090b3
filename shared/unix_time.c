/* Calendar date -> UNIX time. Days are counted from 1970-01-01 with the
 * proleptic Gregorian rules (every 4th year a leap year, except centuries
 * not divisible by 400), one year at a time from a 400-year cycle base so
 * that no step needs a table of cumulative days beyond one year's months. */
#include "unix_time.h"

#define UNIX_EPOCH_YEAR 1970
#define YEAR_MAX 9999
#define DAYS_PER_400Y 146097
#define SECONDS_PER_DAY 86400
#define LEAP_SECOND 60

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return days[m - 1] + (m == 2 && is_leap(y));
}

static bool date_valid(const struct unix_time_date *d)
{
    bool tz_ok = d->tz_minutes == UNIX_TIME_TZ_UNSPECIFIED ||
                 (d->tz_minutes >= -UNIX_TIME_TZ_MAX_MINUTES && d->tz_minutes <= UNIX_TIME_TZ_MAX_MINUTES);

    return d->year >= UNIX_EPOCH_YEAR && d->year <= YEAR_MAX && d->month >= 1 && d->month <= 12 &&
           d->day >= 1 && d->day <= days_in_month(d->year, d->month) && d->hour < 24 &&
           d->minute < 60 && d->second <= LEAP_SECOND && tz_ok;
}

/* Days from 1970-01-01 to the first day of `year`. */
static int64_t days_before_year(unsigned year)
{
    int64_t days = 0;
    unsigned y = UNIX_EPOCH_YEAR;

    /* 2000 starts a 400-year cycle: jump whole cycles past it. */
    for (; y < year && y % 400 != 0; y++)
        days += 365 + is_leap(y);
    for (; y + 400 <= year; y += 400)
        days += DAYS_PER_400Y;
    for (; y < year; y++)
        days += 365 + is_leap(y);
    return days;
}

int unix_time_from_date(const struct unix_time_date *d, int64_t *out)
{
    if (!date_valid(d))
        return -E_INVAL;
    int64_t days = days_before_year(d->year);
    for (unsigned m = 1; m < d->month; m++)
        days += days_in_month(d->year, m);
    days += d->day - 1;
    unsigned second = d->second == LEAP_SECOND ? LEAP_SECOND - 1 : d->second;
    int64_t t = days * SECONDS_PER_DAY + d->hour * 3600 + d->minute * 60 + second;
    if (d->tz_minutes != UNIX_TIME_TZ_UNSPECIFIED)
        t += (int64_t)d->tz_minutes * 60;   /* UTC = local + TimeZone */
    *out = t;
    return 0;
}

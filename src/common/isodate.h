/* isodate.h - parse ISO 8601 dates into the interval of microseconds they
 * name. */
#pragma once

#include <stdint.h>

/* Parse YYYY-MM-DD or YYYY-MM-DD[T ]hh:mm:ss[.f...][Z|+hh:mm|-hh:mm|+hhmm]
 * (UTC when there is no offset) into [*ret_lo, *ret_hi): a date names its
 * whole day, a time its whole second (or its last fraction digit).  -1 if
 * s is malformed or names no real date; outputs are set only on success. */
int isodate_parse(const char *s, int64_t *ret_lo, int64_t *ret_hi);

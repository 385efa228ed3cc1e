/* isodate.h - parse ISO 8601 dates into the interval of microseconds they
 * name, and SigV4's compact form.  Parsing only. */
#pragma once

#include <stdint.h>

/* Parse YYYY-MM-DD or YYYY-MM-DD[T ]hh:mm:ss[.f...][Z|+hh:mm|-hh:mm|+hhmm]
 * (UTC when there is no offset) into [*ret_lo, *ret_hi): a date names its
 * whole day, a time its whole second (or its last fraction digit).  -1 if
 * s is malformed or names no real date; outputs are set only on success. */
int isodate_parse(const char *s, int64_t *ret_lo, int64_t *ret_hi);

/* Parse SigV4's X-Amz-Date, YYYYMMDDThhmmssZ (UTC), into seconds since the
 * epoch; -1 if malformed or not a real date.  By arithmetic: sscanf and
 * timegm were 1% of the server's time on small requests. */
int isodate_parse_amz(const char *s, int64_t *ret_seconds);

/* tzinfo.h - IANA time zones from the system's tz database (TZif files
 * under /usr/share/zoneinfo, RFC 8536), read without touching the process's
 * TZ (setenv/tzset are not safe with threads): UTC offsets at an instant
 * and local wall-clock time back to an instant. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define TZINFO_DIR "/usr/share/zoneinfo"
#define TZINFO_FILE_MAX (256u * 1024) /* the largest zone file read */
#define TZINFO_NAME_MAX 64

struct tzinfo;

/* The zone named `name` (e.g. "Europe/Paris", "UTC").  ERR_INVALID for a
 * name that is not a zone of the tz database (including "../x" and
 * anything that is not a TZif file).  Free with tzinfo_free. */
int tzinfo_load(const char *name, struct tzinfo **ret_zone, struct error *err);
/* The same from a TZif file's bytes (pure; fuzzed and unit-tested). */
int tzinfo_parse(const unsigned char *data, size_t len, struct tzinfo **ret_zone, struct error *err);
void tzinfo_free(struct tzinfo *z);

/* Seconds east of UTC in effect at utc (epoch seconds). */
int32_t tzinfo_offset(const struct tzinfo *z, int64_t utc);
/* The instant (epoch seconds) the wall clock reads `local` (epoch seconds
 * of the same date and time in UTC).  A time that occurs twice (clocks
 * going back) is its first occurrence; one that does not occur (clocks
 * going forward) is read with the offset before the change, which lands
 * after the gap. */
int64_t tzinfo_to_utc(const struct tzinfo *z, int64_t local);

/* Civil dates (proleptic Gregorian): days since 1970-01-01 and back. */
int64_t tzinfo_days_from_civil(int64_t y, int m, int d);
void tzinfo_civil_from_days(int64_t days, int64_t *ret_y, int *ret_m, int *ret_d);
int tzinfo_days_in_month(int64_t y, int m);

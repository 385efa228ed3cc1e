/* tzinfo.c - time zones from TZif files (see tzinfo.h).
 *
 * A zone is its list of transitions (instant, offset after it) from the
 * file's 64-bit block (version 2 and later; the 32-bit block of a version
 * 1 file), and for instants past the last transition the footer's POSIX TZ
 * rule ("EST5EDT,M3.2.0,M11.1.0"), whose Mm.w.d form is the one the tz
 * database writes.  A footer in another form leaves the last transition's
 * offset in force.  Leap seconds are ignored, as POSIX time does.  Every
 * count and index read from the file is checked against its length. */
#include "common/tzinfo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fsutil.h"

#define DAY 86400
#define OFFSET_MAX (26 * 3600)

struct tz_rule {
    int month, week, wday; /* Mm.w.d: day wday (0 Sunday) of week 1-5 (5: last) */
    int32_t secs;          /* local time of day of the change */
};

struct tzinfo {
    size_t n;
    int64_t *at;  /* transition instants, ascending */
    int32_t *off; /* offset from each transition on */
    int32_t first_off;
    bool footer, dst;
    int32_t std_off, dst_off;
    struct tz_rule start, end;
};

void tzinfo_free(struct tzinfo *z)
{
    if (!z)
        return;
    free(z->at);
    free(z->off);
    free(z);
}

static inline void tzinfo_freep(struct tzinfo **z) { tzinfo_free(*z); }

/* ---- civil dates (proleptic Gregorian) ---- */

int64_t tzinfo_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tzinfo_civil_from_days(int64_t days, int64_t *ret_y, int *ret_m, int *ret_d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *ret_d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *ret_m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *ret_y = yoe + era * 400 + (*ret_m <= 2);
}

static int64_t year_of(int64_t secs)
{
    int64_t y;
    int m, d;
    tzinfo_civil_from_days((secs >= 0 ? secs : secs - (DAY - 1)) / DAY, &y, &m, &d);
    return y;
}

int tzinfo_days_in_month(int64_t y, int m)
{
    return (int)(tzinfo_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - tzinfo_days_from_civil(y, m, 1));
}

/* The rule's change in year y, as local seconds (the wall clock's reading
 * as if it were UTC). */
static int64_t rule_local(const struct tz_rule *r, int64_t y)
{
    int64_t first = tzinfo_days_from_civil(y, r->month, 1);
    int dow0 = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    int day = 1 + (r->wday - dow0 + 7) % 7 + (r->week - 1) * 7;
    int dim = tzinfo_days_in_month(y, r->month);
    while (day > dim)
        day -= 7;
    return (first + day - 1) * DAY + r->secs;
}

/* ---- the footer ---- */

static bool footer_name(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        const char *e = strchr(s, '>');
        if (!e || e == s + 1)
            return false;
        *p = e + 1;
        return true;
    }
    while (isalpha((unsigned char)*s))
        s++;
    if (s - *p < 3)
        return false;
    *p = s;
    return true;
}

/* [+-]h[h][:mm[:ss]] -> seconds; hours up to max_h. */
static bool footer_time(const char **p, int max_h, int32_t *ret)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*s))
        return false;
    long part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*s != ':')
                break;
            s++;
        }
        if (!isdigit((unsigned char)*s))
            return false;
        long v = 0;
        for (int k = 0; isdigit((unsigned char)*s) && k < 3; k++)
            v = v * 10 + (*s++ - '0');
        part[i] = v;
    }
    if (part[0] > max_h || part[1] > 59 || part[2] > 59)
        return false;
    *ret = (int32_t)(sign * (part[0] * 3600 + part[1] * 60 + part[2]));
    *p = s;
    return true;
}

static bool footer_rule(const char **p, struct tz_rule *r)
{
    const char *s = *p;
    char *end;
    if (*s++ != 'M')
        return false; /* Jn and n: not written by the tz database */
    long v[3];
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v[i] = strtol(s, &end, 10);
        s = end;
        if (i < 2 && *s++ != '.')
            return false;
    }
    if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] < 0 || v[2] > 6)
        return false;
    *r = (struct tz_rule){(int)v[0], (int)v[1], (int)v[2], 2 * 3600};
    if (*s == '/') {
        s++;
        if (!footer_time(&s, 167, &r->secs))
            return false;
    }
    *p = s;
    return true;
}

static void footer_parse(struct tzinfo *z, const char *tz)
{
    const char *p = tz;
    int32_t std;
    if (!footer_name(&p) || !footer_time(&p, 24, &std))
        return;
    z->std_off = -std;
    if (*p == '\0') {
        z->footer = true;
        return;
    }
    int32_t dst = std - 3600;
    if (!footer_name(&p) || ((*p == '+' || *p == '-' || isdigit((unsigned char)*p)) && !footer_time(&p, 24, &dst)))
        return;
    if (*p++ != ',' || !footer_rule(&p, &z->start) || *p++ != ',' || !footer_rule(&p, &z->end) || *p != '\0')
        return;
    z->dst_off = -dst;
    z->dst = z->footer = true;
}

static int32_t footer_offset(const struct tzinfo *z, int64_t utc)
{
    if (!z->dst)
        return z->std_off;
    int64_t y = year_of(utc + z->std_off);
    int64_t s = rule_local(&z->start, y) - z->std_off;
    int64_t e = rule_local(&z->end, y) - z->dst_off;
    bool in_dst = s < e ? (utc >= s && utc < e) : !(utc >= e && utc < s);
    return in_dst ? z->dst_off : z->std_off;
}

/* ---- the file ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

struct tzif_counts {
    size_t isut, isstd, leap, time, type, chars;
};

/* The header at data[0..]: its counts and its data block's size for
 * times of tsize bytes; -1 if it does not fit in len. */
static int header(const unsigned char *data, size_t len, size_t tsize, struct tzif_counts *c, size_t *ret_size)
{
    if (len < 44 || memcmp(data, "TZif", 4) != 0)
        return -1;
    size_t v[6];
    for (int i = 0; i < 6; i++) {
        v[i] = be32(data + 20 + 4 * i);
        if (v[i] > len)
            return -1;
    }
    *c = (struct tzif_counts){v[0], v[1], v[2], v[3], v[4], v[5]};
    size_t size = c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) + c->isstd + c->isut;
    if (size > len - 44 || c->type == 0 || c->type > 256)
        return -1;
    *ret_size = size;
    return 0;
}

static int read_block(struct tzinfo *z, const unsigned char *b, const struct tzif_counts *c, size_t tsize,
                      struct error *err)
{
    const unsigned char *idx = b + c->time * tsize, *types = idx + c->time;
    for (size_t i = 0; i < c->type; i++) {
        int32_t off = (int32_t)be32(types + 6 * i);
        if (off < -OFFSET_MAX || off > OFFSET_MAX)
            return error_set(err, ERR_INVALID, "not a time zone file: offset out of range");
    }
    z->first_off = (int32_t)be32(types);
    z->at = calloc(c->time + 1, sizeof(*z->at));
    z->off = calloc(c->time + 1, sizeof(*z->off));
    if (!z->at || !z->off)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < c->time; i++) {
        z->at[i] = tsize == 8 ? be64(b + 8 * i) : (int32_t)be32(b + 4 * i);
        if (idx[i] >= c->type || (i > 0 && z->at[i] <= z->at[i - 1]))
            return error_set(err, ERR_INVALID, "not a time zone file: bad transition");
        z->off[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    z->n = c->time;
    return 0;
}

int tzinfo_parse(const unsigned char *data, size_t len, struct tzinfo **ret_zone, struct error *err)
{
    _cleanup_(tzinfo_freep) struct tzinfo *z = calloc(1, sizeof(*z));
    if (!z)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct tzif_counts c;
    size_t size;
    if (header(data, len, 4, &c, &size) < 0)
        return error_set(err, ERR_INVALID, "not a time zone file");
    if (data[4] == '\0') { /* version 1: 32-bit times, no footer */
        if (read_block(z, data + 44, &c, 4, err) < 0)
            return -1;
        *ret_zone = TAKE_PTR(z);
        return 0;
    }
    const unsigned char *h2 = data + 44 + size;
    size_t left = len - 44 - size;
    if (header(h2, left, 8, &c, &size) < 0)
        return error_set(err, ERR_INVALID, "not a time zone file");
    if (read_block(z, h2 + 44, &c, 8, err) < 0)
        return -1;
    const unsigned char *f = h2 + 44 + size, *end = data + len;
    if (f < end && *f == '\n') {
        const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
        char tz[128];
        if (nl && nl - f - 1 < (ptrdiff_t)sizeof(tz)) {
            memcpy(tz, f + 1, (size_t)(nl - f - 1));
            tz[nl - f - 1] = '\0';
            footer_parse(z, tz);
        }
    }
    *ret_zone = TAKE_PTR(z);
    return 0;
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TZINFO_NAME_MAX || name[0] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!isalnum((unsigned char)ch) && !strchr("_+-/", ch))
            return false;
        if (ch == '/' && (name[i + 1] == '/' || name[i + 1] == '\0'))
            return false;
    }
    return true;
}

int tzinfo_load(const char *name, struct tzinfo **ret_zone, struct error *err)
{
    if (!name || !name_ok(name))
        return error_set(err, ERR_INVALID, "unknown time zone");
    char path[sizeof(TZINFO_DIR) + TZINFO_NAME_MAX + 2];
    snprintf(path, sizeof(path), "%s/%s", TZINFO_DIR, name);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct error ignored;
    if (fs_read_file(path, TZINFO_FILE_MAX, &data, &len, &ignored) < 0 ||
        tzinfo_parse((const unsigned char *)data, len, ret_zone, err) < 0)
        return error_set(err, ERR_INVALID, "unknown time zone");
    return 0;
}

int32_t tzinfo_offset(const struct tzinfo *z, int64_t utc)
{
    if (z->n == 0)
        return z->footer ? footer_offset(z, utc) : z->first_off;
    if (utc < z->at[0])
        return z->first_off;
    if (utc >= z->at[z->n - 1] && z->footer)
        return footer_offset(z, utc);
    size_t lo = 0, hi = z->n; /* the last transition at or before utc */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return z->off[lo];
}

int64_t tzinfo_to_utc(const struct tzinfo *z, int64_t local)
{
    int32_t a = tzinfo_offset(z, local - DAY), b = tzinfo_offset(z, local + DAY);
    int64_t ua = local - a, ub = local - b;
    bool va = tzinfo_offset(z, ua) == a, vb = tzinfo_offset(z, ub) == b;
    if (va && vb)
        return ua < ub ? ua : ub;
    if (vb)
        return ub;
    return ua; /* valid, or in a gap: the offset before the change */
}

/* regex_guard.c - refuse EREs that glibc would make costly (see
 * regex_guard.h).  It only scans the text; regcomp still judges syntax. */
#include "common/regex_guard.h"

/* A "{m}" or "{m,n}" bound starting after p ('{'); 0 when it passes the cap. */
static unsigned long repeat_bound(const char *p)
{
    unsigned long bound = 0;
    const char *q = p + 1;
    for (; *q >= '0' && *q <= '9'; q++) {
        bound = bound * 10 + (unsigned long)(*q - '0');
        if (bound > REGEX_REPEAT_PRODUCT_MAX)
            return 0;
    }
    if (*q == ',') {
        unsigned long hi = 0;
        bool has_hi = false;
        for (q++; *q >= '0' && *q <= '9'; q++) {
            hi = hi * 10 + (unsigned long)(*q - '0');
            has_hi = true;
            if (hi > REGEX_REPEAT_PRODUCT_MAX)
                return 0;
        }
        if (has_hi)
            bound = hi;
    }
    return bound ? bound : 1;
}

bool regex_too_costly(const char *re)
{
    unsigned long product = 1;
    for (const char *p = re; *p; p++) {
        if (*p == '\\') {
            if (p[1] >= '1' && p[1] <= '9')
                return true;
            if (p[1])
                p++;
            continue;
        }
        if (*p != '{')
            continue;
        unsigned long bound = repeat_bound(p);
        if (bound == 0)
            return true;
        product *= bound;
        if (product > REGEX_REPEAT_PRODUCT_MAX)
            return true;
    }
    return false;
}

/* glob.c - wildcard matching (see glob.h). */
#include "common/glob.h"

#include <ctype.h>
#include <stddef.h>

static bool same(char a, char b, unsigned flags)
{
    if (flags & GLOB_FOLD)
        return tolower((unsigned char)a) == tolower((unsigned char)b);
    return a == b;
}

bool glob_match(const char *p, const char *s, unsigned flags)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p && ((*p == '?' && (flags & GLOB_QMARK)) || same(*p, *s, flags))) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

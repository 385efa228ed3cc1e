/* regex_guard.h - keep user-supplied POSIX EREs cheap under glibc.
 *
 * glibc's regcomp expands a bounded repetition by copying its operand, so
 * nested "{m,n}" multiply ("((a{1,30000}){1,30000})" asks for gigabytes),
 * and its matcher can recurse without limit on back-references
 * (CVE-2018-20796).  Without back-references glibc matches with a DFA-like
 * walk whose cost is linear in the subject for a compiled pattern, so
 * refusing both keeps compilation small and matching bounded. */
#pragma once

#include <stdbool.h>

/* The product of every repetition upper bound a pattern may have. */
#define REGEX_REPEAT_PRODUCT_MAX 1000

/* Whether re has a back-reference (\1..\9) or repetition bounds whose
 * product passes REGEX_REPEAT_PRODUCT_MAX. */
bool regex_too_costly(const char *re);

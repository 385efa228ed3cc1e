/* logs_filter.h - CloudWatch Logs filter patterns for unstructured events.
 *
 * Supported (as the CloudWatch Logs documentation describes them):
 *   ERROR WARN          every term must appear (case-sensitive)
 *   "exact phrase"      a quoted phrase must appear as written
 *   -term, -"phrase"    the term must not appear
 *   ?term ?"phrase"     at least one of the ?-terms must appear
 *   %regex%             a regular expression (logs_regex.h), standalone
 *   "" or blank         matches every event
 * JSON patterns ({ $.x = 1 }) and space-delimited patterns ([a, b]) are
 * refused with ERR_INVALID ("unsupported") rather than misread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct logs_filter;

/* Parse pattern (NUL-terminated, may be NULL: match all).  The pattern's
 * length is bounded by the model (1024); terms are copied. */
int logs_filter_parse(const char *pattern, struct logs_filter **ret_filter, struct error *err);
void logs_filter_free(struct logs_filter *f);
/* Whether the message (len bytes, may hold NULs) matches. */
bool logs_filter_match(const struct logs_filter *f, const char *msg, size_t len);

/* jsondump.h - a jansson tree as compact JSON text, the bytes
 * json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) gives (or without
 * ENSURE_ASCII), 3-5 times faster: API answers of a few hundred KB
 * (DescribeContainerInstances of 100 instances and their attributes) spent
 * as long in jansson's dump as in building them, and the store writes a
 * task's document on every change of it.  Object members in the tree's order, integers in
 * decimal, reals as jansson writes them, strings with \uXXXX for all but
 * printable ASCII.  Like json_dumps: NULL for a tree that is not an object
 * or array, a string that is not UTF-8, nesting past JSONDUMP_MAX_DEPTH
 * (jansson's own depth limit for parsing), or out of memory. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#define JSONDUMP_MAX_DEPTH 2048

/* The text (free() it) and its length in *ret_len (may be NULL). */
char *jsondump(const json_t *j, size_t *ret_len);
/* The same with strings' non-ASCII characters as UTF-8 bytes, not \uXXXX:
 * what json_dumps(j, JSON_COMPACT) gives.  The store's documents. */
char *jsondump_utf8(const json_t *j, size_t *ret_len);

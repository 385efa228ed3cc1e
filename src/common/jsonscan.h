/* jsonscan.h - reading JSON text in place, value by value, without building
 * a tree: for bodies that are large and regular (a PutLogEvents batch of
 * 10,000 events), where a jansson tree costs an allocation per value.
 *
 * The scanner accepts what jansson accepts with JSON_ALLOW_NUL (RFC 8259:
 * strings of well-formed UTF-8, no raw control characters, \u escapes with
 * surrogate pairs, \u0000 allowed) and refuses integers that do not fit an
 * int64_t, as jansson does.  Every function skips whitespace first and, on
 * malformed text, returns -1 and leaves the position where it stopped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonscan {
    const char *base, *p, *end;
};

void jsonscan_init(struct jsonscan *s, const char *text, size_t len);

/* The next byte that is not whitespace (0 at the end), not consumed. */
char jsonscan_peek(struct jsonscan *s);
/* Consume the next non-whitespace byte if it is c. */
bool jsonscan_take(struct jsonscan *s, char c);
/* Whether only whitespace is left. */
bool jsonscan_at_end(struct jsonscan *s);
/* Bytes consumed so far. */
size_t jsonscan_pos(const struct jsonscan *s);

/* A string, decoded into dst (up to cap bytes; dst may be NULL to only
 * check it); *ret_len is its whole decoded length, which is never more
 * than its length in the text. */
int jsonscan_string(struct jsonscan *s, char *dst, size_t cap, size_t *ret_len);
/* A number: *ret_integer says whether it is an integer (no fraction or
 * exponent), and then *ret_value holds it. */
int jsonscan_number(struct jsonscan *s, bool *ret_integer, int64_t *ret_value);
/* Any one value (nesting up to JSONSCAN_MAX_DEPTH), checked and skipped. */
int jsonscan_skip(struct jsonscan *s);
/* Any one value skipped by its shape only: strings to their closing
 * quote, arrays and objects to their balancing bracket (nesting up to
 * JSONSCAN_MAX_DEPTH), a scalar to the next ',', ']', '}' or space.  For
 * text that a reader will parse in full later; -1 when unbalanced or
 * unterminated. */
int jsonscan_skip_shape(struct jsonscan *s);

#define JSONSCAN_MAX_DEPTH 256

/* utf8.h - UTF-8 checks for text that goes into JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether s (NUL-terminated) is well-formed UTF-8. */
bool utf8_valid(const char *s);
/* Length of the well-formed sequence at s, which has avail bytes (no NUL
 * needed), or 0 if it is not one. */
size_t utf8_seq_len(const char *s, size_t avail);
/* The same, with the sequence's code point stored in *cp (avail >= 1). */
size_t utf8_decode(const char *s, size_t avail, uint32_t *cp);
/* Replace every byte that is not part of a well-formed sequence with '?',
 * in place, so the text can be echoed in a JSON message. */
void utf8_sanitize(char *s);
/* Number of code points in well-formed s. */
size_t utf8_length(const char *s);

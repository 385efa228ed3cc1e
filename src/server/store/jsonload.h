/* jsonload.h - JSON text into a jansson tree, the tree json_loads(text, 0)
 * builds, about twice as fast: the store keeps its rows' documents as JSON
 * text and parses one for every task a DescribeTasks, PollTasks or report
 * reads (half of DescribeTasks' time was jansson's parser).  Strings are
 * decoded in runs (common/jsonscan.c) into one buffer; values are made
 * with jansson's _nocheck calls, the text having been checked here.
 *
 * Accepts and refuses what json_loads(text, 0, ...) does: an object or
 * array at the top, nothing but whitespace after it, RFC 8259 strings of
 * UTF-8 without \u0000, integers that fit json_int_t, reals that do not
 * overflow, nesting up to JSONLOAD_MAX_DEPTH (jansson's). */
#pragma once

#include <jansson.h>
#include <stddef.h>

#define JSONLOAD_MAX_DEPTH 2048

/* The tree (a new reference), or NULL with *ret_error_pos (may be NULL)
 * set to the byte offset where the text went wrong, or out of memory. */
json_t *jsonload(const char *text, size_t len, size_t *ret_error_pos);

/* paging.h - maxResults / nextToken for List* actions.
 *
 * A nextToken is opaque to clients: base64url of "<action>\n<last key>", so a
 * token from one listing is refused by another. */
#pragma once

#include <jansson.h>

#include "common/error.h"

struct page {
    int limit;   /* rows to return */
    char *after; /* last key of the previous page, or NULL; owned */
};

/* Read maxResults (bounded by [1, max], default def) and nextToken from in. */
int page_begin(json_t *in, const char *action, int def, int max, struct page *ret_page, struct error *err);
/* Set out.nextToken to a token resuming after last_key. */
int page_set_next(json_t *out, const char *action, const char *last_key);
/* The same for APIs that name the members otherwise (IAM: MaxItems, Marker). */
int page_begin_as(json_t *in, const char *action, const char *max_member, const char *token_member, int def, int max,
                  struct page *ret_page, struct error *err);
int page_set_next_as(json_t *out, const char *action, const char *token_member, const char *last_key);
void page_free(struct page *page);

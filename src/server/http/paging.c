/* paging.c - encoding and checking nextToken values. */
#include "server/http/paging.h"

#include <stdlib.h>
#include <string.h>

#include "server/http/http_limits.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const char *s, size_t n)
{
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned)(unsigned char)s[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Decode; NULL if s is not valid base64url. */
static char *b64url_decode(const char *s, size_t *ret_len)
{
    size_t n = strlen(s);
    if (n % 4 == 1)
        return NULL;
    char *out = malloc(n * 3 / 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *ret_len = o;
    return out;
}

int page_begin(json_t *in, const char *action, int def, int max, struct page *ret_page, struct error *err)
{
    return page_begin_as(in, action, "maxResults", "nextToken", def, max, ret_page, err);
}

int page_begin_as(json_t *in, const char *action, const char *max_member, const char *token_member, int def, int max,
                  struct page *ret_page, struct error *err)
{
    struct page p = {.limit = def, .after = NULL};
    json_t *mr = json_object_get(in, max_member);
    if (mr) {
        json_int_t v = json_integer_value(mr);
        if (v < 1 || v > max)
            return error_set(err, ERR_INVALID, "%s must be between 1 and %d.", max_member, max);
        p.limit = (int)v;
    }
    const char *tok = json_string_value(json_object_get(in, token_member));
    if (tok) {
        size_t len = 0;
        char *raw = strlen(tok) <= LIMIT_NEXT_TOKEN ? b64url_decode(tok, &len) : NULL;
        size_t alen = strlen(action);
        if (!raw || len <= alen || strncmp(raw, action, alen) != 0 || raw[alen] != '\n' || strlen(raw) != len) {
            free(raw);
            return error_set(err, ERR_INVALID, "Invalid %s.", token_member);
        }
        p.after = strdup(raw + alen + 1);
        free(raw);
        if (!p.after)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    *ret_page = p;
    return 0;
}

int page_set_next(json_t *out, const char *action, const char *last_key)
{
    return page_set_next_as(out, action, "nextToken", last_key);
}

int page_set_next_as(json_t *out, const char *action, const char *token_member, const char *last_key)
{
    size_t alen = strlen(action), klen = strlen(last_key);
    char *raw = malloc(alen + 1 + klen + 1);
    if (!raw)
        return -1;
    memcpy(raw, action, alen);
    raw[alen] = '\n';
    memcpy(raw + alen + 1, last_key, klen + 1);
    char *tok = b64url_encode(raw, alen + 1 + klen);
    free(raw);
    if (!tok)
        return -1;
    json_object_set_new(out, token_member, json_string(tok));
    free(tok);
    return 0;
}

void page_free(struct page *page)
{
    if (!page)
        return;
    free(page->after);
    page->after = NULL;
}

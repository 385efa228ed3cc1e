/* console.h - the web console's static files, embedded in the binary: a
 * lookup by URL path below /console/.  No HTTP here (http/http_console.c
 * serves them) and no state: the table is read-only data. */
#pragma once

#include <stddef.h>

struct console_asset {
    const char *path;         /* below /console/: "" is the page itself */
    const char *content_type; /* what the response's Content-Type says */
    const char *data;
    size_t len;
    const char *etag; /* "\"<sha256 hex>\"", quoted as the header wants */
};

/* The asset at path (the part of the URL after "/console/", without the
 * query), or NULL when there is none.  The result is static; safe from
 * any thread. */
const struct console_asset *console_asset_find(const char *path);

/* How many assets there are, and the i-th (for tests). */
size_t console_asset_count(void);
const struct console_asset *console_asset_at(size_t i);

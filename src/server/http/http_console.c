/* http_console.c - serves the web console's embedded files.  Every answer
 * carries the headers that keep the page to itself: a Content-Security-
 * Policy allowing only the console's own scripts, styles and images and
 * API calls to this origin (no inline script, no eval, no framing),
 * nosniff, no referrer.  Files are revalidated on each load (no-cache and
 * an ETag), so a new berth binary's console is picked up at once.  What the
 * files are is console/console.c's business. */
#include "server/http/http_console.h"

#include <string.h>

#include "server/console/console.h"

#define CONSOLE_PREFIX "/console/"

/* 'self' for scripts, styles and the icon; fetch() to the API on this
 * origin only; inline SVG drawn through the DOM needs nothing more. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                          "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static void add_common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
                              size_t len, const struct console_asset *asset, const char *extra_name,
                              const char *extra_value)
{
    /* The embedded bytes live as long as the process: no copy. */
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    add_common_headers(r);
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    if (asset) {
        MHD_add_response_header(r, "Cache-Control", "no-cache");
        MHD_add_response_header(r, "ETag", asset->etag);
    } else {
        MHD_add_response_header(r, "Cache-Control", "no-store");
    }
    if (extra_name)
        MHD_add_response_header(r, extra_name, extra_value);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

bool http_console_path(const char *url)
{
    return strcmp(url, "/console") == 0 || strncmp(url, CONSOLE_PREFIX, strlen(CONSOLE_PREFIX)) == 0;
}

enum MHD_Result http_console_serve(struct MHD_Connection *conn, const char *method, const char *url)
{
    static const char not_found[] = "Not found\n";
    static const char not_allowed[] = "Method not allowed\n";
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0)
        return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", not_allowed,
                      sizeof(not_allowed) - 1, NULL, "Allow", "GET, HEAD");
    if (strcmp(url, "/console") == 0)
        return answer(conn, MHD_HTTP_MOVED_PERMANENTLY, NULL, "", 0, NULL, "Location", CONSOLE_PREFIX);
    const struct console_asset *a = console_asset_find(url + strlen(CONSOLE_PREFIX));
    if (!a)
        return answer(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", not_found, sizeof(not_found) - 1, NULL,
                      NULL, NULL);
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    if (inm && strcmp(inm, a->etag) == 0)
        return answer(conn, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, a, NULL, NULL);
    return answer(conn, MHD_HTTP_OK, a->content_type, a->data, a->len, a, NULL, NULL);
}

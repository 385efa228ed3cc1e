/* console.c - the table of the web console's embedded files (assets.S):
 * URL path, content type, bytes, and an ETag (the sha256 of the bytes,
 * computed once on first use) so that a browser revalidates cheaply.  It
 * does not serve anything: http/http_console.c does, with the headers. */
#include "server/console/console.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/sigv4.h"

#define ASSET_SYMBOLS(sym) extern const char berth_console_##sym[], berth_console_##sym##_end[]

ASSET_SYMBOLS(index_html);
ASSET_SYMBOLS(console_css);
ASSET_SYMBOLS(favicon_svg);
ASSET_SYMBOLS(app_js);
ASSET_SYMBOLS(api_js);
ASSET_SYMBOLS(sigv4_js);
ASSET_SYMBOLS(dom_js);
ASSET_SYMBOLS(graph_js);
ASSET_SYMBOLS(clusters_js);
ASSET_SYMBOLS(service_js);
ASSET_SYMBOLS(tasks_js);
ASSET_SYMBOLS(instances_js);
ASSET_SYMBOLS(taskdefs_js);

#define TYPE_HTML "text/html; charset=utf-8"
#define TYPE_CSS "text/css; charset=utf-8"
#define TYPE_JS "text/javascript; charset=utf-8"
#define TYPE_SVG "image/svg+xml"

struct asset_row {
    const char *path, *type;
    const char *start, *end;
};

#define ROW(p, t, sym)                                                                                                 \
    {                                                                                                                  \
        p, t, berth_console_##sym, berth_console_##sym##_end                                                           \
    }

static const struct asset_row rows[] = {
    ROW("", TYPE_HTML, index_html),
    ROW("console.css", TYPE_CSS, console_css),
    ROW("favicon.svg", TYPE_SVG, favicon_svg),
    ROW("app.js", TYPE_JS, app_js),
    ROW("api.js", TYPE_JS, api_js),
    ROW("sigv4.js", TYPE_JS, sigv4_js),
    ROW("dom.js", TYPE_JS, dom_js),
    ROW("graph.js", TYPE_JS, graph_js),
    ROW("clusters.js", TYPE_JS, clusters_js),
    ROW("service.js", TYPE_JS, service_js),
    ROW("tasks.js", TYPE_JS, tasks_js),
    ROW("instances.js", TYPE_JS, instances_js),
    ROW("taskdefs.js", TYPE_JS, taskdefs_js),
};

#define NASSETS ELEMENTSOF(rows)

static struct console_asset assets[NASSETS];
static char etags[NASSETS][68];
static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

static void assets_init(void)
{
    for (size_t i = 0; i < NASSETS; i++) {
        char hex[65];
        size_t len = (size_t)(rows[i].end - rows[i].start);
        sigv4_sha256_hex(rows[i].start, len, hex);
        snprintf(etags[i], sizeof(etags[i]), "\"%s\"", hex);
        assets[i] = (struct console_asset){
            .path = rows[i].path, .content_type = rows[i].type, .data = rows[i].start, .len = len, .etag = etags[i]};
    }
}

const struct console_asset *console_asset_find(const char *path)
{
    pthread_once(&assets_once, assets_init);
    for (size_t i = 0; i < NASSETS; i++)
        if (strcmp(assets[i].path, path) == 0)
            return &assets[i];
    return NULL;
}

size_t console_asset_count(void) { return NASSETS; }

const struct console_asset *console_asset_at(size_t i)
{
    pthread_once(&assets_once, assets_init);
    return i < NASSETS ? &assets[i] : NULL;
}

/* Unit tests: the web console's embedded files (server/console/) - every
 * file under static/ is in the table, each is non-empty with the content
 * type its name says, and every file the page or a module refers to
 * (href, src, import ... from './x.js'; a #/page link is not a file) is
 * one of them. */
#include <dirent.h>
#include <stdbool.h>
#include <string.h>

#include "server/console/console.h"
#include "test.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Each quoted reference after marker in the asset ("src=\"", "from '"):
 * the count of those that name no asset. */
static int unresolved(const struct console_asset *a, const char *marker, char quote)
{
    int missing = 0;
    size_t mlen = strlen(marker);
    for (size_t i = 0; i + mlen < a->len; i++) {
        if (memcmp(a->data + i, marker, mlen) != 0)
            continue;
        const char *start = a->data + i + mlen;
        const char *end = memchr(start, quote, a->len - i - mlen);
        if (!end || end - start >= 200)
            continue;
        char name[200];
        memcpy(name, start, (size_t)(end - start));
        name[end - start] = '\0';
        if (name[0] == '#')
            continue; /* a page of the console, not a file */
        const char *path = strncmp(name, "./", 2) == 0 ? name + 2 : name;
        if (!console_asset_find(path)) {
            fprintf(stderr, "  %s refers to %s, which is not embedded\n", a->path[0] ? a->path : "index.html", name);
            missing++;
        }
    }
    return missing;
}

TEST(console_assets_typed_and_referenced)
{
    CHECK(console_asset_count() > 3);
    const struct console_asset *index = console_asset_find("");
    CHECK(index && strncmp(index->content_type, "text/html", 9) == 0);
    CHECK(!console_asset_find("nope.js"));
    CHECK(!console_asset_find("../berth.db"));
    CHECK(!console_asset_find("/app.js"));
    for (size_t i = 0; i < console_asset_count(); i++) {
        const struct console_asset *a = console_asset_at(i);
        CHECK(a->len > 0);
        CHECK(a->etag[0] == '"' && strlen(a->etag) == 66);
        CHECK(console_asset_find(a->path) == a); /* paths are unique */
        if (ends_with(a->path, ".js"))
            CHECK_STR(a->content_type, "text/javascript; charset=utf-8");
        else if (ends_with(a->path, ".css"))
            CHECK_STR(a->content_type, "text/css; charset=utf-8");
        else if (ends_with(a->path, ".svg"))
            CHECK_STR(a->content_type, "image/svg+xml");
        else
            CHECK(a->path[0] == '\0');
        CHECK(unresolved(a, "src=\"", '"') == 0);
        CHECK(unresolved(a, "href=\"", '"') == 0);
        CHECK(unresolved(a, "from '", '\'') == 0);
    }
    /* The page has no inline script: the CSP allows only 'self'. */
    CHECK(index && !memmem(index->data, index->len, "<script>", 8));
}

TEST(console_every_static_file_is_embedded)
{
    DIR *d = opendir("src/server/console/static");
    if (!d)
        return; /* not run from the repository's root */
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        const char *path = strcmp(e->d_name, "index.html") == 0 ? "" : e->d_name;
        if (!console_asset_find(path)) {
            fprintf(stderr, "  static/%s is not in console.c's table (and assets.S)\n", e->d_name);
            CHECK(!"every static file embedded");
        }
    }
    closedir(d);
}

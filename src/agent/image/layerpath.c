/* layerpath.c - entry path hygiene and whiteout names (OCI image spec,
 * "Representing Changesets").  No file system access. */
#include "agent/image/layerpath.h"

#include <stdbool.h>
#include <string.h>

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

int layerpath_clean(const char *path, char *out, size_t cap, struct error *err)
{
    if (path[0] == '/')
        return error_set(err, ERR_INVALID, "absolute path '%s'", path);
    size_t o = 0;
    const char *p = path;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return error_set(err, ERR_INVALID, "path '%s' has a '..' component", path);
        bool skip = n == 0 || (n == 1 && p[0] == '.');
        if (!skip) {
            if (o + (o ? 1 : 0) + n + 1 > cap)
                return error_set(err, ERR_INVALID, "path '%.64s...' too long", path);
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    if (cap == 0)
        return error_set(err, ERR_INVALID, "no room for path");
    out[o] = '\0';
    return 0;
}

int layerpath_whiteout(const char *clean, enum whiteout_kind *ret_kind, char *target, size_t cap, struct error *err)
{
    const char *slash = strrchr(clean, '/');
    const char *base = slash ? slash + 1 : clean;
    size_t dirlen = slash ? (size_t)(slash - clean) : 0;
    if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) != 0) {
        *ret_kind = WHITEOUT_NONE;
        return 0;
    }
    if (strcmp(base, WH_OPAQUE) == 0) {
        if (dirlen + 1 > cap)
            return error_set(err, ERR_INVALID, "whiteout path too long");
        memcpy(target, clean, dirlen);
        target[dirlen] = '\0';
        *ret_kind = WHITEOUT_OPAQUE;
        return 0;
    }
    const char *name = base + strlen(WH_PREFIX);
    /* ".wh..wh.*" is reserved for whiteout metadata other than opaque. */
    if (name[0] == '\0' || strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0 || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return error_set(err, ERR_INVALID, "malformed whiteout '%s'", clean);
    size_t n = strlen(name);
    if (dirlen + (dirlen ? 1 : 0) + n + 1 > cap)
        return error_set(err, ERR_INVALID, "whiteout path too long");
    size_t o = 0;
    if (dirlen) {
        memcpy(target, clean, dirlen);
        target[dirlen] = '/';
        o = dirlen + 1;
    }
    memcpy(target + o, name, n + 1);
    *ret_kind = WHITEOUT_FILE;
    return 0;
}

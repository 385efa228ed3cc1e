/* userdb.c - user and group resolution from passwd/group text.
 *
 * Pure parsing plus one reader that opens the files with openat2(2)
 * RESOLVE_IN_ROOT, so an image's absolute symlink (etc/passwd ->
 * /somewhere) resolves inside the image, not on the host.  It does not
 * consult NSS: a container's users are whatever its image says. */
#include "agent/runtime/userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"

/* Parse a decimal id; false if s is not entirely digits or overflows. */
static bool parse_id(const char *s, size_t n, uint32_t *ret)
{
    if (n == 0 || n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX - 1)
        return false;
    *ret = (uint32_t)v;
    return true;
}

/* Split one colon-separated line into at most max fields (pointers into a
 * copy held in buf).  Returns the number of fields. */
static size_t split_line(const char *line, size_t len, char *buf, size_t cap, char **fields, size_t max)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    size_t n = 0;
    char *p = buf;
    while (n < max) {
        fields[n++] = p;
        char *c = strchr(p, ':');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

/* Call fn for each non-comment line with its fields; stops when fn returns
 * true (found).  Lines longer than 4 KiB are skipped. */
typedef bool (*line_fn)(char **fields, size_t n, void *ud);
static bool each_line(const char *text, size_t max_fields, line_fn fn, void *ud)
{
    if (!text)
        return false;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > 0 && p[0] != '#' && len < 4096) {
            char buf[4096];
            char *fields[8];
            size_t n = split_line(p, len, buf, sizeof(buf), fields, max_fields);
            if (fn(fields, n, ud))
                return true;
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    return false;
}

struct pw_query {
    const char *name; /* match by name, or */
    bool by_uid;
    uint32_t uid;
    /* results */
    char found_name[256];
    uint32_t uid_out, gid_out;
    char home[256];
};

static bool pw_match(char **f, size_t n, void *ud)
{
    struct pw_query *q = ud;
    if (n < 4)
        return false;
    uint32_t uid, gid;
    if (!parse_id(f[2], strlen(f[2]), &uid) || !parse_id(f[3], strlen(f[3]), &gid))
        return false;
    if (q->by_uid ? uid != q->uid : strcmp(f[0], q->name) != 0)
        return false;
    snprintf(q->found_name, sizeof(q->found_name), "%s", f[0]);
    q->uid_out = uid;
    q->gid_out = gid;
    snprintf(q->home, sizeof(q->home), "%s", n >= 6 && f[5][0] ? f[5] : "/");
    return true;
}

struct gr_query {
    const char *name;
    uint32_t gid_out;
};

static bool gr_match(char **f, size_t n, void *ud)
{
    struct gr_query *q = ud;
    uint32_t gid;
    if (n < 3 || !parse_id(f[2], strlen(f[2]), &gid) || strcmp(f[0], q->name) != 0)
        return false;
    q->gid_out = gid;
    return true;
}

struct supp_query {
    const char *user;
    struct userdb_user *u;
};

static bool supp_collect(char **f, size_t n, void *ud)
{
    struct supp_query *q = ud;
    uint32_t gid;
    if (n < 4 || !parse_id(f[2], strlen(f[2]), &gid))
        return false;
    /* members: comma separated */
    const char *m = f[3];
    size_t ulen = strlen(q->user);
    while (*m) {
        const char *comma = strchr(m, ',');
        size_t len = comma ? (size_t)(comma - m) : strlen(m);
        if (len == ulen && strncmp(m, q->user, len) == 0) {
            bool dup = gid == q->u->gid;
            for (size_t i = 0; i < q->u->n_groups && !dup; i++)
                dup = q->u->groups[i] == gid;
            if (!dup && q->u->n_groups < LIMIT_SUPP_GROUPS)
                q->u->groups[q->u->n_groups++] = gid;
            break;
        }
        m += len;
        if (*m == ',')
            m++;
    }
    return false;
}

int userdb_resolve(const char *spec, const char *passwd, const char *group, struct userdb_user *ret, struct error *err)
{
    struct userdb_user u = {.uid = 0, .gid = 0, .n_groups = 0};
    snprintf(u.home, sizeof(u.home), "/");
    if (!spec)
        spec = "";
    const char *colon = strchr(spec, ':');
    size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *gpart = colon ? colon + 1 : NULL;
    if (ulen >= 256 || (gpart && strlen(gpart) >= 256))
        return error_set(err, ERR_INVALID, "user \"%s\" is too long", spec);
    if (colon && (ulen == 0 || !*gpart))
        return error_set(err, ERR_INVALID, "user \"%s\": empty user or group", spec);

    char uname[256];
    memcpy(uname, spec, ulen);
    uname[ulen] = '\0';
    struct pw_query pq = {.name = uname};
    bool have_pw;
    if (ulen == 0) {
        pq.by_uid = true;
        pq.uid = 0;
        have_pw = each_line(passwd, 7, pw_match, &pq);
    } else if (parse_id(uname, ulen, &pq.uid)) {
        pq.by_uid = true;
        have_pw = each_line(passwd, 7, pw_match, &pq);
        if (!have_pw)
            u.uid = pq.uid; /* a bare uid needs no passwd entry; gid stays 0 */
    } else {
        have_pw = each_line(passwd, 7, pw_match, &pq);
        if (!have_pw)
            return error_set(err, ERR_NOT_FOUND, "user \"%s\": no such user in the image's /etc/passwd", uname);
    }
    if (have_pw) {
        u.uid = pq.uid_out;
        u.gid = pq.gid_out;
        snprintf(u.home, sizeof(u.home), "%s", pq.home);
    }
    if (gpart) {
        uint32_t gid;
        if (parse_id(gpart, strlen(gpart), &gid)) {
            u.gid = gid;
        } else {
            struct gr_query gq = {.name = gpart};
            if (!each_line(group, 4, gr_match, &gq))
                return error_set(err, ERR_NOT_FOUND, "group \"%s\": no such group in the image's /etc/group", gpart);
            u.gid = gq.gid_out;
        }
    }
    if (have_pw) {
        struct supp_query sq = {.user = pq.found_name, .u = &u};
        each_line(group, 4, supp_collect, &sq);
    }
    *ret = u;
    return 0;
}

/* Read rootfs/rel into a NUL-terminated buffer; a missing file is *ret=NULL. */
static int read_in_root(int rootfd, const char *rel, char **ret, struct error *err)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    _cleanup_close_ int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *ret = NULL;
            return 0;
        }
        return error_sys(err, "open %s in the container's root", rel);
    }
    return fs_read_fd(fd, rel, LIMIT_PASSWD_BYTES, ret, NULL, err);
}

int userdb_resolve_in_root(const char *spec, const char *rootfs, struct userdb_user *ret, struct error *err)
{
    _cleanup_close_ int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return error_sys(err, "open %s", rootfs);
    _cleanup_free_ char *passwd = NULL;
    _cleanup_free_ char *group = NULL;
    if (read_in_root(rootfd, "etc/passwd", &passwd, err) < 0 || read_in_root(rootfd, "etc/group", &group, err) < 0)
        return -1;
    return userdb_resolve(spec, passwd, group, ret, err);
}

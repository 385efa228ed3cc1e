/* layer.c - libarchive extraction of a layer with overlayfs whiteouts.
 *
 * One pass: a "raw" libarchive reader undoes the compression, its output is
 * hashed (the diff_id) and fed to a tar reader, and entries go to disk
 * through archive_write_disk with its secure flags (no "..", no extraction
 * through symlinks).  Parents of an entry that the layer does not contain
 * are made here, after the lower layers, so that /tmp stays 1777.  Which
 * directory to unpack into, locking and renaming are image.c's job. */
#include "agent/image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/log.h"
#include "agent/image/layerpath.h"

#define READ_BLOCK (128 * 1024)

struct unpack {
    struct archive *raw;
    struct digester *diff;
    struct error *err;
    bool read_failed;
    char buf[READ_BLOCK];
    const char *dest;
    int dest_fd;
    const char *const *lowers;
    size_t n_lowers;
    int *lower_fds;
};

static void archive_freep(struct archive **a)
{
    if (*a)
        archive_read_free(*a);
}

static void archive_write_freep(struct archive **a)
{
    if (*a)
        archive_write_free(*a);
}

/* The tar reader's input: decompressed bytes, hashed on the way. */
static la_ssize_t read_uncompressed(struct archive *a, void *ud, const void **ret_buf)
{
    struct unpack *u = ud;
    la_ssize_t n = archive_read_data(u->raw, u->buf, sizeof(u->buf));
    if (n < 0) {
        error_set(u->err, ERR_INVALID, "layer is not a valid compressed stream: %s", archive_error_string(u->raw));
        u->read_failed = true;
        archive_set_error(a, EIO, "decompression failed");
        return -1;
    }
    if (digester_update(u->diff, u->buf, (size_t)n, u->err) < 0) {
        u->read_failed = true;
        return -1;
    }
    *ret_buf = u->buf;
    return n;
}

/* Metadata for a directory the layer creates implicitly: the first lower
 * layer that has something at rel decides (a directory lends its mode and
 * owner; anything else ends the search, as overlayfs would). */
static void implicit_dir_stat(const struct unpack *u, const char *rel, struct stat *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->st_mode = S_IFDIR | 0755;
    for (size_t i = 0; i < u->n_lowers; i++) {
        if (u->lower_fds[i] < 0)
            continue;
        /* Never resolve a symlink from a lower layer: it points into the
         * container's root, not ours. */
        struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                               .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH};
        int fd = (int)syscall(SYS_openat2, u->lower_fds[i], rel, &how, sizeof(how));
        if (fd < 0)
            continue;
        struct stat st;
        int rc = fstat(fd, &st);
        close(fd);
        if (rc < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            *ret = st;
        return;
    }
}

/* Walk to the parent directory of rel (never through a symlink), creating
 * missing directories with their lower-layer metadata.  Returns an fd of
 * the parent and points *ret_base at the last component of rel. */
static int open_parent(struct unpack *u, const char *rel, const char **ret_base, struct error *err)
{
    char prefix[LIMIT_LAYER_PATH + 1];
    int fd = dup(u->dest_fd);
    if (fd < 0)
        return error_sys(err, "dup");
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        size_t n = (size_t)(slash - p);
        char comp[256];
        if (n == 0 || n >= sizeof(comp)) {
            close(fd);
            return error_set(err, ERR_INVALID, "path component too long in '%s'", rel);
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        size_t plen = (size_t)(slash - rel);
        memcpy(prefix, rel, plen);
        prefix[plen] = '\0';
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT) {
            struct stat st;
            implicit_dir_stat(u, prefix, &st);
            if (mkdirat(fd, comp, 0700) < 0 && errno != EEXIST) {
                error_sys(err, "mkdir %s", prefix);
                close(fd);
                return -1;
            }
            next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next >= 0 && (fchown(next, st.st_uid, st.st_gid) < 0 || fchmod(next, st.st_mode & 07777) < 0)) {
                error_sys(err, "set owner/mode of %s", prefix);
                close(next);
                close(fd);
                return -1;
            }
        }
        close(fd);
        if (next < 0)
            return error_sys(err, "'%s' is not a directory inside the layer", prefix);
        fd = next;
        p = slash + 1;
    }
    *ret_base = p;
    return fd;
}

static int apply_whiteout(struct unpack *u, enum whiteout_kind kind, const char *target, struct error *err)
{
    if (kind == WHITEOUT_OPAQUE) {
        _cleanup_close_ int dfd = -1;
        if (target[0] == '\0') {
            dfd = dup(u->dest_fd);
        } else {
            /* Make sure the directory exists (it may come later in the tar). */
            char probe[LIMIT_LAYER_PATH + 4];
            const char *base = NULL;
            snprintf(probe, sizeof(probe), "%s/x", target);
            _cleanup_close_ int parent = open_parent(u, probe, &base, err);
            if (parent < 0)
                return -1;
            dfd = dup(parent);
        }
        if (dfd < 0)
            return error_sys(err, "open %s", target);
        if (fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return error_sys(err, "set opaque xattr on '%s'", target);
        return 0;
    }
    const char *base = NULL;
    _cleanup_close_ int parent = open_parent(u, target, &base, err);
    if (parent < 0)
        return -1;
    if (mknodat(parent, base, S_IFCHR | 0, makedev(0, 0)) < 0) {
        if (errno != EEXIST)
            return error_sys(err, "whiteout %s", target);
        if (unlinkat(parent, base, 0) < 0 && unlinkat(parent, base, AT_REMOVEDIR) < 0)
            return error_sys(err, "replace %s with a whiteout", target);
        if (mknodat(parent, base, S_IFCHR | 0, makedev(0, 0)) < 0)
            return error_sys(err, "whiteout %s", target);
    }
    return 0;
}

/* Layer authors must not set overlayfs' own xattrs (redirects, opaque). */
static void drop_overlay_xattrs(struct archive_entry *e)
{
    if (archive_entry_xattr_reset(e) == 0)
        return;
    struct {
        char *name;
        void *value;
        size_t size;
    } keep[64];
    size_t n = 0;
    bool dropped = false;
    const char *name;
    const void *value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (strncmp(name, "trusted.overlay.", 16) == 0 || n == ELEMENTSOF(keep)) {
            dropped = true;
            continue;
        }
        keep[n].name = strdup(name);
        keep[n].value = malloc(size ? size : 1);
        if (keep[n].value)
            memcpy(keep[n].value, value, size);
        keep[n].size = size;
        n++;
    }
    if (dropped) {
        archive_entry_xattr_clear(e);
        for (size_t i = 0; i < n; i++)
            if (keep[i].name && keep[i].value)
                archive_entry_xattr_add_entry(e, keep[i].name, keep[i].value, keep[i].size);
    }
    for (size_t i = 0; i < n; i++) {
        free(keep[i].name);
        free(keep[i].value);
    }
}

static int copy_data(struct archive *in, struct archive *out, struct error *err)
{
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t offset;
        int r = archive_read_data_block(in, &buf, &size, &offset);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN)
            return error_set(err, ERR_INVALID, "reading layer: %s", archive_error_string(in));
        if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN)
            return error_set(err, ERR_SYSTEM, "writing layer: %s", archive_error_string(out));
    }
}

/* One archive entry.  Returns -1 only for failures that spoil the layer;
 * unsafe entries are logged and skipped. */
static int unpack_entry(struct unpack *u, struct archive *tar, struct archive *disk, struct archive_entry *e,
                        struct error *err)
{
    char rel[LIMIT_LAYER_PATH + 1], target[LIMIT_LAYER_PATH + 1], full[LIMIT_LAYER_PATH + 512];
    struct error why;
    const char *path = archive_entry_pathname(e);
    if (!path)
        return error_set(err, ERR_INVALID, "layer entry without a name");
    if (layerpath_clean(path, rel, sizeof(rel), &why) < 0) {
        log_warn("layer: skipping unsafe entry: %s", why.msg);
        return 0;
    }
    if (rel[0] == '\0')
        return 0; /* the root: dest keeps its own metadata */
    enum whiteout_kind kind;
    if (layerpath_whiteout(rel, &kind, target, sizeof(target), &why) < 0) {
        log_warn("layer: skipping entry: %s", why.msg);
        return 0;
    }
    if (kind != WHITEOUT_NONE) {
        if (apply_whiteout(u, kind, target, &why) < 0)
            log_warn("layer: skipping whiteout '%s': %s", rel, why.msg);
        return 0;
    }
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFCHR || type == AE_IFBLK) {
        log_warn("layer: skipping device node '%s'", rel);
        return 0;
    }
    const char *link = archive_entry_hardlink(e);
    if (link) {
        char lrel[LIMIT_LAYER_PATH + 1];
        if (layerpath_clean(link, lrel, sizeof(lrel), &why) < 0 || lrel[0] == '\0') {
            log_warn("layer: skipping hard link '%s': unsafe target", rel);
            return 0;
        }
        snprintf(full, sizeof(full), "%s/%s", u->dest, lrel);
        archive_entry_set_hardlink(e, full);
    }
    const char *base = NULL;
    int parent = open_parent(u, rel, &base, &why);
    if (parent < 0) {
        log_warn("layer: skipping '%s': %s", rel, why.msg);
        return 0;
    }
    close(parent);
    drop_overlay_xattrs(e);
    snprintf(full, sizeof(full), "%s/%s", u->dest, rel);
    archive_entry_set_pathname(e, full);
    int r = archive_write_header(disk, e);
    if (r < ARCHIVE_WARN) {
        if (r == ARCHIVE_FATAL)
            return error_set(err, ERR_SYSTEM, "unpacking '%s': %s", rel, archive_error_string(disk));
        log_warn("layer: skipping '%s': %s", rel, archive_error_string(disk));
        return 0;
    }
    if (archive_entry_size(e) > 0 && copy_data(tar, disk, err) < 0)
        return error_prefix(err, "%s", rel);
    if (archive_write_finish_entry(disk) < ARCHIVE_WARN)
        return error_set(err, ERR_SYSTEM, "finishing '%s': %s", rel, archive_error_string(disk));
    return 0;
}

int layer_unpack(int blob_fd, const char *dest, const char *const *lowers, size_t n_lowers,
                 char ret_diff_id[DIGEST_STR_LEN + 1], struct error *err)
{
    struct unpack u = {.err = err, .dest = dest, .lowers = lowers, .n_lowers = n_lowers, .dest_fd = -1};
    _cleanup_(digester_freep) struct digester *diff = NULL;
    _cleanup_(archive_freep) struct archive *raw = archive_read_new();
    _cleanup_(archive_freep) struct archive *tar = archive_read_new();
    _cleanup_(archive_write_freep) struct archive *disk = archive_write_disk_new();
    _cleanup_free_ int *lower_fds = calloc(n_lowers ? n_lowers : 1, sizeof(int));
    _cleanup_close_ int dest_fd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = -1;
    if (!raw || !tar || !disk || !lower_fds)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (dest_fd < 0)
        return error_sys(err, "open %s", dest);
    if (digester_new(&diff, err) < 0)
        return -1;
    u.diff = diff;
    u.raw = raw;
    u.dest_fd = dest_fd;
    u.lower_fds = lower_fds;
    for (size_t i = 0; i < n_lowers; i++)
        lower_fds[i] = open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    archive_read_support_filter_all(raw);
    archive_read_support_format_raw(raw);
    if (archive_read_open_fd(raw, blob_fd, READ_BLOCK) != ARCHIVE_OK) {
        error_set(err, ERR_INVALID, "layer: %s", archive_error_string(raw));
        goto out;
    }
    struct archive_entry *e = NULL;
    if (archive_read_next_header(raw, &e) != ARCHIVE_OK) {
        error_set(err, ERR_INVALID, "layer: %s", archive_error_string(raw));
        goto out;
    }
    archive_read_support_format_tar(tar);
    if (archive_read_open(tar, &u, NULL, read_uncompressed, NULL) != ARCHIVE_OK) {
        if (!u.read_failed)
            error_set(err, ERR_INVALID, "layer is not a tar archive: %s", archive_error_string(tar));
        goto out;
    }
    archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                             ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                             ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    for (;;) {
        int r = archive_read_next_header(tar, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            if (!u.read_failed)
                error_set(err, ERR_INVALID, "layer: %s", archive_error_string(tar));
            goto out;
        }
        if (unpack_entry(&u, tar, disk, e, err) < 0)
            goto out;
    }
    if (archive_write_close(disk) != ARCHIVE_OK) {
        error_set(err, ERR_SYSTEM, "layer: %s", archive_error_string(disk));
        goto out;
    }
    /* The tar reader stops at the end-of-archive blocks; the diff_id covers
     * every byte of the uncompressed stream. */
    for (;;) {
        la_ssize_t n = archive_read_data(raw, u.buf, sizeof(u.buf));
        if (n < 0) {
            error_set(err, ERR_INVALID, "layer: %s", archive_error_string(raw));
            goto out;
        }
        if (n == 0)
            break;
        if (digester_update(diff, u.buf, (size_t)n, err) < 0)
            goto out;
    }
    if (digester_final(diff, ret_diff_id, err) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < n_lowers; i++)
        if (lower_fds[i] >= 0)
            close(lower_fds[i]);
    return rc;
}

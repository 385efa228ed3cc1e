/* imgstore.c - layout, locks, reference records and garbage collection of
 * the image store.  It does not talk to registries or unpack (image.c,
 * layer.c); it only guarantees that what is in blobs/ and layers/ is
 * complete, because everything arrives there by rename. */
#include "agent/image/imgstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_error.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/log.h"
#include "common/fsutil.h"

/* A reference record is a few hundred bytes per layer. */
#define LIMIT_REF_RECORD (1024u * 1024)

struct imgstore {
    char root[PATH_MAX];
};

static const char *const subdirs[] = {"blobs/sha256", "tmp", "layers", "refs", "locks"};

int imgstore_open(const char *data_dir, struct imgstore **ret_store, struct error *err)
{
    char real[PATH_MAX];
    if (fs_mkdir_p(data_dir, 0755, err) < 0)
        return -1;
    if (!realpath(data_dir, real))
        return error_sys(err, "resolve %s", data_dir);
    struct imgstore *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(s->root, sizeof(s->root), "%s/images", strcmp(real, "/") == 0 ? "" : real);
    for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s/%s", s->root, subdirs[i]);
        if (fs_mkdir_p(p, 0755, err) < 0) {
            free(s);
            return -1;
        }
    }
    *ret_store = s;
    return 0;
}

void imgstore_free(struct imgstore *s) { free(s); }
void imgstore_freep(struct imgstore **s) { imgstore_free(*s); }
const char *imgstore_root(const struct imgstore *s) { return s->root; }

void imgstore_blob_path(const struct imgstore *s, const char *digest, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

void imgstore_partial_path(const struct imgstore *s, const char *digest, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/tmp/%s.partial", s->root, digest_hex(digest));
}

void imgstore_layer_path(const struct imgstore *s, const char *chain_id, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/layers/%s", s->root, digest_hex(chain_id));
}

bool imgstore_has_blob(const struct imgstore *s, const char *digest)
{
    char p[PATH_MAX + 128];
    imgstore_blob_path(s, digest, p, sizeof(p));
    return access(p, F_OK) == 0;
}

bool imgstore_has_layer(const struct imgstore *s, const char *chain_id)
{
    char p[PATH_MAX + 128];
    imgstore_layer_path(s, chain_id, p, sizeof(p));
    return access(p, F_OK) == 0;
}

int imgstore_put_blob(struct imgstore *s, const char *digest, const void *buf, size_t len, struct error *err)
{
    char actual[DIGEST_STR_LEN + 1], dir[PATH_MAX + 32];
    if (!digest_valid(digest))
        return error_set(err, ERR_INVALID, "invalid digest");
    if (digest_buffer(buf, len, actual, err) < 0)
        return -1;
    if (strcmp(actual, digest) != 0)
        return error_set(err, ERR_DIGEST, "digest mismatch: expected %s, got %s", digest, actual);
    if (imgstore_has_blob(s, digest))
        return 0;
    snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
    return fs_write_atomic(dir, digest_hex(digest), buf, len, err);
}

int imgstore_read_blob(struct imgstore *s, const char *digest, size_t limit, char **ret_buf, size_t *ret_len,
                       struct error *err)
{
    char p[PATH_MAX + 128];
    if (!digest_valid(digest))
        return error_set(err, ERR_INVALID, "invalid digest");
    imgstore_blob_path(s, digest, p, sizeof(p));
    return fs_read_file(p, limit, ret_buf, ret_len, err);
}

static int lock_file(const char *path, int op, int *ret_fd, struct error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return error_sys(err, "open %s", path);
    while (flock(fd, op) < 0) {
        if (errno == EINTR)
            continue;
        error_sys(err, "flock %s", path);
        close(fd);
        return -1;
    }
    *ret_fd = fd;
    return 0;
}

int imgstore_lock(struct imgstore *s, const char *kind, const char *digest, int *ret_fd, struct error *err)
{
    char p[PATH_MAX + 160];
    if (!digest_valid(digest))
        return error_set(err, ERR_INVALID, "invalid digest");
    snprintf(p, sizeof(p), "%s/locks/%s-%s.lock", s->root, kind, digest_hex(digest));
    return lock_file(p, LOCK_EX, ret_fd, err);
}

int imgstore_lock_store(struct imgstore *s, bool exclusive, int *ret_fd, struct error *err)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof(p), "%s/store.lock", s->root);
    return lock_file(p, exclusive ? LOCK_EX : LOCK_SH, ret_fd, err);
}

static int ref_file(const struct imgstore *s, const char *reference, char *name, size_t cap, struct error *err)
{
    char d[DIGEST_STR_LEN + 1];
    if (digest_buffer(reference, strlen(reference), d, err) < 0)
        return -1;
    snprintf(name, cap, "%s.json", digest_hex(d));
    return 0;
}

static int load_record(const char *path, json_t **ret, struct error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (fs_read_file(path, LIMIT_REF_RECORD, &text, &len, err) < 0)
        return -1;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "reference"))) {
        json_decref(doc);
        return error_set(err, ERR_INVALID, "%s: corrupt image record", path);
    }
    *ret = doc;
    return 0;
}

/* Whether the record at path says what record says, apart from pulled_at. */
static bool same_but_pull_time(const char *path, json_t *record)
{
    _cleanup_json_ json_t *old = NULL;
    struct error err;
    if (load_record(path, &old, &err) < 0)
        return false;
    _cleanup_json_ json_t *now = json_deep_copy(record);
    if (!now)
        return false;
    json_object_del(old, "pulled_at");
    json_object_del(now, "pulled_at");
    return json_equal(old, now);
}

int imgstore_ref_put(struct imgstore *s, json_t *record, struct error *err)
{
    const char *reference = json_string_value(json_object_get(record, "reference"));
    char name[DIGEST_HEX_LEN + 8], dir[PATH_MAX + 8];
    if (!reference)
        return error_set(err, ERR_INTERNAL, "image record without a reference");
    if (ref_file(s, reference, name, sizeof(name), err) < 0)
        return -1;
    _cleanup_free_ char *text = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    snprintf(dir, sizeof(dir), "%s/refs", s->root);
    char path[PATH_MAX + 80];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    /* Every task start re-pulls its image; when only the time of the pull
     * changed, losing the update to a power cut costs nothing (gc keeps the
     * image a little less long), so it skips the fsyncs. */
    if (same_but_pull_time(path, record))
        return fs_replace_file(path, text, strlen(text), err);
    return fs_write_atomic(dir, name, text, strlen(text), err);
}

int imgstore_ref_get(struct imgstore *s, const char *reference, json_t **ret_record, struct error *err)
{
    char name[DIGEST_HEX_LEN + 8], path[PATH_MAX + 80];
    if (ref_file(s, reference, name, sizeof(name), err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/refs/%s", s->root, name);
    if (load_record(path, ret_record, err) < 0) {
        if (err && err->kind == ERR_NOT_FOUND)
            return error_set(err, ERR_NOT_FOUND, "no such image: %s", reference);
        return -1;
    }
    return 0;
}

static int by_reference(const void *a, const void *b)
{
    json_t *const *x = a, *const *y = b;
    return strcmp(json_string_value(json_object_get(*x, "reference")),
                  json_string_value(json_object_get(*y, "reference")));
}

int imgstore_ref_list(struct imgstore *s, json_t **ret_records, struct error *err)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/refs", s->root);
    DIR *d = opendir(dir);
    if (!d)
        return error_sys(err, "open %s", dir);
    _cleanup_json_ json_t *out = json_array();
    for (struct dirent *de = readdir(d); de; de = readdir(d)) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        char path[PATH_MAX + 300];
        json_t *rec = NULL;
        struct error e2;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (load_record(path, &rec, &e2) < 0) {
            log_warn("image store: %s", e2.msg);
            continue;
        }
        json_array_append_new(out, rec);
    }
    closedir(d);
    size_t n = json_array_size(out);
    _cleanup_free_ json_t **v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(out, i));
    qsort(v, n, sizeof(*v), by_reference);
    json_t *sorted = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(sorted, v[i]);
    *ret_records = sorted;
    return 0;
}

/* Everything a record keeps alive, as keys of a JSON object (a set). */
static void mark(json_t *keep, json_t *rec)
{
    static const char *const fields[] = {"digest", "manifest", "config"};
    for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
        const char *d = json_string_value(json_object_get(rec, fields[i]));
        if (d)
            json_object_set_new(keep, d, json_true());
    }
    size_t i;
    json_t *layer;
    json_array_foreach(json_object_get(rec, "layers"), i, layer) {
        const char *d = json_string_value(json_object_get(layer, "digest"));
        const char *c = json_string_value(json_object_get(layer, "chain_id"));
        if (d)
            json_object_set_new(keep, d, json_true());
        if (c)
            json_object_set_new(keep, c, json_true());
    }
}

/* Delete entries of dir whose "sha256:<name>" is not in keep. */
static int sweep_dir(const char *dir, json_t *keep, usec_t stale_before, size_t *count, uint64_t *bytes,
                     struct error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return error_sys(err, "open %s", dir);
    int rc = 0;
    for (struct dirent *de = readdir(d); de; de = readdir(d)) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char key[300], path[PATH_MAX + 300];
        snprintf(key, sizeof(key), "sha256:%s", de->d_name);
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (json_object_get(keep, key))
            continue;
        struct stat st;
        if (lstat(path, &st) < 0)
            continue;
        if (stale_before && (usec_t)st.st_mtime * USEC_PER_SEC > stale_before)
            continue;
        if (fs_rmtree(path, err) < 0) {
            rc = -1;
            break;
        }
        log_debug("image store: removed %s", path);
        (*count)++;
        if (bytes && S_ISREG(st.st_mode))
            *bytes += (uint64_t)st.st_size;
    }
    closedir(d);
    return rc;
}

/* Caller holds the store lock exclusively. */
static int sweep(struct imgstore *s, usec_t partial_stale_before, struct imgstore_gc_result *res, struct error *err)
{
    _cleanup_json_ json_t *records = NULL;
    if (imgstore_ref_list(s, &records, err) < 0)
        return -1;
    _cleanup_json_ json_t *keep = json_object();
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec)
        mark(keep, rec);
    char dir[PATH_MAX + 32];
    size_t partials = 0, locks = 0;
    snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
    if (sweep_dir(dir, keep, 0, &res->blobs_removed, &res->bytes_freed, err) < 0)
        return -1;
    snprintf(dir, sizeof(dir), "%s/layers", s->root);
    if (sweep_dir(dir, keep, 0, &res->layers_removed, NULL, err) < 0)
        return -1;
    snprintf(dir, sizeof(dir), "%s/tmp", s->root);
    if (sweep_dir(dir, keep, partial_stale_before, &partials, NULL, err) < 0)
        return -1;
    /* Temp files of writers that died (everything dotted in refs/). */
    snprintf(dir, sizeof(dir), "%s/refs", s->root);
    DIR *d = opendir(dir);
    if (d) {
        for (struct dirent *de = readdir(d); de; de = readdir(d))
            if (de->d_name[0] == '.' && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
    }
    /* No pull runs while we hold the store lock, so no one holds these. */
    _cleanup_json_ json_t *none = json_object();
    snprintf(dir, sizeof(dir), "%s/locks", s->root);
    return sweep_dir(dir, none, 0, &locks, NULL, err);
}

int imgstore_ref_remove(struct imgstore *s, const char *reference, struct error *err)
{
    char name[DIGEST_HEX_LEN + 8], path[PATH_MAX + 80];
    _cleanup_close_ int lock = -1;
    if (ref_file(s, reference, name, sizeof(name), err) < 0)
        return -1;
    if (imgstore_lock_store(s, true, &lock, err) < 0)
        return -1;
    snprintf(path, sizeof(path), "%s/refs/%s", s->root, name);
    if (unlink(path) < 0) {
        if (errno == ENOENT)
            return error_set(err, ERR_NOT_FOUND, "no such image: %s", reference);
        return error_sys(err, "remove %s", path);
    }
    struct imgstore_gc_result res = {0};
    return sweep(s, 0, &res, err);
}

static bool in_use_by(json_t *rec, const char *const *in_use, size_t n)
{
    static const char *const fields[] = {"reference", "digest", "manifest"};
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < ELEMENTSOF(fields); f++) {
            const char *v = json_string_value(json_object_get(rec, fields[f]));
            if (v && strcmp(v, in_use[i]) == 0)
                return true;
        }
    return false;
}

int imgstore_gc(struct imgstore *s, const char *const *in_use, size_t n_in_use, usec_t older_than,
                struct imgstore_gc_result *ret_result, struct error *err)
{
    struct imgstore_gc_result res = {0};
    _cleanup_close_ int lock = -1;
    _cleanup_json_ json_t *records = NULL;
    if (imgstore_lock_store(s, true, &lock, err) < 0)
        return -1;
    if (imgstore_ref_list(s, &records, err) < 0)
        return -1;
    usec_t cutoff = time_now() - older_than;
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec) {
        const char *reference = json_string_value(json_object_get(rec, "reference"));
        usec_t pulled = time_from_epoch_seconds(json_number_value(json_object_get(rec, "pulled_at")));
        if (in_use_by(rec, in_use, n_in_use) || pulled > cutoff)
            continue;
        char name[DIGEST_HEX_LEN + 8], path[PATH_MAX + 80];
        if (ref_file(s, reference, name, sizeof(name), err) < 0)
            return -1;
        snprintf(path, sizeof(path), "%s/refs/%s", s->root, name);
        if (unlink(path) < 0 && errno != ENOENT)
            return error_sys(err, "remove %s", path);
        log_info("image gc: removed %s", reference);
        res.resource_refs_removed++;
    }
    if (sweep(s, cutoff, &res, err) < 0)
        return -1;
    *ret_result = res;
    return 0;
}

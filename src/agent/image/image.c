/* image.c - pulling: resolve a reference to a platform manifest, fetch and
 * verify blobs into the store (resumably, once per digest across
 * processes), unpack layers by chain id, record the reference.
 *
 * The registry protocol lives in registry.c, on-disk layout and gc in
 * imgstore.c, tar handling in layer.c. */
#include "agent/image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/agent_error.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/log.h"
#include "common/fsutil.h"
#include "agent/image/imgref.h"
#include "agent/image/layer.h"

#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

static const char *const layer_media_types[] = {
    "application/vnd.oci.image.layer.v1.tar",       "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",  "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar",
};

static const struct {
    const char *machine, *arch, *variant;
} machines[] = {
    {"x86_64", "amd64", ""},    {"aarch64", "arm64", ""}, {"armv7l", "arm", "v7"},    {"i686", "386", ""},
    {"ppc64le", "ppc64le", ""}, {"s390x", "s390x", ""},   {"riscv64", "riscv64", ""},
};

void image_platform_default(struct image_platform *ret_platform)
{
    struct image_platform p = {.os = "linux", .arch = "amd64"};
    struct utsname u;
    if (uname(&u) == 0)
        for (size_t i = 0; i < ELEMENTSOF(machines); i++)
            if (strcmp(u.machine, machines[i].machine) == 0) {
                snprintf(p.arch, sizeof(p.arch), "%s", machines[i].arch);
                snprintf(p.variant, sizeof(p.variant), "%s", machines[i].variant);
            }
    *ret_platform = p;
}

int image_platform_parse(const char *s, struct image_platform *ret_platform, struct error *err)
{
    struct image_platform p = {0};
    const char *a = strchr(s, '/');
    const char *v = a ? strchr(a + 1, '/') : NULL;
    size_t os_n = a ? (size_t)(a - s) : 0;
    size_t arch_n = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
    size_t var_n = v ? strlen(v + 1) : 0;
    if (!a || os_n == 0 || arch_n == 0 || (v && var_n == 0) || os_n >= sizeof(p.os) || arch_n >= sizeof(p.arch) ||
        var_n >= sizeof(p.variant) || (v && strchr(v + 1, '/')))
        return error_set(err, ERR_INVALID, "platform '%s' is not os/arch[/variant]", s);
    memcpy(p.os, s, os_n);
    memcpy(p.arch, a + 1, arch_n);
    if (v)
        memcpy(p.variant, v + 1, var_n);
    *ret_platform = p;
    return 0;
}

struct pull {
    struct imgstore *store;
    struct registry *reg;
    const struct image_pull_opts *opts;
    char image[LIMIT_IMAGE_REF + 96];
};

static void progress(struct pull *p, enum image_event ev, const char *digest, size_t index, uint64_t done,
                     uint64_t total)
{
    if (!p->opts->progress)
        return;
    struct image_progress pr = {.event = ev, .digest = digest, .index = index, .done = done, .total = total};
    p->opts->progress(p->opts->progress_ud, &pr);
}

/* --- blobs ---------------------------------------------------------------- */

struct download {
    struct pull *pull;
    int fd;
    struct digester *d;
    const char *digest;
    size_t index;
    uint64_t expected, written;
    usec_t last_report;
};

static int download_write(void *ud, const void *buf, size_t len, struct error *err)
{
    struct download *dl = ud;
    if (dl->written + len > dl->expected)
        return error_set(err, ERR_DIGEST, "blob %s is larger than the %" PRIu64 " bytes its manifest declares",
                         dl->digest, dl->expected);
    const char *p = buf;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(dl->fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return error_sys(err, "write blob %s", dl->digest);
        off += (size_t)w;
    }
    if (digester_update(dl->d, buf, len, err) < 0)
        return -1;
    dl->written += len;
    usec_t now = time_monotonic();
    if (now - dl->last_report > 100 * USEC_PER_MSEC) {
        dl->last_report = now;
        progress(dl->pull, IMAGE_EV_BLOB_PROGRESS, dl->digest, dl->index, dl->written, dl->expected);
    }
    return 0;
}

static int download_restart(void *ud, struct error *err)
{
    struct download *dl = ud;
    if (ftruncate(dl->fd, 0) < 0 || lseek(dl->fd, 0, SEEK_SET) < 0)
        return error_sys(err, "truncate partial blob %s", dl->digest);
    dl->written = 0;
    return digester_reset(dl->d, err);
}

/* Hash what an earlier, interrupted pull left in the partial file. */
static int download_resume(struct download *dl, struct error *err)
{
    struct stat st;
    if (fstat(dl->fd, &st) < 0)
        return error_sys(err, "stat partial blob");
    if ((uint64_t)st.st_size > dl->expected)
        return download_restart(dl, err);
    char buf[65536];
    uint64_t done = 0;
    while (done < (uint64_t)st.st_size) {
        ssize_t r = read(dl->fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return error_sys(err, "read partial blob");
        if (r == 0)
            break;
        if (digester_update(dl->d, buf, (size_t)r, err) < 0)
            return -1;
        done += (uint64_t)r;
    }
    dl->written = done;
    if (done > 0)
        log_info("pull %s: resuming blob %s at %" PRIu64 " of %" PRIu64 " bytes", dl->pull->image, dl->digest, done,
                 dl->expected);
    return 0;
}

/* Make digest (of the declared size) present in blobs/.  Holds the blob's
 * flock while downloading so that concurrent pulls fetch it once. */
static int fetch_blob(struct pull *p, const char *digest, uint64_t size, size_t index, struct error *err)
{
    if (imgstore_has_blob(p->store, digest)) {
        progress(p, IMAGE_EV_BLOB_CACHED, digest, index, size, size);
        return 0;
    }
    _cleanup_close_ int lock = -1;
    if (imgstore_lock(p->store, "blob", digest, &lock, err) < 0)
        return -1;
    if (imgstore_has_blob(p->store, digest)) {
        progress(p, IMAGE_EV_BLOB_CACHED, digest, index, size, size);
        return 0;
    }
    char partial[PATH_MAX + 128], final[PATH_MAX + 128], dir[PATH_MAX + 32];
    imgstore_partial_path(p->store, digest, partial, sizeof(partial));
    imgstore_blob_path(p->store, digest, final, sizeof(final));
    _cleanup_close_ int fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return error_sys(err, "open %s", partial);
    _cleanup_(digester_freep) struct digester *d = NULL;
    if (digester_new(&d, err) < 0)
        return -1;
    struct download dl = {.pull = p, .fd = fd, .d = d, .digest = digest, .index = index, .expected = size};
    struct registry_sink sink = {.write = download_write, .restart = download_restart, .ud = &dl};
    if (download_resume(&dl, err) < 0)
        return -1;
    char actual[DIGEST_STR_LEN + 1];
    for (int attempt = 0;; attempt++) {
        bool resumed = dl.written > 0;
        if (dl.written < size && registry_get_blob(p->reg, digest, dl.written, &sink, err) < 0) {
            /* A network failure keeps the partial file for the next try;
             * bad content (or nothing at all) does not. */
            if (err->kind == ERR_DIGEST || dl.written == 0)
                unlink(partial);
            return -1;
        }
        if (digester_final(d, actual, err) < 0)
            return -1;
        if (dl.written == size && strcmp(actual, digest) == 0)
            break;
        if (resumed && attempt == 0) {
            log_warn("pull %s: resumed blob %s did not verify; downloading it again", p->image, digest);
            if (download_restart(&dl, err) < 0)
                return -1;
            continue;
        }
        unlink(partial);
        if (dl.written != size)
            return error_set(err, ERR_DIGEST, "%s: blob %s: expected %" PRIu64 " bytes, got %" PRIu64, p->image, digest,
                             size, dl.written);
        return error_set(err, ERR_DIGEST, "%s: digest mismatch for blob %s: got %s", p->image, digest, actual);
    }
    if (fsync(fd) < 0)
        return error_sys(err, "fsync %s", partial);
    if (rename(partial, final) < 0)
        return error_sys(err, "rename %s", partial);
    snprintf(dir, sizeof(dir), "%s/blobs/sha256", imgstore_root(p->store));
    if (fs_fsync_dir(dir, err) < 0)
        return -1;
    log_debug("pull %s: stored blob %s (%" PRIu64 " bytes)", p->image, digest, size);
    progress(p, IMAGE_EV_BLOB_DONE, digest, index, size, size);
    return 0;
}

/* --- manifests -------------------------------------------------------------- */

struct descriptor {
    char media_type[128];
    char digest[DIGEST_STR_LEN + 1];
    uint64_t size;
};

static int parse_descriptor(const json_t *obj, const char *what, struct descriptor *ret, struct error *err)
{
    struct descriptor d = {0};
    const char *mt = json_string_value(json_object_get(obj, "mediaType"));
    const char *digest = json_string_value(json_object_get(obj, "digest"));
    json_t *size = json_object_get(obj, "size");
    if (!digest_valid(digest))
        return error_set(err, ERR_INVALID, "%s has no valid sha256 digest", what);
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return error_set(err, ERR_INVALID, "%s %s has no valid size", what, digest);
    snprintf(d.media_type, sizeof(d.media_type), "%s", mt ? mt : "");
    memcpy(d.digest, digest, sizeof(d.digest));
    d.size = (uint64_t)json_integer_value(size);
    *ret = d;
    return 0;
}

static const char *media_type_of(const struct registry_manifest *m, json_t *doc)
{
    const char *inner = json_string_value(json_object_get(doc, "mediaType"));
    if (inner && *inner)
        return inner;
    if (m->media_type[0])
        return m->media_type;
    /* An OCI index without mediaType still has "manifests". */
    return json_object_get(doc, "manifests") ? MEDIA_OCI_INDEX : MEDIA_OCI_MANIFEST;
}

static int choose_platform(struct pull *p, json_t *index, char *ret_digest, struct error *err)
{
    const struct image_platform *want = &p->opts->platform;
    json_t *list = json_object_get(index, "manifests");
    if (!json_is_array(list))
        return error_set(err, ERR_INVALID, "%s: image index has no manifests", p->image);
    if (json_array_size(list) > LIMIT_IMAGE_INDEX_ENTRIES)
        return error_set(err, ERR_LIMIT, "%s: image index has more than %d entries", p->image,
                         LIMIT_IMAGE_INDEX_ENTRIES);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        json_t *plat = json_object_get(e, "platform");
        const char *os = json_string_value(json_object_get(plat, "os"));
        const char *arch = json_string_value(json_object_get(plat, "architecture"));
        const char *variant = json_string_value(json_object_get(plat, "variant"));
        if (!os || !arch || strcmp(os, want->os) != 0 || strcmp(arch, want->arch) != 0)
            continue;
        if (want->variant[0] && variant && strcmp(variant, want->variant) != 0)
            continue;
        struct descriptor d;
        if (parse_descriptor(e, "index entry", &d, err) < 0)
            return error_prefix(err, "%s", p->image);
        memcpy(ret_digest, d.digest, DIGEST_STR_LEN + 1);
        return 0;
    }
    return error_set(err, ERR_NOT_FOUND, "%s: no matching manifest for %s/%s%s%s in the manifest list entries",
                     p->image, want->os, want->arch, want->variant[0] ? "/" : "", want->variant);
}

static bool is_index(const char *mt) { return strcmp(mt, MEDIA_OCI_INDEX) == 0 || strcmp(mt, MEDIA_DOCKER_LIST) == 0; }

static bool is_manifest(const char *mt)
{
    return strcmp(mt, MEDIA_OCI_MANIFEST) == 0 || strcmp(mt, MEDIA_DOCKER_MANIFEST) == 0;
}

/* A manifest named by digest that the store already holds needs no
 * registry: content addressing makes the local copy as good (so tasks
 * pinned by digest start with the registry down). */
static int get_manifest(struct pull *p, const char *reference, struct registry_manifest *ret_manifest,
                        struct error *err)
{
    if (digest_valid(reference) && imgstore_has_blob(p->store, reference)) {
        struct registry_manifest m = {0};
        struct error ignored;
        if (imgstore_read_blob(p->store, reference, LIMIT_IMAGE_MANIFEST, &m.body, &m.len, &ignored) == 0) {
            memcpy(m.digest, reference, sizeof(m.digest));
            log_debug("pull %s: manifest %s is stored", p->image, reference);
            *ret_manifest = m;
            return 0;
        }
    }
    return registry_get_manifest(p->reg, reference, ret_manifest, err);
}

/* Fetch the manifest for reference and, through an index, the platform's.
 * Both are stored as blobs.  *ret_doc is the platform manifest. */
static int resolve(struct pull *p, const char *reference, struct image_pulled *out, json_t **ret_doc, struct error *err)
{
    struct registry_manifest m = {0};
    if (get_manifest(p, reference, &m, err) < 0)
        return -1;
    memcpy(out->digest, m.digest, sizeof(out->digest));
    json_error_t jerr;
    json_t *doc = json_loadb(m.body, m.len, 0, &jerr);
    const char *mt = json_is_object(doc) ? media_type_of(&m, doc) : "";
    int rc = -1;
    if (!json_is_object(doc)) {
        error_set(err, ERR_INVALID, "%s: manifest is not JSON: %s", p->image, jerr.text);
        goto out;
    }
    if (imgstore_put_blob(p->store, m.digest, m.body, m.len, err) < 0)
        goto out;
    if (is_index(mt)) {
        char chosen[DIGEST_STR_LEN + 1];
        if (choose_platform(p, doc, chosen, err) < 0)
            goto out;
        json_decref(doc);
        doc = NULL;
        registry_manifest_clear(&m);
        if (get_manifest(p, chosen, &m, err) < 0)
            goto out;
        doc = json_loadb(m.body, m.len, 0, &jerr);
        mt = json_is_object(doc) ? media_type_of(&m, doc) : "";
        if (!json_is_object(doc)) {
            error_set(err, ERR_INVALID, "%s: manifest %s is not JSON", p->image, chosen);
            goto out;
        }
        if (imgstore_put_blob(p->store, m.digest, m.body, m.len, err) < 0)
            goto out;
    }
    if (!is_manifest(mt)) {
        error_set(err, ERR_UNSUPPORTED, "%s: unsupported manifest type '%s'", p->image, mt);
        goto out;
    }
    memcpy(out->manifest, m.digest, sizeof(out->manifest));
    *ret_doc = TAKE_PTR(doc);
    rc = 0;
out:
    json_decref(doc);
    registry_manifest_clear(&m);
    return rc;
}

/* --- layers ----------------------------------------------------------------- */

/* chain(0) = diff(0); chain(n) = sha256(chain(n-1) + " " + diff(n)). */
static int chain_id(const char *parent, const char *diff_id, char *ret, struct error *err)
{
    if (!parent) {
        memcpy(ret, diff_id, DIGEST_STR_LEN + 1);
        return 0;
    }
    char buf[2 * DIGEST_STR_LEN + 2];
    snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
    return digest_buffer(buf, strlen(buf), ret, err);
}

static int unpack_layer(struct pull *p, const struct descriptor *blob, const char *diff_id, const char *chain,
                        char (*const chains)[DIGEST_STR_LEN + 1], size_t index, struct error *err)
{
    if (imgstore_has_layer(p->store, chain)) {
        progress(p, IMAGE_EV_LAYER_CACHED, blob->digest, index, 0, 0);
        return 0;
    }
    _cleanup_close_ int lock = -1;
    if (imgstore_lock(p->store, "layer", chain, &lock, err) < 0)
        return -1;
    if (imgstore_has_layer(p->store, chain)) {
        progress(p, IMAGE_EV_LAYER_CACHED, blob->digest, index, 0, 0);
        return 0;
    }
    char final[PATH_MAX + 128], tmp[PATH_MAX + 160], blob_path[PATH_MAX + 128], layers[PATH_MAX + 16];
    imgstore_layer_path(p->store, chain, final, sizeof(final));
    snprintf(tmp, sizeof(tmp), "%s/layers/.tmp-%s", imgstore_root(p->store), digest_hex(chain));
    /* Left over by a pull that died while unpacking: start again. */
    if (fs_rmtree(tmp, err) < 0)
        return -1;
    if (mkdir(tmp, 0755) < 0)
        return error_sys(err, "mkdir %s", tmp);
    _cleanup_free_ char(*lower_paths)[PATH_MAX + 128] = calloc(index ? index : 1, sizeof(*lower_paths));
    _cleanup_free_ const char **lowers = calloc(index ? index : 1, sizeof(*lowers));
    if (!lower_paths || !lowers)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < index; i++) {
        imgstore_layer_path(p->store, chains[index - 1 - i], lower_paths[i], sizeof(lower_paths[i]));
        lowers[i] = lower_paths[i];
    }
    imgstore_blob_path(p->store, blob->digest, blob_path, sizeof(blob_path));
    _cleanup_close_ int fd = open(blob_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return error_sys(err, "open %s", blob_path);
    char actual[DIGEST_STR_LEN + 1];
    int rc = layer_unpack(fd, tmp, lowers, index, actual, err);
    if (rc == 0 && strcmp(actual, diff_id) != 0)
        rc = error_set(err, ERR_DIGEST, "layer %s: uncompressed digest %s does not match diff_id %s", blob->digest,
                       actual, diff_id);
    if (rc == 0) {
        _cleanup_close_ int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* One syncfs beats an fsync per file; the rename publishes it. */
        if (tfd < 0 || syncfs(tfd) < 0)
            rc = error_sys(err, "sync %s", tmp);
    }
    if (rc == 0 && rename(tmp, final) < 0)
        rc = error_sys(err, "rename %s", tmp);
    if (rc < 0) {
        struct error ignored;
        fs_rmtree(tmp, &ignored);
        return error_prefix(err, "%s", p->image);
    }
    snprintf(layers, sizeof(layers), "%s/layers", imgstore_root(p->store));
    if (fs_fsync_dir(layers, err) < 0)
        return -1;
    progress(p, IMAGE_EV_LAYER_DONE, blob->digest, index, 0, 0);
    return 0;
}

/* Layer blobs are downloaded by a few threads at once, as Docker does. */
#define PULL_PARALLEL 3

struct fetch_pool {
    struct pull *pull;
    const struct descriptor *blobs;
    size_t n, next;
    pthread_mutex_t lock;
    bool failed;
    struct error err; /* the first failure */
};

static void *fetch_worker(void *arg)
{
    struct fetch_pool *pool = arg;
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        size_t i = pool->next++;
        bool stop = pool->failed || i >= pool->n;
        pthread_mutex_unlock(&pool->lock);
        if (stop)
            return NULL;
        struct error e;
        if (fetch_blob(pool->pull, pool->blobs[i].digest, pool->blobs[i].size, i, &e) < 0) {
            pthread_mutex_lock(&pool->lock);
            if (!pool->failed)
                pool->err = e;
            pool->failed = true;
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
    }
}

static int fetch_blobs(struct pull *p, const struct descriptor *blobs, size_t n, struct error *err)
{
    struct fetch_pool pool = {.pull = p, .blobs = blobs, .n = n};
    pthread_t threads[PULL_PARALLEL];
    size_t started = 0;
    pthread_mutex_init(&pool.lock, NULL);
    /* The calling thread works too; helpers only when there is more. */
    for (size_t t = 0; t + 1 < PULL_PARALLEL && t + 1 < n; t++) {
        if (pthread_create(&threads[t], NULL, fetch_worker, &pool) != 0)
            break;
        started++;
    }
    fetch_worker(&pool);
    for (size_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    pthread_mutex_destroy(&pool.lock);
    if (pool.failed) {
        *err = pool.err;
        return -1;
    }
    return 0;
}

static bool known_layer_type(const char *mt)
{
    for (size_t i = 0; i < ELEMENTSOF(layer_media_types); i++)
        if (strcmp(mt, layer_media_types[i]) == 0)
            return true;
    return false;
}

static int pull_layers(struct pull *p, json_t *manifest, json_t *record, struct error *err)
{
    struct descriptor config;
    if (parse_descriptor(json_object_get(manifest, "config"), "config", &config, err) < 0)
        return error_prefix(err, "%s", p->image);
    if (config.media_type[0] && strcmp(config.media_type, MEDIA_OCI_CONFIG) != 0 &&
        strcmp(config.media_type, MEDIA_DOCKER_CONFIG) != 0)
        return error_set(err, ERR_UNSUPPORTED, "%s: not a container image (config type '%s')", p->image,
                         config.media_type);
    if (config.size > LIMIT_IMAGE_CONFIG)
        return error_set(err, ERR_LIMIT, "%s: image config is larger than %u bytes", p->image, LIMIT_IMAGE_CONFIG);
    json_t *layers = json_object_get(manifest, "layers");
    size_t n = json_array_size(layers);
    if (!json_is_array(layers))
        return error_set(err, ERR_INVALID, "%s: manifest has no layers", p->image);
    if (n > LIMIT_IMAGE_LAYERS)
        return error_set(err, ERR_LIMIT, "%s: image has more than %d layers", p->image, LIMIT_IMAGE_LAYERS);
    progress(p, IMAGE_EV_RESOLVED, json_string_value(json_object_get(record, "manifest")), 0, 0, n);
    if (fetch_blob(p, config.digest, config.size, SIZE_MAX, err) < 0)
        return -1;
    _cleanup_free_ char *cfg = NULL;
    size_t cfg_len = 0;
    if (imgstore_read_blob(p->store, config.digest, LIMIT_IMAGE_CONFIG, &cfg, &cfg_len, err) < 0)
        return error_prefix(err, "%s", p->image);
    _cleanup_json_ json_t *cfg_doc = json_loadb(cfg, cfg_len, 0, NULL);
    const char *os = json_string_value(json_object_get(cfg_doc, "os"));
    const char *arch = json_string_value(json_object_get(cfg_doc, "architecture"));
    if (os && arch && (strcmp(os, p->opts->platform.os) != 0 || strcmp(arch, p->opts->platform.arch) != 0))
        log_warn("pull %s: the image's platform (%s/%s) does not match the requested %s/%s", p->image, os, arch,
                 p->opts->platform.os, p->opts->platform.arch);
    json_t *diff_ids = json_object_get(json_object_get(cfg_doc, "rootfs"), "diff_ids");
    if (!json_is_array(diff_ids) || json_array_size(diff_ids) != n)
        return error_set(err, ERR_INVALID, "%s: config lists %zu diff_ids for %zu layers", p->image,
                         json_array_size(diff_ids), n);

    _cleanup_free_ struct descriptor *blobs = calloc(n ? n : 1, sizeof(*blobs));
    _cleanup_free_ char(*chains)[DIGEST_STR_LEN + 1] = calloc(n ? n : 1, sizeof(*chains));
    if (!blobs || !chains)
        return error_set(err, ERR_INTERNAL, "out of memory");
    uint64_t total = config.size;
    for (size_t i = 0; i < n; i++) {
        const char *diff = json_string_value(json_array_get(diff_ids, i));
        if (parse_descriptor(json_array_get(layers, i), "layer", &blobs[i], err) < 0)
            return error_prefix(err, "%s", p->image);
        if (!known_layer_type(blobs[i].media_type))
            return error_set(err, ERR_UNSUPPORTED, "%s: unsupported layer type '%s'", p->image, blobs[i].media_type);
        if (!digest_valid(diff))
            return error_set(err, ERR_INVALID, "%s: config has an invalid diff_id", p->image);
        if (chain_id(i ? chains[i - 1] : NULL, diff, chains[i], err) < 0)
            return -1;
        total += blobs[i].size;
    }
    if (fetch_blobs(p, blobs, n, err) < 0)
        return -1;
    json_t *out_layers = json_array();
    json_object_set_new(record, "layers", out_layers);
    for (size_t i = 0; i < n; i++) {
        const char *diff = json_string_value(json_array_get(diff_ids, i));
        if (unpack_layer(p, &blobs[i], diff, chains[i], chains, i, err) < 0)
            return -1;
        json_array_append_new(out_layers, json_pack("{s:s,s:s,s:s,s:I}", "digest", blobs[i].digest, "diff_id", diff,
                                                    "chain_id", chains[i], "size", (json_int_t)blobs[i].size));
    }
    json_object_set_new(record, "config", json_string(config.digest));
    json_object_set_new(record, "size", json_integer((json_int_t)total));
    json_object_set_new(record, "os", json_string(json_string_value(json_object_get(cfg_doc, "os"))));
    json_object_set_new(record, "architecture",
                        json_string(json_string_value(json_object_get(cfg_doc, "architecture"))));
    return 0;
}

int image_pull(struct imgstore *s, const char *reference, const struct image_pull_opts *opts,
               struct image_pulled *ret_pulled, struct error *err)
{
    struct imgref ref;
    if (imgref_parse(reference, &ref, err) < 0)
        return -1;
    struct pull p = {.store = s, .opts = opts};
    struct image_pulled out = {0};
    imgref_string(&ref, p.image, sizeof(p.image));
    memcpy(out.reference, p.image, sizeof(out.reference));
    _cleanup_close_ int store_lock = -1;
    _cleanup_(registry_freep) struct registry *reg = NULL;
    _cleanup_json_ json_t *manifest = NULL;
    if (imgstore_lock_store(s, false, &store_lock, err) < 0)
        return -1;
    if (registry_open(&ref, &opts->registry, &reg, err) < 0)
        return -1;
    p.reg = reg;
    usec_t start = time_monotonic();
    if (resolve(&p, imgref_reference(&ref), &out, &manifest, err) < 0)
        return -1;
    _cleanup_json_ json_t *record =
        json_pack("{s:s,s:s,s:s}", "reference", out.reference, "digest", out.digest, "manifest", out.manifest);
    if (!record)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (pull_layers(&p, manifest, record, err) < 0)
        return -1;
    char platform[128];
    snprintf(platform, sizeof(platform), "%s/%s%s%s", opts->platform.os, opts->platform.arch,
             opts->platform.variant[0] ? "/" : "", opts->platform.variant);
    json_object_set_new(record, "platform", json_string(platform));
    json_object_set_new(record, "pulled_at", json_real(time_to_epoch_seconds(time_now())));
    if (imgstore_ref_put(s, record, err) < 0)
        return error_prefix(err, "%s", p.image);
    memcpy(out.config, json_string_value(json_object_get(record, "config")), sizeof(out.config));
    log_info("pulled %s: %s in %.3fs", out.reference, out.digest, (double)(time_monotonic() - start) / USEC_PER_SEC);
    *ret_pulled = out;
    return 0;
}

int image_record(struct imgstore *s, const char *reference, json_t **ret_record, struct error *err)
{
    struct imgref ref;
    char name[LIMIT_IMAGE_REF + 96];
    if (imgref_parse(reference, &ref, err) < 0)
        return -1;
    imgref_string(&ref, name, sizeof(name));
    return imgstore_ref_get(s, name, ret_record, err);
}

void image_dirs_free(char **dirs, size_t n)
{
    for (size_t i = 0; dirs && i < n; i++)
        free(dirs[i]);
    free(dirs);
}

int image_lower_dirs(struct imgstore *s, const char *reference, char ***ret_dirs, size_t *ret_n, struct error *err)
{
    _cleanup_json_ json_t *rec = NULL;
    if (image_record(s, reference, &rec, err) < 0)
        return -1;
    json_t *layers = json_object_get(rec, "layers");
    size_t n = json_array_size(layers);
    char **dirs = calloc(n ? n : 1, sizeof(*dirs));
    if (!dirs)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *chain = json_string_value(json_object_get(json_array_get(layers, n - 1 - i), "chain_id"));
        char path[PATH_MAX + 128];
        if (!digest_valid(chain)) {
            image_dirs_free(dirs, n);
            return error_set(err, ERR_INVALID, "%s: corrupt image record", reference);
        }
        imgstore_layer_path(s, chain, path, sizeof(path));
        dirs[i] = strdup(path);
        if (!dirs[i] || access(path, F_OK) < 0) {
            image_dirs_free(dirs, n);
            return error_set(err, ERR_NOT_FOUND, "%s: layer %s is missing; pull the image again", reference, chain);
        }
    }
    *ret_dirs = dirs;
    *ret_n = n;
    return 0;
}

int image_config(struct imgstore *s, const char *reference, const json_t *container, struct imgconfig **ret_config,
                 struct error *err)
{
    _cleanup_json_ json_t *rec = NULL;
    _cleanup_free_ char *cfg = NULL;
    size_t len = 0;
    if (image_record(s, reference, &rec, err) < 0)
        return -1;
    const char *digest = json_string_value(json_object_get(rec, "config"));
    if (!digest_valid(digest))
        return error_set(err, ERR_INVALID, "%s: corrupt image record", reference);
    if (imgstore_read_blob(s, digest, LIMIT_IMAGE_CONFIG, &cfg, &len, err) < 0)
        return error_prefix(err, "%s", reference);
    _cleanup_(imgconfig_freep) struct imgconfig *image = NULL;
    if (imgconfig_parse(cfg, len, &image, err) < 0)
        return error_prefix(err, "%s", reference);
    static const char empty[] = "{}";
    _cleanup_json_ json_t *none = container ? NULL : json_loads(empty, 0, NULL);
    return imgconfig_merge(image, container ? container : none, ret_config, err);
}

/* seccomp_cache.c - crun's compiled seccomp filters, reused (see
 * seccomp_cache.h). */
#include "agent/runtime/seccomp_cache.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/sigv4.h"

void seccomp_cache_init(struct seccomp_cache *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
}

void seccomp_cache_free(struct seccomp_cache *c)
{
    for (size_t i = 0; i < SECCOMP_CACHE_SLOTS; i++)
        free(c->slot[i].b64);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof(*c));
}

void seccomp_cache_set_runtime(struct seccomp_cache *c, const char *crun_path)
{
    snprintf(c->crun_path, sizeof(c->crun_path), "%s", crun_path);
}

/* The crun binary as it is now: an upgrade while we run is another key. */
static void runtime_identity(const struct seccomp_cache *c, char *buf, size_t cap)
{
    struct stat st;
    if (!c->crun_path[0] || stat(c->crun_path, &st) < 0)
        memset(&st, 0, sizeof(st));
    snprintf(buf, cap, "%llu:%llu:%lld:%lld.%09ld\n", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
             (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static int find_slot(struct seccomp_cache *c, const char *key)
{
    for (int i = 0; i < SECCOMP_CACHE_SLOTS; i++)
        if (c->slot[i].key[0] && strcmp(c->slot[i].key, key) == 0)
            return i;
    return -1;
}

bool seccomp_cache_annotate(struct seccomp_cache *c, json_t *cfg, char key[65])
{
    key[0] = '\0';
    json_t *ann = json_object_get(cfg, "annotations");
    json_object_del(ann, SECCOMP_BPF_ANNOTATION);
    json_t *profile = json_object_get(json_object_get(cfg, "linux"), "seccomp");
    if (!profile)
        return false;
    /* Sorted, so the same profile gives the same key however built. */
    char identity[128];
    runtime_identity(c, identity, sizeof(identity));
    _cleanup_free_ char *dump = json_dumps(profile, JSON_COMPACT | JSON_SORT_KEYS);
    _cleanup_free_ char *text = NULL;
    if (!dump || asprintf(&text, "%s%s", identity, dump) < 0)
        return false;
    sigv4_sha256_hex(text, strlen(text), key);
    pthread_mutex_lock(&c->lock);
    int i = find_slot(c, key);
    _cleanup_free_ char *b64 = i >= 0 ? strdup(c->slot[i].b64) : NULL;
    pthread_mutex_unlock(&c->lock);
    if (!b64)
        return false;
    if (!ann) {
        ann = json_object();
        json_object_set_new(cfg, "annotations", ann);
    }
    return json_object_set_new(ann, SECCOMP_BPF_ANNOTATION, json_string(b64)) == 0;
}

void seccomp_cache_learn(struct seccomp_cache *c, const char key[65], const char *bpf_path)
{
    if (!key[0])
        return;
    pthread_mutex_lock(&c->lock);
    bool known = find_slot(c, key) >= 0;
    pthread_mutex_unlock(&c->lock);
    if (known)
        return;
    _cleanup_free_ char *bpf = NULL;
    size_t len = 0;
    struct error err;
    /* A sock_filter is 8 bytes. */
    if (fs_read_file(bpf_path, SECCOMP_CACHE_MAX_BPF, &bpf, &len, &err) < 0 || len == 0 || len % 8)
        return;
    char *b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (!b64)
        return;
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)bpf, (int)len);
    pthread_mutex_lock(&c->lock);
    if (find_slot(c, key) < 0) {
        unsigned s = c->next++ % SECCOMP_CACHE_SLOTS;
        free(c->slot[s].b64);
        c->slot[s].b64 = b64;
        memcpy(c->slot[s].key, key, 65);
        b64 = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    free(b64);
}

void seccomp_cache_forget(struct seccomp_cache *c, const char key[65])
{
    pthread_mutex_lock(&c->lock);
    int i = key[0] ? find_slot(c, key) : -1;
    if (i >= 0) {
        free(c->slot[i].b64);
        c->slot[i].b64 = NULL;
        c->slot[i].key[0] = '\0';
    }
    pthread_mutex_unlock(&c->lock);
}

/* seccomp_cache.h - crun's compiled seccomp filters, reused.
 *
 * crun turns a bundle's seccomp profile into BPF with libseccomp at every
 * container start: ~10 ms of a ~20 ms `crun run` here for Docker's
 * default profile (Debian's crun is built without its own cache).  crun
 * leaves what it compiled in its state directory (<root>/<id>/seccomp.bpf)
 * and takes ready BPF from the annotation run.oci.seccomp_bpf_data.  So
 * the first container with a profile is compiled by crun itself, and
 * later ones with the same profile get crun's own output back: no second
 * compiler whose rules could differ from the runtime's.  runc has no such
 * annotation and compiles as before.  In memory only, and keyed by the
 * crun binary too: a new agent or a new crun starts over (a libseccomp
 * upgrade alone takes effect at the agent's next start). */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "common/error.h"

#define SECCOMP_CACHE_SLOTS 8
/* The kernel's BPF_MAXINSNS instructions of 8 bytes. */
#define SECCOMP_CACHE_MAX_BPF (4096 * 8)
#define SECCOMP_BPF_ANNOTATION "run.oci.seccomp_bpf_data"

struct seccomp_cache {
    pthread_mutex_t lock;
    struct {
        char key[65]; /* hex sha256 of the profile's JSON; "" when empty */
        char *b64;    /* crun's BPF for it, base64 */
    } slot[SECCOMP_CACHE_SLOTS];
    unsigned next;        /* the slot a new profile replaces */
    char crun_path[4096]; /* its binary's identity is hashed with each profile */
};

void seccomp_cache_init(struct seccomp_cache *c);
/* Key profiles by the binary at crun_path too (device, inode, size, mtime,
 * looked at each time). */
void seccomp_cache_set_runtime(struct seccomp_cache *c, const char *crun_path);
void seccomp_cache_free(struct seccomp_cache *c);

/* The key of cfg's linux.seccomp into key ("" without a profile).  When
 * that profile's BPF is known, set it as cfg's annotation and return true;
 * false: crun compiles it, and seccomp_cache_learn keeps the result.  A
 * config's own annotation of that name is always replaced or removed:
 * only what crun compiled here goes in. */
bool seccomp_cache_annotate(struct seccomp_cache *c, json_t *cfg, char key[65]);

/* After crun created a container from a profile with this key: keep the
 * BPF it wrote at bpf_path.  Quietly nothing when the file is missing or
 * not plausible BPF (a later start compiles again). */
void seccomp_cache_learn(struct seccomp_cache *c, const char key[65], const char *bpf_path);

/* Drop key's BPF: crun failed a container it was handed to, so later
 * starts go back to crun's own compile rather than fail alike. */
void seccomp_cache_forget(struct seccomp_cache *c, const char key[65]);

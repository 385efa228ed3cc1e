/* Unit tests: crun's compiled seccomp filters kept per profile and handed
 * back as its run.oci.seccomp_bpf_data annotation (seccomp_cache.h). */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/runtime/seccomp_cache.h"
#include "common/cleanup.h"
#include "test.h"

static json_t *config_with_profile(const char *default_action)
{
    return json_pack("{s:{s:{s:s, s:[s]}}}", "linux", "seccomp", "defaultAction", default_action, "architectures",
                     "SCMP_ARCH_X86_64");
}

static const char *annotation(json_t *cfg)
{
    return json_string_value(json_object_get(json_object_get(cfg, "annotations"), SECCOMP_BPF_ANNOTATION));
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

TEST(seccomp_cache_hands_back_what_crun_compiled_for_the_same_profile)
{
    char dir[] = "/tmp/berth-seccomp-XXXXXX", bpf[64], odd[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(bpf, sizeof(bpf), "%s/seccomp.bpf", dir);
    snprintf(odd, sizeof(odd), "%s/odd.bpf", dir);
    /* One instruction: return ALLOW. */
    const unsigned char allow[8] = {0x06, 0, 0, 0, 0, 0, 0xff, 0x7f};
    write_file(bpf, allow, sizeof(allow));
    write_file(odd, allow, 7);

    struct seccomp_cache c;
    seccomp_cache_init(&c);
    char key[65], key2[65];
    _cleanup_json_ json_t *first = config_with_profile("SCMP_ACT_ERRNO");
    /* A config's own annotation never goes through, known profile or not. */
    json_object_set_new(first, "annotations", json_pack("{s:s}", SECCOMP_BPF_ANNOTATION, "AAAA"));
    CHECK(!seccomp_cache_annotate(&c, first, key));
    CHECK(strlen(key) == 64 && annotation(first) == NULL);

    seccomp_cache_learn(&c, key, odd); /* not whole instructions */
    _cleanup_json_ json_t *again = config_with_profile("SCMP_ACT_ERRNO");
    CHECK(!seccomp_cache_annotate(&c, again, key2) && strcmp(key, key2) == 0);

    seccomp_cache_learn(&c, key, bpf);
    CHECK(seccomp_cache_annotate(&c, again, key2));
    CHECK_STR(annotation(again), "BgAAAAAA/38=");

    /* A container crun failed with it: back to crun's own compile. */
    seccomp_cache_forget(&c, key);
    CHECK(!seccomp_cache_annotate(&c, again, key2));
    seccomp_cache_learn(&c, key, bpf);
    CHECK(seccomp_cache_annotate(&c, again, key2));
    /* Another crun binary: the same profile is another key. */
    struct seccomp_cache c2;
    seccomp_cache_init(&c2);
    seccomp_cache_set_runtime(&c2, bpf);
    _cleanup_json_ json_t *other_crun = config_with_profile("SCMP_ACT_ERRNO");
    CHECK(!seccomp_cache_annotate(&c2, other_crun, key2) && strcmp(key, key2) != 0);
    /* ... and so is that binary once replaced (here: its mtime moved). */
    char key3[65];
    struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    CHECK(utimensat(AT_FDCWD, bpf, times, 0) == 0);
    CHECK(!seccomp_cache_annotate(&c2, other_crun, key3) && strcmp(key2, key3) != 0);
    seccomp_cache_free(&c2);

    /* Another profile is compiled afresh. */
    _cleanup_json_ json_t *other = config_with_profile("SCMP_ACT_KILL");
    CHECK(!seccomp_cache_annotate(&c, other, key2) && strcmp(key, key2) != 0 && annotation(other) == NULL);
    /* No profile (a privileged container): no key, nothing added. */
    _cleanup_json_ json_t *none = json_pack("{s:{}}", "linux");
    CHECK(!seccomp_cache_annotate(&c, none, key2) && key2[0] == '\0' && !json_object_get(none, "annotations"));

    /* A full cache replaces its oldest profile. */
    for (int i = 0; i < SECCOMP_CACHE_SLOTS; i++) {
        char action[32];
        snprintf(action, sizeof(action), "SCMP_ACT_ERRNO_%d", i);
        _cleanup_json_ json_t *p = config_with_profile(action);
        CHECK(!seccomp_cache_annotate(&c, p, key2));
        seccomp_cache_learn(&c, key2, bpf);
        CHECK(seccomp_cache_annotate(&c, p, key2));
    }
    _cleanup_json_ json_t *evicted = config_with_profile("SCMP_ACT_ERRNO");
    CHECK(!seccomp_cache_annotate(&c, evicted, key2));
    seccomp_cache_free(&c);
    unlink(bpf);
    unlink(odd);
    rmdir(dir);
}

/* task_images.c - a task's image pull.  Even for a cached image it is a
 * round trip to the registry, as a tag may have moved; nothing before the
 * first container needs the image, so the runner runs it beside the task
 * record, cgroup and network.  Storing and unpacking images is image.c's. */
#include "agent/task/task_images.h"

#include <stdio.h>
#include <string.h>

#include "agent/image/image.h"
#include "agent/image/pull_progress.h"
#include "common/log.h"
#include "common/timeutil.h"

/* A long pull says how far it got, at info, every PULL_LOG_EVERY. */
#define PULL_LOG_EVERY (5 * USEC_PER_SEC)

struct pull_log {
    struct pull_progress progress;
    const char *task_id, *image;
};

static void on_progress(void *ud, const struct image_progress *p)
{
    struct pull_log *pl = ud;
    pull_progress_update(&pl->progress, p);
    if (!pull_progress_due(&pl->progress, time_monotonic(), PULL_LOG_EVERY))
        return;
    char line[128];
    pull_progress_format(&pl->progress, line, sizeof(line));
    log_info("task %s: pulling %s: %s", pl->task_id, pl->image, line);
}

/* One image, logged: its start, its progress when slow, its failure. */
static int pull_one(struct task_runner *t, const char *image, struct image_pull_opts *opts,
                    struct image_pulled *ret_pulled, struct error *err)
{
    struct pull_log pl = {.task_id = t->id, .image = image};
    pull_progress_init(&pl.progress);
    pl.progress.last_line = time_monotonic(); /* the first line after PULL_LOG_EVERY */
    opts->progress = on_progress;
    opts->progress_ud = &pl;
    log_info("task %s: pulling %s", t->id, image);
    int r = image_pull(t->env->images, image, opts, ret_pulled, err);
    opts->progress = NULL;
    opts->progress_ud = NULL;
    pull_progress_free(&pl.progress);
    if (r < 0)
        log_warn("task %s: pulling %s failed: %s", t->id, image, err->msg);
    return r;
}

static int pull_images(struct task_runner *t, char *why, size_t cap)
{
    struct image_pull_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.registry.insecure = t->env->insecure;
    opts.registry.n_insecure = t->env->n_insecure;
    image_platform_default(&opts.platform);
    json_t *platform = runner_taskdef(t, "runtimePlatform");
    const char *arch = json_string_value(json_object_get(platform, "cpuArchitecture"));
    if (arch && strcmp(arch, "ARM64") == 0)
        snprintf(opts.platform.arch, sizeof(opts.platform.arch), "arm64");
    for (size_t i = 0; i < t->nctrs; i++) {
        struct runner_ctr *c = &t->ctrs[i];
        const char *image = json_string_value(json_object_get(c->def, "image"));
        json_t *creds = json_object_get(c->def, "repositoryCredentials");
        /* A Secrets Manager ARN was read with the execution role
         * (task_secrets.c); anything else is taken as "user:password", as
         * berth did before it had Secrets Manager. */
        char user[256] = "", *pass = NULL;
        const char *param = json_string_value(json_object_get(creds, "credentialsParameter"));
        if (c->registry_user && c->registry_pass) {
            opts.registry.username = c->registry_user;
            opts.registry.password = c->registry_pass;
        } else if (param && strncmp(param, "arn:", 4) != 0 && strchr(param, ':') && strlen(param) < sizeof(user)) {
            snprintf(user, sizeof(user), "%s", param);
            pass = strchr(user, ':');
            *pass++ = '\0';
            opts.registry.username = user;
            opts.registry.password = pass;
        }
        struct image_pulled pulled;
        struct error err;
        if (pull_one(t, image, &opts, &pulled, &err) < 0) {
            snprintf(why, cap, "CannotPullContainerError: %s", err.msg);
            snprintf(c->reason, sizeof(c->reason), "%s", why);
            return -1;
        }
        snprintf(c->image_digest, sizeof(c->image_digest), "%s", pulled.digest);
        opts.registry.username = opts.registry.password = NULL;
    }
    return 0;
}

void *task_images_pull(void *arg)
{
    struct task_images_pull *j = arg;
    usec_t began = time_monotonic();
    j->rc = pull_images(j->t, j->why, sizeof(j->why));
    j->took = time_monotonic() - began;
    return NULL;
}

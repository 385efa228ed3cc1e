/* task_images.c - a task's image pull.  Even for a cached image it is a
 * round trip to the registry, as a tag may have moved; nothing before the
 * first container needs the image, so the runner runs it beside the task
 * record, cgroup and network.  Storing and unpacking images is image.c's. */
#include "agent/task/task_images.h"

#include <stdio.h>
#include <string.h>

#include "agent/image/image.h"
#include "common/log.h"
#include "common/timeutil.h"

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
        log_info("task %s: pulling %s", t->id, image);
        if (image_pull(t->env->images, image, &opts, &pulled, &err) < 0) {
            log_warn("task %s: pulling %s failed: %s", t->id, image, err.msg);
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

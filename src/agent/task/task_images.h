/* task_images.h - pulling a task's images (or checking that the cached
 * ones are current), in a thread beside the runner's other first steps. */
#pragma once

#include "agent/task/runner.h"

struct task_images_pull {
    struct task_runner *t; /* in */
    int rc;                /* out: 0, or -1 with why set */
    usec_t took;           /* out: how long it took */
    char why[1200];        /* out: the stop reason, "CannotPullContainerError: ..." */
};

/* Pull every container's image (a thread's body: arg is a struct
 * task_images_pull).  Sets each container's image digest, or on failure
 * the failing container's reason. */
void *task_images_pull(void *arg);

/* netns.h - network namespaces as files: create one bind-mounted at a path
 * (as `ip netns add` does, under the agent's data directory), remove it,
 * and run a function inside one.  Namespaces are per thread, so each of
 * these works in a short-lived thread and never moves the agent's own
 * threads. */
#pragma once

#include "common/error.h"

/* A new network namespace bind-mounted on path (created; must not exist as a
 * mount).  Loopback is not configured here.  With fn, fn(arg, err) then
 * runs inside it in the same thread (one thread where create + netns_run
 * take two); its failure removes the namespace. */
int netns_create(const char *path, int (*fn)(void *arg, struct error *err), void *arg, struct error *err);
/* Unmount and unlink path; a missing path is success. */
int netns_remove(const char *path, struct error *err);
/* Run fn(arg, err) in a thread that has joined the namespace at path. */
int netns_run(const char *path, int (*fn)(void *arg, struct error *err), void *arg, struct error *err);

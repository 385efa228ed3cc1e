/* userdb.h - resolve an ECS/Docker `user` string ("", "uid", "uid:gid",
 * "name", "name:group") against a container's /etc/passwd and /etc/group. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "agent/agent_limits.h"

struct userdb_user {
    uint32_t uid;
    uint32_t gid;
    uint32_t groups[LIMIT_SUPP_GROUPS]; /* supplementary, without gid */
    size_t n_groups;
    char home[256]; /* from passwd, "/" when unknown */
};

/* Resolve spec using the text of passwd and group (either may be NULL: an
 * image without them).  Names that are not found are ERR_NOT_FOUND; numbers
 * need no entry.  Supplementary groups are the groups that list the user's
 * name as a member (Docker's rule). */
int userdb_resolve(const char *spec, const char *passwd, const char *group, struct userdb_user *ret, struct error *err);

/* The same, reading etc/passwd and etc/group inside rootfs (symlinks are
 * resolved inside it, never escaping to the host). */
int userdb_resolve_in_root(const char *spec, const char *rootfs, struct userdb_user *ret, struct error *err);

/* up_registry.h - the local image registry `berth up` runs when Debian's
 * docker-registry is installed: loopback only, storage under the data dir. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct up_registry {
    pid_t pid;
    int pidfd;
    char hostport[64];
};

/* Start docker-registry on host:port with storage in dir and wait until it
 * accepts connections.  ERR_NOT_FOUND when docker-registry is not installed. */
int up_registry_start(const char *dir, const char *host, uint16_t port, struct up_registry *ret, struct error *err);
/* Run `program HOSTPORT` (e.g. scripts/make-test-images.sh) to seed it. */
int up_registry_seed(const struct up_registry *r, const char *program, struct error *err);
void up_registry_stop(struct up_registry *r);

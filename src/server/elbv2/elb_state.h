/* elb_state.h - the server-state file a load balancer's HAProxy loads
 * when it starts or reloads (elb_state.c): the health its servers had,
 * and new servers starting out of rotation.  Pure: no I/O. */
#pragma once

#include <jansson.h>

#include "common/buf.h"

/* Append to ret the server-state file for cfg (a configuration
 * elb_haproxy_config() wrote): the lines of saved (what "show servers
 * state" answered, or the file last written; NULL, empty or not version 1:
 * none), then, for each health-checked server of cfg that saved does not
 * name, a line that starts it down with its checks still to come, so that
 * it takes no traffic before it has passed rise (HealthyThresholdCount)
 * consecutive checks, as ELB does with a newly registered target.
 *
 * initial is {backend: {server: true}}, the servers not up since they
 * were added: it gains the servers so started and loses those cfg no
 * longer has.  -1 when ret's limit is reached (ret then unusable). */
int elb_state_file(const char *cfg, const char *saved, json_t *initial, struct buf *ret);

/* haproxy_proc.h - an HAProxy master-worker process as berth's data planes
 * run it (the load balancers, elb_proxy.c; Service Connect,
 * service_connect_proxy.c): started with an explicit argv, its output to a
 * log file, checked before a (re)load, stopped and reaped, and spoken to
 * through its runtime API (the stats socket, `level admin`).
 *
 * Nothing here knows what a configuration says. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"

/* Run haproxy (its path) with args after the program name; stdin from
 * /dev/null, stdout and stderr appended to logdir/haproxy.log.  The child
 * gets SIGTERM when the calling thread ends.  The pid, or -1. */
pid_t haproxy_spawn(const char *haproxy, const char *logdir, const char *const *args, size_t nargs);

/* `haproxy -c -q -f cfgpath`: 0 when the configuration is valid, -1 when
 * it is refused (why: in logdir/haproxy.log) or haproxy cannot run. */
int haproxy_check(const char *haproxy, const char *logdir, const char *cfgpath);

/* SIGTERM to the master at *pid (its workers stop with it), SIGKILL after
 * 2 s; reaped; *pid set to 0.  Nothing when *pid <= 0. */
void haproxy_stop(pid_t *pid);

/* Whether the master at *pid has exited (reaped, *pid set to 0, its wait
 * status in *ret_status). */
bool haproxy_exited(pid_t *pid, int *ret_status);

/* One runtime API command (a line ending in '\n') on the stats socket
 * bound to the abstract name abns (`stats socket abns@<name>`); its whole
 * answer, bounded by ret's limit, appended to ret.  0, or -1 when the
 * socket cannot be reached or the answer is too long. */
int haproxy_command(const char *abns, const char *cmd, struct buf *ret);

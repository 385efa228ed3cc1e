/* cli_util.h - small helpers the subcommands share. */
#pragma once

#include <jansson.h>

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct aws_credentials;

/* "HOST:PORT" or "[v6]:PORT" into host and port. */
int cli_parse_hostport(const char *s, char *host, size_t host_cap, uint16_t *ret_port);
/* Copy a string argument, refusing one that does not fit. */
int cli_copy_arg(char *dst, size_t cap, const char *value, const char *flag);
/* Parse a --log-level value and apply it; -1 after "CMD: unknown log level"
 * on stderr. */
int cli_set_log_level(const char *cmd, const char *value);
/* --log-format text|json: set it, or say why not (-1). */
int cli_set_log_format(const char *cmd, const char *value);
/* --runtime: "runc" or "crun" copied to out; -1 after "CMD: --runtime is
 * runc or crun" on stderr. */
int cli_set_runtime_name(const char *cmd, const char *value, char *out, size_t cap);
/* --allow-host-path PREFIX appended to paths (*n of cap); -1 after a
 * message naming CMD when it is not absolute or there are too many. */
int cli_add_host_path(const char *cmd, const char *value, const char **paths, size_t *n, size_t cap);
/* --listen HOST:PORT into host and port; -1 after a message naming CMD. */
int cli_set_listen(const char *cmd, const char *value, char *host, size_t host_cap, uint16_t *ret_port);
/* Block SIGINT/SIGTERM/SIGHUP in this and future threads (so sigwait sees them). */
void cli_block_stop_signals(sigset_t *ret_mask);
/* Wait for one of those signals; returns its number. */
int cli_wait_stop_signal(const sigset_t *mask);
/* What a client signs its requests with: the credentials of the
 * environment or the shared credentials file (aws_credentials_resolve),
 * and region_flag if given, else the environment's region.  -1 after
 * "CMD: ..." on stderr saying what is missing; *ret_creds and region are
 * filled only on success. */
int cli_signing_setup(const char *cmd, const char *region_flag, struct aws_credentials *ret_creds, char *region,
                      size_t region_cap);
/* The same, for a client that may sign otherwise (berth agent with a
 * registration token or its stored instance key): no credentials found is
 * not an error, *ret_creds is then empty. */
int cli_signing_setup_optional(const char *cmd, const char *region_flag, struct aws_credentials *ret_creds,
                               char *region, size_t region_cap);
/* One signed JSON call of target's action to endpoint with in (consumed),
 * signed as cli_signing_setup says; the answer, or NULL after "CMD: ..."
 * on stderr. */
json_t *cli_call_once(const char *cmd, const char *endpoint, const char *region_flag, const char *target,
                      const char *action, json_t *in);
/* A duration ("90", "30s", "5m", "2h", "1d", "1w"; plain numbers are
 * seconds) in milliseconds; -1 when it is not one. */
int cli_parse_duration_ms(const char *s, int64_t *ret_ms);
/* Write dir/name through a temporary file and rename, fsyncing both. */
int cli_write_file_atomic(const char *dir, const char *name, const char *content, struct error *err);

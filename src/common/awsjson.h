/* awsjson.h - a client for AWS JSON 1.1 APIs (libcurl, keep-alive).
 *
 * One client is one connection's worth of state: use it from one thread at
 * a time.  Transport failures and 5xx answers fail with ERR_IO (worth
 * retrying); a 4xx answer fails with ERR_INVALID and the message
 * "<ExceptionName>: <message>", with the name also in ret_type when asked.
 *
 * Every request is signed with SigV4 (Authorization header form) for the
 * client's region, unless the client's credentials are empty (no access key
 * id): then none is, for the calls a server authenticates by what the body
 * carries (an agent's registration token); the service is "logs" for the CloudWatch Logs target
 * (PROTO_LOGS_TARGET), "ssm" for AmazonSSM, "secretsmanager" for
 * secretsmanager, "ecs" for the others. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/aws_credentials.h"
#include "common/error.h"

struct awsjson_client;

/* A client for endpoint ("http://host[:port][/path]", or several such
 * URLs, comma-separated, of servers that serve the same API: calls go to
 * one until it fails, then to the next) that signs with a copy of creds
 * for region.  Fails with ERR_INVALID for an endpoint libcurl
 * cannot parse or an empty or overlong region.  Free with
 * awsjson_client_free, which wipes the copy. */
int awsjson_client_new(const char *endpoint, const struct aws_credentials *creds, const char *region,
                       struct awsjson_client **ret_client, struct error *err);
void awsjson_client_free(struct awsjson_client *c);
/* Overall time limit per call (seconds); long-polls need more than the default 30. */
void awsjson_client_set_timeout(struct awsjson_client *c, long seconds);

/* Abort calls in flight (and fail new ones) once *flag is true: lets a
 * long-poll end promptly at shutdown.  The flag is read without a lock. */
void awsjson_client_set_abort_flag(struct awsjson_client *c, const volatile bool *flag);

/* POST `in` to "<target_prefix>.<action>"; on success *ret_out is the parsed
 * answer (a new reference). */
int awsjson_call(struct awsjson_client *c, const char *target_prefix, const char *action, json_t *in, json_t **ret_out,
                 struct error *err);
/* The same with a request body already encoded (len bytes of JSON). */
int awsjson_call_body(struct awsjson_client *c, const char *target_prefix, const char *action, const char *body,
                      size_t len, json_t **ret_out, struct error *err);
/* The exception name of the last 4xx/5xx answer ("" if none). */
const char *awsjson_last_error_type(const struct awsjson_client *c);

/* api.h - the AWS JSON 1.1 API edge: from (X-Amz-Target, body) to a JSON
 * response, for the ECS and CloudWatch Logs services.
 *
 * The dispatcher, not each handler, checks the body size, parses the JSON,
 * validates it against the service's botocore model, opens the store
 * transaction, commits it before anything is sent, maps error kinds to
 * exception names and logs one line per request. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/proto.h"
#include "common/error.h"
#include "common/timeutil.h"

struct server;
struct store_tx;

/* What a handler gets.  `out` is the response object it fills. */
struct op_ctx {
    struct server *srv;
    struct store_tx *tx;
    const char *action;
    const char *region;
    const char *account;
    usec_t now;
    const char *request_id;
    /* A long-poll handler sets this (monotonic time) and returns API_WAIT
     * when it has nothing to report yet. */
    usec_t wait_until;
    /* The handler runs again after an API_WAIT (a change was committed):
     * work done once per request need not be repeated. */
    bool rerun;
};

/* Returned by a handler: `out` holds an empty answer; if time remains before
 * ctx->wait_until, wait for a committed change and call the handler again. */
#define API_WAIT 1

/* BerthAgent.SubmitReports (api.c, beside the dispatcher it reuses). */
int action_berth_submit_reports(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);

typedef int (*api_handler_fn)(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);

enum api_flags {
    API_READ = 0,
    API_WRITE = 1 << 0,  /* opens a write transaction */
    API_REPORT = 1 << 1, /* an agent's report: may come batched in BerthAgent.SubmitReports */
};

struct api_action {
    const char *name;
    api_handler_fn handler;
    unsigned flags;
};

/* Error kinds of the API layer, numbered after the generic ones.  Each maps
 * to one exception name and HTTP status (api.c). */
enum api_error_kind {
    API_ERR_CLIENT = ERR_GENERIC_MAX,
    API_ERR_SERVER,
    API_ERR_UNKNOWN_OPERATION,
    API_ERR_SERIALIZATION,
    API_ERR_CLUSTER_NOT_FOUND,
    API_ERR_CLUSTER_CONTAINS_SERVICES,
    API_ERR_CLUSTER_CONTAINS_TASKS,
    API_ERR_CLUSTER_CONTAINS_INSTANCES,
    API_ERR_SERVICE_NOT_FOUND,
    API_ERR_SERVICE_NOT_ACTIVE,
    API_ERR_RESOURCE_NOT_FOUND,
    API_ERR_RESOURCE_IN_USE,
    API_ERR_RESOURCE_ALREADY_EXISTS,
    API_ERR_LIMIT_EXCEEDED,
    API_ERR_ATTRIBUTE_LIMIT_EXCEEDED,
    API_ERR_TARGET_NOT_FOUND,
    API_ERR_UNSUPPORTED_FEATURE,
    API_ERR_PLATFORM_UNKNOWN,
    API_ERR_ACCESS_DENIED,
    API_ERR_NO_UPDATE_AVAILABLE,
    API_ERR_DATA_ALREADY_ACCEPTED,
    API_ERR_INVALID_SEQUENCE_TOKEN,
    API_ERR_OPERATION_ABORTED,
    API_ERR_INVALID_OPERATION,
    API_ERR_MAX
};

/* One request as the HTTP front saw it. */
struct api_request {
    const char *target;        /* X-Amz-Target, or NULL */
    const char *authorization; /* Authorization, or NULL */
    const char *body;
    size_t body_len;
    bool body_too_large; /* the front stopped reading at LIMIT_HTTP_BODY */
};

struct api_response {
    int status;
    char *body; /* malloc'd JSON */
    size_t body_len;
    char request_id[37];
};

/* Handle one request.  Always fills resp (an error response on failure);
 * the caller frees resp->body. */
void api_handle(struct server *srv, const struct api_request *req, struct api_response *resp);

/* The sorted action tables (actions.c). */
const struct api_action *api_ecs_actions(size_t *ret_count);
const struct api_action *api_logs_actions(size_t *ret_count);
/* berth's own agent calls (X-Amz-Target: BerthAgent_20261122.<Action>),
 * validated by their handlers since no botocore model describes them. */
const struct api_action *api_berth_actions(size_t *ret_count);

/* The exception name for an error kind ("ClientException"...). */
const char *api_error_name(int kind);
